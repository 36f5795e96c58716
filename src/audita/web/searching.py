"""Search and incidents for the workbench, over ``audita.search``: full-text search
(``audita.search.api.search``), the incidents of a case (``audita.search.incidents``) and the
category names the search filter offers (``audita.analysis.rules``).

Search hits are turned into plain dicts for the templates, filtered once more to the cases the
user can see (the store decides an item's case, not the index), and their links are kept only
when they are local links to an item (``/items/ID``, ``#t=SECONDS`` or ``#p=PARAGRAPH``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from audita.analysis.rules import load_rules
from audita.search.api import SOURCES, SearchFilters, SearchHit
from audita.search.api import search as run_search
from audita.search.incidents import IncidentReport, list_incidents
from audita.store.schema import items
from audita.workspace import Workspace

FILTERS = ("date_from", "date_to", "place", "speaker", "category", "source")
LOCAL_LINK = re.compile(r"^/items/[0-9a-f]{32}(#(t=\d+(\.\d+)?|p=\d+))?$")
LIMIT = 100  # hits a page
MAX_PAGE = 1000  # within audita.search.api.MAX_OFFSET


def categories() -> dict[str, dict[str, str]]:
    """Indicator category -> {title, article}, as the analysis rules define them."""
    return {name: dict(value) for name, value in load_rules().categories.items()}


def segments(text: str, spans: Any) -> list[tuple[str, bool]]:
    """The snippet cut into (text, highlighted) pieces, for the template to mark safely."""
    out: list[tuple[str, bool]] = []
    cursor = 0
    for span in spans or ():
        try:
            a, b = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError):
            continue
        if cursor <= a < b <= len(text):
            out += [(text[cursor:a], False), (text[a:b], True)]
            cursor = b
    out.append((text[cursor:], False))
    return [piece for piece in out if piece[0]]


def _filters(chosen: dict[str, str]) -> SearchFilters:
    source = chosen.get("source")
    return SearchFilters(date_from=chosen.get("date_from"), date_to=chosen.get("date_to"), place=chosen.get("place"),
                         speaker=chosen.get("speaker"), category=chosen.get("category"),
                         sources=(source,) if source else None)


def page_number(value: int) -> int:
    """A requested page number kept within 1..MAX_PAGE."""
    return min(max(1, value), MAX_PAGE)


@dataclass(frozen=True)
class Page:
    """One page of hits: ``hits`` (dicts to render), its ``number`` and whether a next page exists."""

    hits: list[dict[str, Any]]
    number: int
    more: bool

    @property
    def first(self) -> int:
        """1-based rank of the first hit the index returned for this page."""
        return (self.number - 1) * LIMIT + 1


def search(workspace: Workspace, connection: Connection, query: str, case_ids: list[str],
           filters: dict[str, str] | None = None, page: int = 1) -> Page:
    """Page ``page`` (LIMIT hits each) of the hits in ``case_ids`` (the cases the user may see) as
    dicts with ``segments`` to render. Unknown filter names are ignored; a bad filter value is the
    search package's BadInput."""
    page = page_number(page)
    if not case_ids:
        return Page([], page, False)
    chosen = {k: v for k, v in (filters or {}).items() if k in FILTERS and v}
    if chosen.get("source") and chosen["source"] not in SOURCES:
        chosen.pop("source")
    found: list[SearchHit] = run_search(workspace, query, case_ids=list(case_ids), filters=_filters(chosen),
                                        limit=LIMIT + 1, offset=(page - 1) * LIMIT)
    hits, more = found[:LIMIT], len(found) > LIMIT
    ids = sorted({hit.item_id for hit in hits})
    case_of = dict(connection.execute(select(items.c.id, items.c.case_id).where(items.c.id.in_(ids))).all()) \
        if ids else {}
    allowed = set(case_ids)
    out = []
    for hit in hits:
        entry = hit.to_dict()
        entry["case_id"] = case_of.get(hit.item_id)  # the store's answer, whatever the index says
        if entry["case_id"] not in allowed:
            continue
        entry["link"] = hit.link if LOCAL_LINK.match(hit.link or "") else f"/items/{hit.item_id}"
        entry["segments"] = segments(hit.snippet, hit.highlights)
        out.append(entry)
    return Page(out, page, more)


def incidents(workspace: Workspace, case_id: str) -> IncidentReport:
    """The case's incidents from recorded links and decisions (nothing is computed here)."""
    return list_incidents(workspace, case_id)
