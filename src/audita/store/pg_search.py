"""Full-text search for the PostgreSQL store: a tsvector over Audita's own lemmas.

Each transmission of an item's current transcript (docs/derivations.md) becomes one row of
``search_documents`` (migration 0004): its text, and the space-joined normal forms of its words as
``audita.text.lemmatize`` gives them in the transmission's language (every normal form of an
ambiguous word is kept). The lemmas are already normalised, so the stored tsvector uses the
``simple`` configuration and PostgreSQL needs no Russian or Ukrainian dictionary. A query is
lemmatised the same way (Russian and Ukrainian readings together): words are ANDed, each word's
normal forms ORed. Snippets come from ``ts_headline`` over the original text, marking the words whose
lemmas matched.

The table is an index, not evidence: an item's rows are replaced when its current transcript
changes and can always be rebuilt from the derivations. SQLite stores have no such table; their
search lives in ``audita.search``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR

from audita.errors import AuditaError
from audita.provenance import utc_now
from audita.store.db import write_transaction
from audita.store.schema import items
from audita.text import lemmatize, normal_forms
from audita.transcripts import current_transcript
from audita.workspace import Workspace

# Described here, not in audita.store.schema.metadata: the table exists only on PostgreSQL.
search_metadata = MetaData()
search_documents = Table(
    "search_documents",
    search_metadata,
    Column("item_id", String(32), primary_key=True),
    Column("transmission", Integer, primary_key=True),
    Column("case_id", String(32), nullable=False),
    Column("derivation_id", String(32), nullable=False),
    Column("start_s", Float, nullable=False),
    Column("end_s", Float, nullable=False),
    Column("language", String(8), nullable=True),
    Column("text", Text, nullable=False),
    Column("lemmas", Text, nullable=False),
    Column("indexed_at", String(32), nullable=False),
    Column("tsv", TSVECTOR),
)

_QUERY_LANGUAGES = ("ru", "uk")


class SearchUnavailable(AuditaError):
    """The store is not PostgreSQL (SQLite stores search through audita.search)."""


@dataclass(frozen=True)
class SearchOptions:
    start_sel: str = "<b>"
    stop_sel: str = "</b>"
    max_words: int = 30
    min_words: int = 10
    headline_config: str = "simple"  # e.g. a hunspell-based configuration (docs/deployment.md)


@dataclass(frozen=True)
class SearchHit:
    item_id: str
    case_id: str
    derivation_id: str
    transmission: int
    start: float
    end: float
    language: str | None
    snippet: str
    rank: float


def available(workspace: Workspace) -> bool:
    return workspace.engine.dialect.name == "postgresql"


def _require(workspace: Workspace) -> None:
    if not available(workspace):
        raise SearchUnavailable("tsvector search needs the PostgreSQL store (AUDITA_DATABASE_URL)")


def lemma_string(text_value: str, language: str | None) -> str:
    """Every normal form of every word, space-joined, in reading order."""
    forms: list[str] = []
    for token in lemmatize(text_value, language or "ru"):
        forms.extend(token.lemmas)
    return " ".join(forms)


def _query_words(query: str) -> list[tuple[str, ...]]:
    """For each word of the query: its lower-case form and every normal form in ru and uk."""
    words = []
    for token in lemmatize(query, "ru"):
        forms = dict.fromkeys(token.lemmas)
        for language in _QUERY_LANGUAGES:
            forms.update(dict.fromkeys(normal_forms(token.text, language)))
        words.append(tuple(forms))
    return words


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsquery(words: Sequence[Iterable[str]]) -> str:
    return " & ".join("(" + " | ".join(_quote(f) for f in forms) + ")" for forms in words)


def _surface_query(row_text: str, language: str | None, words: Sequence[tuple[str, ...]]) -> str:
    """A tsquery over the row's own word forms whose lemmas match the query (for ts_headline)."""
    wanted = {form for forms in words for form in forms}
    surface = []
    for token in lemmatize(row_text, language or "ru"):
        if wanted & set(token.lemmas):
            word = token.text.lower()
            if word not in surface:
                surface.append(word)
    return " | ".join(_quote(w) for w in surface) or _tsquery(words)


def _index_rows(connection: Connection, item_id: str) -> list[dict[str, object]]:
    transcript = current_transcript(connection, item_id)
    if transcript is None:
        return []
    case_id = connection.execute(select(items.c.case_id).where(items.c.id == item_id)).scalar_one()
    now = utc_now()
    rows = []
    for row in transcript.output.get("transmissions", []):
        body = (row.get("text") or "").strip()
        if not body or row.get("unintelligible"):
            continue
        rows.append({
            "item_id": item_id, "transmission": int(row["index"]), "case_id": case_id,
            "derivation_id": transcript.id, "start_s": float(row["start"]), "end_s": float(row["end"]),
            "language": row.get("language"), "text": body, "lemmas": lemma_string(body, row.get("language")),
            "indexed_at": now,
        })
    return rows


