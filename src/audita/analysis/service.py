"""Store an analysis of an item's current transcript as an ``analysis`` derivation."""

from __future__ import annotations

from audita.analysis.pipeline import AnalysisOptions, analyze_transcript
from audita.analysis.rules import load_rules
from audita.derived import Derivation, Provenance, find_reusable, record
from audita.errors import AuditaError
from audita.store.schema import items
from audita.transcripts import current_transcript
from audita.workspace import Workspace

STAGE = "analysis"


class NoTranscript(AuditaError):
    """The item has no transcript to analyse (run `audita process` first)."""


def analyze_item(workspace: Workspace, item_id: str, *, actor: str,
                 options: AnalysisOptions | None = None) -> Derivation:
    """Analyse the current transcript of ``item_id``; an identical earlier analysis is reused."""
    from sqlalchemy import select

    options = options or AnalysisOptions()
    ruleset = load_rules()
    with workspace.action() as connection:
        transcript = current_transcript(connection, item_id)
        if transcript is None:
            raise NoTranscript(f"item {item_id} has no transcript; run `audita process` first")
        case_id = connection.execute(select(items.c.case_id).where(items.c.id == item_id)).scalar_one()
        provenance = Provenance(
            stage=STAGE, input_sha256=transcript.output_sha256, engine=f"audita-rules/{ruleset.sha256[:12]}",
            options=options.to_dict(), parent_id=transcript.id,
        )
        reusable = find_reusable(connection, item_id, provenance)
        if reusable is not None and reusable.provenance.engine == provenance.engine \
                and reusable.provenance.parent_id == transcript.id:
            return reusable
        output = analyze_transcript(transcript.output, options).to_dict()
        return record(workspace, connection, item_id=item_id, case_id=case_id, provenance=provenance,
                      output=output, actor=actor)
