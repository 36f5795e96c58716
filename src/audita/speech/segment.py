"""Split radio and phone traffic into transmissions (push-to-talk overs, phone turns).

Whisper's own VAD was measured cutting speech on radio, and webrtcvad calls every frame of
carrier hiss speech. This module decides on *voicing* instead of loudness: a frame counts as
speech when its 32 ms window is periodic at a voice pitch (normalised autocorrelation of the
60-1500 Hz band), is not a pure tone, and stands above the recording's noise floor.
Voiced runs are smoothed with hysteresis, joined across short pauses (and across longer ones
while a radio carrier stays up), padded, and split where longer than Whisper's window.

Each transmission gets a channel estimate (radio / phone / clean), an SNR estimate and a
quality flag against ``SegmentOptions.min_snr_db`` (10 dB: the level below which Phonexia
judges recordings unfit for speaker identification).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

CHANNELS: tuple[str, ...] = ("radio", "phone", "clean")


@dataclass(frozen=True)
class SegmentOptions:
    frame_ms: float = 40.0
    hop_ms: float = 10.0
    voicing_on: float = 0.65  # smoothed voicing needed to open a speech run
    voicing_off: float = 0.45  # ... and below which it closes (hysteresis)
    min_run_ms: float = 60.0  # voicing must stay above voicing_on this long to open a run
    smooth_ms: float = 50.0
    tonal_min: float = 0.9  # share of band power in one +-55 Hz peak that makes a frame tonal ...
    tone_min_s: float = 0.4  # ... and tonal frames holding one frequency this long are a tone, not a voice
    floor_margin_db: float = 6.0  # speech must be this far above the recording's noise floor
    min_voiced_s: float = 0.15  # a transmission needs at least this much voiced speech
    merge_gap_s: float = 0.45  # pauses up to this long stay inside one transmission
    carrier_gap_s: float = 1.5  # on radio, longer pauses too, while the carrier stays up
    carrier_margin_db: float = 10.0  # carrier hiss: this far above the squelch-closed floor
    pad_s: float = 0.3  # audio kept before and after the speech (never into a neighbour)
    max_transmission_s: float = 28.0  # split longer runs so each fits one Whisper window
    min_snr_db: float = 10.0  # quality gate (Phonexia's speaker-identification threshold)
    channel: str | None = None  # force "radio" / "phone" / "clean" instead of estimating

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SegmentOptions:
        return cls(**data)


@dataclass(frozen=True)
class Transmission:
    """One push-to-talk transmission or phone turn. Times are seconds from the recording start."""

    index: int
    start: float  # padded: what is transcribed
    end: float
    speech_start: float  # first and last voiced frame
    speech_end: float
    voiced_s: float
    snr_db: float
    level_db: float  # speech level, dBFS
    noise_db: float  # noise level under the speech, dBFS
    channel: str
    quality_ok: bool
    quality_reason: str  # "" when quality_ok

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transmission:
        return cls(**data)


@dataclass(frozen=True)
class Segmentation:
    """The result of segmenting one recording."""

    transmissions: tuple[Transmission, ...]
    channel: str  # recording-level estimate (most common among transmissions)
    duration: float
    noise_floor_db: float
    options: SegmentOptions

    def to_dict(self) -> dict[str, Any]:
        return {"transmissions": [t.to_dict() for t in self.transmissions], "channel": self.channel,
                "duration": self.duration, "noise_floor_db": self.noise_floor_db,
                "options": self.options.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segmentation:
        return cls(transmissions=tuple(Transmission.from_dict(t) for t in data["transmissions"]),
                   channel=data["channel"], duration=data["duration"], noise_floor_db=data["noise_floor_db"],
                   options=SegmentOptions.from_dict(data["options"]))


@dataclass(frozen=True)
class FrameFeatures:
    """Per-frame measurements (hop spacing); exposed for tests and diagnostics."""

    hop_s: float
    energy_db: np.ndarray
    voicing: np.ndarray
    flatness: np.ndarray
    tonality: np.ndarray
    peak_hz: np.ndarray  # centre of the strongest +-55 Hz window
    high_share: np.ndarray  # share of power above 3.8 kHz (bandwidth cue)


def _db(power: np.ndarray | float) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(power, 1e-12))


def frame_features(samples: np.ndarray, sample_rate: int, options: SegmentOptions = SegmentOptions()) -> FrameFeatures:
    frame = max(16, int(round(sample_rate * options.frame_ms / 1000)))
    hop = max(1, int(round(sample_rate * options.hop_ms / 1000)))
    audio = np.asarray(samples, dtype=np.float64)
    if audio.size < frame:
        audio = np.pad(audio, (0, frame - audio.size))
    frames = sliding_window_view(audio, frame)[::hop]
    frames = frames - frames.mean(axis=1, keepdims=True)
    window = np.hanning(frame)
    nfft = 1 << int(np.ceil(np.log2(2 * frame)))
    power = np.abs(np.fft.rfft(frames * window, n=nfft)) ** 2
    freqs = np.fft.rfftfreq(nfft, 1.0 / sample_rate)

    energy_db = _db(np.mean(frames**2, axis=1))

    band = (freqs >= 300) & (freqs <= min(3400, sample_rate / 2 - 100))
    pb = power[:, band] + 1e-12
    flatness = np.exp(np.mean(np.log(pb), axis=1)) / np.mean(pb, axis=1)
    # tonality: share of the band's power within +-55 Hz of its strongest bin (a sine's main lobe)
    width = 2 * int(np.ceil(55.0 / (freqs[1] - freqs[0]))) + 1
    cumulative = np.concatenate([np.zeros((len(pb), 1)), np.cumsum(pb, axis=1)], axis=1)
    width = min(width, pb.shape[1])
    windows = cumulative[:, width:] - cumulative[:, :-width]
    tonality = windows.max(axis=1) / pb.sum(axis=1)
    peak_hz = freqs[band][np.argmax(windows, axis=1) + width // 2]

    high = freqs >= 3800
    total = power.sum(axis=1) + 1e-12
    high_share = power[:, high].sum(axis=1) / total if high.any() else np.zeros(len(frames))

    # voicing: normalised autocorrelation of the 60-1500 Hz band, corrected for the window's own decay
    low = ((freqs >= 60) & (freqs <= 1500)).astype(np.float64)
    acf = np.fft.irfft(power * low, n=nfft)[:, :frame]
    wacf = np.fft.irfft(np.abs(np.fft.rfft(window, n=nfft)) ** 2, n=nfft)[:frame]
    lag_lo, lag_hi = int(sample_rate / 400), min(frame - 1, int(sample_rate / 60))
    norm = acf[:, :1] + 1e-12
    ratio = acf[:, lag_lo : lag_hi + 1] / norm / np.maximum(wacf[lag_lo : lag_hi + 1] / wacf[0], 0.4)
    voicing = np.clip(ratio.max(axis=1), 0.0, 1.0)
    return FrameFeatures(hop_s=hop / sample_rate, energy_db=energy_db, voicing=voicing,
                         flatness=flatness, tonality=tonality, peak_hz=peak_hz, high_share=high_share)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open [start, end) index ranges where mask is True."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _hysteresis(score: np.ndarray, on: float, off: float, min_run: int) -> np.ndarray:
    """Frames inside runs that stay above ``off`` and hold ``on`` for at least ``min_run`` frames."""
    out = np.zeros(score.shape, dtype=bool)
    strong = score >= on
    for start, end in _runs(score >= off):
        held = strong[start:end]
        if held.any() and max((e - s for s, e in _runs(held)), default=0) >= min_run:
            out[start:end] = True
    return out


def _steady_tones(feats: FrameFeatures, options: SegmentOptions) -> np.ndarray:
    """Frames inside long runs of one stable spectral peak: carrier whistles, CTCSS, test tones."""
    tonal = feats.tonality >= options.tonal_min
    same = np.concatenate(([False], np.abs(np.diff(feats.peak_hz)) <= 20.0)) & tonal
    steady = tonal & (same | np.concatenate((same[1:], [False])))
    out = np.zeros(steady.shape, dtype=bool)
    min_frames = int(round(options.tone_min_s / feats.hop_s))
    for start, end in _runs(steady):
        if end - start >= min_frames:
            out[start:end] = True
    return out


def _split_long(run: tuple[int, int], voicing: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Cut runs longer than ``limit`` frames at their least voiced point in the middle half."""
    start, end = run
    if end - start <= limit:
        return [run]
    lo, hi = start + (end - start) // 4, end - (end - start) // 4
    window = np.convolve(voicing[lo:hi], np.ones(21) / 21, mode="same")
    cut = lo + int(np.argmin(window))
    return _split_long((start, cut), voicing, limit) + _split_long((cut, end), voicing, limit)


