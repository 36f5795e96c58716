"""Derivations: immutable stage outputs (transcripts, translations, speakers, flags, edits) with provenance.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derivations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("parent_id", sa.String(32), sa.ForeignKey("derivations.id"), nullable=True),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("engine", sa.String(300), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=True),
        sa.Column("model_sha256", sa.String(64), nullable=True),
        sa.Column("options_json", sa.Text, nullable=False),
        sa.Column("options_sha256", sa.String(64), nullable=False),
        sa.Column("code_version", sa.String(80), nullable=False),
        sa.Column("output_json", sa.Text, nullable=False),
        sa.Column("output_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_derivations_item_stage", "derivations", ["item_id", "stage"])
    op.create_index(
        "ix_derivations_reuse", "derivations", ["stage", "input_sha256", "model_sha256", "options_sha256"]
    )


def downgrade() -> None:
    raise NotImplementedError("evidence stores are never downgraded")
