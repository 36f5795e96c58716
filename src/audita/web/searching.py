"""The seams to the search package (``audita.search``), which another team owns: full-text search
(``audita.search.api.search``) and the incidents of a case (``audita.search.incidents``).

Results are reduced to plain dicts and filtered again to the cases the user can see, whatever the
search backend returned. Nothing here fails when the package is absent."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import logging
import re
from typing import Any

from sqlalchemy import Connection, select

from audita.store.schema import items
from audita.workspace import Workspace

log = logging.getLogger("audita.web.search")
FIELDS = ("item_id", "case_id", "item_kind", "item_name", "source", "snippet", "highlights", "transmission",
          "paragraph", "start", "end", "score", "language", "speaker", "speaker_name", "date", "categories", "link",
          "text", "title")
FILTERS = ("date_from", "date_to", "place", "speaker", "category")
LOCAL_LINK = re.compile(r"^/items/[0-9a-f]{32}(#[tp]=\d+(\.\d+)?)?$")


def _present(module: str) -> bool:
    try:
        return importlib.util.find_spec("audita.search") is not None and importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def available() -> bool:
    return _present("audita.search.api")


def _as_dict(hit: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(hit) and not isinstance(hit, type):
        raw = {f.name: getattr(hit, f.name) for f in dataclasses.fields(hit)}
    elif isinstance(hit, dict):
        raw = hit
    else:
        raw = {name: getattr(hit, name) for name in FIELDS if hasattr(hit, name)}
    return {k: raw.get(k) for k in FIELDS}


def _segments(text: str, spans: Any) -> list[tuple[str, bool]]:
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


def search(workspace: Workspace, connection: Connection, query: str, case_ids: list[str],
           filters: dict[str, str] | None = None) -> list[dict[str, Any]]:
    module = importlib.import_module("audita.search.api")
    chosen = {k: v for k, v in (filters or {}).items() if k in FILTERS and v}
    kwargs: dict[str, Any] = {"case_ids": case_ids}
    if chosen and hasattr(module, "SearchFilters"):
        kwargs["filters"] = module.SearchFilters(**chosen)
    found = module.search(workspace, query, **kwargs)
    hits = getattr(found, "hits", found)
    allowed = set(case_ids)
    out = []
    for hit in hits or []:
        entry = _as_dict(hit)
        item_id = entry.get("item_id")
        if item_id:
            entry["case_id"] = connection.execute(select(items.c.case_id).where(items.c.id == str(item_id))).scalar()
        if entry.get("case_id") not in allowed:
            continue
        link = str(entry.get("link") or "")
        entry["link"] = link if LOCAL_LINK.match(link) else (f"/items/{item_id}" if item_id else "")
        entry["segments"] = _segments(str(entry.get("snippet") or entry.get("text") or ""), entry.get("highlights"))
        out.append(entry)
    return out


def incidents(workspace: Workspace, case_id: str) -> list[dict[str, Any]] | None:
    """The case's incidents as plain dicts, or None when the search package (or its incidents
    module) is not installed or cannot answer."""
    if not _present("audita.search.incidents"):
        return None
    try:
        module = importlib.import_module("audita.search.incidents")
        report = module.list_incidents(workspace, case_id)
        return [incident.to_dict() if hasattr(incident, "to_dict") else dict(incident)
                for incident in getattr(report, "incidents", ())]
    except Exception:  # another package's seam: show "not available" rather than break the overview
        log.exception("incidents of case %s could not be listed", case_id)
        return None
