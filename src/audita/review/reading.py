"""What the analysis stage says about an item's current transcript, read generically by stage
name (docs/derivations.md) so that review and the web work whether or not ``audita.analysis``
is installed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from audita.derived import Derivation, history, latest
from audita.transcripts import versions

DECISIONS = ("confirmed", "rejected")


def current_analysis(connection: Connection, item_id: str) -> Derivation | None:
    """The newest analysis of the current version, else of any version in the chain, else none."""
    chain = [v.id for v in versions(connection, item_id)]
    analyses = history(connection, item_id, "analysis")
    if not analyses or not chain:
        return None
    of_current = [a for a in analyses if a.provenance.parent_id == chain[-1]]
    if of_current:
        return of_current[-1]
    of_chain = [a for a in analyses if a.provenance.parent_id in chain]
    return of_chain[-1] if of_chain else None


def flagging_row(connection: Connection, item_id: str, kind: str) -> tuple[Derivation | None, str]:
    """The row whose flags an analyst decides on now, and its stage: a document's newest
    ``document.extract``, a recording's ``current_analysis``."""
    if kind == "document":
        return latest(connection, item_id, "document.extract"), "document.extract"
    return current_analysis(connection, item_id), "analysis"


@dataclass(frozen=True)
class FlagDecision:
    id: str
    flag_id: str
    decision: str
    note: str
    by: str
    at: str
    carried_from: str | None = None  # the earlier analysis the decision was taken on, when not this one


def _flag_keys(analysis: Derivation) -> dict[str, tuple[Any, Any, Any]]:
    output: Any = analysis.output
    flags = output.get("flags", []) if isinstance(output, dict) else []
    # where the flag sits: its transmission, or a document's paragraph
    return {str(f.get("id")): (f.get("category"), f.get("paragraph") if "paragraph" in f else f.get("transmission"),
                               f.get("quote"))
            for f in flags if isinstance(f, dict) and f.get("id")}


def flag_decisions(connection: Connection, item_id: str, analysis_id: str,
                   stage: str = "analysis") -> dict[str, list[FlagDecision]]:
    """flag id -> its ``flag.review`` rows, oldest first (the last one stands).

    Decisions taken on an earlier analysis of the item carry over to a flag of ``analysis_id`` that
    is the same flag (same id, category, transmission and quoted words), so a re-analysis (new rules,
    a glossary edit) does not reopen what an analyst already decided; they are marked ``carried_from``.
    A flag whose words changed starts open again. ``stage``: the row kind that raised the flags
    (``analysis``, or ``document.extract`` for a document)."""
    analyses = {a.id: a for a in history(connection, item_id, stage)}
    current = analyses.get(analysis_id)
    current_keys = _flag_keys(current) if current is not None else {}
    earlier_keys: dict[str, dict[str, tuple[Any, Any, Any]]] = {}
    out: dict[str, list[FlagDecision]] = {}
    for row in history(connection, item_id, "flag.review"):
        output: Any = row.output
        parent = row.provenance.parent_id
        if not isinstance(output, dict) or not output.get("flag_id") or parent is None:
            continue
        flag_id = str(output["flag_id"])
        carried: str | None = None
        if parent != analysis_id:
            if parent not in analyses or flag_id not in current_keys:
                continue
            if parent not in earlier_keys:
                earlier_keys[parent] = _flag_keys(analyses[parent])
            if earlier_keys[parent].get(flag_id) != current_keys[flag_id]:
                continue
            carried = parent
        out.setdefault(flag_id, []).append(FlagDecision(
            row.id, flag_id, str(output.get("decision", "")), str(output.get("note", "")),
            row.created_by, row.created_at, carried))
    return out
