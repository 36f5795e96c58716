"""PostgreSQL full-text search over lemmatised transcripts (``search_documents``).

One row per transmission of an item's current transcript: the text as transcribed, the lemmas
Audita computed for it (space-joined, already normalised, so the tsvector uses the ``simple``
configuration), and a stored generated tsvector with a GIN index. The table is a rebuildable index,
not evidence: ``audita.store.pg_search`` replaces an item's rows when its transcript changes.

On SQLite this revision does nothing (search there lives in its own FTS5 index file); it is not in
``audita.store.schema.metadata`` for that reason.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "search_documents",
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), primary_key=True),
        sa.Column("transmission", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("derivation_id", sa.String(32), sa.ForeignKey("derivations.id"), nullable=False),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("lemmas", sa.Text, nullable=False),
        sa.Column("indexed_at", sa.String(32), nullable=False),
        sa.Column("tsv", postgresql.TSVECTOR, sa.Computed("to_tsvector('simple'::regconfig, lemmas)", persisted=True),
                  nullable=False),
    )
    op.create_index("ix_search_documents_tsv", "search_documents", ["tsv"], postgresql_using="gin")
    op.create_index("ix_search_documents_case", "search_documents", ["case_id"])


def downgrade() -> None:
    raise NotImplementedError("evidence stores are never downgraded")
