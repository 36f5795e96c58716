"""Chromaprint fingerprints (Debian ``fpcalc``) and their alignment by bit agreement.

Audio is decoded by Audita (``audita.media.decode``, so AMR goes through sox like everywhere else),
resampled to 11025 Hz mono and piped to ``fpcalc -raw`` as 16-bit PCM. fpcalc exits with status 3
when the decoder reports the end of its input even though it printed a complete fingerprint; its
JSON output, not the exit status, decides success.

A fingerprint is one 32-bit value per 4096/3 samples at 11025 Hz (0.1238 s). Two fingerprints are
aligned at every offset at once: each bit becomes ±1 and the 32 bit planes are cross-correlated
with one FFT, which gives the agreement (1 − bit error rate) over the overlap at each offset.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from audita.errors import AuditaError

SAMPLE_RATE = 11025
ITEM_SECONDS = 4096 / 3 / SAMPLE_RATE  # one fingerprint value per chromaprint frame hop
ALGORITHM = 2


class FingerprintError(AuditaError):
    """fpcalc is missing or produced no usable fingerprint."""


@lru_cache(maxsize=1)
def fpcalc_version() -> str:
    """``fpcalc`` version line (recorded as the derivation engine)."""
    binary = shutil.which("fpcalc")
    if binary is None:
        raise FingerprintError("fpcalc is not installed (Debian package libchromaprint-tools)")
    result = subprocess.run([binary, "-version"], capture_output=True, text=True, timeout=30)
    found = re.search(r"fpcalc version (\S+)", result.stdout)
    return f"fpcalc {found.group(1)}" if found else f"fpcalc ({result.stdout.strip()[:60]})"


def to_pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def fingerprint_samples(samples: np.ndarray) -> np.ndarray:
    """Raw chromaprint of mono float samples at 11025 Hz, as uint32 (empty for very short audio)."""
    binary = shutil.which("fpcalc")
    if binary is None:
        raise FingerprintError("fpcalc is not installed (Debian package libchromaprint-tools)")
    if samples.size < SAMPLE_RATE:  # under a second: chromaprint cannot fill its filters
        return np.zeros(0, dtype=np.uint32)
    command = [binary, "-raw", "-json", "-length", "0", "-algorithm", str(ALGORITHM), "-format", "s16le",
               "-rate", str(SAMPLE_RATE), "-channels", "1", "-"]
    result = subprocess.run(command, input=to_pcm16(samples), capture_output=True, timeout=600)
    if b"Empty fingerprint" in result.stderr:  # audio too short (or silent) for chromaprint's filters
        return np.zeros(0, dtype=np.uint32)
    try:
        parsed = json.loads(result.stdout.decode("utf-8"))
        values = parsed["fingerprint"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise FingerprintError(f"fpcalc gave no fingerprint (exit {result.returncode}: "
                               f"{detail[-1] if detail else 'no message'})") from None
    if result.returncode not in (0, 3):  # 3: decoder reported end of input after a complete fingerprint
        raise FingerprintError(f"fpcalc failed with exit status {result.returncode}")
    return np.asarray(values, dtype=np.uint64).astype(np.uint32)


@dataclass(frozen=True)
class Fingerprint:
    values: np.ndarray  # uint32
    duration: float  # seconds of decoded audio

    @property
    def seconds(self) -> float:
        return len(self.values) * ITEM_SECONDS

    def to_dict(self) -> dict[str, Any]:
        return {"algorithm": ALGORITHM, "sample_rate": SAMPLE_RATE, "item_seconds": ITEM_SECONDS,
                "duration": round(self.duration, 4), "points": int(len(self.values)),
                "values": [int(v) for v in self.values]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Fingerprint":
        return cls(np.asarray(data["values"], dtype=np.uint64).astype(np.uint32), float(data["duration"]))


def bit_planes(values: np.ndarray, bits: int = 32) -> np.ndarray:
    """(bits, n) array of ±1.0 from unsigned integers."""
    if len(values) == 0:
        return np.zeros((bits, 0))
    shifts = np.arange(bits, dtype=np.uint64)[:, None]
    planes = (values.astype(np.uint64)[None, :] >> shifts) & np.uint64(1)
    return planes.astype(np.float64) * 2.0 - 1.0


@dataclass(frozen=True)
class AgreementCurve:
    """Agreement (1 − bit error rate) of a query against a candidate at each offset k, where query
    point i faces candidate point i + k; ``overlap`` is the number of points compared."""

    offsets: np.ndarray
    agreement: np.ndarray
    overlap: np.ndarray
    overlap_bits: np.ndarray  # bit pairs compared (both known)


def _correlate(query: np.ndarray, candidate: np.ndarray, size: int) -> np.ndarray:
    spectrum = np.zeros(size // 2 + 1, dtype=np.complex128)
    for start in range(0, query.shape[0], 8):  # a few planes at a time keeps memory flat for long recordings
        q = np.fft.rfft(query[start:start + 8, ::-1], size, axis=1)
        c = np.fft.rfft(candidate[start:start + 8], size, axis=1)
        spectrum += (q * c).sum(axis=0)
    return np.fft.irfft(spectrum, size)


def agreement_curve(query: np.ndarray, candidate: np.ndarray) -> AgreementCurve:
    """Bit agreement at every relative offset of two bit-plane arrays (planes × points) of ±1.0;
    entries of 0.0 (unknown, e.g. silence) count neither way."""
    bits, n = query.shape
    m = candidate.shape[1]
    if n == 0 or m == 0:
        empty = np.zeros(0)
        return AgreementCurve(empty.astype(int), empty, empty.astype(int), empty)
    size = 1 << int(np.ceil(np.log2(n + m - 1)))
    correlation = _correlate(query, candidate, size)[: n + m - 1]
    offsets = np.arange(-(n - 1), m)
    overlap = np.minimum(n, m - offsets) - np.maximum(0, -offsets)
    if (query == 0).any() or (candidate == 0).any():
        compared = np.rint(_correlate(np.abs(query), np.abs(candidate), size)[: n + m - 1])
        overlap_bits = np.maximum(compared, 1.0)
    else:
        overlap_bits = bits * np.maximum(overlap, 1).astype(np.float64)
    agreement = 0.5 + correlation / (2.0 * overlap_bits)
    return AgreementCurve(offsets, np.clip(agreement, 0.0, 1.0), overlap, overlap_bits)


@dataclass(frozen=True)
class Peak:
    offset: int  # candidate point facing query point 0
    agreement: float
    overlap: int
    significance: float  # (agreement − 0.5) × sqrt(overlap bits): how unlikely by chance


def best_peak(curve: AgreementCurve, *, min_overlap: int) -> Peak | None:
    """The offset whose agreement over at least ``min_overlap`` points is least likely by chance."""
    usable = curve.overlap >= min_overlap
    if not usable.any():
        return None
    significance = np.where(usable, (curve.agreement - 0.5) * np.sqrt(curve.overlap_bits), -np.inf)
    index = int(np.argmax(significance))
    return Peak(int(curve.offsets[index]), float(curve.agreement[index]), int(curve.overlap[index]),
                float(significance[index]))