def _channel_and_noise(power: np.ndarray, flatness: np.ndarray, candidates: np.ndarray, high_share: float,
                       gap_db: float, options: SegmentOptions) -> tuple[str, float]:
    """Channel of one transmission and the noise power under its speech.

    Radio shows a carrier: the pauses inside a transmission hiss far above the level between
    transmissions (squelch closed), with a flat spectrum. Phone noise stays on between turns.
    """
    quiet_db = _db(power[candidates]) if candidates.any() else np.array([])
    carrier = quiet_db >= gap_db + options.carrier_margin_db
    carrier_flat = float(np.median(flatness[candidates][carrier])) if carrier.any() else 0.0
    radio_like = carrier.sum() >= 5 and carrier.mean() >= 0.3 and carrier_flat >= 0.3
    if radio_like:
        noise = float(np.median(power[candidates][carrier]))
    elif candidates.sum() >= 3:
        noise = float(np.percentile(power[candidates], 25))
    else:
        noise = float(10 ** (gap_db / 10))
    if options.channel is not None:
        channel = options.channel
    elif high_share > 0.001:
        channel = "clean"
    else:
        channel = "radio" if radio_like else "phone"
    return channel, noise


def segment_audio(samples: np.ndarray, sample_rate: int = 16000,
                  options: SegmentOptions = SegmentOptions()) -> Segmentation:
    """Find transmissions (radio overs, phone turns) in a mono recording."""
    if options.channel is not None and options.channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, not {options.channel!r}")
    samples = np.asarray(samples, dtype=np.float32)
    duration = len(samples) / sample_rate
    feats = frame_features(samples, sample_rate, options)
    n = len(feats.energy_db)
    hop = feats.hop_s
    half = options.frame_ms / 2000.0
    # the quietest tenth of frames, but never within 20 dB of the loud frames: a recording that is
    # nearly all speech has no silence to measure
    floor_db = float(min(np.percentile(feats.energy_db, 10), np.percentile(feats.energy_db, 90) - 20.0))
    smooth = max(1, int(round(options.smooth_ms / 1000 / hop)))
    voicing = np.convolve(feats.voicing, np.ones(smooth) / smooth, mode="same")
    eligible = (feats.energy_db > floor_db + options.floor_margin_db) & ~_steady_tones(feats, options)
    score = np.where(eligible, voicing, 0.0)
    speech = _hysteresis(score, options.voicing_on, options.voicing_off,
                         max(1, int(round(options.min_run_ms / 1000 / hop))))
    active = feats.energy_db > floor_db + options.carrier_margin_db

    merged: list[list[int]] = []
    for start, end in _runs(speech):
        if merged:
            gap = start - merged[-1][1]
            carrier_up = bool(active[merged[-1][1] : start].all())
            if gap * hop <= options.merge_gap_s or (carrier_up and gap * hop <= options.carrier_gap_s):
                merged[-1][1] = end
                continue
        merged.append([start, end])
    limit = max(1, int(options.max_transmission_s / hop) - int(2 * options.pad_s / hop))
    runs = [piece for s, e in merged for piece in _split_long((s, e), voicing, limit)]
    min_voiced = options.min_voiced_s / hop
    runs = [(s, e) for s, e in runs if speech[s:e].sum() >= min_voiced]

    power = 10 ** (feats.energy_db / 10)
    spans: list[tuple[float, float, float, float]] = []
    for i, (s, e) in enumerate(runs):
        speech_start = max(0.0, s * hop + half - hop)
        speech_end = min(duration, (e - 1) * hop + half + hop)
        prev_end = runs[i - 1][1] * hop + half if i else 0.0
        next_start = runs[i + 1][0] * hop + half if i + 1 < len(runs) else duration
        start = max(0.0, speech_start - options.pad_s, (prev_end + speech_start) / 2 if i else 0.0)
        end = min(duration, speech_end + options.pad_s, (speech_end + next_start) / 2 if i + 1 < len(runs) else duration)
        spans.append((start, end, speech_start, speech_end))
    covered = np.zeros(n, dtype=bool)
    for start, end, _, _ in spans:
        covered[max(0, int((start - half) / hop)) : min(n, int((end - half) / hop) + 1)] = True
    between = feats.energy_db[~covered]
    gap_db = float(np.median(between)) if between.size >= int(0.3 / hop) else floor_db

    out: list[Transmission] = []
    for i, ((s, e), (start, end, speech_start, speech_end)) in enumerate(zip(runs, spans)):
        lo = max(0, int((start - half) / hop))
        hi = min(n, int((end - half) / hop) + 1)
        inside = speech[s:e]
        level = float(np.mean(power[s:e][inside]))
        candidates = np.zeros(n, dtype=bool)
        candidates[lo:hi] = ~speech[lo:hi]
        voiced_power = power[s:e][inside]
        high = float(np.sum(feats.high_share[s:e][inside] * voiced_power) / max(float(voiced_power.sum()), 1e-12))
        channel, noise = _channel_and_noise(power, feats.flatness, candidates, high, gap_db, options)
        snr = float(_db(max(level - noise, 1e-12)) - _db(noise))
        ok = snr >= options.min_snr_db
        out.append(Transmission(
            index=i, start=round(start, 3), end=round(end, 3), speech_start=round(speech_start, 3),
            speech_end=round(speech_end, 3), voiced_s=round(float(inside.sum()) * hop, 3),
            snr_db=round(snr, 1), level_db=round(float(_db(level)), 1), noise_db=round(float(_db(noise)), 1),
            channel=channel, quality_ok=ok,
            quality_reason="" if ok else f"snr {snr:.1f} dB < {options.min_snr_db:g} dB",
        ))
    channels = [t.channel for t in out]
    overall = max(CHANNELS, key=channels.count) if channels else (options.channel or "clean")
    return Segmentation(transmissions=tuple(out), channel=overall, duration=round(duration, 3),
                        noise_floor_db=round(floor_db, 1), options=options)
