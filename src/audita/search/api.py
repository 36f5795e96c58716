"""Search over transcripts, translations, documents and analyst notes (the web UI calls ``search``).

    hits = search(workspace, "пленных", case_ids=[case.id], filters=SearchFilters(place="Попасная"))

The index is brought up to date with the store first (only changed items are re-read). Results are
ranked by BM25 over the lemma column, then by item and position, so equal queries on an unchanged
store give equal results.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from audita.errors import BadInput
from audita.search.index import SearchIndex, index_path, place_keys, speaker_key
from audita.search.query import ParsedQuery, parse_query, match_expression, query_forms
from audita.search.snippets import hit_times, mark, snippet
from audita.workspace import Workspace

SOURCES = ("transcript", "machine", "translation", "document", "note")
MAX_LIMIT = 500
MAX_OFFSET = 100_000  # paging deeper than this is a query to narrow, not a list to read


@dataclass(frozen=True)
class SearchFilters:
    """All optional. Dates are ISO dates or date-times (inclusive); ``place`` and ``category`` keep
    items whose analysis (or document extraction) names the place or has an indicator of that
    category not rejected by an analyst; ``speaker`` matches a transmission's cluster label, the name
    an analyst gave it, or a Telegram post's author; ``sources`` limits passage kinds."""

    date_from: str | None = None
    date_to: str | None = None
    place: str | None = None
    speaker: str | None = None
    category: str | None = None
    sources: tuple[str, ...] | None = None
    item_ids: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("sources", "item_ids"):
            if data[key] is not None:
                data[key] = list(data[key])
        return data


@dataclass(frozen=True)
class SearchHit:
    item_id: str
    case_id: str
    item_kind: str
    item_name: str
    source: str  # "transcript" | "machine" | "translation" | "document" | "note"
    derivation_id: str
    transmission: int | None
    paragraph: int | None
    start: float | None  # seconds: start of the hit words when timed, else of the passage
    end: float | None
    snippet: str
    highlights: tuple[tuple[int, int], ...]  # character spans in ``snippet``
    link: str  # /items/{item_id}#t=12.34 (recordings) or #p=3 (documents)
    score: float  # BM25 (lower is better, as SQLite reports it)
    language: str | None
    speaker: str | None
    speaker_name: str | None
    date: str | None
    categories: tuple[str, ...] = field(default_factory=tuple)
    author: str | None = None
    note_kind: str | None = None

    def marked_snippet(self, open_mark: str = "[", close_mark: str = "]") -> str:
        out, cursor = [], 0
        for a, b in self.highlights:
            out += [self.snippet[cursor:a], open_mark, self.snippet[a:b], close_mark]
            cursor = b
        out.append(self.snippet[cursor:])
        return "".join(out)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["highlights"] = [list(span) for span in self.highlights]
        data["categories"] = list(self.categories)
        return data


def _date_bound(value: str | None, *, end: bool) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat() + ("T23:59:59.999999Z" if end else "")
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"{value!r} is not an ISO date (2022-05-03) or date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _filters_sql(case_ids: list[str] | None, filters: SearchFilters) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if case_ids is not None:
        where.append(f"e.case_id IN ({','.join('?' * len(case_ids))})")
        params += list(case_ids)
    if filters.item_ids:
        where.append(f"e.item_id IN ({','.join('?' * len(filters.item_ids))})")
        params += list(filters.item_ids)
    if filters.sources:
        unknown = [s for s in filters.sources if s not in SOURCES]
        if unknown:
            raise BadInput(f"unknown source kind {unknown[0]!r}; one of {', '.join(SOURCES)}")
        where.append(f"e.source IN ({','.join('?' * len(filters.sources))})")
        params += list(filters.sources)
    low = _date_bound(filters.date_from, end=False)
    high = _date_bound(filters.date_to, end=True)
    if low is not None:
        where.append("e.date IS NOT NULL AND e.date >= ?")
        params.append(low)
    if high is not None:
        where.append("e.date IS NOT NULL AND e.date <= ?")
        params.append(high)
    if filters.place:
        keys = place_keys(filters.place)
        if not keys:
            raise BadInput(f"place {filters.place!r} has no letters")
        where.append(f"e.item_id IN (SELECT item_id FROM item_places WHERE key IN ({','.join('?' * len(keys))}))")
        params += keys
    if filters.category:
        where.append("e.item_id IN (SELECT item_id FROM item_categories WHERE category = ?)")
        params.append(filters.category.strip())
    if filters.speaker:
        where.append("instr(e.speaker_keys, ?) > 0")
        params.append(f"\x1f{speaker_key(filters.speaker)}\x1f")
    return where, params


