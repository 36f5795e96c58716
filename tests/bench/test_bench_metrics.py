import pytest

from audita.bench.metrics import ErrorCount, cer, char_errors, edit_distance, normalise, wer, word_errors


def test_normalise():
    assert normalise("Гранит, я Сокол, ПРИЁМ!") == "гранит я сокол прием"
    assert normalise("  Квадрат 22 — «улитка» 3...  ") == "квадрат 22 улитка 3"
    assert normalise("трёхсотый_2") == "трехсотый 2"


def test_edit_distance_by_hand():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_distance(["a", "b"], ["a", "b"]) == 0
    assert edit_distance(["a", "b", "c"], ["b", "c", "d"]) == 2  # delete a, insert d


def test_wer_hand_computed():
    assert wer("Я Сокол, приём.", "я сокол прием") == 0.0
    # one deletion out of three words
    assert wer("гранит я сокол", "гранит сокол") == pytest.approx(1 / 3)
    # one substitution + one insertion over four words
    assert wer("пленных не брать всех", "пленных не брал всех троих") == pytest.approx(2 / 4)
    # numbers stay as written: digits do not match number words
    assert wer("квадрат двадцать два", "квадрат 22") == pytest.approx(2 / 3)
    assert wer("", "") == 0.0


def test_cer_hand_computed():
    assert cer("кот", "кит") == pytest.approx(1 / 3)
    # "я сокол" (7 chars) vs "я сокл": one deletion
    assert cer("Я сокол", "я сокл") == pytest.approx(1 / 7)
    assert char_errors("ab", "") == ErrorCount(2, 2)


def test_pooled_rates_weight_by_reference_length():
    total = word_errors("a b c d", "a b c d") + word_errors("e f", "x")
    assert total == ErrorCount(2, 6)
    assert total.rate == pytest.approx(2 / 6)
    assert ErrorCount(1, 0).rate == float("inf")
