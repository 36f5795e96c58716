"""Packing transmissions into shared windows and splitting results back."""

from dataclasses import replace

import numpy as np

from audita.speech.asr import ASROptions, EngineSegment, Word, transcribe_transmissions
from audita.speech.packing import pack, split
from audita.speech.segment import segment_audio
from speechfakes import RATE, FakeEngine, radio_recording


def clip(seconds: float, value: float = 0.1) -> np.ndarray:
    return np.full(int(seconds * RATE), value, dtype=np.float32)


def test_pack_respects_the_window_length_and_isolates_long_clips():
    clips = [clip(10), clip(10), clip(10), clip(40), clip(2)]
    windows = pack(clips, range(5), max_seconds=28.0, gap_seconds=1.0)
    assert [w.members for w in windows] == [(0, 1), (2,), (3,), (4,)]
    first = windows[0]
    assert first.offsets == (0.0, 11.0) and len(first.audio) == 21 * RATE
    assert np.all(first.audio[10 * RATE : 11 * RATE] == 0)  # the gap is digital silence


def test_split_assigns_words_by_midpoint_and_drops_words_in_gaps():
    window = pack([clip(3), clip(3)], [0, 1], max_seconds=28.0, gap_seconds=1.0)[0]
    words = (Word(0.5, 1.0, " один", 0.9), Word(3.2, 3.8, " призрак", 0.5), Word(4.5, 5.0, " два", 0.9))
    parts = split(window, [EngineSegment(0.4, 5.0, " один призрак два", -0.2, 0.1, 1.1, words=words)])
    assert [w.word for s in parts[0] for w in s.words] == [" один"]
    assert [(w.word, w.start) for s in parts[1] for w in s.words] == [(" два", 0.5)]  # relative to its clip
    assert parts[1][0].text == "два"
    translated = split(window, [EngineSegment(0.0, 2.9, "one", -0.2, 0.1, 1.0),
                                EngineSegment(3.9, 7.0, "two", -0.2, 0.1, 1.0)])
    assert [s.text for s in translated[0]] == ["one"] and [s.text for s in translated[1]] == ["two"]


def test_packed_transcription_decodes_fewer_windows_with_the_same_transmissions():
    audio, _ = radio_recording([(1.0, 1.5), (4.0, 2.0), (7.5, 1.6)], total=10.0)
    transmissions = segment_audio(audio, RATE).transmissions
    packed_engine, single_engine = FakeEngine(), FakeEngine()
    packed = transcribe_transmissions(audio, transmissions, packed_engine, ASROptions())
    single = transcribe_transmissions(audio, transmissions, single_engine, replace(ASROptions(), pack_seconds=0))
    assert len(packed_engine.calls) == 1 and len(single_engine.calls) == 3
    assert [t.text for t in packed.items] == [t.text for t in single.items] == ["Гранит, я Сокол, приём."] * 3
    for p, s in zip(packed.items, single.items):  # absolute word times agree within rounding
        assert [round(w.start, 2) for w in p.words] == [round(w.start, 2) for w in s.words]
