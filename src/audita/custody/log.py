"""Appending to and reading the custody log.

Every entry is canonical JSON naming the action, actor, UTC time, tool version, case and item,
the hashes involved and the previous entry's leaf hash. Entries are appended inside the same
database transaction as the action they record, and the transaction ends by signing a new tree
head (RFC 9162 style) over all entries so far.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, select

from audita.custody.keys import SigningKey
from audita.custody.merkle import Frontier, frontier_append, frontier_root, leaf_hash
from audita.faults import checkpoint
from audita.provenance import canonical_json, code_version, utc_now
from audita.store.schema import custody_entries, tree_heads

STH_CONTEXT = b"audita-signed-tree-head-v1\n"


@dataclass(frozen=True)
class Entry:
    seq: int
    created_at: str
    actor: str
    action: str
    case_id: str | None
    item_id: str | None
    details: dict[str, Any]
    leaf_hash: str


@dataclass(frozen=True)
class TreeHead:
    tree_size: int
    root_hash: str
    created_at: str
    key_id: str
    signature: str


def tree_head_message(tree_size: int, root_hash: str, created_at: str, key_id: str) -> bytes:
    """The exact bytes a tree head signature covers."""
    body = {"tree_size": tree_size, "root_hash": root_hash, "timestamp": created_at, "key_id": key_id}
    return STH_CONTEXT + canonical_json(body)


def _last_head(connection: Connection) -> tuple[int, Frontier]:
    row = connection.execute(
        select(tree_heads.c.tree_size, tree_heads.c.frontier_json).order_by(tree_heads.c.tree_size.desc()).limit(1)
    ).first()
    if row is None:
        return 0, []
    frontier = [(int(size), bytes.fromhex(h)) for size, h in json.loads(row.frontier_json)]
    return int(row.tree_size), frontier


def append(
    connection: Connection,
    *,
    action: str,
    actor: str,
    case_id: str | None = None,
    item_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> Entry:
    """Append one entry. The caller must be inside a write transaction and call `sign_head` before commit."""
    last = connection.execute(
        select(custody_entries.c.seq, custody_entries.c.leaf_hash).order_by(custody_entries.c.seq.desc()).limit(1)
    ).first()
    seq = 0 if last is None else int(last.seq) + 1
    previous = None if last is None else last.leaf_hash
    created_at = utc_now()
    body = {
        "seq": seq,
        "time": created_at,
        "actor": actor,
        "action": action,
        "case_id": case_id,
        "item_id": item_id,
        "tool": f"audita {code_version()}",
        "details": details or {},
        "prev": previous,
    }
    entry_bytes = canonical_json(body)
    leaf = leaf_hash(entry_bytes).hex()
    connection.execute(
        insert(custody_entries).values(
            seq=seq,
            created_at=created_at,
            actor=actor,
            action=action,
            case_id=case_id,
            item_id=item_id,
            entry_json=entry_bytes.decode("utf-8"),
            leaf_hash=leaf,
        )
    )
    checkpoint("custody.appended")
    return Entry(seq, created_at, actor, action, case_id, item_id, body["details"], leaf)


def sign_head(connection: Connection, key: SigningKey) -> TreeHead | None:
    """Sign a tree head covering every entry appended so far (no-op if nothing is new)."""
    size, frontier = _last_head(connection)
    new_rows = connection.execute(
        select(custody_entries.c.seq, custody_entries.c.leaf_hash)
        .where(custody_entries.c.seq >= size)
        .order_by(custody_entries.c.seq)
    ).all()
    if not new_rows:
        return None
    for row in new_rows:
        if int(row.seq) != size:
            raise RuntimeError(f"custody log has a gap at entry {size}")
        frontier = frontier_append(frontier, bytes.fromhex(row.leaf_hash))
        size += 1
    root = frontier_root(frontier).hex()
    created_at = utc_now()
    signature = key.sign(tree_head_message(size, root, created_at, key.key_id))
    connection.execute(
        insert(tree_heads).values(
            tree_size=size,
            root_hash=root,
            created_at=created_at,
            key_id=key.key_id,
            signature=signature,
            frontier_json=json.dumps([[s, h.hex()] for s, h in frontier]),
        )
    )
    checkpoint("custody.head_signed")
    return TreeHead(size, root, created_at, key.key_id, signature)


def entries(
    connection: Connection, *, case_id: str | None = None, item_id: str | None = None, limit: int | None = None
) -> list[Entry]:
    query = select(custody_entries).order_by(custody_entries.c.seq)
    if case_id is not None:
        query = query.where(custody_entries.c.case_id == case_id)
    if item_id is not None:
        query = query.where(custody_entries.c.item_id == item_id)
    if limit is not None:
        query = query.order_by(None).order_by(custody_entries.c.seq.desc()).limit(limit)
    rows = connection.execute(query).all()
    result = [
        Entry(
            int(r.seq), r.created_at, r.actor, r.action, r.case_id, r.item_id,
            json.loads(r.entry_json).get("details", {}), r.leaf_hash,
        )
        for r in rows
    ]
    return sorted(result, key=lambda e: e.seq)


def latest_head(connection: Connection) -> TreeHead | None:
    row = connection.execute(select(tree_heads).order_by(tree_heads.c.tree_size.desc()).limit(1)).first()
    if row is None:
        return None
    return TreeHead(int(row.tree_size), row.root_hash, row.created_at, row.key_id, row.signature)


def entry_count(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(custody_entries)).scalar_one())
