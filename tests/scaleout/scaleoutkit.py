"""Helpers for the scale-out tests: the speech fakes (tests/speech/speechfakes.py) on the path, a
fake model identity, and small radio recordings ingested into a case."""

from __future__ import annotations

import sys
from pathlib import Path

SPEECH_TESTS = Path(__file__).resolve().parents[1] / "speech"
if str(SPEECH_TESTS) not in sys.path:
    sys.path.insert(0, str(SPEECH_TESTS))

from speechfakes import RATE, FakeEngine, FakeVoices, radio_recording  # noqa: E402

from audita.corpus.audio import write_wav  # noqa: E402
from audita.ingest.service import ingest_paths  # noqa: E402
from audita.items import list_items  # noqa: E402
from audita.speech.models import ResolvedModel  # noqa: E402
from audita.workspace import Workspace  # noqa: E402

ACTOR = "test:analyst"
FAKE_MODEL = ResolvedModel(name="fake-whisper", path=Path("/nonexistent"), sha256="f" * 64,
                           files={"model.bin": "f" * 64}, source="test")


def fake_engine() -> FakeEngine:
    engine = FakeEngine()
    engine.model_info = FAKE_MODEL
    return engine


def fake_voices() -> FakeVoices:
    return FakeVoices()


def ingest_recordings(workspace: Workspace, case_name: str, folder: Path, count: int) -> list[str]:
    """``count`` different radio recordings ingested into the case; their item ids in name order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        spans = [(1.0, 1.4 + 0.1 * n), (3.8 + 0.2 * n, 1.8), (7.0, 1.5)][: 2 + n % 2]
        audio, _ = radio_recording(spans, total=9.0, seed=10 + n)
        path = folder / f"intercept-{n:02d}.wav"
        write_wav(path, audio, RATE)
        paths.append(path)
    ingest_paths(workspace, case_name, paths, actor=ACTOR)
    by_name = {i.display_name: i.id for i in list_items(workspace, case_name)}
    return [by_name[p.name] for p in paths]


class StatelessFakeEngine(FakeEngine):
    """The speech fake, with translations that do not depend on how many calls the instance has
    served (a Ray worker builds a fresh engine per task; the real engine keeps no such state)."""

    def decode(self, audio, request):  # type: ignore[no-untyped-def]
        if request.task != "translate":
            return super().decode(audio, request)
        from speechfakes import islands

        from audita.speech.asr import EngineSegment

        self.calls.append((len(audio), request))
        return [EngineSegment(begin, end, f"english {n} of {len(audio)}", -0.3, 0.01, 1.2)
                for n, (begin, end) in enumerate(islands(audio))]


def stateless_engine() -> StatelessFakeEngine:
    engine = StatelessFakeEngine()
    engine.model_info = FAKE_MODEL
    return engine


class FakeEngineFactory:
    """Builds the stateless fake inside a Ray worker (no caching: a fresh one per task)."""

    cache_key = None
    model_info = FAKE_MODEL

    def __call__(self) -> StatelessFakeEngine:
        return stateless_engine()


class FakeVoicesFactory:
    cache_key = None

    def identity(self) -> dict[str, str]:
        return FakeVoices().identity()

    def __call__(self) -> FakeVoices:
        return FakeVoices()


class RefusingEngineFactory(FakeEngineFactory):
    """For runs that must reuse every stage: building a model is a test failure."""

    def __call__(self) -> StatelessFakeEngine:
        raise AssertionError("a model was built although every stage should have been reused")


class RefusingVoicesFactory(FakeVoicesFactory):
    def __call__(self) -> FakeVoices:
        raise AssertionError("a speaker backend was built although every stage should have been reused")
