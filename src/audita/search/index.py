"""The search index: a SQLite FTS5 file under the installation home, derived from the store.

It is not evidence and not part of the store (which may be PostgreSQL): it can be deleted at any
time and is rebuilt from the store (``audita search --reindex``). Each item's rows are replaced when
the item's signature (the ids of its acquisitions and of the derivations the index reads) changes;
``refresh`` does that incrementally before every search, in one SQLite transaction.

Tables: ``entries`` (one per passage, with its item, case, kind, times, speaker, date and text),
``fts`` (FTS5 over ``lemmas``: every token's surface form and all its normal forms; rowid =
entries.id), ``item_places`` (place names of an item as lemma keys), ``item_categories``,
``sources`` (item signatures) and ``meta`` (index version, the store it was built from).
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audita.errors import AuditaError
from audita.provenance import sha256_hex
from audita.search.query import token_forms
from audita.search.sources import Entry, ItemFacets, item_signatures, read_item
from audita.text import tokenize
from audita.workspace import Workspace

INDEX_VERSION = "1"
MAX_PLACE_KEYS = 16

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (item_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, signature TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    item_id TEXT NOT NULL, case_id TEXT NOT NULL, item_kind TEXT NOT NULL, item_name TEXT NOT NULL,
    source TEXT NOT NULL, derivation_id TEXT NOT NULL,
    transmission INTEGER, paragraph INTEGER, start REAL, "end" REAL, char_start INTEGER, char_end INTEGER,
    language TEXT, speaker TEXT, speaker_name TEXT, speaker_keys TEXT NOT NULL DEFAULT '', date TEXT,
    categories TEXT NOT NULL,
    words TEXT, author TEXT, note_kind TEXT, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_item ON entries (item_id);
CREATE INDEX IF NOT EXISTS entries_case ON entries (case_id);
CREATE TABLE IF NOT EXISTS item_places (item_id TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS item_places_key ON item_places (key);
CREATE INDEX IF NOT EXISTS item_places_item ON item_places (item_id);
CREATE TABLE IF NOT EXISTS item_categories (item_id TEXT NOT NULL, category TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS item_categories_item ON item_categories (item_id);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(lemmas, tokenize = 'unicode61 remove_diacritics 0');
"""


class SearchIndexError(AuditaError):
    """The search index file cannot be used (damaged, unwritable, no FTS5)."""


def index_path(workspace: Workspace) -> Path:
    return workspace.settings.home / "index" / "search.db"


def lemma_text(text: str, language: str | None) -> str:
    """The indexed form of a text: for each token, its surface form and every normal form."""
    return " ".join(" ".join(token_forms(word, language)) for word, _, _ in tokenize(text))


def place_keys(name: str) -> list[str]:
    """Lemma keys of a place name: one per combination of the normal forms of its words."""
    per_word = [token_forms(word, None) for word, _, _ in tokenize(name)]
    if not per_word:
        return []
    keys = [" ".join(combo) for combo in itertools.islice(itertools.product(*per_word), MAX_PLACE_KEYS)]
    return list(dict.fromkeys(keys))


def _store_identity(workspace: Workspace) -> str:
    url = workspace.engine.url.render_as_string(hide_password=True)
    return sha256_hex(f"{workspace.key.public_hex}|{url}".encode("utf-8"))


