"""Commands: ``audita search``, ``audita documents``, ``audita incidents``, ``audita duplicates``,
``audita compare`` (registered by audita.cli from STAGE_COMMANDS)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from audita.cli import Context, console, err_console, pass_ctx, progress_bar
from audita.errors import BadInput


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes):02d}:{rest:04.1f}"


def _resolve(ctx: Context, reference: str) -> str:
    from audita.items import resolve_item_id

    with ctx.workspace.reading() as connection:
        return resolve_item_id(connection, reference)


# ---- search -----------------------------------------------------------------------------------------


@click.command("search")
@click.argument("query", required=False)
@click.option("--case", "case_names", multiple=True, help="Only these cases (repeatable; default: all).")
@click.option("--from", "date_from", default=None, help="From this date (ISO, inclusive).")
@click.option("--to", "date_to", default=None, help="Up to this date (ISO, inclusive).")
@click.option("--place", default=None, help="Items whose analysis names this place (any inflection).")
@click.option("--speaker", default=None, help="Speaker label (S1), analyst-given name, or post author.")
@click.option("--category", default=None, help="Items with an indicator of this category (not rejected).")
@click.option("--source", "sources", multiple=True,
              type=click.Choice(["transcript", "machine", "translation", "document", "note"]),
              help="Only these kinds of passage (repeatable).")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0, 100_000), default=0, show_default=True,
              help="Skip this many hits (the next page: --offset LIMIT, then 2*LIMIT...).")
@click.option("--reindex", is_flag=True, help="Rebuild the search index from the store first.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def search_command(ctx: Context, query: str | None, case_names: tuple[str, ...], date_from: str | None,
                   date_to: str | None, place: str | None, speaker: str | None, category: str | None,
                   sources: tuple[str, ...], limit: int, offset: int, reindex: bool, as_json: bool) -> None:
    """Search transcripts, translations, documents and notes (lemmatised ru/uk, stemmed en)."""
    from audita.cases import get_case
    from audita.search.api import SearchFilters, reindex as rebuild, search

    if reindex:
        report = rebuild(ctx.workspace)
        err_console.print(f"search index rebuilt: {report['items_indexed']} items, {report['entries']} passages")
    if not query:
        if reindex:
            return
        raise click.UsageError("give a QUERY (or --reindex)")
    case_ids = None
    names: dict[str, str] = {}
    with ctx.workspace.reading() as connection:
        if case_names:
            found = [get_case(connection, name) for name in case_names]
            case_ids = [c.id for c in found]
            names = {c.id: c.name for c in found}
    filters = SearchFilters(date_from=date_from, date_to=date_to, place=place, speaker=speaker, category=category,
                            sources=sources or None)
    hits = search(ctx.workspace, query, case_ids=case_ids, filters=filters, limit=limit, offset=offset)
    with ctx.workspace.action() as connection:  # who looked for what, and which items it showed them
        ctx.workspace.record(connection, "search.performed", ctx.actor,
                             case_id=case_ids[0] if case_ids and len(case_ids) == 1 else None, details={"query": query, "filters": filters.to_dict(), "cases": case_ids,
                                      "offset": offset, "results": len(hits), "items": sorted({h.item_id for h in hits})})
    if as_json:
        _echo_json([hit.to_dict() for hit in hits])
        return
    if not names:
        from audita.cases import list_cases

        names = {c.id: c.name for c in list_cases(ctx.workspace)}
    table = Table("case", "item", "passage", "when", "speaker", "text")
    for hit in hits:
        if hit.source == "document":
            where = f"¶{hit.paragraph}"
        elif hit.start is not None:
            where = f"{_clock(hit.start)}–{_clock(hit.end)}"
        else:
            where = ""
        kind = hit.source + (f" #{hit.transmission}" if hit.transmission is not None else "")
        text = hit.marked_snippet("\x00", "\x01")
        shown = escape(text).replace("\x00", "[bold yellow]").replace("\x01", "[/]")
        table.add_row(names.get(hit.case_id, hit.case_id[:8]), hit.item_id[:12], kind, where,
                      hit.speaker_name or hit.speaker or "", shown)
    console.print(table)
    console.print(f"{len(hits)} passage(s); links: /items/ITEM#t=SECONDS (recordings), #p=PARAGRAPH (documents)")


# ---- documents --------------------------------------------------------------------------------------


@click.group("documents")
def documents_group() -> None:
    """Open-source documents: news articles, published transcripts, Telegram posts."""


@documents_group.command("add")
@click.option("--case", "case_name", required=True)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--url", required=True, help="Where the document was captured from (http/https).")
@click.option("--captured-at", "captured_at", required=True, help="When it was captured (ISO 8601 with offset).")
@click.option("--title", default=None)
@click.option("--publisher", default=None)
@click.option("--language", type=click.Choice(["ru", "uk", "en", "other"]), default=None,
              help="Language of the text (default: detected).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def documents_add(ctx: Context, case_name: str, file: Path, url: str, captured_at: str, title: str | None,
                  publisher: str | None, language: str | None, as_json: bool) -> None:
    """Ingest a text, HTML, Telegram export or PDF document (hashed, stored write-once, in custody)."""
    from audita.documents.service import document_extraction
    from audita.ingest.documents import document_metadata, ingest_document

    metadata = document_metadata(url, captured_at, title=title, publisher=publisher, language=language)
    outcome = ingest_document(ctx.workspace, case_name, file, metadata=metadata, actor=ctx.actor)
    with ctx.workspace.reading() as connection:
        extract = document_extraction(connection, outcome.item_id)
    claims = extract.output if extract is not None else {}
    if as_json:
        _echo_json({**outcome.to_dict(), "extract": claims})
        return
    console.print(f"{outcome.status} {outcome.item_id} {outcome.sha256[:12]} {escape(str(file))}: {outcome.format}, "
                  f"{outcome.paragraphs} paragraph(s)", highlight=False)
    for warning in outcome.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    console.print(
        f"found: {len(claims.get('dates', []))} date(s), {len(claims.get('quotes', []))} quote(s), "
        f"{len(claims.get('casualties', []))} casualty claim(s), {len(claims.get('places', []))} place mention(s), "
        f"{len(claims.get('people', []))} people, {len(claims.get('flags', []))} indicator(s) "
        f"[{claims.get('entities_source', 'none')}]", highlight=False)


@documents_group.command("list")
@click.option("--case", "case_name", required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def documents_list(ctx: Context, case_name: str, as_json: bool) -> None:
    """List a case's documents with their source and what was extracted."""
    from audita.documents.service import list_documents

    documents = list_documents(ctx.workspace, case_name)
    if as_json:
        _echo_json([d.to_dict() for d in documents])
        return
    table = Table("id", "title", "publisher", "url", "captured", "published", "lang", "¶", "quotes", "claims", "flags")
    for d in documents:
        table.add_row(d.item_id[:12], escape(d.title or d.name), escape(d.publisher or ""), escape(d.source_url or ""),
                      d.captured_at or "", d.published or "", d.language or "", str(d.paragraphs), str(d.quotes),
                      str(d.casualty_claims), str(d.flags))
    console.print(table)


