"""Alembic environment: always run with a connection handed in by audita.store.db.migrate."""

from __future__ import annotations

from alembic import context

from audita.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("audita migrations run through audita.store.db.migrate(), which supplies a connection")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
