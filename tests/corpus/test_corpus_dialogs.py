from collections import Counter

import pytest

from audita.corpus.audio import tts_text
from audita.corpus.dialogs import CATEGORIES, RENDERED_SPLITS, SPLITS, DialogError, load_dialogs, parse_dialog


def test_packaged_dialogs_are_valid_and_dev_stays_frozen():
    dialogs = load_dialogs("all")
    assert len(dialogs) >= 44
    splits = Counter(d.split for d in dialogs)
    assert splits["dev"] == 13  # corpus/dev is rendered from these: new scripts go to heldout
    assert splits["heldout"] >= 31
    assert {d.channel for d in dialogs} == {"radio", "phone"}
    for dialog in dialogs:
        for t in dialog.transmissions:
            for span in t.indicators:
                assert span.category in CATEGORIES
                assert t.text[span.char_start : span.char_end] == span.quote
            for place in t.places:
                assert t.text[place.char_start : place.char_end] == place.name
                assert -90 <= place.lat <= 90 and -180 <= place.lon <= 180
                if dialog.split in RENDERED_SPLITS:  # the rendered corpus: Ukraine and the border area
                    assert 44 < place.lat < 53 and 22 < place.lon < 41


def test_dev_split_covers_every_category_and_has_hard_negatives():
    dev = load_dialogs("dev")
    seen = {s.category for d in dev for t in d.transmissions for s in t.indicators}
    assert seen == set(CATEGORIES)
    negatives = [d for d in dev if not any(t.indicators for t in d.transmissions)]
    assert len(negatives) >= 3
    texts = " ".join(t.text for d in negatives for t in d.transmissions)
    for marker in ("двухсотый", "Работаем по позициям", "накормили"):
        assert marker in texts


def test_heldout_split_covers_every_category_and_has_hard_negatives():
    heldout = load_dialogs("heldout")
    counts = Counter(s.category for d in heldout for t in d.transmissions for s in t.indicators)
    assert set(counts) == set(CATEGORIES)
    assert min(counts.values()) >= 3
    negatives = [d for d in heldout if not any(t.indicators for t in d.transmissions)]
    assert len(negatives) >= 10


def test_scripts_are_speakable_by_the_russian_festival_voice():
    # festvox-ru writes an empty file for letters outside Russian (Ukrainian і/ї/є/ґ): tts_text respells them
    letters = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    allowed = set(letters + letters.upper() + " .,!?-—–:;«»\"()")
    for dialog in load_dialogs("all"):
        if dialog.split not in RENDERED_SPLITS:
            continue  # text-only evaluation split
        for t in dialog.transmissions:
            assert set(tts_text(t.text)) <= allowed, (dialog.dialog_id, set(tts_text(t.text)) - allowed)
    assert tts_text("Кінець зв'язку, її є ґанок") == "Кинець звъязку, йийи е ганок"
    assert tts_text("Пленных не брать.") == "Пленных не брать."


def test_split_filter():
    assert {d.split for d in load_dialogs("heldout")} == {"heldout"}
    with pytest.raises(DialogError):
        load_dialogs("train")


def _raw(**overrides):
    data = {
        "id": "x", "split": "dev", "channel": "radio", "speakers": {"A": {"id": "a"}},
        "transmissions": [{"speaker": "A", "text": "Пленных не брать.",
                           "indicators": [{"category": "killing_hors_de_combat", "quote": "Пленных не брать"}]}],
    }
    data.update(overrides)
    return data


def test_parse_locates_quotes():
    dialog = parse_dialog(_raw())
    span = dialog.transmissions[0].indicators[0]
    assert (span.char_start, span.char_end) == (0, 16)


@pytest.mark.parametrize("bad", [
    {"split": "train"},
    {"channel": "satellite"},
    {"transmissions": [{"speaker": "B", "text": "приём"}]},
    {"transmissions": [{"speaker": "A", "text": "приём", "indicators": [{"category": "killing", "quote": "приём"}]}]},
    {"transmissions": [{"speaker": "A", "text": "приём", "indicators": [{"category": "pillage", "quote": "отжать"}]}]},
    {"transmissions": []},
])
def test_parse_rejects_bad_scripts(bad):
    with pytest.raises(DialogError):
        parse_dialog(_raw(**bad))


def test_sealed_split_is_text_only_and_never_rendered(tmp_path):
    from audita.corpus.generate import GenerateOptions, generate_corpus

    for split in SPLITS[SPLITS.index("heldout4"):]:  # measured once / sealed: text-only either way
        assert len(load_dialogs(split)) >= 40
    sealed = load_dialogs("heldout4")
    assert {d.split for d in sealed} == {"heldout4"}
    counts = {c: 0 for c in CATEGORIES}
    for d in sealed:
        for t in d.transmissions:
            for i in t.indicators:
                counts[i.category] += 1
    assert min(counts.values()) >= 7
    for split in (s for s in SPLITS if s not in RENDERED_SPLITS):
        with pytest.raises(ValueError, match="not rendered"):
            generate_corpus(tmp_path / "c", GenerateOptions(split=split, long=False))
