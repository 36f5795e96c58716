"""Check stored evidence and the custody log against what was recorded.

Re-hashes every blob, recomputes every log entry's leaf hash and the chain of previous-entry
hashes, recomputes the Merkle root at every signed tree head and checks its Ed25519 signature,
and checks that each item's content hash is the one its ingest entry recorded. Verification never
writes: signing a new head over a tampered log would launder it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, select

from audita.cases import get_case
from audita.custody.keys import PUBLIC_NAME, verify_signature
from audita.custody.log import tree_head_message
from audita.custody.merkle import frontier_append, frontier_root, leaf_hash
from audita.provenance import sha256_hex
from audita.store.schema import acquisitions, blobs, cases, custody_entries, derivations, installation, items, tree_heads
from audita.workspace import Workspace

Severity = Literal["error", "warning"]
@dataclass(frozen=True)
class Problem:
    severity: Severity
    subject: str
    message: str


@dataclass(frozen=True)
class VerifyReport:
    problems: tuple[Problem, ...]
    blobs_checked: int
    entries_checked: int
    heads_checked: int

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def _item_label(row: object) -> str:
    return f"item {row.id} ({row.display_name!r}, case {row.case_name!r})"  # type: ignore[attr-defined]


def _check_key(workspace: Workspace, connection: Connection, problems: list[Problem]) -> str | None:
    row = connection.execute(select(installation)).first()
    if row is None:
        problems.append(Problem("error", "installation", "no installation record (public key) in the store"))
        return None
    key_file = workspace.settings.key_dir / PUBLIC_NAME
    if key_file.exists() and key_file.read_text().strip() != row.public_key:
        problems.append(Problem("error", "installation", f"public key in the store differs from {key_file}"))
    return str(row.public_key)


def _check_blobs(
    workspace: Workspace, connection: Connection, case_id: str | None, problems: list[Problem],
    progress: Callable[[int, int, str], None] | None,
) -> int:
    item_query = select(items.c.id, items.c.display_name, items.c.blob_sha256, cases.c.name.label("case_name")).select_from(
        items.join(cases, cases.c.id == items.c.case_id)
    )
    if case_id is not None:
        item_query = item_query.where(items.c.case_id == case_id)
    item_rows = connection.execute(item_query).all()
    owners: dict[str, list[str]] = {}
    for row in item_rows:
        owners.setdefault(row.blob_sha256, []).append(_item_label(row))
    acquisition_query = select(acquisitions.c.metadata_sources_json, acquisitions.c.item_id)
    wanted_items = {row.id for row in item_rows}
    for row in connection.execute(acquisition_query).all():
        if case_id is not None and row.item_id not in wanted_items:
            continue
        for source in json.loads(row.metadata_sources_json):
            owners.setdefault(source["sha256"], []).append(f"{source['kind']} {source['name']!r} of item {row.item_id}")
    if case_id is None:
        for row in connection.execute(select(blobs.c.sha256)).all():
            owners.setdefault(row.sha256, [])
    sizes = {r.sha256: int(r.size) for r in connection.execute(select(blobs.c.sha256, blobs.c.size)).all()}
    ordered = sorted(owners)
    for index, sha in enumerate(ordered):
        if progress is not None:
            progress(index, len(ordered), sha[:12])
        who = "; ".join(owners[sha]) or f"blob {sha}"
        path = workspace.blobs.path_for(sha)
        if sha not in sizes:
            problems.append(Problem("error", who, f"blob {sha} has no record in the blob table"))
        if not path.exists():
            problems.append(Problem("error", who, f"stored file for {sha} is missing"))
            continue
        actual = workspace.blobs.hash_file(path)
        if actual != sha:
            problems.append(Problem("error", who, f"stored file was altered: it hashes to {actual}, not {sha}"))
        elif sha in sizes and path.stat().st_size != sizes[sha]:
            problems.append(Problem("error", who, f"stored file size {path.stat().st_size} differs from recorded {sizes[sha]}"))
    if case_id is None:
        for sha in workspace.blobs.iter_stored():
            if sha not in sizes:
                problems.append(Problem(
                    "warning", f"blob {sha}", "stored file has no record (left by an interrupted ingest; re-run it)"
                ))
    return len(ordered)


def _check_log(connection: Connection, public_key: str | None, problems: list[Problem]) -> tuple[int, int, list[bytes]]:
    rows = connection.execute(select(custody_entries).order_by(custody_entries.c.seq)).all()
    heads = {int(h.tree_size): h for h in connection.execute(select(tree_heads)).all()}
    frontier: list[tuple[int, bytes]] = []
    previous: str | None = None
    leaves: list[bytes] = []
    heads_checked = 0
    for expected_seq, row in enumerate(rows):
        subject = f"log entry {row.seq} ({row.action})"
        if int(row.seq) != expected_seq:
            problems.append(Problem("error", subject, f"sequence gap: expected entry {expected_seq}"))
        raw = row.entry_json.encode("utf-8")
        leaf = leaf_hash(raw)
        if leaf.hex() != row.leaf_hash:
            problems.append(Problem("error", subject, "entry content does not match its recorded leaf hash (altered)"))
        try:
            body = json.loads(row.entry_json)
        except json.JSONDecodeError:
            problems.append(Problem("error", subject, "entry is not valid JSON"))
            body = {}
        if body.get("prev") != previous:
            problems.append(Problem(
                "error", subject, f"previous-entry hash does not match entry {expected_seq - 1} (that entry or this one was altered)"
            ))
        for column, key in (("seq", "seq"), ("actor", "actor"), ("action", "action"), ("case_id", "case_id"),
                            ("item_id", "item_id"), ("created_at", "time")):
            if body and body.get(key) != getattr(row, column):
                problems.append(Problem("error", subject, f"column {column} differs from the signed entry content"))
        previous = leaf.hex()
        leaves.append(leaf)
        frontier = frontier_append(frontier, leaf)
        head = heads.get(expected_seq + 1)
        if head is not None:
            heads_checked += 1
            head_subject = f"tree head at size {head.tree_size}"
            root = frontier_root(frontier).hex()
            if root != head.root_hash:
                problems.append(Problem("error", head_subject, "root does not match the log entries (an entry up to here was altered)"))
            message = tree_head_message(int(head.tree_size), head.root_hash, head.created_at, head.key_id)
            if public_key is None or not verify_signature(public_key, message, head.signature):
                problems.append(Problem("error", head_subject, "signature does not verify with the installation key"))
    stray = [size for size in heads if size > len(rows) or size <= 0]
    for size in stray:
        problems.append(Problem("error", f"tree head at size {size}", "covers entries that are not in the log (entries deleted)"))
    signed = max((s for s in heads if s <= len(rows)), default=0)
    if signed < len(rows):
        problems.append(Problem("error", "custody log", f"entries {signed} to {len(rows) - 1} are not covered by a signed tree head"))
    return len(rows), heads_checked, leaves


def _check_items_logged(connection: Connection, case_id: str | None, problems: list[Problem]) -> None:
    recorded: dict[str, set[str]] = {}
    for row in connection.execute(
        select(custody_entries.c.item_id, custody_entries.c.entry_json).where(custody_entries.c.action == "item.ingested")
    ).all():
        sha = json.loads(row.entry_json).get("details", {}).get("sha256")
        if row.item_id and sha:
            recorded.setdefault(row.item_id, set()).add(sha)
    query = select(items.c.id, items.c.display_name, items.c.blob_sha256, cases.c.name.label("case_name")).select_from(
        items.join(cases, cases.c.id == items.c.case_id)
    )
    if case_id is not None:
        query = query.where(items.c.case_id == case_id)
    for row in connection.execute(query).all():
        if row.blob_sha256 not in recorded.get(row.id, set()):
            problems.append(Problem("error", _item_label(row), "content hash differs from the one its ingest entry recorded"))


def _check_derivations(connection: Connection, case_id: str | None, problems: list[Problem]) -> None:
    """Each derivation's output must hash to what was recorded, and to what its custody entry says."""
    logged: dict[str, str] = {}
    # Any action may record a derivation (item.processed, transcript.edited, speaker.labelled,
    # review.signed_off, flag.reviewed, ...): the entry is found by the derivation id it names.
    for row in connection.execute(
        select(custody_entries.c.entry_json).where(custody_entries.c.entry_json.like('%"derivation_id"%'))
    ).all():
        details = json.loads(row.entry_json).get("details", {})
        if details.get("derivation_id"):
            logged[details["derivation_id"]] = details.get("output_sha256", "")
    query = select(derivations.c.id, derivations.c.stage, derivations.c.item_id, derivations.c.output_json,
                   derivations.c.output_sha256).select_from(derivations.join(items, items.c.id == derivations.c.item_id))
    if case_id is not None:
        query = query.where(items.c.case_id == case_id)
    for row in connection.execute(query).all():
        subject = f"derivation {row.id} ({row.stage} of item {row.item_id})"
        actual = sha256_hex(row.output_json.encode("utf-8"))
        if actual != row.output_sha256:
            problems.append(Problem("error", subject, "output was altered after it was recorded"))
        if logged.get(row.id) != actual:
            problems.append(Problem("error", subject, "output hash differs from its custody entry (or no entry)"))


def verify_store(
    workspace: Workspace, *, case: str | None = None, progress: Callable[[int, int, str], None] | None = None
) -> VerifyReport:
    problems: list[Problem] = []
    with workspace.reading() as connection:
        case_id = get_case(connection, case).id if case else None
        public_key = _check_key(workspace, connection, problems)
        blob_count = _check_blobs(workspace, connection, case_id, problems, progress)
        entry_count, head_count, _ = _check_log(connection, public_key, problems)
        _check_items_logged(connection, case_id, problems)
        _check_derivations(connection, case_id, problems)
    return VerifyReport(tuple(problems), blob_count, entry_count, head_count)


__all__ = ["Problem", "VerifyReport", "verify_store"]
