"""Small reads shared by the review functions: one derivation by id, an item's case, identities."""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from audita.derived import Derivation, Provenance
from audita.errors import NotFound
from audita.store.schema import derivations, items


def get_derivation(connection: Connection, derivation_id: str) -> Derivation:
    row = connection.execute(select(derivations).where(derivations.c.id == derivation_id)).first()
    if row is None:
        raise NotFound(f"no version {derivation_id!r}")
    provenance = Provenance(
        stage=row.stage, input_sha256=row.input_sha256, engine=row.engine, options=json.loads(row.options_json),
        model_name=row.model_name, model_sha256=row.model_sha256, parent_id=row.parent_id,
    )
    return Derivation(row.id, row.item_id, provenance, json.loads(row.output_json), row.output_sha256,
                      row.code_version, row.created_at, row.created_by)


def item_case_id(connection: Connection, item_id: str) -> str:
    case_id = connection.execute(select(items.c.case_id).where(items.c.id == item_id)).scalar()
    if case_id is None:
        raise NotFound(f"no item {item_id!r}")
    return str(case_id)


def identity(actor: str) -> str:
    """The person behind an actor string: ``analyst:o.petrenko`` and ``user:O.Petrenko`` are the
    same person, so the two-person rule cannot be sidestepped by acting through another channel."""
    return actor.rpartition(":")[2].strip().casefold()


def same_person(a: str, b: str) -> bool:
    return identity(a) == identity(b)
