"""`audita process`, `audita transcript`, `audita models`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click
from sqlalchemy import select
from rich.table import Table

from audita.cli import Context, console, err_console, pass_ctx, progress_bar
from audita.errors import AuditaError
from audita.speech.pipeline import PipelineOptions, PipelineResult, Stage
from audita.store.schema import items
from audita.speech.service import ProcessResult, process_item, with_case_language

FORMATS = ("json", "srt", "vtt", "text")


def _vocabulary(words: tuple[str, ...], vocabulary_file: Path | None) -> tuple[str, ...]:
    listed = list(words)
    if vocabulary_file is not None:
        try:
            text = vocabulary_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditaError(f"cannot read vocabulary file {vocabulary_file}: {exc}") from exc
        listed += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return tuple(dict.fromkeys(listed))


def audio_item_ids(ctx: Context, case_name: str, item_ids: tuple[str, ...]) -> list[str]:
    """The case's recordings (all, or the named ones after checking they belong to the case)."""
    from audita.items import list_items, resolve_item_id

    recordings = [i for i in list_items(ctx.workspace, case_name) if i.kind == "recording"]
    if not item_ids:
        return [i.id for i in recordings]
    with ctx.workspace.reading() as connection:
        item_ids = tuple(resolve_item_id(connection, i) for i in item_ids)
    known = {i.id for i in recordings}
    unknown = [i for i in item_ids if i not in known]
    if unknown:
        raise AuditaError(f"not recordings of case {case_name!r}: {', '.join(unknown)}")
    return list(item_ids)


def _run_analysis(ctx: Context, item_id: str) -> str | None:
    """Run the analysis stage when it is installed; returns a one-line summary."""
    try:
        from audita.analysis.service import analyze_item
    except ImportError:
        return None
    derivation = analyze_item(ctx.workspace, item_id, actor=ctx.actor)
    flags = derivation.output.get("flags", [])
    entities = derivation.output.get("entities", [])
    return f"{len(entities)} entities, {len(flags)} flags"