def index_item(workspace: Workspace, item_id: str) -> int:
    """Replace the item's rows with its current transcript's transmissions; returns how many."""
    _require(workspace)
    with write_transaction(workspace.engine) as connection:
        rows = _index_rows(connection, item_id)
        connection.execute(delete(search_documents).where(search_documents.c.item_id == item_id))
        if rows:
            connection.execute(insert(search_documents), rows)
    return len(rows)


def stale_items(workspace: Workspace, case_ids: Sequence[str] | None = None) -> list[str]:
    """Items whose indexed transcript is not their current one (or that were never indexed)."""
    _require(workspace)
    with workspace.reading() as connection:
        query = select(items.c.id).where(items.c.kind == "recording").order_by(items.c.id)
        if case_ids is not None:
            query = query.where(items.c.case_id.in_(list(case_ids)))
        item_ids = list(connection.execute(query).scalars())
        indexed = dict(connection.execute(
            select(search_documents.c.item_id, func.min(search_documents.c.derivation_id))
            .group_by(search_documents.c.item_id)).all())
        stale = []
        for item_id in item_ids:
            transcript = current_transcript(connection, item_id)
            current = transcript.id if transcript is not None else None
            if current != indexed.get(item_id):
                stale.append(item_id)
    return stale


def refresh(workspace: Workspace, case_ids: Sequence[str] | None = None) -> int:
    """Bring the index up to date for the given cases (all when None); returns items re-indexed."""
    stale = stale_items(workspace, case_ids)
    for item_id in stale:
        index_item(workspace, item_id)
    return len(stale)


def pg_search(workspace: Workspace, query: str, *, case_ids: Sequence[str] | None = None, limit: int = 20,
              options: SearchOptions = SearchOptions(), refresh_first: bool = True) -> list[SearchHit]:
    """Transmissions whose lemmas contain every word of ``query`` (in any inflection), best first."""
    _require(workspace)
    words = _query_words(query)
    if not words or limit <= 0:
        return []
    if case_ids is not None and not case_ids:
        return []
    if refresh_first:
        refresh(workspace, case_ids)
    tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("q", _tsquery(words)))
    rank = func.ts_rank(search_documents.c.tsv, tsquery).label("rank")
    statement = (
        select(search_documents.c.item_id, search_documents.c.case_id, search_documents.c.derivation_id,
               search_documents.c.transmission, search_documents.c.start_s, search_documents.c.end_s,
               search_documents.c.language, search_documents.c.text, rank)
        .where(search_documents.c.tsv.bool_op("@@")(tsquery))
        .order_by(rank.desc(), search_documents.c.item_id, search_documents.c.transmission)
        .limit(limit)
    )
    if case_ids is not None:
        statement = statement.where(search_documents.c.case_id.in_(list(case_ids)))
    with workspace.reading() as connection:
        found = connection.execute(statement).all()
        snippets = _headlines(connection, [(r.text, _surface_query(r.text, r.language, words)) for r in found],
                              options) if found else []
    return [SearchHit(item_id=r.item_id, case_id=r.case_id, derivation_id=r.derivation_id,
                      transmission=r.transmission, start=r.start_s, end=r.end_s, language=r.language,
                      snippet=snippet, rank=float(r.rank)) for r, snippet in zip(found, snippets)]


def _option(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _headlines(connection: Connection, pairs: list[tuple[str, str]], options: SearchOptions) -> list[str]:
    """ts_headline for each (text, tsquery) pair, in order, in one round trip."""
    settings = (f"StartSel={_option(options.start_sel)}, StopSel={_option(options.stop_sel)}, "
                f"MaxWords={int(options.max_words)}, MinWords={int(options.min_words)}, ShortWord=0")
    statement = text(
        "SELECT ts_headline(CAST(:config AS regconfig), u.body, to_tsquery('simple', u.q), :settings) "
        "FROM unnest(:bodies, :queries) WITH ORDINALITY AS u(body, q, n) ORDER BY u.n"
    ).bindparams(bindparam("bodies", type_=ARRAY(Text)), bindparam("queries", type_=ARRAY(Text)))
    return list(connection.execute(statement, {
        "config": options.headline_config, "settings": settings,
        "bodies": [p[0] for p in pairs], "queries": [p[1] for p in pairs],
    }).scalars())