@documents_group.command("show")
@click.argument("item")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def documents_show(ctx: Context, item: str, as_json: bool) -> None:
    """Show a document's extracted dates, quotes, casualty claims, places, people and indicators."""
    from audita.documents.service import document_extraction, document_text
    from audita.errors import NotFound

    item_id = _resolve(ctx, item)
    with ctx.workspace.reading() as connection:
        text = document_text(connection, item_id)
        extract = document_extraction(connection, item_id)
    if text is None or extract is None:
        raise NotFound(f"item {item_id} is not a document with extracted text")
    claims = extract.output
    if as_json:
        _echo_json({"document": text[0].output, "extract": claims})
        return
    document = text[1]
    console.print(f"{escape(document.title or '')} ({document.format}, {len(document.paragraphs)} ¶, "
                  f"published {document.published or 'unknown'})", highlight=False)
    for label, records, show in (
        ("dates", claims.get("dates", []), lambda r: f"{r['date']} «{r['text']}»"),
        ("quotes", claims.get("quotes", []), lambda r: f"«{r['text']}»" + (f" — {r['speaker']}" if r.get("speaker") else "")),
        ("casualty claims", claims.get("casualties", []),
         lambda r: f"{r['kind']} {r.get('count') or r.get('approximate') or '?'}"
                   f"{' (at least)' if r.get('qualifier') == 'at_least' else ''} {r.get('who') or ''}: {r['text']}"),
        ("places", claims.get("places", []), lambda r: f"{r.get('normalized') or r.get('text')}"),
        ("people", claims.get("people", []), lambda r: f"{r.get('normalized') or r.get('text')}"),
        ("indicators", claims.get("flags", []), lambda r: f"{r.get('category')}: «{r.get('quote')}»"),
    ):
        console.print(f"[bold]{label}[/] ({len(records)})")
        for found in records:
            console.print(f"  ¶{found.get('paragraph', '?')} {escape(show(found))}", highlight=False)
    for note in claims.get("notes", []):
        err_console.print(f"note: {escape(note)}", highlight=False)