@dataclass(frozen=True)
class RefreshReport:
    items_indexed: int
    items_removed: int
    entries: int
    rebuilt: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class SearchIndex:
    """One index file. Connections are opened per operation (safe across threads and processes)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except sqlite3.Error as exc:
            raise SearchIndexError(f"cannot open the search index {self.path}: {exc}") from exc
        try:
            connection.row_factory = sqlite3.Row
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.DatabaseError as exc:
                raise SearchIndexError(f"search index {self.path} is unusable ({exc}); it is derived data: "
                                       "rebuild it with `audita search --reindex`") from exc
            yield connection
        finally:
            connection.close()

    def _create(self, connection: sqlite3.Connection) -> None:
        try:
            connection.executescript(_SCHEMA)  # outside any transaction: executescript commits first
        except sqlite3.DatabaseError as exc:
            raise SearchIndexError(f"search index {self.path} is unusable ({exc}); it is derived data: "
                                   "rebuild it with `audita search --reindex`") from exc

    @staticmethod
    def _prepare(connection: sqlite3.Connection, identity: str) -> bool:
        """Wipe the index when it was built by another version or from another store. True when it
        was (re)initialised."""
        meta = {r["key"]: r["value"] for r in connection.execute("SELECT key, value FROM meta")}
        if meta.get("version") == INDEX_VERSION and meta.get("store") == identity:
            return False
        for table in ("entries", "fts", "item_places", "item_categories", "sources", "meta"):
            connection.execute(f"DELETE FROM {table}")
        connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                               [("version", INDEX_VERSION), ("store", identity)])
        return True

    def refresh(self, workspace: Workspace) -> RefreshReport:
        """Bring the index up to date with the store (only items whose signature changed)."""
        identity = _store_identity(workspace)
        with workspace.reading() as store:
            signatures = item_signatures(store)
            with self.connect() as connection:
                self._create(connection)
                connection.execute("BEGIN IMMEDIATE")
                try:
                    rebuilt = self._prepare(connection, identity)
                    known = {r["item_id"]: r["signature"] for r in connection.execute("SELECT item_id, signature FROM sources")}
                    changed = sorted(i for i, (_, sig) in signatures.items() if known.get(i) != sig)
                    removed = sorted(set(known) - set(signatures))
                    entries = 0
                    for item_id in removed:
                        self._remove(connection, item_id)
                    for item_id in changed:
                        facets = read_item(store, item_id)
                        self._remove(connection, item_id)
                        if facets is None:
                            continue
                        entries += self._insert(connection, facets)
                        connection.execute("INSERT INTO sources (item_id, case_id, signature) VALUES (?, ?, ?)",
                                           (item_id, facets.case_id, signatures[item_id][1]))
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
        return RefreshReport(len(changed), len(removed), entries, rebuilt)

    def rebuild(self, workspace: Workspace) -> RefreshReport:
        """Build a fresh index beside the old one and swap it in."""
        fresh = SearchIndex(self.path.with_name(self.path.name + f".rebuild-{os.getpid()}"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(fresh.path) + suffix).unlink(missing_ok=True)
        try:
            report = fresh.refresh(workspace)
            with fresh.connect() as connection:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                connection.execute("PRAGMA journal_mode=DELETE")
            for suffix in ("-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            os.replace(fresh.path, self.path)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(str(fresh.path) + suffix).unlink(missing_ok=True)
        return RefreshReport(report.items_indexed, report.items_removed, report.entries, True)

    # ---- writing ------------------------------------------------------------------------------------

    @staticmethod
    def _remove(connection: sqlite3.Connection, item_id: str) -> None:
        ids = [r[0] for r in connection.execute("SELECT id FROM entries WHERE item_id = ?", (item_id,))]
        connection.executemany("DELETE FROM fts WHERE rowid = ?", [(i,) for i in ids])
        for table in ("entries", "item_places", "item_categories", "sources"):
            connection.execute(f"DELETE FROM {table} WHERE item_id = ?", (item_id,))

    @staticmethod
    def _insert(connection: sqlite3.Connection, facets: ItemFacets) -> int:
        for name in facets.places:
            for key in place_keys(name):
                connection.execute("INSERT INTO item_places (item_id, key, name) VALUES (?, ?, ?)",
                                   (facets.item_id, key, name))
        connection.executemany("INSERT INTO item_categories (item_id, category) VALUES (?, ?)",
                               [(facets.item_id, c) for c in facets.categories])
        return add_entries(connection, facets.entries)

    # ---- reading ------------------------------------------------------------------------------------

    def query(self, match: str, *, where: list[str], params: list[Any], limit: int, offset: int) -> list[sqlite3.Row]:
        sql = (
            "SELECT e.*, bm25(fts) AS rank FROM fts JOIN entries AS e ON e.id = fts.rowid "
            "WHERE fts MATCH ?" + "".join(f" AND {clause}" for clause in where) +
            " ORDER BY rank, e.item_id, e.source, e.transmission, e.paragraph, e.id LIMIT ? OFFSET ?"
        )
        with self.connect() as connection:
            try:
                return list(connection.execute(sql, [match, *params, limit, offset]))
            except sqlite3.OperationalError as exc:
                raise SearchIndexError(f"search failed: {exc}") from exc


def speaker_key(value: str) -> str:
    return " ".join(value.casefold().replace("ё", "е").split())


def speaker_keys(*values: str | None) -> str:
    """Speaker label and name, case-folded, each between separators (SQLite's lower() is ASCII only)."""
    keys = [speaker_key(v) for v in values if v and v.strip()]
    return "".join(f"\x1f{k}\x1f" for k in keys)


def add_entries(connection: sqlite3.Connection, entries: Iterable[Entry]) -> int:
    """Insert passages (used by the store refresh and by the bench, which indexes corpus truth)."""
    count = 0
    for entry in entries:
        cursor = connection.execute(
            'INSERT INTO entries (item_id, case_id, item_kind, item_name, source, derivation_id, transmission, '
            'paragraph, start, "end", char_start, char_end, language, speaker, speaker_name, speaker_keys, date, '
            'categories, words, author, note_kind, text) '
            'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            (entry.item_id, entry.case_id, entry.item_kind, entry.item_name, entry.source, entry.derivation_id,
             entry.transmission, entry.paragraph, entry.start, entry.end, entry.char_start, entry.char_end,
             entry.language, entry.speaker, entry.speaker_name, speaker_keys(entry.speaker, entry.speaker_name),
             entry.date, " ".join(entry.categories),
             json.dumps([list(w) for w in entry.words], ensure_ascii=False) if entry.words else None,
             entry.author, entry.note_kind, entry.text),
        )
        connection.execute("INSERT INTO fts (rowid, lemmas) VALUES (?, ?)",
                           (cursor.lastrowid, lemma_text(entry.text, entry.language)))
        count += 1
    return count


def create_schema(connection: sqlite3.Connection) -> None:
    connection.executescript(_SCHEMA)
