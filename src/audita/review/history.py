"""The review history of an item: transcript versions with who, when, why and their sign-offs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from audita.derived import Derivation
from audita.derived import history as all_rows
from audita.transcripts import MACHINE_STAGE, versions

SIGNOFF_STAGE = "review.signoff"


@dataclass(frozen=True)
class SignOff:
    id: str
    version_id: str
    decision: str
    note: str
    by: str
    at: str


@dataclass(frozen=True)
class SpeakerLabel:
    id: str
    version_id: str
    label: str
    name: str
    transmissions: tuple[int, ...]
    by: str
    at: str


@dataclass(frozen=True)
class Version:
    id: str
    stage: str
    parent_id: str | None
    by: str
    at: str
    engine: str
    model: str | None
    note: str
    changed: tuple[int, ...]
    merge: dict[str, Any] | None
    output_sha256: str
    is_machine: bool
    is_current: bool
    signoffs: tuple[SignOff, ...]
    labels: tuple[SpeakerLabel, ...]

    @property
    def review_status(self) -> str:
        """"approved", "changes_requested" (the newest sign-off's decision) or "unreviewed"."""
        return self.signoffs[-1].decision if self.signoffs else "unreviewed"


def _signoff(row: Derivation) -> SignOff:
    out = row.output if isinstance(row.output, dict) else {}
    return SignOff(row.id, str(row.provenance.parent_id), str(out.get("decision", "")), str(out.get("note", "")),
                   row.created_by, row.created_at)


def _label(row: Derivation) -> SpeakerLabel:
    out = row.output if isinstance(row.output, dict) else {}
    return SpeakerLabel(row.id, str(row.provenance.parent_id), str(out.get("label", "")), str(out.get("name", "")),
                        tuple(int(i) for i in out.get("transmissions") or ()), row.created_by, row.created_at)


def history(connection: Connection, item_id: str) -> list[Version]:
    """The machine transcript and every edit descending from it, oldest first, each with its
    sign-offs and speaker labels (oldest first). Empty when the item has no transcript."""
    chain = versions(connection, item_id)
    rows = all_rows(connection, item_id)
    signoffs: dict[str, list[SignOff]] = {}
    labels: dict[str, list[SpeakerLabel]] = {}
    for row in rows:
        if row.provenance.stage == SIGNOFF_STAGE:
            signoffs.setdefault(str(row.provenance.parent_id), []).append(_signoff(row))
        elif row.provenance.stage == "speaker.label":
            labels.setdefault(str(row.provenance.parent_id), []).append(_label(row))
    out = []
    for n, version in enumerate(chain):
        edit = version.output.get("edit") if isinstance(version.output, dict) else None
        edit = edit if isinstance(edit, dict) else {}
        out.append(Version(
            id=version.id, stage=version.provenance.stage, parent_id=version.provenance.parent_id,
            by=version.created_by, at=version.created_at, engine=version.provenance.engine,
            model=version.provenance.model_name, note=str(edit.get("note", "")),
            changed=tuple(int(i) for i in edit.get("changed") or ()),
            merge=edit.get("merge") if isinstance(edit.get("merge"), dict) else None,
            output_sha256=version.output_sha256, is_machine=version.provenance.stage == MACHINE_STAGE,
            is_current=n == len(chain) - 1, signoffs=tuple(signoffs.get(version.id, ())),
            labels=tuple(labels.get(version.id, ())),
        ))
    return out


def speaker_names(history_rows: list[Version]) -> dict[str, SpeakerLabel]:
    """Cluster label -> the newest name given to it anywhere in the version chain."""
    named: list[SpeakerLabel] = sorted((label for v in history_rows for label in v.labels), key=lambda s: s.at)
    return {label.label: label for label in named}


@dataclass(frozen=True)
class TransmissionDiff:
    index: int
    field: str  # "text" | "translation" | "speaker"
    before: str
    after: str


def _analyst_translation(t: dict[str, Any]) -> str:
    return " / ".join(str(r.get("text", "")) for r in t.get("translations") or []
                      if isinstance(r, dict) and r.get("method") == "analyst")


def diff_documents(before: dict[str, Any], after: dict[str, Any]) -> list[TransmissionDiff]:
    """What changed between two ``audita.speech/1`` documents, per transmission and field."""
    old = {int(t["index"]): t for t in before.get("transmissions") or [] if isinstance(t, dict)}
    out: list[TransmissionDiff] = []
    for t in after.get("transmissions") or []:
        if not isinstance(t, dict):
            continue
        prior = old.get(int(t["index"]), {})
        for field, read in (("text", lambda x: str(x.get("text") or "")),
                            ("translation", _analyst_translation),
                            ("speaker", lambda x: str(x.get("speaker") or ""))):
            a, b = read(prior), read(t)
            if a != b:
                out.append(TransmissionDiff(int(t["index"]), field, a, b))
    return out
