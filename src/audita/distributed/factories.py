"""What a Ray worker needs to build the models itself: small picklable factories.

A factory crosses the network instead of a loaded model. It carries the identity the driver puts
into provenance (the model's name and hash, the speaker backend's identity) and builds the real
object inside the worker. Workers keep what they built, keyed by ``cache_key``, so a model is loaded
once per worker process and not once per task; a factory whose ``cache_key`` is None is built anew
for every task (the test fakes, which keep per-instance state).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from audita.speech.asr import SpeechEngine
from audita.speech.models import ResolvedModel
from audita.speech.speakers import EmbeddingBackend


class EngineFactory(Protocol):
    @property
    def model_info(self) -> ResolvedModel | None: ...

    @property
    def cache_key(self) -> str | None: ...

    def __call__(self) -> SpeechEngine: ...


class SpeakerFactory(Protocol):
    @property
    def cache_key(self) -> str | None: ...

    def identity(self) -> dict[str, str]: ...

    def __call__(self) -> EmbeddingBackend: ...


@dataclass(frozen=True)
class WhisperEngineFactory:
    """faster-whisper from a verified model folder; the folder must be at the same path on every node."""

    model: ResolvedModel
    cpu_threads: int = 2

    @property
    def model_info(self) -> ResolvedModel:
        return self.model

    @property
    def cache_key(self) -> str:
        return f"faster-whisper:{self.model.sha256}:{self.model.path}:{self.cpu_threads}"

    def __call__(self) -> SpeechEngine:
        from audita.speech.engine import FasterWhisperEngine

        return FasterWhisperEngine(self.model, cpu_threads=self.cpu_threads)


@lru_cache(maxsize=4)
def _resemblyzer_identity(cpu_threads: int) -> tuple[tuple[str, str], ...]:
    from audita.speech.speakers import ResemblyzerBackend

    return tuple(sorted(ResemblyzerBackend(cpu_threads=cpu_threads).identity().items()))


@dataclass(frozen=True)
class ResemblyzerFactory:
    """Resemblyzer's encoder; its identity is read once per process (loading the encoder)."""

    cpu_threads: int = 2

    @property
    def cache_key(self) -> str:
        return f"resemblyzer:{self.cpu_threads}"

    def identity(self) -> dict[str, str]:
        return dict(_resemblyzer_identity(self.cpu_threads))

    def __call__(self) -> EmbeddingBackend:
        from audita.speech.speakers import ResemblyzerBackend

        return ResemblyzerBackend(cpu_threads=self.cpu_threads)
