"""Flag decisions: analysts confirm or reject flags; each decision is a row with who, when and why."""

from __future__ import annotations

from dataclasses import replace
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


def test_decisions_carry_over_to_a_reanalysis_of_the_same_words(tmp_path: Path, workspace, case) -> None:  # type: ignore[no-untyped-def]
    from audita.review.reading import flag_decisions as standing

    analysis = _analysis(tmp_path, workspace, case)
    item_id = analysis.item_id
    killing, looting = (f["id"] for f in analysis.output["flags"])
    taken = decide_flag(workspace, analysis_id=analysis.id, flag_id=killing, decision="confirmed", note="order",
                        actor="analyst:a")
    # a re-analysis with other options is a new row whose flags on the same words keep their ids
    again = analyze_item(workspace, item_id, actor=ACTOR, options=AnalysisOptions(embeddings=False, min_confidence=0.01))
    assert again.id != analysis.id and {f["id"] for f in again.output["flags"]} >= {killing, looting}
    with workspace.reading() as connection:
        carried = standing(connection, item_id, again.id)
        assert [d.id for d in carried[killing]] == [taken.id] and carried[killing][0].carried_from == analysis.id
        assert looting not in carried  # still open
        assert flag_decisions(connection, again.id) == {}  # per-analysis view: nothing was decided on the new row
    # a decision on the new analysis stands over the carried one
    newer = decide_flag(workspace, analysis_id=again.id, flag_id=killing, decision="rejected", note="misheard",
                        actor="reviewer:b")
    with workspace.reading() as connection:
        decisions = standing(connection, item_id, again.id)[killing]
        assert decisions[-1].id == newer.id and decisions[-1].carried_from is None


def test_a_flag_on_changed_words_starts_open(tmp_path: Path, workspace, case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import audita.review.reading as reading

    analysis = _analysis(tmp_path, workspace, case)
    killing = analysis.output["flags"][0]["id"]
    decide_flag(workspace, analysis_id=analysis.id, flag_id=killing, decision="confirmed", note="", actor="analyst:a")
    # a later analysis whose flag has the same id but quotes other words (a correction moved text into the span)
    changed = dict(analysis.output, flags=[dict(f, quote="другие слова") if f["id"] == killing else f
                                           for f in analysis.output["flags"]])
    later = replace(analysis, id="later-analysis", output=changed)
    real_history = reading.history
    monkeypatch.setattr(reading, "history", lambda connection, item_id, stage=None: [
        *real_history(connection, item_id, stage), *([later] if stage == "analysis" else [])])
    with workspace.reading() as connection:
        assert killing not in reading.flag_decisions(connection, analysis.item_id, "later-analysis")
        assert killing in reading.flag_decisions(connection, analysis.item_id, analysis.id)
