"""The seam to full-text search (``audita.search.api.search``), which another package owns.

Results are reduced to plain dicts and filtered again to the cases the user can see, whatever
the search backend returned."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from typing import Any

from sqlalchemy import Connection, select

from audita.store.schema import items
from audita.workspace import Workspace

FIELDS = ("item_id", "case_id", "kind", "title", "name", "snippet", "text", "transmission", "start", "end", "score",
          "language", "version_id")


def available() -> bool:
    try:
        return importlib.util.find_spec("audita.search") is not None and \
            importlib.util.find_spec("audita.search.api") is not None
    except (ImportError, ValueError):
        return False


def _as_dict(hit: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(hit) and not isinstance(hit, type):
        raw = dataclasses.asdict(hit)
    elif isinstance(hit, dict):
        raw = hit
    else:
        raw = {name: getattr(hit, name) for name in FIELDS if hasattr(hit, name)}
    return {k: raw[k] for k in FIELDS if k in raw}


def search(workspace: Workspace, connection: Connection, query: str, case_ids: list[str]) -> list[dict[str, Any]]:
    module = importlib.import_module("audita.search.api")
    found = module.search(workspace, query, case_ids=case_ids)
    hits = getattr(found, "hits", found)
    allowed = set(case_ids)
    out = []
    for hit in hits or []:
        entry = _as_dict(hit)
        item_id = entry.get("item_id")
        if item_id:
            case_id = connection.execute(select(items.c.case_id).where(items.c.id == str(item_id))).scalar()
            entry["case_id"] = case_id
        if entry.get("case_id") in allowed:
            out.append(entry)
    return out
