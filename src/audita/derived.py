"""Derived data: every stage output is a new immutable row with its provenance.

A derivation records what it was computed from (input hash, parent derivation), how (engine,
model name and model-file hash, effective options), by which code, when and for whom, and the
output itself as canonical JSON with its hash. Nothing is overwritten: a re-run with other options
adds a row; a re-run with identical inputs, model and options reuses the existing row (which is
what lets a killed run resume without redoing finished stages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from audita.provenance import canonical_json, code_version, sha256_hex, utc_now
from audita.store.schema import derivations
from audita.workspace import Workspace, new_id


@dataclass(frozen=True)
class Provenance:
    """How a stage output was produced (everything except the output)."""

    stage: str
    input_sha256: str
    engine: str
    options: dict[str, Any]
    model_name: str | None = None
    model_sha256: str | None = None
    parent_id: str | None = None

    @property
    def options_sha256(self) -> str:
        return sha256_hex(canonical_json(self.options))


@dataclass(frozen=True)
class Derivation:
    id: str
    item_id: str
    provenance: Provenance
    output: Any
    output_sha256: str
    code_version: str
    created_at: str
    created_by: str


def _from_row(row: Any) -> Derivation:
    provenance = Provenance(
        stage=row.stage, input_sha256=row.input_sha256, engine=row.engine, options=json.loads(row.options_json),
        model_name=row.model_name, model_sha256=row.model_sha256, parent_id=row.parent_id,
    )
    return Derivation(row.id, row.item_id, provenance, json.loads(row.output_json), row.output_sha256,
                      row.code_version, row.created_at, row.created_by)


def find_reusable(connection: Connection, item_id: str, provenance: Provenance) -> Derivation | None:
    """An earlier output of the same stage from the same input, model and options, if any."""
    query = select(derivations).where(
        derivations.c.item_id == item_id,
        derivations.c.stage == provenance.stage,
        derivations.c.input_sha256 == provenance.input_sha256,
        derivations.c.options_sha256 == provenance.options_sha256,
    )
    query = query.where(
        derivations.c.model_sha256.is_(None) if provenance.model_sha256 is None
        else derivations.c.model_sha256 == provenance.model_sha256
    )
    row = connection.execute(query.order_by(derivations.c.created_at).limit(1)).first()
    return _from_row(row) if row is not None else None


def record(
    workspace: Workspace, connection: Connection, *, item_id: str, case_id: str, provenance: Provenance,
    output: Any, actor: str, action: str = "item.processed",
) -> Derivation:
    """Insert a derivation and its custody entry inside the caller's write transaction."""
    output_bytes = canonical_json(output)
    derivation = Derivation(
        id=new_id(), item_id=item_id, provenance=provenance, output=json.loads(output_bytes),
        output_sha256=sha256_hex(output_bytes), code_version=code_version(), created_at=utc_now(), created_by=actor,
    )
    connection.execute(insert(derivations).values(
        id=derivation.id, item_id=item_id, stage=provenance.stage, parent_id=provenance.parent_id,
        input_sha256=provenance.input_sha256, engine=provenance.engine, model_name=provenance.model_name,
        model_sha256=provenance.model_sha256, options_json=canonical_json(provenance.options).decode("utf-8"),
        options_sha256=provenance.options_sha256, code_version=derivation.code_version,
        output_json=output_bytes.decode("utf-8"), output_sha256=derivation.output_sha256,
        created_at=derivation.created_at, created_by=actor,
    ))
    workspace.record(connection, action, actor, case_id=case_id, item_id=item_id, details={
        "stage": provenance.stage, "derivation_id": derivation.id, "parent_id": provenance.parent_id,
        "input_sha256": provenance.input_sha256, "engine": provenance.engine, "model": provenance.model_name,
        "model_sha256": provenance.model_sha256, "options_sha256": provenance.options_sha256,
        "output_sha256": derivation.output_sha256,
    })
    return derivation


def history(connection: Connection, item_id: str, stage: str | None = None) -> list[Derivation]:
    query = select(derivations).where(derivations.c.item_id == item_id)
    if stage is not None:
        query = query.where(derivations.c.stage == stage)
    return [_from_row(r) for r in connection.execute(query.order_by(derivations.c.created_at, derivations.c.id)).all()]


def latest(connection: Connection, item_id: str, stage: str) -> Derivation | None:
    rows = history(connection, item_id, stage)
    return rows[-1] if rows else None
