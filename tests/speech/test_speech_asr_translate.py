import pytest

from audita.speech.asr import ASROptions, EngineSegment, Transcription, choose_language, repeated_ngram, transcribe_transmissions
from audita.speech.segment import segment_audio
from audita.speech.translate import (
    MT_LABEL,
    FakeTranslator,
    TranslationError,
    available_translators,
    get_translator,
    translate_transmissions,
)
from speechfakes import RATE, FakeEngine, radio_recording


@pytest.fixture
def recording():
    audio, _ = radio_recording([(1.0, 1.5), (4.0, 2.0)], total=7.0)
    return audio, segment_audio(audio, RATE).transmissions


def test_words_get_absolute_times_and_language_is_chosen(recording):
    audio, txs = recording
    result = transcribe_transmissions(audio, txs, FakeEngine(languages={"ru": 0.3, "uk": 0.45, "be": 0.25}))
    first = result.items[0]
    assert first.text == "Гранит, я Сокол, приём." and not first.unintelligible
    assert first.language == "uk" and first.language_probabilities == {"ru": 0.3, "uk": 0.45}
    assert first.words[0].start == pytest.approx(txs[0].start + 0.1, abs=1e-3)
    assert result.items[1].words[0].start == pytest.approx(txs[1].start + 0.1, abs=1e-3)
    assert Transcription.from_dict(result.to_dict()) == result


def test_forced_language_skips_detection_and_reaches_the_engine(recording):
    audio, txs = recording
    engine = FakeEngine(languages={"en": 1.0})
    opts = ASROptions(language="uk", vocabulary=("Попасная", "Сокол", "Сокол"))
    transcribe_transmissions(audio, txs, engine, opts)
    assert {req.language for _, req in engine.calls} == {"uk"}
    assert opts.hotwords() == "Попасная Сокол" and opts.prompt() == "Попасная, Сокол."


def test_other_language_wins_only_when_clear():
    opts = ASROptions()
    assert choose_language({"en": 0.8, "ru": 0.1, "uk": 0.1}, opts)[0] == "en"
    assert choose_language({"en": 0.4, "ru": 0.35, "uk": 0.25}, opts)[0] == "ru"


@pytest.mark.parametrize("segment, reason", [
    (EngineSegment(0, 1, "", -0.2, 0.1, 1.0), "empty"),
    (EngineSegment(0, 1, "Да.", -1.5, 0.9, 1.0), "no_speech"),
    (EngineSegment(0, 1, "Продолжение следует...", -0.4, 0.2, 1.0), "hallucination_phrase"),
    (EngineSegment(0, 1, "огонь огонь огонь огонь огонь огонь", -0.4, 0.1, 1.0), "repetition"),
    (EngineSegment(0, 1, "квадрат двадцать два", -1.6, 0.1, 1.0), "low_confidence"),
])
def test_guards_mark_unintelligible_instead_of_inventing(recording, segment, reason):
    audio, txs = recording
    result = transcribe_transmissions(audio, txs[:1], FakeEngine(outputs=[[segment]]))
    item = result.items[0]
    assert item.unintelligible and item.unintelligible_reason == reason
    assert item.text == "" and item.words == ()
    assert item.rejected_text == segment.text.strip()


def test_repeated_ngram_detector():
    assert repeated_ngram("раз два раз два раз два раз два", 3)
    assert not repeated_ngram("раз два три четыре раз два", 3)


def test_translation_is_labelled_and_skips_unintelligible(recording):
    audio, txs = recording
    engine = FakeEngine(outputs=[[EngineSegment(0, 1, "Приём.", -0.2, 0.1, 1.0)], [EngineSegment(0, 1, "", -0.2, 0.1, 1.0)]])
    asr = transcribe_transmissions(audio, txs, engine, ASROptions(language="ru"))
    from audita.speech.translate import TranslateOptions

    mt = translate_transmissions(audio, txs, asr, TranslateOptions(text_backend="fake"), engine=engine)
    assert [t.index for t in mt.items] == [0]
    whisper, text = mt.items[0].translations
    assert whisper.method == "whisper-translate" and whisper.text.startswith("english")
    assert text.method == "text:fake" and text.text == "[ru->en] Приём."
    assert all(t.label == MT_LABEL and not t.verified for t in mt.items[0].translations)
    assert engine.calls[-1][1].task == "translate"
    assert mt.backend == {"backend": "fake"}


def test_translator_registry_and_opus_mt_needs_a_model(tmp_path):
    assert {"fake", "opus-mt"} <= set(available_translators())
    assert isinstance(get_translator("fake"), FakeTranslator)
    with pytest.raises(TranslationError, match="unknown"):
        get_translator("google")
    with pytest.raises(TranslationError, match="not an OPUS-MT"):
        get_translator("opus-mt", tmp_path)
