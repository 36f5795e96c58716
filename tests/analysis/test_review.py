"""Flag decisions: analysts confirm or reject flags; each decision is a row with who, when and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from audita.analysis.pipeline import AnalysisOptions
from audita.analysis.review import FlagReviewError, decide_flag, decision_history, flag_decisions
from audita.analysis.service import analyze_item
from audita.review import flags as review_seam
from audita.store.schema import custody_entries
from analysiskit import add_transcript, recording, transcript
from testkit import ACTOR

pytestmark = pytest.mark.both_backends  # store-facing: SQLite and PostgreSQL


def _analysis(tmp_path: Path, workspace, case):  # type: ignore[no-untyped-def]
    item_id = recording(tmp_path, workspace, case.name)
    add_transcript(workspace, item_id, transcript("Пленных не брать.", "Мародёрка по квартирам."))
    return analyze_item(workspace, item_id, actor=ACTOR, options=AnalysisOptions(embeddings=False))


def test_decisions_are_rows_and_the_newest_stands(tmp_path: Path, workspace, case) -> None:  # type: ignore[no-untyped-def]
    analysis = _analysis(tmp_path, workspace, case)
    first_flag, second_flag = (f["id"] for f in analysis.output["flags"])
    confirmed = decide_flag(workspace, analysis_id=analysis.id, flag_id=first_flag, decision="confirmed",
                            note="clear order", actor="analyst:a")
    assert confirmed.provenance.stage == "flag.review" and confirmed.provenance.parent_id == analysis.id
    assert confirmed.provenance.engine == "analyst"
    assert confirmed.output == {"flag_id": first_flag, "decision": "confirmed", "note": "clear order"}
    assert confirmed.created_by == "analyst:a" and confirmed.created_at
    decide_flag(workspace, analysis_id=analysis.id, flag_id=second_flag, decision="rejected", note="", actor="analyst:a")
    overturned = decide_flag(workspace, analysis_id=analysis.id[:10], flag_id=first_flag[:8], decision="rejected",
                             note="sarcasm, see context", actor="reviewer:b")
    with workspace.reading() as connection:
        standing = flag_decisions(connection, analysis.id)
        assert standing[first_flag].id == overturned.id and standing[first_flag].output["decision"] == "rejected"
        assert standing[first_flag].created_by == "reviewer:b"
        assert standing[second_flag].output["decision"] == "rejected"
        assert len(decision_history(connection, analysis.id)) == 3  # nothing overwritten
        actions = connection.execute(select(custody_entries.c.action).where(custody_entries.c.action == "flag.reviewed")).all()
        assert len(actions) == 3


def test_bad_decisions_are_clear_errors(tmp_path: Path, workspace, case) -> None:  # type: ignore[no-untyped-def]
    analysis = _analysis(tmp_path, workspace, case)
    flag_id = analysis.output["flags"][0]["id"]
    with pytest.raises(FlagReviewError, match="no flag"):
        decide_flag(workspace, analysis_id=analysis.id, flag_id="ffffffffffffffff", decision="confirmed", note="", actor=ACTOR)
    with pytest.raises(FlagReviewError, match="decision"):
        decide_flag(workspace, analysis_id=analysis.id, flag_id=flag_id, decision="maybe", note="", actor=ACTOR)
    with pytest.raises(FlagReviewError, match="no analysis"):
        decide_flag(workspace, analysis_id="deadbeefdeadbeef", flag_id=flag_id, decision="confirmed", note="", actor=ACTOR)
    with workspace.reading() as connection:
        assert flag_decisions(connection, analysis.id) == {}


def test_review_package_delegates_to_analysis(tmp_path: Path, workspace, case) -> None:  # type: ignore[no-untyped-def]
    assert review_seam.available()
    analysis = _analysis(tmp_path, workspace, case)
    flag_id = analysis.output["flags"][0]["id"]
    row = review_seam.decide(workspace, analysis_id=analysis.id, flag_id=flag_id, decision="confirmed", note="ok",
                             actor=ACTOR)
    assert row.output["decision"] == "confirmed"
