"""`audita bench` (registered in the main CLI by the lead)."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from audita.bench.runner import BenchOptions, report_markdown, run_bench
from audita.bench.systems import SystemUnavailable, default_home
from audita.bench.table import HEADER, cells


@click.command("bench")
@click.option("--corpus", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Generated corpus folder (with index.json).")
@click.option("--model", default="whisper-base", show_default=True, help="Model name in Audita's registry.")
@click.option("--model-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="CTranslate2 model folder for the baseline (skips the registry).")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N items.")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Audita home (default: $AUDITA_HOME, else ./var/audita).")
@click.option("--section", "sections", multiple=True, help="Only these sections (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report as Markdown (e.g. docs/benchmarks.md).")
def bench_command(corpus: Path, model: str, model_dir: Path | None, threads: int, limit: int | None,
                  home: Path | None, sections: tuple[str, ...], out: Path | None) -> None:
    """Measure Audita against plain faster-whisper on a generated corpus."""
    console = Console()
    options = BenchOptions(corpus=corpus, model=model, model_dir=model_dir, threads=threads, limit=limit,
                           home=home or default_home(), sections=sections)
    with console.status("loading") as status:
        def progress(system: str, item: str) -> None:
            status.update(f"{system}: {item}")

        try:
            report = run_bench(options, on_progress=progress)
        except SystemUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
    table = Table(*HEADER, title=f"audita bench — {report.items} items, {report.audio_seconds / 60:.1f} min")
    for row in report.rows:
        table.add_row(*cells(row))
    console.print(table)
    if report.system_note:
        console.print(f"audita system not available: {report.system_note}")
    if out is not None:
        command = "audita bench " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "bench")
        existing = out.read_text(encoding="utf-8") if out.exists() else ""
        partial = out.with_name(out.name + ".partial")  # a killed run leaves the old table whole
        partial.write_text(report_markdown(report, command, existing), encoding="utf-8")
        os.replace(partial, out)
        click.echo(f"wrote {out}")
