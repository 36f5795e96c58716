"""What an item's derivations say, read generically by stage name (docs/derivations.md).

The analysis and review packages are not imported: their rows are read as stage names and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from audita.derived import Derivation

TRANSCRIPT_STAGES = ("transcript", "transcript.edit")


@dataclass(frozen=True)
class Record:
    """One derivation as the package shows it. ``redaction`` is "" (as recorded), "redacted"
    (output changed by redaction; ``output_sha256`` still names the recorded output) or
    "withheld" (output left out for redaction)."""

    id: str
    stage: str
    parent_id: str | None
    engine: str
    created_at: str
    created_by: str
    output: Any
    output_sha256: str
    redaction: str = ""

    @classmethod
    def from_derivation(cls, d: Derivation) -> Record:
        return cls(d.id, d.provenance.stage, d.provenance.parent_id, d.provenance.engine, d.created_at,
                   d.created_by, d.output, d.output_sha256)

    def with_output(self, output: Any, redaction: str) -> Record:
        return replace(self, output=output, redaction=redaction)


@dataclass(frozen=True)
class ItemEvidence:
    """An item's derivations, and which of them are the transcript versions, analysis and reviews."""

    item_id: str
    records: tuple[Record, ...]  # every derivation, oldest first
    version_ids: tuple[str, ...]  # machine transcript, then edits descending from it
    analysis_id: str | None

    def by_id(self, record_id: str | None) -> Record | None:
        return next((r for r in self.records if r.id == record_id), None)

    @property
    def versions(self) -> tuple[Record, ...]:
        found = {r.id: r for r in self.records}
        return tuple(found[i] for i in self.version_ids if i in found)

    @property
    def machine(self) -> Record | None:
        versions = self.versions
        return versions[0] if versions else None

    @property
    def current(self) -> Record | None:
        versions = self.versions
        return versions[-1] if versions else None

    @property
    def analysis(self) -> Record | None:
        return self.by_id(self.analysis_id)

    def stage(self, name: str) -> tuple[Record, ...]:
        return tuple(r for r in self.records if r.stage == name)

    @property
    def flag_reviews(self) -> tuple[Record, ...]:
        return tuple(r for r in self.stage("flag.review") if self.analysis_id and r.parent_id == self.analysis_id)

    @property
    def speaker_labels(self) -> tuple[Record, ...]:
        versions = set(self.version_ids)
        return tuple(r for r in self.stage("speaker.label") if r.parent_id in versions)

    @property
    def signoffs(self) -> tuple[Record, ...]:
        return self.stage("review.signoff")

    def replace_records(self, records: tuple[Record, ...]) -> ItemEvidence:
        return replace(self, records=records)


def collect(item_id: str, derivations: list[Derivation], versions: list[Derivation]) -> ItemEvidence:
    """Group an item's derivations; ``versions`` comes from ``audita.transcripts.versions``."""
    records = tuple(Record.from_derivation(d) for d in derivations)
    version_ids = tuple(d.id for d in versions)
    return ItemEvidence(item_id, records, version_ids, _choose_analysis(records, version_ids))


def _choose_analysis(records: tuple[Record, ...], version_ids: tuple[str, ...]) -> str | None:
    """The newest analysis of the current version, else of any version in the chain, else the newest."""
    analyses = [r for r in records if r.stage == "analysis"]
    if not analyses:
        return None
    if version_ids:
        of_current = [r for r in analyses if r.parent_id == version_ids[-1]]
        if of_current:
            return of_current[-1].id
        of_chain = [r for r in analyses if r.parent_id in version_ids]
        if of_chain:
            return of_chain[-1].id
    return analyses[-1].id


def flag_decisions(evidence: ItemEvidence) -> dict[str, list[Record]]:
    """flag id -> its review rows, oldest first (the last one is the standing decision)."""
    out: dict[str, list[Record]] = {}
    for review in evidence.flag_reviews:
        if isinstance(review.output, dict) and review.output.get("flag_id"):
            out.setdefault(str(review.output["flag_id"]), []).append(review)
    return out


def speaker_names(evidence: ItemEvidence) -> dict[str, Record]:
    """cluster label -> the newest analyst label row naming it."""
    out: dict[str, Record] = {}
    for row in evidence.speaker_labels:
        if isinstance(row.output, dict) and row.output.get("label"):
            out[str(row.output["label"])] = row
    return out


def transmissions(record: Record | None) -> list[dict[str, Any]]:
    if record is None or not isinstance(record.output, dict):
        return []
    return [t for t in record.output.get("transmissions", []) if isinstance(t, dict)]
