"""Table definitions (SQLAlchemy Core). Migrations in store/migrations create them; this module
describes them for queries. Derived data is only ever inserted, never updated in place."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

installation = Table(
    "installation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", String(32), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("key_id", String(64), nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(200), nullable=False),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("stored_at", String(32), nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False),
    Column("blob_sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("display_name", String(500), nullable=False),
    Column("parent_item_id", String(32), ForeignKey("items.id"), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(200), nullable=False),
    UniqueConstraint("case_id", "blob_sha256", name="uq_items_case_blob"),
)

acquisitions = Table(
    "acquisitions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("source_path", Text, nullable=False),
    Column("original_name", String(500), nullable=False),
    Column("archive_item_id", String(32), ForeignKey("items.id"), nullable=True),
    Column("archive_member", Text, nullable=True),
    Column("metadata_json", Text, nullable=False),
    Column("metadata_sources_json", Text, nullable=False),
    Column("acquired_at", String(32), nullable=False),
    Column("acquired_by", String(200), nullable=False),
    Column("code_version", String(80), nullable=False),
)

media_facts = Table(
    "media_facts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("blob_sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("facts_json", Text, nullable=False),
    Column("tool", String(200), nullable=False),
    Column("options_json", Text, nullable=False),
    Column("code_version", String(80), nullable=False),
    Column("created_at", String(32), nullable=False),
)

custody_entries = Table(
    "custody_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("created_at", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(80), nullable=False),
    Column("case_id", String(32), nullable=True),
    Column("item_id", String(32), nullable=True),
    Column("entry_json", Text, nullable=False),
    Column("leaf_hash", String(64), nullable=False),
)

tree_heads = Table(
    "tree_heads",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("frontier_json", Text, nullable=False),
)

derivations = Table(
    "derivations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("item_id", String(32), ForeignKey("items.id"), nullable=False),
    Column("stage", String(40), nullable=False),
    Column("parent_id", String(32), ForeignKey("derivations.id"), nullable=True),
    Column("input_sha256", String(64), nullable=False),
    Column("engine", String(300), nullable=False),
    Column("model_name", String(200), nullable=True),
    Column("model_sha256", String(64), nullable=True),
    Column("options_json", Text, nullable=False),
    Column("options_sha256", String(64), nullable=False),
    Column("code_version", String(80), nullable=False),
    Column("output_json", Text, nullable=False),
    Column("output_sha256", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(200), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(20), nullable=False),  # admin | analyst | reviewer | viewer
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("disabled_at", String(32), nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_sha256", String(64), primary_key=True),  # the cookie value is never stored, only its hash
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Float, nullable=False),  # epoch seconds, for timeout arithmetic
    Column("last_seen_at", Float, nullable=False),
    Column("ended_at", Float, nullable=True),
)

case_members = Table(
    "case_members",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=False),
    Column("added_at", String(32), nullable=False),
    Column("added_by", String(200), nullable=False),
    Column("removed_at", String(32), nullable=True),
)

glossary_entries = Table(
    "glossary_entries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("case_id", String(32), ForeignKey("cases.id"), nullable=False),
    Column("term", String(200), nullable=False),
    Column("language", String(8), nullable=False),
    Column("gloss", Text, nullable=False),
    Column("category", String(60), nullable=False),
    Column("note", Text, nullable=False),
    Column("active", Boolean, nullable=False),  # False: this entry withdraws the term for the case
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(200), nullable=False),
)
