"""What the analysis stage says about an item's current transcript, read generically by stage
name (docs/derivations.md) so that review and the web work whether or not ``audita.analysis``
is installed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from audita.derived import Derivation, history
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


@dataclass(frozen=True)
class FlagDecision:
    id: str
    flag_id: str
    decision: str
    note: str
    by: str
    at: str


def flag_decisions(connection: Connection, item_id: str, analysis_id: str) -> dict[str, list[FlagDecision]]:
    """flag id -> its ``flag.review`` rows on ``analysis_id``, oldest first (the last one stands)."""
    out: dict[str, list[FlagDecision]] = {}
    for row in history(connection, item_id, "flag.review"):
        output: Any = row.output
        if row.provenance.parent_id != analysis_id or not isinstance(output, dict) or not output.get("flag_id"):
            continue
        out.setdefault(str(output["flag_id"]), []).append(FlagDecision(
            row.id, str(output["flag_id"]), str(output.get("decision", "")), str(output.get("note", "")),
            row.created_by, row.created_at))
    return out
