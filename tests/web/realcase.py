"""A case built by the real packages, for the workbench's end-to-end tests: a radio-like recording
processed by the real speech pipeline with scripted model adapters (no Whisper model: the engine
returns the words we script, with timings inside each transmission the segmenter found), analysed
by the real analysis, and a document about the same event stored by the real document ingest.
Import as `realcase` from tests/web."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SPEECH_TESTS = Path(__file__).resolve().parents[1] / "speech"
if str(SPEECH_TESTS) not in sys.path:
    sys.path.insert(0, str(SPEECH_TESTS))

from speechfakes import FakeVoices as PitchVoices  # noqa: E402,F401  (one voice per pitch band)
from speechfakes import islands as _islands  # noqa: E402

from audita.corpus.audio import band_limit, write_wav
from audita.speech.asr import DecodeRequest, EngineSegment, Word
from audita.speech.models import ResolvedModel

RATE = 16000
# What the three transmissions say (the scripted engine returns these, in order).
TEXTS = (
    "Гранит, я Сокол, приём.",
    "Этих двоих пленных в расход, чтобы никто больше не видел.",
    "Двухсотых у нас нет. Работаем под Попасной.",
)
SPEECH = ((1.0, 1.8), (4.0, 3.0), (8.0, 2.5))  # (start, seconds) of each transmission
TOTAL = 11.5
INTERCEPT = {"intercept_time": "2022-05-03T06:40:00+03:00", "channel": "radio", "source": "test intercept"}
REPORT = (
    "Под Попасной 3 мая 2022 года военные расстреляли двоих пленных.\n\n"
    "Свидетель слышал по рации: «Этих двоих пленных в расход, чтобы никто больше не видел».\n"
)
FAKE_MODEL = ResolvedModel(name="fake-whisper", path=Path("/nonexistent"), sha256="f" * 64,
                           files={"model.bin": "f" * 64}, source="test")


def _voiced(seconds: float, f0: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    pitch = f0 * (1 + 0.08 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    signal = sum((0.6 / k) * np.sin(k * phase) for k in range(1, 16))
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t) ** 2
    return (signal * syllables / np.max(np.abs(signal))).astype(np.float32) * 0.3


def radio_wav(path: Path) -> Path:
    """Squelch floor, then per transmission key-up hiss, voiced speech and a static tail."""
    rng = np.random.default_rng(1)
    out = rng.normal(0, 0.0005, int(TOTAL * RATE)).astype(np.float32)
    for i, (start, length) in enumerate(SPEECH):
        a, b = int((start - 0.15) * RATE), int((start + length) * RATE)
        out[a:b] += rng.normal(0, 0.01, b - a).astype(np.float32)
        out[int(start * RATE):b] += _voiced(length, 100 + 25 * i, seed=i)
        tail = int(0.2 * RATE)
        out[b:b + tail] += (rng.normal(0, 0.1, tail) * np.exp(-np.linspace(0, 4, tail))).astype(np.float32)
    write_wav(path, band_limit(out, RATE, 300.0, 3400.0), RATE)
    return path


class ScriptedEngine:
    """Speech engine stand-in: each transmission gets the next scripted text, its words spread
    evenly over the transmission; translations are a fixed English line."""

    model_info = FAKE_MODEL

    def __init__(self, texts: Sequence[str] = TEXTS) -> None:
        self.texts = tuple(texts)
        self.spoken = 0

    def language_probabilities(self, audio: np.ndarray) -> dict[str, float]:
        return {"ru": 0.8, "uk": 0.15, "en": 0.05}

    def decode(self, audio: np.ndarray, request: DecodeRequest) -> list[EngineSegment]:
        if request.task == "translate":
            return [EngineSegment(a, b, "Machine rendering of the transmission.", -0.3, 0.01, 1.2)
                    for a, b in _islands(audio)]
        segments = []
        for begin, end in _islands(audio):
            text = self.texts[self.spoken % len(self.texts)]
            self.spoken += 1
            words = text.split()
            a, b = begin + 0.05, end - 0.05
            step = (b - a) / len(words)
            timed = tuple(Word(round(a + k * step, 3), round(a + (k + 0.9) * step, 3), " " + w, 0.9)
                          for k, w in enumerate(words))
            segments.append(EngineSegment(a, b, text, -0.3, 0.02, 1.1, words=timed))
        return segments

    def decode_batch(self, clips: Sequence[np.ndarray], request: DecodeRequest) -> list[list[EngineSegment]]:
        return [self.decode(clip, request) for clip in clips]
