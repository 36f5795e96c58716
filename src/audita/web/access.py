"""Who may do what, and which cases someone can see (no web imports).

Order of checks for a request on an object: the object must exist and lie in a case the user can
see, else it is *hidden* (the web answers 404, exactly as for an id that never existed); only then
is the role checked (403). Admins see every case; everyone else sees the cases they are members of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from audita.errors import AuditaError
from audita.store.schema import cases, derivations, items
from audita.web.accounts import is_member, member_case_ids
from audita.web.sessions import Session

PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset({"admin", "analyst", "reviewer", "viewer"}),
    "edit": frozenset({"admin", "analyst"}),  # transcript, translation, speakers, flags
    "upload": frozenset({"admin", "analyst"}),
    "process": frozenset({"admin", "analyst"}),
    "signoff": frozenset({"admin", "reviewer"}),
    "export": frozenset({"admin", "analyst", "reviewer"}),
    "manage": frozenset({"admin"}),  # users, memberships, cases
}
ID = re.compile(r"^[0-9a-f]{32}$")


class Hidden(AuditaError):
    """Does not exist, or is in a case this user cannot see: both are answered 404."""


class Forbidden(AuditaError):
    """Visible, but this user's role may not do this: answered 403."""


def allowed(session: Session, permission: str) -> bool:
    return session.role in PERMISSIONS[permission]


def require(session: Session, permission: str) -> None:
    if not allowed(session, permission):
        raise Forbidden(f"role {session.role} may not {permission}")


def visible_case_ids(connection: Connection, session: Session) -> set[str] | None:
    """None means every case (admins)."""
    if session.role == "admin":
        return None
    return member_case_ids(connection, session.user.id)


def can_see_case(connection: Connection, session: Session, case_id: str) -> bool:
    return session.role == "admin" or is_member(connection, case_id, session.user.id)


@dataclass(frozen=True)
class CaseRef:
    id: str
    name: str
    description: str
    created_at: str
    created_by: str


@dataclass(frozen=True)
class ItemRef:
    id: str
    case_id: str
    case_name: str
    kind: str
    display_name: str
    blob_sha256: str
    created_at: str
    created_by: str


def case_for(connection: Connection, session: Session, case_id: str) -> CaseRef:
    if not ID.match(case_id):
        raise Hidden("not found")
    row = connection.execute(select(cases).where(cases.c.id == case_id)).first()
    if row is None or not can_see_case(connection, session, row.id):
        raise Hidden("not found")
    return CaseRef(row.id, row.name, row.description, row.created_at, row.created_by)


def item_for(connection: Connection, session: Session, item_id: str) -> ItemRef:
    if not ID.match(item_id):
        raise Hidden("not found")
    row = connection.execute(
        select(items, cases.c.name.label("case_name")).select_from(items.join(cases, cases.c.id == items.c.case_id))
        .where(items.c.id == item_id)
    ).first()
    if row is None or not can_see_case(connection, session, row.case_id):
        raise Hidden("not found")
    return ItemRef(row.id, row.case_id, row.case_name, row.kind, row.display_name, row.blob_sha256, row.created_at,
                   row.created_by)


def derivation_for(connection: Connection, session: Session, derivation_id: str) -> tuple[Any, ItemRef]:
    """A derivation row and its item, when the item's case is visible."""
    if not ID.match(derivation_id):
        raise Hidden("not found")
    row = connection.execute(select(derivations.c.id, derivations.c.item_id, derivations.c.stage)
                             .where(derivations.c.id == derivation_id)).first()
    if row is None:
        raise Hidden("not found")
    return row, item_for(connection, session, row.item_id)
