"""Reading items, their acquisitions and media facts; viewing is itself a recorded action."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from audita.cases import get_case
from audita.errors import NotFound
from audita.store.schema import acquisitions, cases, items, media_facts
from audita.workspace import Workspace


@dataclass(frozen=True)
class ItemSummary:
    id: str
    kind: str
    display_name: str
    sha256: str
    duration: float | None
    format: str | None


def list_items(workspace: Workspace, case: str) -> list[ItemSummary]:
    with workspace.reading() as connection:
        case_row = get_case(connection, case)
        rows = connection.execute(
            select(items, media_facts.c.facts_json)
            .select_from(items.outerjoin(media_facts, media_facts.c.blob_sha256 == items.c.blob_sha256))
            .where(items.c.case_id == case_row.id)
            .order_by(items.c.created_at, media_facts.c.id)
        ).all()
    seen: dict[str, ItemSummary] = {}
    for row in rows:
        if row.id in seen:
            continue
        facts = json.loads(row.facts_json) if row.facts_json else {}
        seen[row.id] = ItemSummary(
            row.id, row.kind, row.display_name, row.blob_sha256, facts.get("decoded_duration"), facts.get("format")
        )
    return list(seen.values())


def resolve_item_id(connection: Connection, reference: str) -> str:
    """An item id from a full id or a unique prefix of at least 6 characters (as the CLI shows them)."""
    reference = reference.strip().rstrip("…").lower()
    if connection.execute(select(items.c.id).where(items.c.id == reference)).first() is not None:
        return reference
    if len(reference) < 6 or not all(c in "0123456789abcdef" for c in reference):
        raise NotFound(f"no item {reference!r}")
    found = connection.execute(select(items.c.id).where(items.c.id.startswith(reference)).limit(2)).scalars().all()
    if not found:
        raise NotFound(f"no item {reference!r}")
    if len(found) > 1:
        raise NotFound(f"item prefix {reference!r} is ambiguous; give more characters")
    return found[0]


def item_detail(workspace: Workspace, item_id: str) -> dict[str, Any]:
    with workspace.reading() as connection:
        row = connection.execute(
            select(items, cases.c.name.label("case_name")).select_from(items.join(cases, cases.c.id == items.c.case_id))
            .where(items.c.id == item_id)
        ).first()
        if row is None:
            raise NotFound(f"no item {item_id!r}")
        acquired = connection.execute(
            select(acquisitions).where(acquisitions.c.item_id == item_id).order_by(acquisitions.c.acquired_at)
        ).all()
        facts = connection.execute(
            select(media_facts).where(media_facts.c.blob_sha256 == row.blob_sha256).order_by(media_facts.c.id)
        ).all()
    return {
        "id": row.id,
        "case": row.case_name,
        "case_id": row.case_id,
        "kind": row.kind,
        "name": row.display_name,
        "sha256": row.blob_sha256,
        "parent_item_id": row.parent_item_id,
        "created_at": row.created_at,
        "created_by": row.created_by,
        "acquisitions": [
            {
                "id": a.id, "source_path": a.source_path, "original_name": a.original_name,
                "archive_member": a.archive_member, "acquired_at": a.acquired_at, "acquired_by": a.acquired_by,
                "metadata": json.loads(a.metadata_json), "metadata_sources": json.loads(a.metadata_sources_json),
                "code_version": a.code_version,
            }
            for a in acquired
        ],
        "media_facts": [
            {"facts": json.loads(f.facts_json), "tool": f.tool, "code_version": f.code_version, "created_at": f.created_at}
            for f in facts
        ],
    }


def view_item(workspace: Workspace, item_id: str, *, actor: str) -> dict[str, Any]:
    detail = item_detail(workspace, item_id)
    with workspace.action() as connection:
        workspace.record(connection, "item.viewed", actor, case_id=detail["case_id"], item_id=item_id,
                         details={"sha256": detail["sha256"], "view": "detail"})
    return detail
