"""Channel simulation: place utterances on a timeline and pass them through clean / radio / phone channels.

Everything is built at 16 kHz; radio and phone are band-limited to 300-3400 Hz and returned at 8 kHz.
All randomness comes from the numpy Generator handed in, so equal seeds give equal samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from audita.corpus.audio import TTS_RATE, amr_roundtrip, band_limit, downsample_by_two

CHANNELS: tuple[str, ...] = ("clean", "radio", "phone")
AMR_MODES_KBPS = {5: 7.95, 6: 10.2, 7: 12.2}
SPEECH_RMS = 0.1


@dataclass(frozen=True)
class Rendered:
    samples: np.ndarray
    sample_rate: int
    spans: tuple[tuple[float, float], ...]  # (start, end) seconds of each utterance
    params: dict[str, Any]


def _normalise(utterance: np.ndarray, rms: float = SPEECH_RMS) -> np.ndarray:
    level = float(np.sqrt(np.mean(utterance**2))) if len(utterance) else 0.0
    return utterance * (rms / level) if level > 0 else utterance


def _layout(lengths: list[int], gaps: list[float], lead_in: float, tail: float) -> tuple[list[int], int]:
    """Start sample of each utterance and the total length at TTS_RATE."""
    starts: list[int] = []
    cursor = int(round(lead_in * TTS_RATE))
    for i, length in enumerate(lengths):
        starts.append(cursor)
        cursor += length
        if i < len(lengths) - 1:
            cursor += int(round(gaps[i] * TTS_RATE))
    return starts, cursor + int(round(tail * TTS_RATE))


def _burst(rng: np.random.Generator, seconds: float, level: float) -> np.ndarray:
    n = max(1, int(seconds * TTS_RATE))
    envelope = np.exp(-np.linspace(0.0, 4.0, n))
    return (rng.normal(0.0, level, n) * envelope).astype(np.float32)


def _finish_narrowband(signal: np.ndarray) -> np.ndarray:
    narrow = downsample_by_two(band_limit(signal, TTS_RATE, 300.0, 3400.0))
    peak = float(np.max(np.abs(narrow))) or 1.0
    return (narrow * (0.9 / peak)).astype(np.float32)


def render_clean(utterances: list[np.ndarray], gaps: list[float], rng: np.random.Generator,
                 *, lead_in: float, tail: float) -> Rendered:
    starts, total = _layout([len(u) for u in utterances], gaps, lead_in, tail)
    out = rng.normal(0.0, 3e-4, total).astype(np.float32)
    for start, utt in zip(starts, utterances):
        out[start : start + len(utt)] += _normalise(utt)
    spans = tuple((s / TTS_RATE, (s + len(u)) / TTS_RATE) for s, u in zip(starts, utterances))
    return Rendered(np.clip(out, -1, 1), TTS_RATE, spans, {"noise_floor": 3e-4})


def render_radio(utterances: list[np.ndarray], gaps: list[float], rng: np.random.Generator,
                 *, lead_in: float, tail: float) -> Rendered:
    """Narrowband FM voice radio: push-to-talk key-up, carrier hiss, over-driven clipped speech,
    squelch tails after each release, static bursts while the squelch is closed."""
    starts, total = _layout([len(u) for u in utterances], gaps, lead_in, tail)
    snr_db = float(rng.uniform(6.0, 14.0))
    drive = float(rng.uniform(1.6, 2.6))
    clip = float(rng.uniform(0.3, 0.45))
    out = rng.normal(0.0, 0.002, total).astype(np.float32)  # squelch closed: receiver floor
    busy = np.zeros(total, dtype=bool)
    for start, utt in zip(starts, utterances):
        key_up = int(rng.uniform(0.08, 0.2) * TTS_RATE)
        squelch = float(rng.uniform(0.12, 0.3))
        open_from = max(0, start - key_up)
        open_to = min(total, start + len(utt))
        hiss_db = snr_db + float(rng.uniform(-2.0, 2.0))
        out[open_from:open_to] = rng.normal(0.0, SPEECH_RMS / 10 ** (hiss_db / 20), open_to - open_from)
        click = _burst(rng, 0.015, 0.4)
        out[open_from : open_from + len(click)] += click[: max(0, min(len(click), total - open_from))]
        voiced = np.clip(_normalise(utt) * drive, -clip, clip)
        out[start : start + len(utt)] += voiced[: max(0, total - start)]
        tail_noise = _burst(rng, squelch, 0.25)
        end = min(total, open_to + len(tail_noise))
        out[open_to:end] += tail_noise[: end - open_to]
        busy[open_from:end] = True
    # static bursts in the gaps (roughly one per 6 s of closed squelch)
    idle = np.flatnonzero(~busy)
    n_bursts = int(rng.poisson(len(idle) / TTS_RATE / 6.0)) if idle.size else 0
    for _ in range(n_bursts):
        at = int(idle[int(rng.integers(0, idle.size))])
        burst = _burst(rng, float(rng.uniform(0.05, 0.3)), float(rng.uniform(0.08, 0.3)))
        end = min(total, at + len(burst))
        if not busy[at:end].any():
            out[at:end] += burst[: end - at]
    spans = tuple((s / TTS_RATE, (s + len(u)) / TTS_RATE) for s, u in zip(starts, utterances))
    params = {"band_hz": [300, 3400], "snr_db": round(snr_db, 2), "drive": round(drive, 3),
              "clip": round(clip, 3), "static_bursts": n_bursts}
    return Rendered(_finish_narrowband(out), 8000, spans, params)


def render_phone(utterances: list[np.ndarray], gaps: list[float], rng: np.random.Generator,
                 *, lead_in: float, tail: float, levels: list[float] | None = None) -> Rendered:
    """Mobile call: room noise at each end, 300-3400 Hz, 8 kHz, AMR-NB codec round trip."""
    starts, total = _layout([len(u) for u in utterances], gaps, lead_in, tail)
    snr_db = float(rng.uniform(18.0, 28.0))
    white = rng.normal(0.0, 1.0, total)
    brown = np.cumsum(white)
    brown -= np.convolve(brown, np.ones(801) / 801, mode="same")  # remove drift, keep low rumble
    brown *= (SPEECH_RMS / 10 ** (snr_db / 20)) / (float(np.std(brown)) or 1.0)
    out = brown.astype(np.float32)
    gains = levels or [1.0] * len(utterances)
    for start, utt, gain in zip(starts, utterances, gains):
        out[start : start + len(utt)] += _normalise(utt) * gain
    mode = int(rng.choice(sorted(AMR_MODES_KBPS)))
    coded = amr_roundtrip(_finish_narrowband(out) * 0.8, mode)
    spans = tuple((s / TTS_RATE, (s + len(u)) / TTS_RATE) for s, u in zip(starts, utterances))
    params = {"band_hz": [300, 3400], "snr_db": round(snr_db, 2), "codec": "amr-nb",
              "amr_mode": mode, "amr_kbps": AMR_MODES_KBPS[mode]}
    return Rendered(coded, 8000, spans, params)
