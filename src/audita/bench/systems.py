"""Speech systems under benchmark: Audita's pipeline and plain faster-whisper with default options."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class SystemUnavailable(RuntimeError):
    """A system cannot run here (module not written yet, model missing...)."""


@dataclass(frozen=True)
class Transcription:
    text: str
    elapsed_s: float
    segments: tuple[tuple[float, float, str], ...] = ()


class Transcriber(Protocol):
    name: str

    def transcribe(self, path: Path) -> Transcription: ...


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path
    sha256: str


def default_home() -> Path:
    return Path(os.environ.get("AUDITA_HOME") or "./var/audita")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def locate_model(name: str, home: Path, model_dir: Path | None = None) -> ModelInfo:
    """An explicit CTranslate2 directory wins; otherwise ask Audita's model registry."""
    if model_dir is not None:
        weights = Path(model_dir) / "model.bin"
        if not weights.is_file():
            raise SystemUnavailable(f"{model_dir} has no model.bin")
        return ModelInfo(name=name, path=Path(model_dir), sha256=file_sha256(weights))
    try:
        from audita.speech.models import resolve_model
    except (ImportError, AttributeError) as exc:
        raise SystemUnavailable(f"no model registry ({exc}); pass --model-dir") from exc
    resolved = resolve_model(name, home)
    return ModelInfo(name=resolved.name, path=Path(resolved.path), sha256=resolved.sha256)


class FasterWhisperDefaults:
    """The reference: faster-whisper loaded as documented and called with its default transcribe options."""

    name = "faster-whisper defaults"

    def __init__(self, model: ModelInfo, threads: int) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise SystemUnavailable(f"faster-whisper is not installed ({exc})") from exc
        self.model = WhisperModel(str(model.path), device="cpu", compute_type="int8",
                                  cpu_threads=threads, local_files_only=True)

    def transcribe(self, path: Path) -> Transcription:
        began = time.perf_counter()
        segments, _info = self.model.transcribe(str(path))
        parts = tuple((float(s.start), float(s.end), s.text.strip()) for s in segments)
        return Transcription(" ".join(p[2] for p in parts), time.perf_counter() - began, parts)


class AuditaSpeech:
    """Audita's whole speech pipeline (segmentation, transcription, translation, speakers).

    Models are loaded once, as for the baseline, so the timing is per-file processing only.
    """

    name = "audita"

    def __init__(self, model_name: str, threads: int, home: Path) -> None:
        try:
            from audita.speech.pipeline import PipelineOptions, load_engine, run_speech
            from audita.speech.speakers import ResemblyzerBackend
        except (ImportError, AttributeError) as exc:
            raise SystemUnavailable(f"audita.speech.pipeline: {exc}") from exc
        self._run = run_speech
        self._options = PipelineOptions(model=model_name, cpu_threads=threads)
        self._home = home
        self._engine, _ = load_engine(self._options, home)
        self._speakers = ResemblyzerBackend(cpu_threads=threads)

    def transcribe(self, path: Path) -> Transcription:
        began = time.perf_counter()
        result = self._run(Path(path), self._options, home=self._home, engine=self._engine,
                           speaker_backend=self._speakers)
        parts = tuple((float(t.start), float(t.end), str(t.text).strip()) for t in result.transmissions)
        return Transcription(" ".join(p[2] for p in parts if p[2]), time.perf_counter() - began, parts)
