"""Pseudo-speakers: one festival voice shifted in pitch, tempo and spectral tilt, fixed per speaker id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Voice:
    pitch_cents: int
    tempo: float
    tilt_db: float


def _unit(digest: bytes, slot: int) -> float:
    """A number in [0, 1) taken from two bytes of the digest."""
    return int.from_bytes(digest[2 * slot : 2 * slot + 2], "big") / 65536.0


def voice_for(speaker_id: str, sex: str = "m") -> Voice:
    """Derive a stable voice from the speaker id alone (independent of the corpus seed).

    The same call sign therefore sounds the same in every dialog and every generated corpus,
    which is what speaker clustering benchmarks need.
    """
    digest = hashlib.sha256(speaker_id.encode("utf-8")).digest()
    low, high = (350, 650) if sex == "f" else (-300, 250)
    pitch = int(round(low + (high - low) * _unit(digest, 0)))
    tempo = round(0.9 + 0.2 * _unit(digest, 1), 3)
    tilt = round(-4.0 + 8.0 * _unit(digest, 2), 1)
    return Voice(pitch_cents=pitch, tempo=tempo, tilt_db=tilt)
