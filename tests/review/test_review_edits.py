"""Corrections are new versions beside the machine output, with optimistic concurrency."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from audita.custody.log import entries
from audita.errors import BadInput, NotFound
from audita.review import (
    StaleVersion,
    TransmissionChange,
    edit_transcript,
    history,
    label_speaker,
    merge_speakers,
)
from audita.review.words import realign_words
from audita.store.schema import derivations
from audita.transcripts import current_transcript, machine_transcript

pytestmark = pytest.mark.both_backends  # the store-facing paths run on SQLite and PostgreSQL

EDITOR = "analyst:m.koval"


def test_edit_creates_a_version_beside_the_machine_output(workspace, transcribed):
    edit = edit_transcript(workspace, transcribed.item_id, base_version_id=transcribed.machine_id,
                           changes=[TransmissionChange(0, text="Гранит, я Сокол, приём.")],
                           note="call sign misheard", actor=EDITOR)
    assert edit.provenance.stage == "transcript.edit"
    assert edit.provenance.parent_id == transcribed.machine_id
    assert edit.provenance.engine == "analyst"
    assert edit.created_by == EDITOR
    assert edit.output["edit"] == {"note": "call sign misheard", "changed": [0]}
    assert edit.output["transmissions"][0]["text"] == "Гранит, я Сокол, приём."
    with workspace.reading() as connection:
        machine = machine_transcript(connection, transcribed.item_id)
        assert machine.id == transcribed.machine_id
        assert machine.output["transmissions"][0]["text"] == "Гранит, я Сокал, приём."  # untouched
        assert current_transcript(connection, transcribed.item_id).id == edit.id
        logged = entries(connection, item_id=transcribed.item_id)
    assert logged[-1].action == "transcript.edited"
    assert logged[-1].actor == EDITOR
    assert logged[-1].details["derivation_id"] == edit.id


def test_retyped_words_keep_timings_where_they_match(workspace, transcribed):
    edit = edit_transcript(workspace, transcribed.item_id, base_version_id=transcribed.machine_id,
                           changes=[TransmissionChange(0, text="Гранит, я Сокол, приём, приём.")],
                           note="fix", actor=EDITOR)
    words = edit.output["transmissions"][0]["words"]
    assert "".join(w["word"] for w in words).strip() == "Гранит, я Сокол, приём, приём."
    assert (words[0]["start"], words[0]["end"], words[0]["probability"]) == (0.35, 0.75, 0.8)
    assert words[2]["analyst"] is True and words[2]["probability"] is None
    assert (words[2]["start"], words[2]["end"]) == (0.95, 1.35)  # takes the replaced word's time
    starts = [w["start"] for w in words]
    assert starts == sorted(starts)
    t = edit.output["transmissions"][0]
    assert all(t["start"] <= w["start"] <= w["end"] <= t["end"] for w in words)


def test_realign_handles_insertions_deletions_and_empty():
    old = [{"start": 1.0, "end": 1.5, "word": " a", "probability": 0.9},
           {"start": 2.0, "end": 2.5, "word": " b", "probability": 0.9}]
    assert realign_words(old, "", start=0.5, end=3.0) == []
    inserted = realign_words(old, "x a y b z", start=0.5, end=3.0)
    assert [w["word"] for w in inserted] == [" x", " a", " y", " b", " z"]
    assert inserted[0]["start"] == 0.5 and inserted[0]["end"] <= 1.0
    assert 1.5 <= inserted[2]["start"] <= inserted[2]["end"] <= 2.0
    assert inserted[4]["end"] <= 3.0
    assert [w["word"] for w in realign_words(old, "b", start=0.5, end=3.0)] == [" b"]
    assert realign_words([], "one two", start=0.0, end=2.0)[1]["start"] == 1.0


def test_edit_against_an_old_version_is_refused_clearly(workspace, transcribed):
    first = edit_transcript(workspace, transcribed.item_id, base_version_id=transcribed.machine_id,
                            changes=[TransmissionChange(1, text="Пленных не брать!")], note="punctuation", actor=EDITOR)
    with pytest.raises(StaleVersion, match="no longer current.*analyst:m.koval.*reload"):
        edit_transcript(workspace, transcribed.item_id, base_version_id=transcribed.machine_id,
                        changes=[TransmissionChange(2, text="Везёт в Попасную")], note="late", actor="analyst:other")
    with workspace.reading() as connection:
        assert current_transcript(connection, transcribed.item_id).id == first.id
        count = connection.execute(select(func.count()).select_from(derivations)
                                   .where(derivations.c.stage == "transcript.edit")).scalar_one()
    assert count == 1
    with pytest.raises(NotFound):
        edit_transcript(workspace, transcribed.item_id, base_version_id="f" * 32,
                        changes=[TransmissionChange(2, text="x")], note="n", actor=EDITOR)


def test_edits_chain_and_history_shows_who_when_why(workspace, transcribed):
    a = edit_transcript(workspace, transcribed.item_id, base_version_id=transcribed.machine_id,
                        changes=[TransmissionChange(0, translation="Granit, this is Sokol, over.")],
                        note="translation", actor=EDITOR)
    b = edit_transcript(workspace, transcribed.item_id, base_version_id=a.id,
                        changes=[TransmissionChange(2, text="")], note="cannot hear it", actor="analyst:b")
    t2 = b.output["transmissions"][2]
    assert t2["unintelligible"] is True and t2["words"] == [] and t2["text"] == ""
    translations = a.output["transmissions"][0]["translations"]
    assert translations[0]["label"] == "unverified machine translation"
    assert translations[1] == {"method": "analyst", "text": "Granit, this is Sokol, over.",
                               "label": "analyst translation", "verified": False}
    with workspace.reading() as connection:
        rows = history(connection, transcribed.item_id)
    assert [r.id for r in rows] == [transcribed.machine_id, a.id, b.id]
    assert rows[0].is_machine and not rows[0].is_current
    assert rows[2].is_current and rows[2].by == "analyst:b" and rows[2].note == "cannot hear it"
    assert rows[2].changed == (2,) and rows[2].review_status == "unreviewed"


def test_bad_edits_are_refused(workspace, transcribed):
    base = transcribed.machine_id
    with pytest.raises(BadInput, match="note"):
        edit_transcript(workspace, transcribed.item_id, base_version_id=base,
                        changes=[TransmissionChange(0, text="x")], note="  ", actor=EDITOR)
    with pytest.raises(BadInput, match="nothing changed"):
        edit_transcript(workspace, transcribed.item_id, base_version_id=base,
                        changes=[TransmissionChange(0, text="Гранит, я Сокал, приём.")], note="same", actor=EDITOR)
    with pytest.raises(BadInput, match="no transmission 9"):
        edit_transcript(workspace, transcribed.item_id, base_version_id=base,
                        changes=[TransmissionChange(9, text="x")], note="n", actor=EDITOR)
    with pytest.raises(BadInput, match="control"):
        edit_transcript(workspace, transcribed.item_id, base_version_id=base,
                        changes=[TransmissionChange(0, text="a\x00b")], note="n", actor=EDITOR)
    with pytest.raises(BadInput, match="same indices"):
        edit_transcript(workspace, transcribed.item_id, base_version_id=base,
                        document={"schema": "audita.speech/1", "transmissions": []}, note="n", actor=EDITOR)


def test_whole_document_edit(workspace, transcribed):
    with workspace.reading() as connection:
        doc = current_transcript(connection, transcribed.item_id).output
    doc["transmissions"][1]["text"] = "Пленных не брать, всех в расход."
    edit = edit_transcript(workspace, transcribed.item_id, base_version_id=transcribed.machine_id, document=doc,
                           note="whole", actor=EDITOR)
    assert edit.output["edit"]["changed"] == [1]


def test_speaker_merge_is_a_version_and_label_names_a_cluster(workspace, transcribed):
    merged = merge_speakers(workspace, transcribed.item_id, base_version_id=transcribed.machine_id,
                            labels=["S3"], into="S1", note="same voice", actor=EDITOR)
    assert merged.output["speakers"] == {"S1": [0, 2], "S2": [1]}
    assert merged.output["edit"]["merge"] == {"from": ["S3"], "into": "S1"}
    assert merged.output["edit"]["changed"] == [2]
    label = label_speaker(workspace, transcribed.item_id, label="S1", name="Sokol", actor=EDITOR)
    assert label.provenance.stage == "speaker.label" and label.provenance.parent_id == merged.id
    assert label.output == {"label": "S1", "name": "Sokol", "transmissions": [0, 2]}
    with workspace.reading() as connection:
        rows = history(connection, transcribed.item_id)
        logged = [e.action for e in entries(connection, item_id=transcribed.item_id)]
    assert rows[-1].labels[0].name == "Sokol"
    assert "speaker.labelled" in logged
    with pytest.raises(BadInput, match="no speaker S9"):
        merge_speakers(workspace, transcribed.item_id, base_version_id=merged.id, labels=["S9"], into="S1",
                       note="n", actor=EDITOR)
    with pytest.raises(BadInput, match="no speaker"):
        label_speaker(workspace, transcribed.item_id, label="S3", name="x", actor=EDITOR)
    with pytest.raises(StaleVersion):
        merge_speakers(workspace, transcribed.item_id, base_version_id=transcribed.machine_id, labels=["S2"],
                       into="S1", note="n", actor=EDITOR)
