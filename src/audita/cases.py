"""Cases: the unit of access and of export. A case holds items (recordings, later documents)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select

from audita.errors import BadInput, NotFound
from audita.provenance import utc_now
from audita.store.schema import cases, items
from audita.workspace import Workspace, new_id

MAX_NAME = 200


@dataclass(frozen=True)
class Case:
    id: str
    name: str
    description: str
    created_at: str
    created_by: str
    item_count: int = 0


def validate_case_name(name: str) -> str:
    cleaned = unicodedata.normalize("NFC", name.strip())
    if not cleaned:
        raise BadInput("case name is empty")
    if len(cleaned) > MAX_NAME:
        raise BadInput(f"case name longer than {MAX_NAME} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise BadInput("case name contains control characters")
    return cleaned


def create_case(workspace: Workspace, name: str, *, actor: str, description: str = "") -> Case:
    name = validate_case_name(name)
    with workspace.action() as connection:
        if connection.execute(select(cases.c.id).where(cases.c.name == name)).first() is not None:
            raise BadInput(f"a case named {name!r} already exists")
        case_id = new_id()
        created_at = utc_now()
        connection.execute(
            insert(cases).values(
                id=case_id, name=name, description=description, created_at=created_at, created_by=actor
            )
        )
        workspace.record(
            connection, "case.created", actor, case_id=case_id, details={"name": name, "description": description}
        )
    return Case(case_id, name, description, created_at, actor)


def get_case(connection: Connection, name_or_id: str) -> Case:
    row = connection.execute(
        select(cases).where((cases.c.name == name_or_id) | (cases.c.id == name_or_id))
    ).first()
    if row is None:
        raise NotFound(f"no case named {name_or_id!r}")
    return Case(row.id, row.name, row.description, row.created_at, row.created_by)


def list_cases(workspace: Workspace) -> list[Case]:
    counts = (
        select(items.c.case_id, func.count().label("n")).group_by(items.c.case_id).subquery()
    )
    query = (
        select(cases, func.coalesce(counts.c.n, 0).label("n"))
        .select_from(cases.outerjoin(counts, counts.c.case_id == cases.c.id))
        .order_by(cases.c.created_at)
    )
    with workspace.reading() as connection:
        return [
            Case(r.id, r.name, r.description, r.created_at, r.created_by, int(r.n))
            for r in connection.execute(query).all()
        ]