@documents_group.command("extract")
@click.option("--case", "case_name", required=True)
@click.argument("items", nargs=-1)
@pass_ctx
def documents_extract(ctx: Context, case_name: str, items: tuple[str, ...]) -> None:
    """Extract claims again (e.g. after installing or upgrading analysis); unchanged ones are reused."""
    from audita.documents.service import list_documents, reextract

    wanted = [_resolve(ctx, i) for i in items] or [d.item_id for d in list_documents(ctx.workspace, case_name)]
    for item_id in wanted:
        row = reextract(ctx.workspace, item_id, actor=ctx.actor)
        console.print(f"{item_id[:12]}: document.extract {row.id[:12]}", highlight=False)


# ---- incidents --------------------------------------------------------------------------------------


def _print_incidents(report: object, as_json: bool) -> None:
    from audita.search.incidents import IncidentReport

    assert isinstance(report, IncidentReport)
    if as_json:
        _echo_json(report.to_dict())
        return
    if not report.incidents:
        console.print("no incidents (no suggested or accepted links)")
    for incident in report.incidents:
        console.print(f"[bold]{incident.id}[/] {len(incident.items)} items, {incident.first or '?'} – "
                      f"{incident.last or '?'}; places: {escape(', '.join(incident.places[:5])) or '—'}", highlight=False)
        for link in incident.links:
            why = "; ".join(f"{e.kind}: {e.detail}" for e in link.evidence)
            console.print(f"  {link.status:9} {link.items[0][:12]} ↔ {link.items[1][:12]} score {link.score:.2f}  "
                          f"{escape(why)}", highlight=False)
        for event in incident.timeline:
            console.print(f"    {event.time or '(no date)':22} {event.item_id[:12]} {event.kind:9} "
                          f"{escape(event.text[:100])}", highlight=False)
    for link in report.split:
        console.print(f"split: {link.items[0][:12]} ↔ {link.items[1][:12]}" + (f" ({escape(link.note)})" if link.note else ""),
                      highlight=False)


@click.group("incidents")
def incidents_group() -> None:
    """Group intercepts and reports about the same event; accept or split suggested links."""


