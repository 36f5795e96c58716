from __future__ import annotations

from pathlib import Path

from audita.analysis.evaluate import evaluate

TRUTH = Path(__file__).resolve().parents[2] / "corpus" / "dev" / "truth"


def test_evaluation_on_dev_truth() -> None:
    result = evaluate(TRUTH)
    overall = result["all"]
    assert overall["tp"] + overall["fn"] > 0
    assert overall["precision"] is not None and overall["precision"] >= 0.8
    assert overall["recall"] is not None and overall["recall"] >= 0.5
