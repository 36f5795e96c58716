"""Two-person review: the author of a version cannot sign it off; sign-offs are recorded."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from audita.cli import cli
from audita.custody.log import entries
from audita.errors import BadInput, NotFound
from audita.review import (
    SignOffRefused,
    TransmissionChange,
    edit_transcript,
    history,
    sign_off,
)

pytestmark = pytest.mark.both_backends  # the store-facing paths run on SQLite and PostgreSQL

EDITOR = "analyst:m.koval"
REVIEWER = "reviewer:i.bondar"


def _edit(workspace, transcribed):
    return edit_transcript(workspace, transcribed.item_id, base_version_id=transcribed.machine_id,
                           changes=[TransmissionChange(0, text="Гранит, я Сокол, приём.")], note="call sign",
                           actor=EDITOR)


def test_author_cannot_sign_off_own_version_under_any_actor_prefix(workspace, transcribed):
    edit = _edit(workspace, transcribed)
    for actor in (EDITOR, "user:m.koval", "reviewer:M.Koval"):
        with pytest.raises(SignOffRefused, match="two-person review"):
            sign_off(workspace, edit.id, decision="approved", note="", actor=actor)
    with workspace.reading() as connection:
        assert history(connection, transcribed.item_id)[-1].signoffs == ()


def test_second_person_signs_off_and_history_shows_it(workspace, transcribed):
    edit = _edit(workspace, transcribed)
    row = sign_off(workspace, edit.id, decision="approved", note="checked against audio", actor=REVIEWER)
    assert row.provenance.stage == "review.signoff" and row.provenance.parent_id == edit.id
    assert row.provenance.input_sha256 == edit.output_sha256
    assert row.output == {"decision": "approved", "note": "checked against audio"}
    with pytest.raises(SignOffRefused, match="not itself signed off"):
        sign_off(workspace, row.id, decision="approved", note="", actor="reviewer:third")
    with workspace.reading() as connection:
        version = history(connection, transcribed.item_id)[-1]
        last = entries(connection, item_id=transcribed.item_id)[-1]
    assert version.review_status == "approved"
    assert version.signoffs[0].by == REVIEWER
    assert last.action == "review.signed_off" and last.actor == REVIEWER


def test_machine_version_can_be_signed_off_by_someone_else(workspace, transcribed):
    sign_off(workspace, transcribed.machine_id, decision="changes_requested", note="line 2 wrong", actor=REVIEWER)
    with workspace.reading() as connection:
        assert history(connection, transcribed.item_id)[0].review_status == "changes_requested"


def test_signoff_input_is_checked(workspace, transcribed):
    with pytest.raises(BadInput, match="decision"):
        sign_off(workspace, transcribed.machine_id, decision="ok", note="", actor=REVIEWER)
    with pytest.raises(BadInput, match="which changes"):
        sign_off(workspace, transcribed.machine_id, decision="changes_requested", note="", actor=REVIEWER)
    with pytest.raises(NotFound):
        sign_off(workspace, "0" * 32, decision="approved", note="", actor=REVIEWER)


def test_review_cli_history_and_signoff(workspace, transcribed, settings):
    edit = _edit(workspace, transcribed)
    runner = CliRunner()
    home = ["--home", str(settings.home)]
    refused = runner.invoke(cli, [*home, "--actor", EDITOR, "review", "signoff", edit.id, "--decision", "approved"])
    assert refused.exit_code != 0 and isinstance(refused.exception, SignOffRefused)
    ok = runner.invoke(cli, [*home, "--actor", REVIEWER, "review", "signoff", edit.id, "--decision", "approved",
                             "--note", "fine"])
    assert ok.exit_code == 0, ok.output
    shown = runner.invoke(cli, [*home, "--actor", REVIEWER, "review", "history", transcribed.item_id[:8]],
                          env={"COLUMNS": "300"})
    assert shown.exit_code == 0, shown.output
    assert "approved by reviewer:i.bondar" in shown.output and "call sign" in shown.output
    with workspace.reading() as connection:
        assert entries(connection, item_id=transcribed.item_id)[-1].action == "item.viewed"
