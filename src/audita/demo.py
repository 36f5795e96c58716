"""`audita demo`: the main job end to end on the bundled sample case."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from audita.cases import create_case, list_cases
from audita.ingest.service import ingest_paths
from audita.items import list_items
from audita.verify import verify_store

SAMPLE_CASE = "Popasna demo"


def sample_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "samples" / "popasna-demo"


def _process(ctx, console: Console) -> list[str]:  # type: ignore[no-untyped-def]
    """Speech (and analysis, when installed) for every sample recording; returns the item ids."""
    from audita.speech.pipeline import PipelineOptions
    from audita.speech.service import process_item

    from audita.cli import progress_bar

    options = PipelineOptions(cpu_threads=2)
    recordings = [i for i in list_items(ctx.workspace, SAMPLE_CASE) if i.kind == "recording"]
    with progress_bar("speech") as update:
        for number, item in enumerate(recordings, start=1):
            def report(stage, _n=number, _name=item.display_name):  # type: ignore[no-untyped-def]
                update(_n - 1, len(recordings), f"{_name}: {stage.stage} {stage.done}/{stage.total}")

            result = process_item(ctx.workspace, item.id, actor=ctx.actor, options=options, progress=report)
            computed = [s.stage for s in result.stages if not s.reused]
            console.print(f"{item.display_name:28} {'reused all stages' if not computed else 'computed ' + ', '.join(computed)}",
                          highlight=False)
    from audita.analysis.service import analyze_item

    for item in recordings:
        analyze_item(ctx.workspace, item.id, actor=ctx.actor)
    return [i.id for i in recordings]


def _corroborate(ctx, console: Console, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """Open-source documents, search, republications, published transcript vs recording, incidents."""
    from audita.cases import get_case
    from audita.ingest.documents import document_metadata, ingest_document
    from audita.search.api import search
    from audita.search.duplicates import find_duplicates
    from audita.search.incidents import suggest_incidents
    from audita.search.service import compare_published

    workspace = ctx.workspace
    listing = json.loads((folder / "documents" / "documents.json").read_text(encoding="utf-8"))
    documents: dict[str, str] = {}
    for entry in listing["documents"]:
        metadata = document_metadata(entry["source_url"], entry["captured_at"], title=entry.get("title"),
                                     publisher=entry.get("publisher"), language=entry.get("language"))
        outcome = ingest_document(workspace, SAMPLE_CASE, folder / "documents" / entry["file"], metadata=metadata,
                                  actor=ctx.actor)
        documents[entry["file"]] = outcome.item_id
        console.print(f"{outcome.status:9} {entry['file']:28} {outcome.format:5} {outcome.paragraphs} paragraphs, "
                      f"sha256 {outcome.sha256}", highlight=False)
    names = {i.id: i.display_name for i in list_items(workspace, SAMPLE_CASE)}
    with workspace.reading() as connection:
        case_id = get_case(connection, SAMPLE_CASE).id
    console.print("search «пленный» (every inflected form):", highlight=False)
    for hit in search(workspace, "пленный", case_ids=[case_id], limit=10):
        console.print(f"  {names.get(hit.item_id, hit.item_id[:12]):28} {hit.source:10} {hit.link:28} "
                      f"{escape(hit.marked_snippet('«', '»'))}", highlight=False)
    report = find_duplicates(workspace, SAMPLE_CASE, actor=ctx.actor)
    shown: set[frozenset[str]] = set()
    for result in report.results:
        for match in result.matches:
            if frozenset((match.item_id, match.other_id)) in shown:
                continue
            shown.add(frozenset((match.item_id, match.other_id)))
            console.print(f"republication ({match.relation}, {match.confidence}): {names[match.item_id]} = "
                          f"{names[match.other_id]} {match.offset:+.2f} s ({match.method}, agreement {match.score:.2f})",
                          highlight=False)
        if not result.matches:
            console.print(f"no republication of {names[result.item_id]}: {result.unmatched_reason}", highlight=False)
    radio = next(i for i, n in names.items() if n.startswith("intercept-01"))
    comparison, _ = compare_published(workspace, radio, document_item=documents["published-transcript.txt"],
                                      actor=ctx.actor)
    console.print(f"published transcript vs {names[radio]}: coverage {comparison.coverage:.0%}, support "
                  f"{comparison.support:.0%}; {comparison.count('missing')} missing, {comparison.count('added')} added, "
                  f"{comparison.count('different')} different, {comparison.count('form')} other form", highlight=False)
    for difference in comparison.differences[:6]:
        console.print(f"  {difference.kind:9} «{escape(difference.recording_text)}» / «{escape(difference.published_text)}»",
                      highlight=False)
    incidents = suggest_incidents(workspace, SAMPLE_CASE, actor=ctx.actor)
    for incident in incidents.incidents:
        console.print(f"incident {incident.id[:12]}: {', '.join(names.get(i, i[:12]) for i in incident.items)} "
                      f"({incident.first or '?'} – {incident.last or '?'}; places: {', '.join(incident.places) or '—'})",
                      highlight=False)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes):02d}:{secs:05.2f}"


def _summary(ctx, console: Console, item_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    from audita.derived import latest
    from audita.transcripts import current_transcript

    names = {i.id: i.display_name for i in list_items(ctx.workspace, SAMPLE_CASE)}
    with ctx.workspace.reading() as connection:
        for item_id in item_ids:
            transcript = current_transcript(connection, item_id)
            if transcript is None:
                continue
            doc = transcript.output
            console.print(f"[bold]{names[item_id]}[/]  channel {doc['channel']}, {len(doc['transmissions'])} "
                          f"transmissions, {len(doc['speakers'])} speaker clusters; model "
                          f"{doc['provenance']['model']} ({(doc['provenance']['model_sha256'] or '-')[:12]})")
            for t in doc["transmissions"]:
                text = f"[unintelligible: {t['unintelligible_reason']}]" if t["unintelligible"] else t["text"]
                low = "" if t["quality_ok"] else f" (low quality: {t['quality_reason']})"
                console.print(f"  {_clock(t['start'])}-{_clock(t['end'])} {t['speaker'] or '--':3} "
                              f"{t['language'] or '--'} {t['snr_db']:4.1f} dB{low}  {text}", highlight=False)
                for tr in t["translations"]:
                    console.print(f"  {'':29}[dim]EN, {tr['label']}: {tr['text']}[/]", highlight=False)
            analysis = latest(connection, item_id, "analysis")
            if analysis is None:
                continue
            for flag in analysis.output.get("flags", []):
                console.print(f"  [red]FLAG[/] {flag['category']} ({flag['article']}) at "
                              f"{_clock(flag['start'] or 0)}: «{flag['quote']}» — {flag['reason']}", highlight=False)
            places = [e for e in analysis.output.get("entities", []) if e.get("place")]
            for entity in places:
                place = entity["place"]
                console.print(f"  place «{entity['text']}» -> {place['name']} ({place['lat']:.3f}, {place['lon']:.3f})",
                              highlight=False)


@click.command("demo")
@click.option("--samples", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="Folder to ingest (default: the bundled sample case).")
@click.pass_obj
def demo_command(ctx, samples: Path | None) -> None:  # type: ignore[no-untyped-def]
    """Ingest, process, summarise, export and verify the bundled sample case."""
    from audita.export.package import export_case
    from audita.export.verify_package import verify_package_path
    from audita.provenance import utc_now

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
    console.rule("3. speech and analysis (stored as derivations; finished stages are reused)")
    item_ids = _process(ctx, console)
    console.rule("4. transcripts (machine output; translations are unverified)")
    _summary(ctx, console, item_ids)
    console.rule("5. corroboration: documents, search, republications, published transcript, incidents")
    _corroborate(ctx, console, folder)
    console.rule("6. evidence package")
    out = workspace.settings.home / "exports" / ("popasna-demo-" + utc_now().replace(":", "").replace("-", ""))
    out.parent.mkdir(parents=True, exist_ok=True)
    package = export_case(workspace, SAMPLE_CASE, out, actor=ctx.actor)
    failures = verify_package_path(package.zip_path)
    console.print(f"{package.directory} ({package.file_count} files, manifest sha256 {package.manifest_sha256[:16]}…)",
                  highlight=False)
    console.print(f"package check: {'OK' if not failures else 'FAILED: ' + '; '.join(failures)}")
    console.rule("7. verify the store")
    result = verify_store(workspace)
    for problem in result.problems:
        console.print(f"{problem.severity}: {problem.subject}: {problem.message}", highlight=False)
    console.print(
        f"{'OK' if result.ok else 'FAILED'}: {result.blobs_checked} blobs re-hashed, "
        f"{result.entries_checked} custody entries and {result.heads_checked} signed tree heads checked"
    )
    if not (report.ok and result.ok and not failures):
        sys.exit(1)