@incidents_group.command("suggest")
@click.option("--case", "case_name", required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def incidents_suggest(ctx: Context, case_name: str, as_json: bool) -> None:
    """Score every pair of items and record suggested links (reused while the evidence is unchanged)."""
    from audita.search.incidents import suggest_incidents

    with progress_bar("incidents") as update:
        report = suggest_incidents(ctx.workspace, case_name, actor=ctx.actor, progress=update)
    _print_incidents(report, as_json)
    if not as_json:
        console.print(f"{report.recorded} link row(s) recorded")


@incidents_group.command("list")
@click.option("--case", "case_name", required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def incidents_list(ctx: Context, case_name: str, as_json: bool) -> None:
    """Incidents with their links and timeline, from recorded suggestions and decisions."""
    from audita.search.incidents import list_incidents

    _print_incidents(list_incidents(ctx.workspace, case_name), as_json)


def _decide(ctx: Context, case_name: str, item_a: str, item_b: str, decision: str, note: str) -> None:
    from audita.search.incidents import decide_link

    row = decide_link(ctx.workspace, case_name, _resolve(ctx, item_a), _resolve(ctx, item_b), decision,  # type: ignore[arg-type]
                      actor=ctx.actor, note=note)
    console.print(f"{decision}: {row.output['items'][0][:12]} ↔ {row.output['items'][1][:12]} ({row.id[:12]})",
                  highlight=False)


@incidents_group.command("accept")
@click.option("--case", "case_name", required=True)
@click.argument("item_a")
@click.argument("item_b")
@click.option("--note", default="", help="Why (kept in the custody log).")
@pass_ctx
def incidents_accept(ctx: Context, case_name: str, item_a: str, item_b: str, note: str) -> None:
    """Accept that two items are about the same event."""
    _decide(ctx, case_name, item_a, item_b, "accepted", note)


@incidents_group.command("split")
@click.option("--case", "case_name", required=True)
@click.argument("item_a")
@click.argument("item_b")
@click.option("--note", default="", help="Why (kept in the custody log).")
@pass_ctx
def incidents_split(ctx: Context, case_name: str, item_a: str, item_b: str, note: str) -> None:
    """Split two items: they are about different events (they will not be grouped again)."""
    _decide(ctx, case_name, item_a, item_b, "split", note)


# ---- near-duplicates --------------------------------------------------------------------------------


@click.command("duplicates")
@click.option("--case", "case_name", required=True)
@click.argument("items", nargs=-1)
@click.option("--all", "show_all", is_flag=True, help="Also show recordings with nothing found.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def duplicates_command(ctx: Context, case_name: str, items: tuple[str, ...], show_all: bool, as_json: bool) -> None:
    """Fingerprint recordings and list republications and excerpts with score and offset."""
    from audita.search.duplicates import find_duplicates

    wanted = [_resolve(ctx, i) for i in items] or None
    with progress_bar("duplicates") as update:
        report = find_duplicates(ctx.workspace, case_name, wanted, actor=ctx.actor, progress=update)
    if as_json:
        _echo_json(report.to_dict())
        return
    unmatched = []
    for result in report.results:
        for m in result.matches:
            console.print(f"{m.item_id[:12]} {m.relation:10} {m.other_id[:12]}  {m.confidence:13} score {m.score:.3f}  "
                          f"offset {m.offset:+8.2f} s  overlap {m.overlap:6.1f} s  {m.method}", highlight=False)
        if not result.matches:
            unmatched.append(result)
    console.print("offset: time t in the item is time t + offset in the other; republication: same recording "
                  "re-encoded, trimmed or cut; possible: same speech, perhaps another capture")
    short = [r for r in unmatched if r.method != "chromaprint"]
    for result in (unmatched if (show_all or wanted) else short):
        console.print(f"[yellow]unmatched[/] {result.item_id[:12]} ({result.duration:.1f} s, {result.method}): "
                      f"{escape(result.unmatched_reason or '')}", highlight=False)
    hidden = len(unmatched) - len(short)
    if hidden and not (show_all or wanted):
        console.print(f"{hidden} other recording(s) have no near-duplicate (--all lists them)")


# ---- published transcript vs recording ----------------------------------------------------------------


@click.command("compare")
@click.argument("item")
@click.argument("published")
@click.option("--language", type=click.Choice(["ru", "uk", "en"]), default=None,
              help="Language of the published text (default: detected; en compares with the translation).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def compare_command(ctx: Context, item: str, published: str, language: str | None, as_json: bool) -> None:
    """Compare a published transcript (a text file, or a stored document item) with the recording."""
    from audita.search.service import compare_published

    item_id = _resolve(ctx, item)
    path = Path(published)
    if path.is_file():
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadInput(f"{published}: not UTF-8 text") from None
        result, recorded = compare_published(ctx.workspace, item_id, text=text, language=language, actor=ctx.actor)
    else:
        result, recorded = compare_published(ctx.workspace, item_id, document_item=_resolve(ctx, published),
                                             language=language, actor=ctx.actor)
    if as_json:
        _echo_json({**result.to_dict(), "recorded": recorded})
        return
    console.print(
        f"against the {result.against} ({result.derivation_id[:12]}), published text in {result.published_language}: "
        f"coverage {result.coverage:.1%} ({result.matched_words}/{result.recording_words} recording words), "
        f"support {result.support:.1%} ({result.matched_words}/{result.published_words} published words); "
        f"{result.count('missing')} missing, {result.count('added')} added, {result.count('different')} different, "
        f"{result.count('form')} other form", highlight=False)
    styles = {"missing": "red", "added": "green", "different": "yellow", "form": "dim"}
    for d in result.differences:
        where = f"#{d.transmission} {_clock(d.start)}" if d.start is not None else ""
        line = f"line {d.published_line}" if d.published_line else ""
        text = {"missing": f"«{d.recording_text}»", "added": f"«{d.published_text}»"}.get(
            d.kind, f"«{d.recording_text}» → «{d.published_text}»")
        console.print(f"[{styles[d.kind]}]{d.kind:9}[/] {where:14} {line:9} {escape(text)}", highlight=False)
    console.print(f"recorded as derivation {recorded}" if recorded else
                  "not recorded (the published text is not in the store; add it with 'audita documents add')")
