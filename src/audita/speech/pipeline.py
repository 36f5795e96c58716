"""The speech stage as one call or as separate, resumable stages.

    audio = load_audio(path)
    seg = segment_stage(audio, options)
    asr = transcribe_stage(audio, seg, options, engine=engine)
    mt = translate_stage(audio, seg, asr, options, engine=engine)
    spk = speaker_stage(audio, seg, options)
    result = assemble(audio, options, seg, asr, mt, spk, model=model)

Every stage result has ``to_dict()`` / ``from_dict()`` so a caller can persist it and resume a
killed run from the last finished stage. Results carry no wall-clock time: the same input and
options give the same output.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from audita.media.decode import decode_audio
from audita.speech.asr import ASROptions, SpeechEngine, Transcription, Word, transcribe_transmissions
from audita.speech.models import ResolvedModel, resolve_model
from audita.speech.segment import Segmentation, SegmentOptions, segment_audio
from audita.speech.speakers import EmbeddingBackend, SpeakerOptions, Speakers, embed_transmissions
from audita.speech.translate import Translation, TranslateOptions, TranslationText, translate_transmissions

SAMPLE_RATE = 16000
PIPELINE_VERSION = "1"


@dataclass(frozen=True)
class PipelineOptions:
    model: str = "whisper-base"
    cpu_threads: int = 2
    segment: SegmentOptions = field(default_factory=SegmentOptions)
    asr: ASROptions = field(default_factory=ASROptions)
    translate: TranslateOptions = field(default_factory=TranslateOptions)
    speakers: SpeakerOptions = field(default_factory=SpeakerOptions)
    enable_asr: bool = True
    enable_translation: bool = True
    enable_speakers: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PipelineOptions:
        values = dict(data)
        values["segment"] = SegmentOptions.from_dict(values.get("segment", {}))
        values["asr"] = ASROptions.from_dict(values.get("asr", asdict(ASROptions())))
        values["translate"] = TranslateOptions.from_dict(values.get("translate", {}))
        values["speakers"] = SpeakerOptions.from_dict(values.get("speakers", {}))
        return cls(**values)


@dataclass(frozen=True)
class Stage:
    """One progress event: stage name and how far it got."""

    stage: str
    done: int
    total: int


ProgressCallback = Callable[[Stage], None]


@dataclass(frozen=True)
class Audio:
    samples: np.ndarray
    sha256: str  # of the input file's bytes
    sample_rate: int = SAMPLE_RATE


@dataclass(frozen=True)
class TransmissionResult:
    index: int
    start: float
    end: float
    text: str
    language: str | None
    language_probability: float | None
    words: tuple[Word, ...]
    snr_db: float
    channel: str
    quality_ok: bool
    quality_reason: str
    unintelligible: bool
    unintelligible_reason: str
    avg_logprob: float | None
    no_speech_prob: float | None
    translations: tuple[TranslationText, ...]
    speaker: str | None  # cluster label within this recording ("S1"), not an identity

    @property
    def translation(self) -> str | None:
        """Whisper's English rendering if any, else the first text translation (unverified MT)."""
        return self.translations[0].text if self.translations else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["words"] = [asdict(w) for w in self.words]
        data["translations"] = [asdict(t) for t in self.translations]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransmissionResult:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        values["words"] = tuple(Word(**w) for w in data.get("words", ()))
        values["translations"] = tuple(TranslationText(**t) for t in data.get("translations", ()))
        return cls(**values)


