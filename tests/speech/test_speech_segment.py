import numpy as np

from audita.speech.segment import Segmentation, SegmentOptions, segment_audio
from speechfakes import RATE, radio_recording


def _covered(transmissions, spans):
    return all(any(t.start <= a + 0.05 and t.end >= b - 0.05 for t in transmissions) for a, b in spans)


def test_radio_transmissions_found_and_static_ignored():
    audio, spans = radio_recording([(1.0, 1.5), (4.0, 2.0), (8.0, 1.0)], total=10.5)
    rng = np.random.default_rng(5)
    audio[int(6.6 * RATE) : int(6.9 * RATE)] += rng.normal(0, 0.2, int(0.3 * RATE)).astype(np.float32)  # static burst
    result = segment_audio(audio, RATE)
    assert len(result.transmissions) == 3
    assert _covered(result.transmissions, spans)
    assert not any(t.start < 6.9 and t.end > 6.6 for t in result.transmissions)
    assert result.channel == "radio" and all(t.channel == "radio" for t in result.transmissions)
    starts = [t.start for t in result.transmissions]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(result.transmissions, result.transmissions[1:]))


def test_snr_estimate_and_quality_gate_follow_the_hiss():
    clean, _ = radio_recording([(1.0, 2.0)], total=4.0, hiss_rms=0.005)
    noisy, _ = radio_recording([(1.0, 2.0)], total=4.0, hiss_rms=0.08)
    good = segment_audio(clean, RATE).transmissions[0]
    bad = segment_audio(noisy, RATE).transmissions[0]
    assert good.snr_db > bad.snr_db + 10
    assert good.quality_ok and good.quality_reason == ""
    assert not bad.quality_ok and "10 dB" in bad.quality_reason
    strict = segment_audio(clean, RATE, SegmentOptions(min_snr_db=good.snr_db + 1)).transmissions[0]
    assert not strict.quality_ok


def test_tones_and_noise_alone_are_not_speech():
    t = np.arange(6 * RATE) / RATE
    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.001, t.size)
    audio[RATE : 3 * RATE] += 0.3 * np.sin(2 * np.pi * 1000 * t[RATE : 3 * RATE])
    audio[4 * RATE : 5 * RATE] += rng.normal(0, 0.2, RATE)
    assert segment_audio(audio.astype(np.float32), RATE).transmissions == ()


def test_long_speech_is_split_to_fit_whisper_window():
    audio, spans = radio_recording([(0.5, 12.0)], total=13.0)
    result = segment_audio(audio, RATE, SegmentOptions(max_transmission_s=5.0))
    assert len(result.transmissions) >= 3
    assert all(t.duration <= 5.0 + 1e-6 for t in result.transmissions)
    voiced = sum(t.voiced_s for t in result.transmissions)
    assert voiced > 10.0


def test_segmentation_is_deterministic_and_round_trips():
    audio, _ = radio_recording([(1.0, 1.5), (4.0, 2.0)], total=7.0)
    first = segment_audio(audio, RATE)
    assert first == segment_audio(audio.copy(), RATE)
    again = Segmentation.from_dict(first.to_dict())
    assert again == first


def test_forced_channel_and_bad_channel():
    audio, _ = radio_recording([(1.0, 1.5)], total=3.0)
    assert segment_audio(audio, RATE, SegmentOptions(channel="phone")).transmissions[0].channel == "phone"
    import pytest

    with pytest.raises(ValueError):
        segment_audio(audio, RATE, SegmentOptions(channel="satellite"))
