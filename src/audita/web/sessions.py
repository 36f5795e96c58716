"""Login sessions: random tokens of 256 bits whose SHA-256 alone is stored, a CSRF token per
session, inactivity and absolute timeouts. No web imports."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from audita.store.db import write_transaction
from audita.store.schema import sessions
from audita.web.accounts import User, user_by_id
from audita.web.options import WebOptions
from audita.workspace import Workspace


@dataclass(frozen=True)
class Session:
    id_sha256: str
    user: User
    csrf_token: str
    created_at: float
    last_seen_at: float

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def actor(self) -> str:
        return self.user.actor


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def start_session(connection: Connection, user: User, now: float) -> tuple[str, str]:
    """Create a session inside the caller's write transaction; returns (cookie token, csrf token)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    connection.execute(insert(sessions).values(id_sha256=token_hash(token), user_id=user.id, csrf_token=csrf,
                                               created_at=now, last_seen_at=now, ended_at=None))
    return token, csrf


def end_session(connection: Connection, id_sha256: str, now: float) -> bool:
    result = connection.execute(update(sessions).where(sessions.c.id_sha256 == id_sha256,
                                                       sessions.c.ended_at.is_(None)).values(ended_at=now))
    return bool(result.rowcount)


def _expired(row: object, options: WebOptions, now: float) -> bool:
    return (now - row.created_at > options.absolute_timeout_s  # type: ignore[attr-defined]
            or now - row.last_seen_at > options.inactivity_timeout_s)  # type: ignore[attr-defined]


def resume_session(workspace: Workspace, token: str | None, options: WebOptions) -> Session | None:
    """The live session a cookie token names, touched; None (and the session ended when it
    timed out or its user was disabled) otherwise. A token never issued is simply unknown."""
    if not token or len(token) > 200:
        return None
    digest = token_hash(token)
    with workspace.reading() as connection:
        row = connection.execute(select(sessions).where(sessions.c.id_sha256 == digest,
                                                        sessions.c.ended_at.is_(None))).first()
        user = user_by_id(connection, row.user_id) if row is not None else None
    if row is None or user is None:
        return None
    now = options.clock()
    with write_transaction(workspace.engine) as connection:
        if _expired(row, options, now) or not user.active:
            end_session(connection, digest, now)
            return None
        touched = connection.execute(update(sessions).where(sessions.c.id_sha256 == digest,
                                                            sessions.c.ended_at.is_(None))
                                     .values(last_seen_at=now))
        if not touched.rowcount:  # ended meanwhile (logout in another tab)
            return None
    return Session(digest, user, row.csrf_token, row.created_at, now)


def csrf_matches(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf_token.encode(), str(presented).encode())
