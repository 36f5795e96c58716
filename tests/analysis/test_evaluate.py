"""The dialog evaluation behind `audita bench analysis-indicators`: span counts and the
per-transmission pairs, on a tiny scripted dialog with the rules alone."""

from __future__ import annotations

from audita.analysis.evaluate import evaluate_dialogs
from audita.analysis.pipeline import AnalysisOptions
from audita.corpus.dialogs import parse_dialog

RULES_ONLY = AnalysisOptions(embeddings=False, natasha=False)


def _dialog(transmissions: list[dict]) -> object:
    return parse_dialog({"id": "dlg-test", "split": "dev", "channel": "radio",
                         "speakers": {"A": {"id": "a"}, "B": {"id": "b"}}, "transmissions": transmissions})


def test_span_and_transmission_counts() -> None:
    dialog = _dialog([
        # the flag covers the quote: a tp for both counts
        {"speaker": "A", "text": "Пленных не брать, всех в расход.",
         "indicators": [{"category": "killing_hors_de_combat", "quote": "всех в расход"}]},
        # the annotator quoted another clause of the same transmission: a span fp and a span miss,
        # but the transmission pair is right
        {"speaker": "B", "text": "Понял. Пленных не брать. Они всё равно сдались.",
         "indicators": [{"category": "killing_hors_de_combat", "quote": "Они всё равно сдались"}]},
        # nothing annotated, nothing flagged
        {"speaker": "A", "text": "Погода хорошая, ждём."},
    ])
    evaluation = evaluate_dialogs([dialog], "dev", RULES_ONLY)
    spans = evaluation.categories["killing_hors_de_combat"]
    assert (spans.truth, spans.found) == (2, 1)
    assert spans.fp >= 1 and spans.tp >= 1
    pairs = evaluation.transmissions
    assert (pairs.tp, pairs.fp, pairs.found, pairs.truth) == (2, 0, 2, 2)
    assert pairs.precision == 1.0 and pairs.recall == 1.0
    assert evaluation.misses == [{"dialog": "dlg-test", "transmission": 1, "category": "killing_hors_de_combat"}]


def test_a_flag_in_an_unannotated_transmission_is_a_false_pair() -> None:
    dialog = _dialog([{"speaker": "A", "text": "Пленных не брать, всех в расход."},
                      {"speaker": "B", "text": "Понял."}])
    evaluation = evaluate_dialogs([dialog], "dev", RULES_ONLY)
    assert evaluation.transmissions.fp >= 1 and evaluation.transmissions.truth == 0
    assert evaluation.transmissions.recall is None
    assert evaluation.hard_negative_flags >= 1
