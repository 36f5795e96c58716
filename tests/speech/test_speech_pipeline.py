import json

import numpy as np
import pytest

from audita.corpus.audio import write_wav
from audita.speech.asr import Transcription
from audita.speech.formats import to_json, to_srt, to_text, to_vtt
from audita.speech.pipeline import (
    PipelineOptions,
    assemble,
    load_audio,
    run_speech,
    segment_stage,
    speaker_stage,
    transcribe_stage,
    translate_stage,
)
from audita.speech.segment import Segmentation
from audita.speech.speakers import Speakers, cluster_embeddings, suggest_matches
from audita.speech.translate import Translation
from speechfakes import RATE, FakeEngine, FakeVoices, festival_available, radio_recording


@pytest.fixture
def wav(tmp_path):
    audio, _ = radio_recording([(1.0, 1.5), (4.0, 2.0), (7.5, 1.6)], total=10.0)
    path = tmp_path / "intercept.wav"
    write_wav(path, audio, RATE)
    return path


def test_run_speech_with_fakes_is_deterministic_and_complete(wav, tmp_path):
    options = PipelineOptions()
    events = []
    first = run_speech(wav, options, home=tmp_path, engine=FakeEngine(), speaker_backend=FakeVoices(),
                       progress=events.append)
    second = run_speech(wav, options, home=tmp_path, engine=FakeEngine(), speaker_backend=FakeVoices())
    assert to_json(first) == to_json(second)
    assert len(first.transmissions) == 3
    t = first.transmissions[0]
    assert t.text and t.language == "ru" and t.words and t.translation.startswith("english")
    assert [x.speaker for x in first.transmissions] == ["S1", "S2", "S3"]  # three different pitches
    assert first.provenance.input_sha256 == load_audio(wav).sha256
    assert set(first.provenance.versions) >= {"faster-whisper", "ctranslate2"}
    assert first.provenance.options == options.to_dict()
    assert PipelineOptions.from_dict(json.loads(json.dumps(first.provenance.options))) == options
    assert PipelineOptions.from_dict(options.to_dict()) == options
    assert {e.stage for e in events} == {"segment", "transcribe", "translate", "speakers"}


def test_stages_resume_from_persisted_results(wav, tmp_path):
    options = PipelineOptions()
    audio = load_audio(wav)
    seg = Segmentation.from_dict(json.loads(json.dumps(segment_stage(audio, options).to_dict())))
    engine = FakeEngine()
    asr = Transcription.from_dict(json.loads(json.dumps(transcribe_stage(audio, seg, options, engine=engine).to_dict())))
    mt = Translation.from_dict(json.loads(json.dumps(translate_stage(audio, seg, asr, options, engine=engine).to_dict())))
    spk = Speakers.from_dict(json.loads(json.dumps(speaker_stage(audio, seg, options, backend=FakeVoices()).to_dict())))
    resumed = assemble(audio, options, seg, asr, mt, spk)
    direct = run_speech(wav, options, home=tmp_path, engine=FakeEngine(), speaker_backend=FakeVoices())
    assert to_json(resumed) == to_json(direct)


def test_formats(wav, tmp_path):
    result = run_speech(wav, PipelineOptions(enable_speakers=False), home=tmp_path, engine=FakeEngine())
    srt, vtt, text = to_srt(result), to_vtt(result), to_text(result)
    assert srt.startswith("1\n00:00:0") and " --> " in srt and srt.count("Гранит") == 3
    assert vtt.startswith("WEBVTT\n\n") and "." in vtt.split("\n")[2]
    assert "unverified machine translation" in text and result.provenance.input_sha256 in text
    doc = json.loads(to_json(result))
    assert doc["schema"] == "audita.speech/1" and doc["transmissions"][0]["speaker"] is None


def test_clustering_and_suggestions():
    a, b = np.array([1.0, 0.1, 0.0]), np.array([0.0, 1.0, 0.1])
    assert cluster_embeddings([a, b, a * 2, b + 0.01], 0.8) == [0, 1, 0, 1]
    assert cluster_embeddings([], 0.8) == []
    out = suggest_matches({"Сокол": [a], "Гранит": [b]}, {"x#1": a + 0.05, "x#2": -a}, min_score=0.7)
    assert [(s.candidate, s.reference, s.rank, s.kind) for s in out] == [("x#1", "Сокол", 1, "suggestion")]
    assert 0 < out[0].margin < 1 and out[0].score > 0.9


@pytest.mark.slow
@pytest.mark.skipif(not festival_available(), reason="festival/sox not installed")
def test_real_whisper_on_synthesised_radio(tmp_path, speech_home):
    from audita.corpus.audio import synthesize
    from audita.corpus.channels import render_radio

    phrases = ["Гранит, я Сокол, приём.", "Сокол, я Гранит, на приёме."]
    utterances = [synthesize(p, pitch_cents=c, tempo=1.0, tilt_db=0.0) for p, c in zip(phrases, (-200, 150))]
    rendered = render_radio(utterances, [0.9], np.random.default_rng(3), lead_in=1.0, tail=0.8)
    path = tmp_path / "radio.wav"
    write_wav(path, rendered.samples, rendered.sample_rate)
    options = PipelineOptions(enable_speakers=False)
    result = run_speech(path, options, home=speech_home)
    assert len(result.transmissions) == 2
    for (a, b), t in zip(rendered.spans, result.transmissions):
        assert t.start <= a + 0.05 and t.end >= b - 0.05  # no speech lost
        assert t.channel == "radio" and t.language == "ru"
    joined = " ".join(t.text for t in result.transmissions).lower()
    assert "гранит" in joined or "сокол" in joined or "при" in joined
    assert result.transmissions[0].words[0].start >= result.transmissions[0].start
    assert result.provenance.model_sha256 == "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
    assert result.transmissions[0].translations[0].method == "whisper-translate"