def _link(item_id: str, source: str, paragraph: int | None, start: float | None) -> str:
    if source == "document" and paragraph is not None:
        return f"/items/{item_id}#p={paragraph}"
    if start is not None:
        return f"/items/{item_id}#t={start:.2f}"
    return f"/items/{item_id}"


def _hit(row: Any, query: ParsedQuery) -> SearchHit | None:
    marked = mark(row["text"], row["language"], query)
    if marked is None:
        return None
    timed = hit_times(row["text"], json.loads(row["words"]) if row["words"] else None, marked)
    start, end = timed if timed is not None else (row["start"], row["end"])
    text, spans = snippet(row["text"], marked)
    return SearchHit(
        item_id=row["item_id"], case_id=row["case_id"], item_kind=row["item_kind"], item_name=row["item_name"],
        source=row["source"], derivation_id=row["derivation_id"], transmission=row["transmission"],
        paragraph=row["paragraph"], start=start, end=end, snippet=text, highlights=spans,
        link=_link(row["item_id"], row["source"], row["paragraph"], start), score=float(row["rank"]),
        language=row["language"], speaker=row["speaker"], speaker_name=row["speaker_name"], date=row["date"],
        categories=tuple(c for c in (row["categories"] or "").split() if c), author=row["author"],
        note_kind=row["note_kind"],
    )


def search(workspace: Workspace, query: str, *, case_ids: list[str] | None, filters: SearchFilters | None = None,
           limit: int = 50, offset: int = 0, refresh: bool = True) -> list[SearchHit]:
    """Passages matching ``query`` in the given cases (None: every case; [] finds nothing), best first;
    ``offset`` skips that many hits of the same ranking (the next page starts at offset + limit)."""
    if case_ids is not None and not case_ids:
        return []
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0 <= offset <= MAX_OFFSET:
        raise BadInput(f"offset must be between 0 and {MAX_OFFSET}")
    parsed = parse_query(query)
    filters = filters or SearchFilters()
    where, params = _filters_sql(case_ids, filters)
    index = SearchIndex(index_path(workspace))
    if refresh:
        index.refresh(workspace)
    return run_query(index, parsed, where, params, limit, skip=offset)


def run_query(index: SearchIndex, parsed: ParsedQuery, where: list[str], params: list[Any], limit: int,
              skip: int = 0) -> list[SearchHit]:
    """Fetch ranked rows and keep those whose phrases are in order: the ``limit`` hits after the
    first ``skip`` (phrase order is checked here, so rows the index returns are not all hits)."""
    hits: list[SearchHit] = []
    skipped = 0
    offset = 0
    batch = min(max((limit + skip) * 2, 50), 5000)  # deep pages read on in batches, not all at once
    expression = match_expression(parsed)
    while len(hits) < limit:
        rows = index.query(expression, where=where, params=params, limit=batch, offset=offset)
        for row in rows:
            if skipped < skip:  # rows of earlier pages: only the phrase-order check, no snippet or timing
                skipped += mark(row["text"], row["language"], parsed) is not None
                continue
            hit = _hit(row, parsed)
            if hit is None:
                continue
            hits.append(hit)
            if len(hits) == limit:
                break
        if len(rows) < batch:
            break
        offset += batch
    return hits


def reindex(workspace: Workspace) -> dict[str, Any]:
    """Rebuild the index from the store (it is derived data: nothing is lost)."""
    report = SearchIndex(index_path(workspace)).rebuild(workspace)
    return report.to_dict()


__all__ = ["SearchFilters", "SearchHit", "query_forms", "reindex", "search"]
