"""Foundation: installation, cases, blobs, items, acquisitions, media facts, custody log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("stored_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("blob_sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("display_name", sa.String(500), nullable=False),
        sa.Column("parent_item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("case_id", "blob_sha256", name="uq_items_case_blob"),
    )
    op.create_index("ix_items_case", "items", ["case_id"])
    op.create_table(
        "acquisitions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("source_path", sa.Text, nullable=False),
        sa.Column("original_name", sa.String(500), nullable=False),
        sa.Column("archive_item_id", sa.String(32), sa.ForeignKey("items.id"), nullable=True),
        sa.Column("archive_member", sa.Text, nullable=True),
        sa.Column("metadata_json", sa.Text, nullable=False),
        sa.Column("metadata_sources_json", sa.Text, nullable=False),
        sa.Column("acquired_at", sa.String(32), nullable=False),
        sa.Column("acquired_by", sa.String(200), nullable=False),
        sa.Column("code_version", sa.String(80), nullable=False),
    )
    op.create_index("ix_acquisitions_item", "acquisitions", ["item_id"])
    op.create_table(
        "media_facts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("blob_sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False),
        sa.Column("facts_json", sa.Text, nullable=False),
        sa.Column("tool", sa.String(200), nullable=False),
        sa.Column("options_json", sa.Text, nullable=False),
        sa.Column("code_version", sa.String(80), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_media_facts_blob", "media_facts", ["blob_sha256"])
    op.create_table(
        "custody_entries",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=True),
        sa.Column("item_id", sa.String(32), nullable=True),
        sa.Column("entry_json", sa.Text, nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_custody_case", "custody_entries", ["case_id"])
    op.create_index("ix_custody_item", "custody_entries", ["item_id"])
    op.create_table(
        "tree_heads",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("frontier_json", sa.Text, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("evidence stores are never downgraded")
