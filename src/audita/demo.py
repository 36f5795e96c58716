"""`audita demo`: the main job end to end on the bundled sample case."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from audita.cases import create_case, list_cases
from audita.ingest.service import ingest_paths
from audita.items import list_items
from audita.verify import verify_store

SAMPLE_CASE = "Popasna demo"


def sample_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "samples" / "popasna-demo"


@click.command("demo")
@click.option("--samples", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="Folder to ingest (default: the bundled sample case).")
@click.pass_obj
def demo_command(ctx, samples: Path | None) -> None:  # type: ignore[no-untyped-def]
    """Ingest the bundled sample case, verify the store and print a summary."""
    console = Console()
    workspace = ctx.workspace
    folder = samples or sample_dir()
    console.rule("Audita demo")
    console.print(f"store: {workspace.settings.home}")
    if SAMPLE_CASE not in {c.name for c in list_cases(workspace)}:
        create_case(workspace, SAMPLE_CASE, actor=ctx.actor, description="Bundled synthetic sample case")
    report = ingest_paths(workspace, SAMPLE_CASE, [folder], actor=ctx.actor)
    console.rule("1. ingest")
    for outcome in report.outcomes:
        console.print(f"{outcome.status:9} {Path(outcome.source).name}  {outcome.message}", highlight=False)
    console.rule("2. items")
    for item in list_items(workspace, SAMPLE_CASE):
        duration = f"{item.duration:6.1f} s" if item.duration is not None else ""
        console.print(f"{item.display_name:28} {item.format or '':7} {duration}  sha256 {item.sha256}", highlight=False)
    console.rule("3. verify")
    result = verify_store(workspace)
    for problem in result.problems:
        console.print(f"{problem.severity}: {problem.subject}: {problem.message}", highlight=False)
    console.print(
        f"{'OK' if result.ok else 'FAILED'}: {result.blobs_checked} blobs re-hashed, "
        f"{result.entries_checked} custody entries and {result.heads_checked} signed tree heads checked"
    )
    if not (report.ok and result.ok):
        sys.exit(1)
