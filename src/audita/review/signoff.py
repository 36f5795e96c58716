"""Two-person review: a second person signs off a version someone else wrote."""

from __future__ import annotations

from audita import derived
from audita.derived import Derivation, Provenance
from audita.errors import BadInput
from audita.review.errors import SignOffRefused
from audita.review.store import get_derivation, item_case_id, same_person
from audita.workspace import Workspace

SIGNOFF_STAGE = "review.signoff"
DECISIONS = ("approved", "changes_requested")
MAX_NOTE = 4000


def sign_off(workspace: Workspace, version_id: str, *, decision: str, note: str, actor: str) -> Derivation:
    """Record ``decision`` on a version (any stage but a sign-off itself).

    Refused when ``actor`` is the person who wrote the version (the two-person rule); a request
    for changes must say what should change. Role checks (who may review at all) are the
    caller's: the web layer admits reviewers and admins, the CLI acts for its local actor."""
    if decision not in DECISIONS:
        raise BadInput(f"decision must be one of {', '.join(DECISIONS)}")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise BadInput(f"note longer than {MAX_NOTE} characters")
    if decision == "changes_requested" and not note:
        raise BadInput("say which changes are requested")
    with workspace.action() as connection:
        version = get_derivation(connection, version_id)
        if version.provenance.stage == SIGNOFF_STAGE:
            raise SignOffRefused("a sign-off is not itself signed off; sign off the version it names")
        if same_person(actor, version.created_by):
            raise SignOffRefused(
                f"two-person review: {version.created_by} wrote version {version.id[:12]} and cannot sign it off; "
                "another reviewer must"
            )
        provenance = Provenance(stage=SIGNOFF_STAGE, input_sha256=version.output_sha256, engine="reviewer",
                                options={}, parent_id=version.id)
        return derived.record(
            workspace, connection, item_id=version.item_id, case_id=item_case_id(connection, version.item_id),
            provenance=provenance, output={"decision": decision, "note": note}, actor=actor,
            action="review.signed_off",
        )
