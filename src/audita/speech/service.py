"""Run the speech stages on a stored recording and keep every stage output as a derivation.

Stages and their rows (docs/derivations.md): ``segment`` -> ``transcribe`` -> ``translate``, and
``segment`` -> ``speakers``; the assembled ``transcript`` (``audita.speech/1``) hangs off
``transcribe``. Each stage is committed in its own transaction as soon as it finishes, with a
custody entry. A stage's ``input_sha256`` is the hash of everything it read (the original's sha256
and the output hashes of its parent stages), so a stage is reused only when its inputs, model and
options are all unchanged: a killed run resumes at the first unfinished stage, and a re-run with
other options adds rows beside the old ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from audita.derived import Derivation, Provenance, find_reusable, record
from audita.errors import AuditaError
from audita.faults import checkpoint
from audita.provenance import canonical_json, sha256_hex
from audita.speech.asr import SpeechEngine, Transcription
from audita.speech.formats import SCHEMA
from audita.speech.models import ResolvedModel, resolve_model
from audita.speech.pipeline import (
    PIPELINE_VERSION,
    Audio,
    PipelineOptions,
    ProgressCallback,
    Stage,
    assemble,
    load_audio,
    segment_stage,
    speaker_stage,
    transcribe_stage,
    translate_stage,
)
from audita.speech.segment import Segmentation
from audita.speech.speakers import EmbeddingBackend, Speakers
from audita.speech.translate import Translation
from audita.store.schema import items
from audita.workspace import Workspace

STAGES = ("segment", "transcribe", "translate", "speakers", "transcript")


class NotProcessable(AuditaError):
    """The item cannot go through the speech stages (unknown, not a recording, undecodable)."""


@dataclass(frozen=True)
class StageOutcome:
    stage: str
    derivation_id: str
    reused: bool


@dataclass(frozen=True)
class ProcessResult:
    item_id: str
    transcript: Derivation
    stages: tuple[StageOutcome, ...]

    @property
    def reused_all(self) -> bool:
        return all(s.reused for s in self.stages)


def _inputs_sha256(**inputs: str) -> str:
    return sha256_hex(canonical_json(inputs))


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


class _Run:
    """One item's run: finds or computes each stage and records it."""

    def __init__(self, workspace: Workspace, item_id: str, *, actor: str, options: PipelineOptions,
                 engine: SpeechEngine | None, speaker_backend: EmbeddingBackend | None,
                 progress: ProgressCallback | None) -> None:
        self.workspace = workspace
        self.item_id = item_id
        self.actor = actor
        self.options = options
        self.engine = engine
        self.speaker_backend = speaker_backend
        self.progress = progress
        self.outcomes: list[StageOutcome] = []
        with workspace.reading() as connection:
            row = connection.execute(select(items).where(items.c.id == item_id)).first()
        if row is None:
            raise NotProcessable(f"no item {item_id!r}")
        if row.kind != "recording":
            raise NotProcessable(f"item {item_id} is a {row.kind}, not a recording")
        self.case_id: str = row.case_id
        self.blob_sha256: str = row.blob_sha256
        self._audio: Audio | None = None
        self._model: ResolvedModel | None = getattr(engine, "model_info", None)

    # -- shared resources, loaded only when a stage has to be computed ----------------------------

    @property
    def audio(self) -> Audio:
        if self._audio is None:
            path: Path = self.workspace.blobs.path_for(self.blob_sha256)
            try:
                self._audio = load_audio(path)
            except Exception as exc:  # decoding libraries raise many types
                raise NotProcessable(f"item {self.item_id}: cannot decode the recording: {exc}") from exc
            if self._audio.sha256 != self.blob_sha256:
                raise NotProcessable(f"item {self.item_id}: stored blob does not match its sha256; run `audita verify`")
        return self._audio

    @property
    def model(self) -> ResolvedModel:
        if self._model is None:
            self._model = resolve_model(self.options.model, self.workspace.settings.home)
        return self._model

    def speech_engine(self) -> SpeechEngine:
        if self.engine is None:
            from audita.speech.engine import FasterWhisperEngine

            self.engine = FasterWhisperEngine(self.model, cpu_threads=self.options.cpu_threads)
        return self.engine

    # -- one stage --------------------------------------------------------------------------------

    def stage(self, provenance: Provenance, compute: Callable[[], dict[str, Any]]) -> Derivation:
        with self.workspace.reading() as connection:
            found = find_reusable(connection, self.item_id, provenance)
        if found is not None:
            self.outcomes.append(StageOutcome(provenance.stage, found.id, True))
            if self.progress:
                self.progress(Stage(provenance.stage, 1, 1))
            return found
        output = compute()
        checkpoint(f"process.{provenance.stage}.computed")
        with self.workspace.action() as connection:
            # another process may have finished the same stage meanwhile: keep the first row
            found = find_reusable(connection, self.item_id, provenance)
            derivation = found or record(self.workspace, connection, item_id=self.item_id, case_id=self.case_id,
                                         provenance=provenance, output=output, actor=self.actor)
        checkpoint(f"process.{provenance.stage}.recorded")
        self.outcomes.append(StageOutcome(provenance.stage, derivation.id, found is not None))
        return derivation


