"""Flag decisions go through the analysis package's decide_flag; review reads them back."""

from __future__ import annotations

import pytest

from audita import derived
from audita.derived import Provenance
from audita.review import flags as flag_review
from audita.review.reading import current_analysis, flag_decisions

pytestmark = pytest.mark.both_backends

ANALYSIS = {"schema": "audita.analysis/1", "entities": [], "glossary_hits": [],
            "flags": [{"id": "flag-7", "category": "attack on civilians", "article": "8(2)(b)(i)", "quote": "x",
                       "transmission": 1, "start": 2.3, "end": 3.0, "confidence": 0.7, "reason": "r", "rule": "t"}]}


def test_decisions_through_the_analysis_package(workspace, transcribed):
    with workspace.action() as connection:
        analysis = derived.record(workspace, connection, item_id=transcribed.item_id, case_id=transcribed.case_id,
                                  actor="local:pipeline", output=ANALYSIS,
                                  provenance=Provenance("analysis", "5" * 64, "rules/1", {},
                                                        parent_id=transcribed.machine_id))
    flag_review.decide(workspace, analysis_id=analysis.id, flag_id="flag-7", decision="rejected",
                       note="a drill", actor="analyst:a")
    flag_review.decide(workspace, analysis_id=analysis.id, flag_id="flag-7", decision="confirmed",
                       note="listened again", actor="analyst:b")
    with workspace.reading() as connection:
        assert current_analysis(connection, transcribed.item_id).id == analysis.id
        decided = flag_decisions(connection, transcribed.item_id, analysis.id)
    assert [(d.decision, d.by, d.note) for d in decided["flag-7"]] == [
        ("rejected", "analyst:a", "a drill"), ("confirmed", "analyst:b", "listened again")]
