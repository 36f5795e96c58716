"""Users, argon2id password hashes and case membership (no web imports).

Users and memberships are bookkeeping rows: a user is disabled (``disabled_at``) and a
membership removed (``removed_at``), never deleted. Every change is in the custody log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, insert, select, update

from audita.errors import BadInput, NotFound
from audita.provenance import utc_now
from audita.store.schema import case_members, cases, users
from audita.workspace import Workspace, new_id

ROLES = ("admin", "analyst", "reviewer", "viewer")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024



def make_hasher() -> PasswordHasher:
    """argon2id with the library's RFC 9106 low-memory parameters (t=3, m=64 MiB, p=4)."""
    return PasswordHasher(type=Type.ID)


_hasher = make_hasher()
# Verified against when the user name is unknown, so that the answer takes as long either way.
_DUMMY_HASH = _hasher.hash("audita-no-such-user-placeholder")


@dataclass(frozen=True)
class User:
    id: str
    username: str
    role: str
    created_at: str
    created_by: str
    disabled_at: str | None

    @property
    def actor(self) -> str:
        """How this user appears in the custody log and in ``created_by`` of what they write."""
        return f"user:{self.username}"

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def _user(row: object) -> User:
    return User(row.id, row.username, row.role, row.created_at, row.created_by, row.disabled_at)  # type: ignore[attr-defined]


def normalise_username(name: str) -> str:
    cleaned = name.strip().lower()
    if not USERNAME.match(cleaned):
        raise BadInput("user names are 1-64 characters: letters a-z, digits, '.', '_' or '-', starting with a letter or digit")
    return cleaned


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"passwords have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise BadInput(f"passwords have at most {MAX_PASSWORD} characters")
    return _hasher.hash(password)


def create_user(workspace: Workspace, username: str, password: str, *, role: str, actor: str) -> User:
    username = normalise_username(username)
    if role not in ROLES:
        raise BadInput(f"role must be one of {', '.join(ROLES)}")
    password_hash = hash_password(password)
    with workspace.action() as connection:
        if connection.execute(select(users.c.id).where(users.c.username == username)).first() is not None:
            raise BadInput(f"a user named {username!r} already exists")
        user = User(new_id(), username, role, utc_now(), actor, None)
        connection.execute(insert(users).values(
            id=user.id, username=username, password_hash=password_hash, role=role, created_at=user.created_at,
            created_by=actor, disabled_at=None))
        workspace.record(connection, "user.created", actor, details={"user_id": user.id, "username": username,
                                                                      "role": role})
    return user


def get_user(connection: Connection, username_or_id: str) -> User:
    key = username_or_id.strip().lower()
    row = connection.execute(select(users).where((users.c.username == key) | (users.c.id == key))).first()
    if row is None:
        raise NotFound(f"no user {username_or_id!r}")
    return _user(row)


def user_by_id(connection: Connection, user_id: str) -> User | None:
    row = connection.execute(select(users).where(users.c.id == user_id)).first()
    return _user(row) if row is not None else None


def list_users(connection: Connection) -> list[User]:
    return [_user(r) for r in connection.execute(select(users).order_by(users.c.username)).all()]


def disable_user(workspace: Workspace, username: str, *, actor: str) -> User:
    with workspace.action() as connection:
        user = get_user(connection, username)
        if user.disabled_at is not None:
            return user
        stamp = utc_now()
        connection.execute(update(users).where(users.c.id == user.id).values(disabled_at=stamp))
        workspace.record(connection, "user.disabled", actor, details={"user_id": user.id, "username": user.username})
    return User(user.id, user.username, user.role, user.created_at, user.created_by, stamp)


def check_password(connection: Connection, username: str, password: str) -> User | None:
    """The active user with this name and password, else None (same work either way)."""
    try:
        key = normalise_username(username)
    except BadInput:
        key = ""
    row = connection.execute(select(users).where(users.c.username == key)).first() if key else None
    stored = row.password_hash if row is not None else _DUMMY_HASH
    too_long = len(password) > MAX_PASSWORD  # no stored password is longer: fail, after the same work
    try:
        _hasher.verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled_at is not None or too_long:
        return None
    return _user(row)


# --- case membership ---------------------------------------------------------------------------

def _case_id(connection: Connection, case: str) -> str:
    case_id = connection.execute(select(cases.c.id).where((cases.c.id == case) | (cases.c.name == case))).scalar()
    if case_id is None:
        raise NotFound(f"no case named {case!r}")
    return str(case_id)


def is_member(connection: Connection, case_id: str, user_id: str) -> bool:
    return connection.execute(select(case_members.c.id).where(
        case_members.c.case_id == case_id, case_members.c.user_id == user_id, case_members.c.removed_at.is_(None),
    ).limit(1)).first() is not None


def member_case_ids(connection: Connection, user_id: str) -> set[str]:
    return set(connection.execute(select(case_members.c.case_id).where(
        case_members.c.user_id == user_id, case_members.c.removed_at.is_(None))).scalars().all())


def case_member_users(connection: Connection, case_id: str) -> list[User]:
    rows = connection.execute(
        select(users).select_from(users.join(case_members, case_members.c.user_id == users.c.id))
        .where(case_members.c.case_id == case_id, case_members.c.removed_at.is_(None)).order_by(users.c.username)
    ).all()
    return [_user(r) for r in rows]


def add_member(workspace: Workspace, case: str, username: str, *, actor: str) -> bool:
    """Make a user a member of a case; False when they already were."""
    with workspace.action() as connection:
        case_id = _case_id(connection, case)
        user = get_user(connection, username)
        if is_member(connection, case_id, user.id):
            return False
        connection.execute(insert(case_members).values(id=new_id(), case_id=case_id, user_id=user.id,
                                                       added_at=utc_now(), added_by=actor, removed_at=None))
        workspace.record(connection, "case.member_added", actor, case_id=case_id,
                         details={"user_id": user.id, "username": user.username})
    return True


def remove_member(workspace: Workspace, case: str, username: str, *, actor: str) -> bool:
    """End a user's membership of a case; False when they were not a member."""
    with workspace.action() as connection:
        case_id = _case_id(connection, case)
        user = get_user(connection, username)
        result = connection.execute(update(case_members).where(
            case_members.c.case_id == case_id, case_members.c.user_id == user.id, case_members.c.removed_at.is_(None),
        ).values(removed_at=utc_now()))
        if not result.rowcount:
            return False
        workspace.record(connection, "case.member_removed", actor, case_id=case_id,
                         details={"user_id": user.id, "username": user.username})
    return True