def process_item(workspace: Workspace, item_id: str, *, actor: str, options: PipelineOptions | None = None,
                 engine: SpeechEngine | None = None, speaker_backend: EmbeddingBackend | None = None,
                 progress: ProgressCallback | None = None) -> ProcessResult:
    """Segment, transcribe, translate and cluster speakers for one stored recording.

    ``engine`` and ``speaker_backend`` replace the real models (tests); their identity still goes
    into provenance. Returns the ``transcript`` derivation and what was computed or reused.
    """
    options = options or PipelineOptions()
    run = _Run(workspace, item_id, actor=actor, options=options, engine=engine, speaker_backend=speaker_backend,
               progress=progress)
    blob = run.blob_sha256

    seg_row = run.stage(
        Provenance(stage="segment", input_sha256=_inputs_sha256(audio=blob),
                   engine=f"audita-segment/{PIPELINE_VERSION}", options=options.segment.to_dict()),
        lambda: segment_stage(run.audio, options, progress).to_dict(),
    )
    segmentation = Segmentation.from_dict(seg_row.output)

    asr_row: Derivation | None = None
    transcription: Transcription | None = None
    if options.enable_asr:
        model = run.model
        asr_row = run.stage(
            Provenance(stage="transcribe", input_sha256=_inputs_sha256(audio=blob, segment=seg_row.output_sha256),
                       engine=f"faster-whisper/{_version('faster-whisper')}", options=options.asr.to_dict(),
                       model_name=model.name, model_sha256=model.sha256, parent_id=seg_row.id),
            lambda: (transcribe_stage(run.audio, segmentation, options, engine=run.speech_engine(), progress=progress)
                     if segmentation.transmissions else Transcription(items=(), options=options.asr)).to_dict(),
        )
        transcription = Transcription.from_dict(asr_row.output)

    translation: Translation | None = None
    mt_row: Derivation | None = None
    if options.enable_translation and asr_row is not None and transcription is not None and transcription.items:
        model = run.model
        mt_row = run.stage(
            Provenance(stage="translate", input_sha256=_inputs_sha256(audio=blob, segment=seg_row.output_sha256,
                                                                       transcribe=asr_row.output_sha256),
                       engine=f"faster-whisper/{_version('faster-whisper')}+translate",
                       options=options.translate.to_dict(), model_name=model.name, model_sha256=model.sha256,
                       parent_id=asr_row.id),
            lambda: translate_stage(run.audio, segmentation, transcription, options, engine=run.speech_engine(),
                                    progress=progress).to_dict(),
        )
        translation = Translation.from_dict(mt_row.output)

    speakers: Speakers | None = None
    spk_row: Derivation | None = None
    if options.enable_speakers and segmentation.transmissions:
        backend = run.speaker_backend
        if backend is None:
            from audita.speech.speakers import ResemblyzerBackend

            backend = ResemblyzerBackend(cpu_threads=options.cpu_threads)
        identity = backend.identity()
        spk_row = run.stage(
            Provenance(stage="speakers", input_sha256=_inputs_sha256(audio=blob, segment=seg_row.output_sha256),
                       engine=f"{identity.get('backend', 'speakers')}", options=options.speakers.to_dict(),
                       model_name=identity.get("backend"), model_sha256=identity.get("weights_sha256"),
                       parent_id=seg_row.id),
            lambda: speaker_stage(run.audio, segmentation, options, backend=backend, progress=progress).to_dict(),
        )
        speakers = Speakers.from_dict(spk_row.output)

    return record_transcript(run, item_id, blob, options, seg_row, asr_row, mt_row, spk_row,
                             segmentation, transcription, translation, speakers)


def record_transcript(run: _Run, item_id: str, blob: str, options: PipelineOptions, seg_row: Derivation,
                      asr_row: Derivation | None, mt_row: Derivation | None, spk_row: Derivation | None,
                      segmentation: Segmentation, transcription: Transcription | None,
                      translation: Translation | None, speakers: Speakers | None) -> ProcessResult:
    """The last stage, shared by the local and Ray engines: assemble the stage outputs into the
    transcript document and record it, its input hash chaining the original and every stage output."""
    parts = {"segment": seg_row.output_sha256}
    for name, row in (("transcribe", asr_row), ("translate", mt_row), ("speakers", spk_row)):
        if row is not None:
            parts[name] = row.output_sha256

    def assembled() -> dict[str, Any]:
        # assembling needs no samples: only the original's hash goes into provenance
        result = assemble(Audio(samples=np.zeros(0, dtype=np.float32), sha256=blob), options, segmentation,
                          transcription, translation, speakers, model=run.model if transcription is not None else None)
        return {"schema": SCHEMA, **result.to_dict()}

    transcript_row = run.stage(
        Provenance(stage="transcript", input_sha256=_inputs_sha256(audio=blob, **parts),
                   engine=f"audita-assemble/{PIPELINE_VERSION}", options=options.to_dict(),
                   model_name=run.model.name if transcription is not None else None,
                   model_sha256=run.model.sha256 if transcription is not None else None,
                   parent_id=(asr_row or seg_row).id),
        assembled,
    )
    return ProcessResult(item_id=item_id, transcript=transcript_row, stages=tuple(run.outcomes))


def with_case_language(options: PipelineOptions, language: str | None, vocabulary: tuple[str, ...]) -> PipelineOptions:
    """Options with a forced case language and case vocabulary (hotwords) applied."""
    asr = options.asr
    if language:
        asr = replace(asr, language=language)
    if vocabulary:
        asr = replace(asr, vocabulary=tuple(dict.fromkeys(asr.vocabulary + vocabulary)))
    return replace(options, asr=asr)
