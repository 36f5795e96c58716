"""An open installation: database engine, blob store and signing key, with the one way to
perform a recorded action (a write transaction that appends custody entries and signs a head)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from audita.config import Settings
from audita.custody import log as custody
from audita.custody.keys import SigningKey, load_or_create
from audita.faults import checkpoint
from audita.provenance import utc_now
from audita.store.blobs import BlobStore
from audita.store.db import make_engine, migrate, read_connection, write_transaction
from audita.store.schema import installation


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Workspace:
    settings: Settings
    engine: Engine
    blobs: BlobStore
    key: SigningKey

    @classmethod
    def open(cls, settings: Settings) -> "Workspace":
        settings.home.mkdir(parents=True, exist_ok=True)
        blobs = BlobStore(settings.blob_dir, settings.tmp_dir)
        blobs.ensure()
        blobs.remove_abandoned_temp()
        key = load_or_create(settings.key_dir)
        engine = make_engine(settings.db_url)
        migrate(engine)
        workspace = cls(settings=settings, engine=engine, blobs=blobs, key=key)
        workspace._ensure_installation()
        return workspace

    def close(self) -> None:
        self.engine.dispose()

    def _ensure_installation(self) -> None:
        with read_connection(self.engine) as connection:
            if connection.execute(select(installation.c.id)).first() is not None:
                return
        with self.action() as connection:
            if connection.execute(select(installation.c.id)).first() is not None:
                return
            connection.execute(
                insert(installation).values(
                    id=1, created_at=utc_now(), public_key=self.key.public_hex, key_id=self.key.key_id
                )
            )
            custody.append(
                connection,
                action="installation.created",
                actor="system",
                details={"public_key": self.key.public_hex, "key_id": self.key.key_id},
            )

    @contextmanager
    def action(self) -> Iterator[Connection]:
        """A write transaction; whatever custody entries it appended are covered by a signed
        tree head before it commits, and vanish with it if it rolls back."""
        with write_transaction(self.engine) as connection:
            yield connection
            custody.sign_head(connection, self.key)
        checkpoint("action.committed")

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with read_connection(self.engine) as connection:
            yield connection

    def record(self, connection: Connection, action: str, actor: str, **fields: Any) -> custody.Entry:
        return custody.append(connection, action=action, actor=actor, **fields)
