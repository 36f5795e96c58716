"""Which transcript version of an item is current (docs/derivations.md).

The machine ``transcript`` row is never replaced; analyst corrections are ``transcript.edit`` rows
chained to the version they edit. The current version is the newest edit descending from the
newest machine transcript, else that machine transcript.
"""

from __future__ import annotations

from sqlalchemy import Connection

from audita.derived import Derivation, history

MACHINE_STAGE = "transcript"
EDIT_STAGE = "transcript.edit"


def machine_transcript(connection: Connection, item_id: str) -> Derivation | None:
    rows = history(connection, item_id, MACHINE_STAGE)
    return rows[-1] if rows else None


def versions(connection: Connection, item_id: str) -> list[Derivation]:
    """The newest machine transcript and every edit descending from it, oldest first."""
    machine = machine_transcript(connection, item_id)
    if machine is None:
        return []
    chain = [machine]
    known = {machine.id}
    for edit in history(connection, item_id, EDIT_STAGE):  # ordered by creation time
        if edit.provenance.parent_id in known:
            chain.append(edit)
            known.add(edit.id)
    return chain


def current_transcript(connection: Connection, item_id: str) -> Derivation | None:
    chain = versions(connection, item_id)
    return chain[-1] if chain else None