@click.command("process")
@click.option("--case", "case_name", required=True, help="Case whose recordings to process.")
@click.argument("item_ids", nargs=-1)
@click.option("--model", default="whisper-base", show_default=True, help="Registered speech model name.")
@click.option("--language", type=str, default=None, help="Force one language for the case (e.g. ru, uk).")
@click.option("--hotword", "hotwords", multiple=True, help="Case vocabulary: place, call sign, unit (repeatable).")
@click.option("--vocabulary", "vocabulary_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="File with one vocabulary term per line.")
@click.option("--threads", type=int, default=2, show_default=True, help="CPU threads for the models.")
@click.option("--batch-size", type=int, default=1, show_default=True, help=">1: batched inference.")
@click.option("--no-translation", is_flag=True, help="Skip Whisper's English translation.")
@click.option("--no-speakers", is_flag=True, help="Skip speaker embeddings and clustering.")
@click.option("--no-analysis", is_flag=True, help="Skip the analysis stage.")
@click.option("--engine", "run_engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="ray: run the stages as Ray tasks (docs/deployment.md); results are identical.")
@click.option("--address", default=None, help="Ray cluster to join (HOST:PORT or auto); default: a local instance.")
@pass_ctx
def process_command(ctx: Context, case_name: str, item_ids: tuple[str, ...], model: str, language: str | None,
                    hotwords: tuple[str, ...], vocabulary_file: Path | None, threads: int, batch_size: int,
                    no_translation: bool, no_speakers: bool, no_analysis: bool, run_engine: str,
                    address: str | None) -> None:
    """Split recordings into transmissions, transcribe, translate and group speakers.

    Every stage output is stored as a new derivation with provenance; finished stages are reused,
    so an interrupted run continues where it stopped.
    """
    if address is not None and run_engine != "ray":
        raise click.UsageError("--address needs --engine ray")
    base = PipelineOptions(model=model, cpu_threads=threads, enable_translation=not no_translation,
                           enable_speakers=not no_speakers)
    options = with_case_language(replace(base, asr=replace(base.asr, batch_size=batch_size)), language,
                                 _vocabulary(hotwords, vocabulary_file))
    targets = audio_item_ids(ctx, case_name, item_ids)
    if not targets:
        err_console.print(f"case {case_name!r} has no recordings")
        return
    table = Table("item", "transmissions", "languages", "speakers", "stages", "analysis")

    def add_row(item_id: str, result: ProcessResult) -> None:
        transcript = result.transcript.output
        rows = transcript["transmissions"]
        languages = sorted({t["language"] for t in rows if t.get("language")})
        computed = [s.stage for s in result.stages if not s.reused]
        analysis = None if no_analysis else _run_analysis(ctx, item_id)
        table.add_row(item_id, str(len(rows)), ",".join(languages) or "-", str(len(transcript["speakers"])),
                      "reused" if not computed else "computed: " + ",".join(computed), analysis or "-")

    with progress_bar("processing") as update:
        if run_engine == "ray":
            from audita.distributed import RayOptions, process_items

            finished: list[str] = []

            def item_done(item_id: str, _result: ProcessResult) -> None:
                finished.append(item_id)
                update(len(finished), len(targets), item_id[:8])

            results = process_items(ctx.workspace, targets, actor=ctx.actor, options=options,
                                    ray_options=RayOptions(address=address), on_item_done=item_done)
            for item_id, result in zip(targets, results):
                add_row(item_id, result)
        else:
            for number, item_id in enumerate(targets, start=1):
                def report(stage: Stage, _n: int = number, _id: str = item_id) -> None:
                    update(_n - 1, len(targets), f"{_id[:8]} {stage.stage} {stage.done}/{stage.total}")

                result = process_item(ctx.workspace, item_id, actor=ctx.actor, options=options, progress=report)
                update(number, len(targets), item_id[:8])
                add_row(item_id, result)
    console.print(table)


@click.command("transcript")
@click.argument("item_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--machine", is_flag=True, help="The machine output, not the current (possibly corrected) version.")
@click.option("--version", "version_id", default=None, help="A specific transcript version (derivation id).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write to a file.")
@pass_ctx
def transcript_command(ctx: Context, item_id: str, fmt: str, machine: bool, version_id: str | None,
                       out: Path | None) -> None:
    """Print a recording's transcript as JSON, SRT, WebVTT or text (a view, logged in custody)."""
    from audita.speech import formats
    from audita.transcripts import current_transcript, machine_transcript, versions

    from audita.items import resolve_item_id

    with ctx.workspace.reading() as connection:
        item_id = resolve_item_id(connection, item_id)
        if version_id:
            chosen = next((v for v in versions(connection, item_id) if v.id == version_id), None)
        else:
            chosen = machine_transcript(connection, item_id) if machine else current_transcript(connection, item_id)
    if chosen is None:
        raise AuditaError(f"no transcript for item {item_id}" + (f" with version {version_id}" if version_id else "")
                          + "; run `audita process` first")
    result = PipelineResult.from_dict(chosen.output)
    body = {"json": formats.to_json, "srt": formats.to_srt, "vtt": formats.to_vtt, "text": formats.to_text}[fmt](result)
    with ctx.workspace.action() as connection:
        case_id = connection.execute(select(items.c.case_id).where(items.c.id == item_id)).scalar()
        ctx.workspace.record(connection, "transcript.viewed", ctx.actor, case_id=case_id, item_id=item_id,
                             details={"derivation_id": chosen.id, "stage": chosen.provenance.stage, "format": fmt})
    if out is not None:
        out.write_text(body, encoding="utf-8")
        err_console.print(f"wrote {out}")
    else:
        click.echo(body, nl=False)


@click.group("models")
def models_group() -> None:
    """Speech models: list, register a local CTranslate2 model, verify."""


@models_group.command("list")
@pass_ctx
def models_list(ctx: Context) -> None:
    from audita.speech.models import list_models

    table = Table("name", "model.bin sha256", "source", "path")
    for model in list_models(ctx.workspace.settings.home):
        table.add_row(model.name, model.sha256, model.source, str(model.path))
    console.print(table)


@models_group.command("add")
@click.argument("path", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--name", required=True, help="Name to select the model by (e.g. large-v3).")
@pass_ctx
def models_add(ctx: Context, path: Path, name: str) -> None:
    """Register a local CTranslate2 Whisper model directory (hashes every file; nothing is copied)."""
    from audita.speech.models import register_model

    model = register_model(path, name, ctx.workspace.settings.home)
    with ctx.workspace.action() as connection:
        ctx.workspace.record(connection, "model.registered", ctx.actor,
                             details={"name": model.name, "sha256": model.sha256, "files": model.files,
                                      "source": model.source})
    console.print(f"registered {model.name} ({model.sha256[:12]}, {len(model.files)} files) from {model.path}")


@models_group.command("verify")
@click.argument("name", default="whisper-base")
@pass_ctx
def models_verify(ctx: Context, name: str) -> None:
    """Re-hash a model's files against the registry (assembles whisper-base if needed)."""
    from audita.speech.models import resolve_model

    model = resolve_model(name, ctx.workspace.settings.home)
    console.print(f"{model.name}: ok ({len(model.files)} files, model.bin {model.sha256[:12]})")



@click.group("speakers")
def speakers_group() -> None:
    """Speaker clusters: suggestions of named voices across a case's recordings."""


@speakers_group.command("suggest")
@click.option("--case", "case_name", required=True)
@click.option("--min-score", type=float, default=0.75, show_default=True, help="Cosine similarity floor.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def speakers_suggest(ctx: Context, case_name: str, min_score: float, as_json: bool) -> None:
    """Propose transmissions that sound like analyst-named speakers (suggestions, never identifications)."""
    import json

    from audita.speech.voices import case_voice_suggestions

    found = case_voice_suggestions(ctx.workspace, case_name, min_score=min_score)
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], ensure_ascii=False, indent=2))
        return
    if not found:
        err_console.print("no suggestions: name a speaker cluster first (web workbench or `audita review`), "
                          "or lower --min-score")
        return
    table = Table("item", "transmission", "time", "sounds like", "score", "margin", "rank")
    for s in found:
        span = f"{s.start:.1f}-{s.end:.1f} s" if s.start is not None and s.end is not None else "-"
        table.add_row(s.item_id[:12], str(s.transmission), span, s.name, f"{s.score:.3f}", f"{s.margin:.3f}",
                      str(s.rank))
    console.print(table)
    console.print("[dim]suggestions only: confirm by listening; radio hiss and channel changes distort voices[/]")
