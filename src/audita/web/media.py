"""Serving recordings to the player: byte ranges of the original, a decoded playback copy for
formats browsers cannot play (AMR, AIFF, ...), and waveform peaks computed from decoded audio."""

from __future__ import annotations

import io
import threading
import wave
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audita.media.decode import decode_audio
from audita.media.sniff import sniff_file

# What Chromium and Firefox play from the original bytes.
BROWSER_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg", "flac": "audio/flac",
                 "webm": "audio/webm", "mp4": "audio/mp4", "aac": "audio/aac"}
PLAYBACK_RATE = 16000
PEAK_RATE = 8000
CHUNK = 64 * 1024


class RangeNotSatisfiable(Exception):
    pass


def browser_type(path: Path) -> str | None:
    """The MIME type to serve the original under, or None when browsers cannot play it."""
    return BROWSER_TYPES.get(sniff_file(path).format)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range as inclusive (first, last); None for no/ignorable header."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None  # multiple ranges are not served; the whole body is
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":
            length = int(last)
            if length <= 0:
                raise RangeNotSatisfiable()
            return max(0, size - length), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start < 0 or start >= size or end < start:
        raise RangeNotSatisfiable()
    return start, min(end, size - 1)


def file_chunks(path: Path, start: int, end: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    return out.getvalue()


@dataclass(frozen=True)
class Peaks:
    duration: float
    peaks: tuple[tuple[float, float], ...]  # (min, max) per bucket, in [-1, 1]

    def to_dict(self) -> dict[str, object]:
        return {"duration": round(self.duration, 4), "peaks": [[round(a, 4), round(b, 4)] for a, b in self.peaks]}


def compute_peaks(samples: np.ndarray, rate: int, buckets: int = 1200) -> Peaks:
    duration = samples.size / rate if rate else 0.0
    if samples.size == 0:
        return Peaks(duration, ())
    buckets = max(1, min(buckets, samples.size))
    edges = np.linspace(0, samples.size, buckets + 1).astype(int)
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        piece = samples[a:max(b, a + 1)]
        out.append((float(piece.min()), float(piece.max())))
    return Peaks(duration, tuple(out))


class _Lru:
    def __init__(self, size: int) -> None:
        self._data: OrderedDict[str, object] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> object | None:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            return None

    def put(self, key: str, value: object) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


class MediaCache:
    """Peaks and playback copies by blob hash (both are derived from the original, never stored)."""

    def __init__(self, size: int = 16) -> None:
        self._peaks = _Lru(size * 4)
        self._wav = _Lru(size)

    def peaks(self, sha256: str, path: Path) -> Peaks:
        found = self._peaks.get(sha256)
        if isinstance(found, Peaks):
            return found
        peaks = compute_peaks(decode_audio(path, PEAK_RATE), PEAK_RATE)
        self._peaks.put(sha256, peaks)
        return peaks

    def playback_wav(self, sha256: str, path: Path) -> bytes:
        found = self._wav.get(sha256)
        if isinstance(found, bytes):
            return found
        data = wav_bytes(decode_audio(path, PLAYBACK_RATE), PLAYBACK_RATE)
        self._wav.put(sha256, data)
        return data
