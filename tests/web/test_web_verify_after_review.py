"""`audita verify` after review work: transcript corrections, speaker labels and sign-offs record
derivations under their own custody actions (transcript.edited, speaker.labelled,
review.signed_off); verify must find their entries (it once looked only at item.processed and
reported every one of them as an error)."""

from __future__ import annotations

import pytest

from audita.review.edits import TransmissionChange, edit_transcript, label_speaker
from audita.review.signoff import sign_off
from audita.verify import verify_store

pytestmark = pytest.mark.both_backends


def test_review_derivations_verify(workspace, seeded):  # type: ignore[no-untyped-def]
    edited = edit_transcript(workspace, seeded.item_id, base_version_id=seeded.edit_id, note="misheard",
                             actor="user:analyst-in", changes=[TransmissionChange(2, text="Петренко везёт их")])
    label_speaker(workspace, seeded.item_id, label="S1", name="Олена", actor="user:analyst-in")
    sign_off(workspace, edited.id, decision="approved", note="checked", actor="user:reviewer-in")
    report = verify_store(workspace)
    assert report.ok, report.problems
    assert report.entries_checked > 0
