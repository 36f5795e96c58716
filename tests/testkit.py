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


class _RawConnection:
    """What the tampering tests need of a DB-API connection: execute with ``?`` placeholders."""

    def __init__(self, connection) -> None:  # type: ignore[no-untyped-def]
        self._connection = connection

    def execute(self, sql: str, params: tuple = ()):  # type: ignore[no-untyped-def]
        from sqlalchemy import text

        pieces = sql.split("?")
        if len(pieces) - 1 != len(params):
            raise ValueError("placeholder count does not match the parameters")
        named = "".join(piece + (f":p{n}" if n < len(params) else "") for n, piece in enumerate(pieces))
        return self._connection.execute(text(named), {f"p{n}": value for n, value in enumerate(params)})


def raw_db(workspace):  # type: ignore[no-untyped-def]
    """SQL straight on a workspace's database (SQLite or PostgreSQL), bypassing Audita, committed
    on leaving the ``with`` block: how the tests play an attacker editing the store."""
    from contextlib import contextmanager

    @contextmanager
    def opened():  # type: ignore[no-untyped-def]
        with workspace.engine.begin() as connection:
            yield _RawConnection(connection)

    return opened()
