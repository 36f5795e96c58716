"""Analyst decisions on indicator flags: each is a ``flag.review`` derivation (who, when, note),
child of the row that raised the flag (an ``analysis`` of a recording's transcript or the
``document.extract`` of a document); the newest decision on a flag stands, older ones remain as
history."""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from audita.derived import Derivation, Provenance, history, record
from audita.errors import AuditaError
from audita.store.schema import derivations, items
from audita.workspace import Workspace

STAGE = "flag.review"
DECISIONS = ("confirmed", "rejected")
FLAGGING_STAGES = ("analysis", "document.extract")  # the derivations whose output holds ``flags``
MAX_NOTE = 10_000


class FlagReviewError(AuditaError):
    """A flag decision cannot be recorded (unknown analysis or flag, bad decision)."""


def resolve_analysis_id(connection: Connection, reference: str) -> str:
    """A full analysis (or document extraction) id, or a unique prefix of at least 6 characters."""
    reference = reference.strip().lower()
    rows = connection.execute(select(derivations.c.id).where(derivations.c.stage.in_(FLAGGING_STAGES),
                                                             derivations.c.id.startswith(reference)).limit(2)).all()
    exact = [r.id for r in rows if r.id == reference]
    if exact:
        return exact[0]
    if len(reference) < 6 or not rows:
        raise FlagReviewError(f"no analysis {reference!r}")
    if len(rows) > 1:
        raise FlagReviewError(f"analysis prefix {reference!r} is ambiguous; give more characters")
    return str(rows[0].id)


def decide_flag(workspace: Workspace, *, analysis_id: str, flag_id: str, decision: str, note: str,
                actor: str) -> Derivation:
    """Record that ``actor`` confirmed or rejected flag ``flag_id`` of analysis ``analysis_id``."""
    if decision not in DECISIONS:
        raise FlagReviewError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise FlagReviewError(f"note longer than {MAX_NOTE} characters")
    with workspace.action() as connection:
        full_id = resolve_analysis_id(connection, analysis_id)
        row = connection.execute(select(derivations).where(derivations.c.id == full_id)).first()
        if row is None or row.stage not in FLAGGING_STAGES:
            raise FlagReviewError(f"no analysis {analysis_id!r}")
        output = json.loads(row.output_json)
        flag_ids = [str(f.get("id")) for f in (output.get("flags") or []) if isinstance(f, dict)]
        chosen = flag_id if flag_id in flag_ids else None
        if chosen is None:
            matches = [f for f in flag_ids if len(flag_id) >= 6 and f.startswith(flag_id)]
            if len(matches) != 1:
                raise FlagReviewError(f"analysis {full_id} has no flag {flag_id!r}")
            chosen = matches[0]
        case_id = connection.execute(select(items.c.case_id).where(items.c.id == row.item_id)).scalar_one()
        provenance = Provenance(stage=STAGE, input_sha256=row.output_sha256, engine="analyst",
                                options={"flag_id": chosen}, parent_id=full_id)
        return record(workspace, connection, item_id=row.item_id, case_id=case_id, provenance=provenance,
                      output={"flag_id": chosen, "decision": decision, "note": note}, actor=actor,
                      action="flag.reviewed")


def decision_history(connection: Connection, analysis_id: str) -> list[Derivation]:
    """Every decision on the analysis's flags, oldest first."""
    item_id = connection.execute(select(derivations.c.item_id).where(derivations.c.id == analysis_id)).scalar()
    if item_id is None:
        return []
    return [r for r in history(connection, item_id, STAGE) if r.provenance.parent_id == analysis_id]


def flag_decisions(connection: Connection, analysis_id: str) -> dict[str, Derivation]:
    """flag id -> the newest decision on it."""
    out: dict[str, Derivation] = {}
    for row in decision_history(connection, analysis_id):
        if isinstance(row.output, dict) and row.output.get("flag_id"):
            out[str(row.output["flag_id"])] = row
    return out
