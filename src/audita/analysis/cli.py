"""`audita analyze`: flag IHL indicators, places and entities in transcripts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from audita.analysis.pipeline import AnalysisOptions, analyze_text
from audita.analysis.service import analyze_item
from audita.cli import Context, console, err_console, pass_ctx
from audita.errors import AuditaError
from audita.items import list_items, resolve_item_id


@click.command("analyze")
@click.option("--case", "case_name", help="Case whose recordings to analyse.")
@click.option("--text", "text_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Analyse a UTF-8 text file and print JSON (nothing is stored).")
@click.option("--language", default="ru", type=click.Choice(["ru", "uk", "en"]), show_default=True)
@click.option("--min-confidence", default=0.0, type=float, show_default=True)
@click.argument("item_refs", nargs=-1)
@pass_ctx
def analyze_command(ctx: Context, case_name: str | None, text_file: Path | None, language: str,
                    min_confidence: float, item_refs: tuple[str, ...]) -> None:
    """Analyse the current transcripts of a case's recordings (or ITEM...) and store the result."""
    options = AnalysisOptions(min_confidence=min_confidence, default_language=language)
    try:
        if text_file is not None:
            result = analyze_text(text_file.read_text(encoding="utf-8"), language, options)
            console.print_json(json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True))
            return
        if not case_name:
            raise click.UsageError("give --case NAME (or --text FILE)")
        workspace = ctx.workspace
        if item_refs:
            with workspace.reading() as connection:
                item_ids = [resolve_item_id(connection, ref) for ref in item_refs]
        else:
            item_ids = [i.id for i in list_items(workspace, case_name) if i.kind == "recording"]
        failures = 0
        for item_id in item_ids:
            try:
                derivation = analyze_item(workspace, item_id, actor=ctx.actor, options=options)
            except AuditaError as exc:
                failures += 1
                err_console.print(f"[red]skipped[/] {item_id[:12]}: {exc}", highlight=False)
                continue
            output = derivation.output
            console.print(f"{item_id[:12]} analysis {derivation.id[:12]}: {len(output['flags'])} flags, "
                          f"{len(output['entities'])} entities", highlight=False)
        if failures and failures == len(item_ids):
            raise SystemExit(1)
    except AuditaError as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False)
        raise SystemExit(1) from exc
