"""Helpers shared by the tests: tiny generated recordings (import from tests as `testkit`)."""

from __future__ import annotations

import math
import subprocess
import wave
from pathlib import Path

import av
import numpy as np

ACTOR = "test:analyst"


def tone(seconds: float = 1.0, rate: int = 8000, freq: float = 440.0, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    noise = np.random.default_rng(seed).normal(0, 0.01, t.size)
    return (0.3 * np.sin(2 * math.pi * freq * t) + noise).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int = 8000) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    return path


def write_encoded(path: Path, samples: np.ndarray, rate: int, codec: str, fmt: str, bit_rate: int = 32000) -> Path:
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.bit_rate = bit_rate
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray((np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_amr(path: Path, wav: Path) -> Path:
    subprocess.run(["sox", str(wav), "-t", "amr-nb", str(path)], check=True, capture_output=True)
    return path