@dataclass(frozen=True)
class Provenance:
    model: str | None
    model_sha256: str | None
    model_files: dict[str, str]
    options: dict[str, Any]
    versions: dict[str, str]
    input_sha256: str
    speaker_backend: dict[str, str]
    translation_backend: dict[str, str]
    pipeline_version: str = PIPELINE_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PipelineResult:
    transmissions: tuple[TransmissionResult, ...]
    speakers: dict[str, list[int]]  # cluster label -> transmission indexes
    channel: str
    duration: float
    provenance: Provenance

    def to_dict(self) -> dict[str, Any]:
        return {"transmissions": [t.to_dict() for t in self.transmissions],
                "speakers": {k: list(v) for k, v in sorted(self.speakers.items())},
                "channel": self.channel, "duration": self.duration, "provenance": self.provenance.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PipelineResult:
        """Read back ``to_dict()`` output (or a stored ``audita.speech/1`` transcript)."""
        provenance = {k: v for k, v in data["provenance"].items() if k in Provenance.__dataclass_fields__}
        return cls(transmissions=tuple(TransmissionResult.from_dict(t) for t in data["transmissions"]),
                   speakers={k: list(v) for k, v in data.get("speakers", {}).items()},
                   channel=data["channel"], duration=data["duration"], provenance=Provenance(**provenance))


def library_versions() -> dict[str, str]:
    out = {}
    for name in ("faster-whisper", "ctranslate2", "numpy", "av"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def load_audio(path: Path) -> Audio:
    path = Path(path)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return Audio(samples=decode_audio(path, SAMPLE_RATE), sha256=digest.hexdigest())


def load_engine(options: PipelineOptions, home: Path) -> tuple[SpeechEngine, ResolvedModel]:
    from audita.speech.engine import FasterWhisperEngine

    model = resolve_model(options.model, home)
    return FasterWhisperEngine(model, cpu_threads=options.cpu_threads), model


def _tick(progress: ProgressCallback | None, stage: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(Stage(stage, done, total))


def segment_stage(audio: Audio, options: PipelineOptions, progress: ProgressCallback | None = None) -> Segmentation:
    result = segment_audio(audio.samples, audio.sample_rate, options.segment)
    if progress:
        progress(Stage("segment", 1, 1))
    return result


def transcribe_stage(audio: Audio, segmentation: Segmentation, options: PipelineOptions, *, engine: SpeechEngine,
                     progress: ProgressCallback | None = None) -> Transcription:
    return transcribe_transmissions(audio.samples, segmentation.transmissions, engine, options.asr,
                                    _tick(progress, "transcribe"))


def translate_stage(audio: Audio, segmentation: Segmentation, transcription: Transcription, options: PipelineOptions,
                    *, engine: SpeechEngine | None, progress: ProgressCallback | None = None) -> Translation:
    return translate_transmissions(audio.samples, segmentation.transmissions, transcription, options.translate,
                                   engine=engine, progress=_tick(progress, "translate"))


def speaker_stage(audio: Audio, segmentation: Segmentation, options: PipelineOptions, *,
                  backend: EmbeddingBackend | None = None, progress: ProgressCallback | None = None) -> Speakers:
    if backend is None:
        from audita.speech.speakers import ResemblyzerBackend

        backend = ResemblyzerBackend(cpu_threads=options.cpu_threads)
    result = embed_transmissions(audio.samples, segmentation.transmissions, backend, options.speakers)
    if progress:
        progress(Stage("speakers", 1, 1))
    return result


def assemble(audio: Audio, options: PipelineOptions, segmentation: Segmentation,
             transcription: Transcription | None = None, translation: Translation | None = None,
             speakers: Speakers | None = None, *, model: ResolvedModel | None = None) -> PipelineResult:
    """Join the stage results into one per-transmission view with provenance."""
    asr = {t.index: t for t in transcription.items} if transcription else {}
    mt = {t.index: t for t in translation.items} if translation else {}
    labels = speakers.labels if speakers else {}
    rows = []
    for t in segmentation.transmissions:
        a = asr.get(t.index)
        rows.append(TransmissionResult(
            index=t.index, start=t.start, end=t.end, text=a.text if a else "",
            language=a.language if a else None, language_probability=a.language_probability if a else None,
            words=a.words if a else (), snr_db=t.snr_db, channel=t.channel, quality_ok=t.quality_ok,
            quality_reason=t.quality_reason, unintelligible=a.unintelligible if a else False,
            unintelligible_reason=a.unintelligible_reason if a else "",
            avg_logprob=a.avg_logprob if a else None, no_speech_prob=a.no_speech_prob if a else None,
            translations=mt[t.index].translations if t.index in mt else (), speaker=labels.get(t.index),
        ))
    clusters: dict[str, list[int]] = {}
    for index, label in sorted(labels.items()):
        clusters.setdefault(label, []).append(index)
    provenance = Provenance(
        model=model.name if model and transcription else None,
        model_sha256=model.sha256 if model and transcription else None,
        model_files=dict(sorted(model.files.items())) if model and transcription else {},
        options=options.to_dict(), versions=library_versions(), input_sha256=audio.sha256,
        speaker_backend=speakers.backend if speakers else {},
        translation_backend=translation.backend if translation else {},
    )
    return PipelineResult(transmissions=tuple(rows), speakers=clusters, channel=segmentation.channel,
                          duration=segmentation.duration, provenance=provenance)


def run_speech(path: Path, options: PipelineOptions, *, home: Path, progress: ProgressCallback | None = None,
               engine: SpeechEngine | None = None, speaker_backend: EmbeddingBackend | None = None) -> PipelineResult:
    """Segment, transcribe, translate and cluster speakers for one recording."""
    audio = load_audio(path)
    segmentation = segment_stage(audio, options, progress)
    model: ResolvedModel | None = None
    needs_engine = options.enable_asr and segmentation.transmissions
    if needs_engine and engine is None:
        engine, model = load_engine(options, home)
    elif needs_engine:
        model = getattr(engine, "model_info", None)
    transcription = (transcribe_stage(audio, segmentation, options, engine=engine, progress=progress)
                     if options.enable_asr and engine is not None else
                     (Transcription(items=(), options=options.asr) if options.enable_asr else None))
    translation = None
    if options.enable_translation and transcription is not None and transcription.items:
        translation = translate_stage(audio, segmentation, transcription, options, engine=engine, progress=progress)
    speakers = None
    if options.enable_speakers and segmentation.transmissions:
        speakers = speaker_stage(audio, segmentation, options, backend=speaker_backend, progress=progress)
    return assemble(audio, options, segmentation, transcription, translation, speakers, model=model)
