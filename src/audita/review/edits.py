"""Analyst corrections: new transcript versions and speaker labels beside the machine output.

Each correction is a new derivation row (docs/derivations.md) chained to the version it corrects,
recorded with who and when in the custody log. An edit names the version it was made against;
when that is no longer the current version the edit is refused (`StaleVersion`), so two analysts
never silently overwrite each other.
"""

from __future__ import annotations

import copy
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from audita import derived
from audita.derived import Derivation, Provenance
from audita.errors import BadInput, NotFound
from audita.review.errors import StaleVersion
from audita.review.store import get_derivation, item_case_id
from audita.review.words import realign_words
from audita.transcripts import EDIT_STAGE, current_transcript, versions
from audita.workspace import Workspace

SPEECH_SCHEMA = "audita.speech/1"
ANALYST_ENGINE = "analyst"
ANALYST_TRANSLATION = "analyst"
ANALYST_TRANSLATION_LABEL = "analyst translation"
UNINTELLIGIBLE_BY_ANALYST = "marked unintelligible by analyst"
MAX_NOTE = 4000
MAX_TEXT = 20000
MAX_NAME = 100


@dataclass(frozen=True)
class TransmissionChange:
    """What an analyst changed in one transmission; ``None`` leaves a field as it was.

    ``text = ""`` marks the transmission unintelligible; ``translation = ""`` withdraws an
    analyst translation (machine translations are never removed)."""

    index: int
    text: str | None = None
    translation: str | None = None
    speaker: str | None = None


def _clean(value: str, what: str, limit: int, *, allow_newlines: bool = False) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if len(value) > limit:
        raise BadInput(f"{what} longer than {limit} characters")
    allowed = {"\n", "\t"} if allow_newlines else set()
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        raise BadInput(f"{what} contains control characters")
    return value


def _note(note: str) -> str:
    note = _clean(note, "note", MAX_NOTE, allow_newlines=True)
    if not note:
        raise BadInput("say why: a correction needs a note")
    return note


def _version_in_chain(connection: Any, item_id: str, version_id: str) -> Derivation:
    for version in versions(connection, item_id):
        if version.id == version_id:
            return version
    raise NotFound(f"no transcript version {version_id!r} of this item")


def _current_or_stale(connection: Any, item_id: str, base_version_id: str) -> Derivation:
    current = current_transcript(connection, item_id)
    if current is None:
        raise NotFound("this item has no transcript yet")
    if current.id != base_version_id:
        try:
            get_derivation(connection, base_version_id)
        except NotFound:
            raise NotFound(f"no transcript version {base_version_id!r} of this item") from None
        raise StaleVersion(
            f"version {base_version_id[:12]} is no longer current: {current.created_by} saved version "
            f"{current.id[:12]} at {current.created_at}; reload it and apply the correction again"
        )
    return current


def _speaker_map(transmissions: list[dict[str, Any]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for t in transmissions:
        if t.get("speaker"):
            out.setdefault(str(t["speaker"]), []).append(int(t["index"]))
    return {label: sorted(indices) for label, indices in sorted(out.items())}


def _apply(doc: dict[str, Any], change: TransmissionChange) -> None:
    by_index = {int(t["index"]): t for t in doc["transmissions"]}
    if change.index not in by_index:
        raise BadInput(f"no transmission {change.index} in this version")
    t = by_index[change.index]
    if change.text is not None:
        text = " ".join(_clean(change.text, "text", MAX_TEXT, allow_newlines=True).split())
        if text != (t.get("text") or ""):
            t["words"] = realign_words(list(t.get("words") or []), text,
                                       start=float(t.get("start", 0.0)), end=float(t.get("end", 0.0)))
            t["text"] = text
            if text:
                t["unintelligible"] = False
                t["unintelligible_reason"] = ""
            else:
                t["unintelligible"] = True
                t["unintelligible_reason"] = UNINTELLIGIBLE_BY_ANALYST
    if change.translation is not None:
        rendering = _clean(change.translation, "translation", MAX_TEXT, allow_newlines=True)
        kept = [r for r in t.get("translations") or [] if r.get("method") != ANALYST_TRANSLATION]
        if rendering:
            kept.append({"method": ANALYST_TRANSLATION, "text": rendering, "label": ANALYST_TRANSLATION_LABEL,
                         "verified": False})
        t["translations"] = kept
    if change.speaker is not None:
        label = _clean(change.speaker, "speaker label", MAX_NAME)
        t["speaker"] = label or None


def _validate_document(doc: Any, base: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(doc, dict) or doc.get("schema") != SPEECH_SCHEMA:
        raise BadInput(f"an edited transcript must be an {SPEECH_SCHEMA} document")
    transmissions = doc.get("transmissions")
    if not isinstance(transmissions, list) or not all(isinstance(t, dict) for t in transmissions):
        raise BadInput("transmissions must be a list of objects")
    try:
        indices = [int(t["index"]) for t in transmissions]
    except (KeyError, TypeError, ValueError):
        raise BadInput("every transmission needs an integer index") from None
    if sorted(indices) != sorted(int(t["index"]) for t in base["transmissions"]):
        raise BadInput("an edit keeps the transmissions of the version it corrects (same indices)")
    for t in transmissions:
        if not isinstance(t.get("text", ""), str) or not isinstance(t.get("words", []), list):
            raise BadInput(f"transmission {t['index']}: text must be a string and words a list")
    return copy.deepcopy(doc)


def _changed(base: dict[str, Any], new: dict[str, Any]) -> list[int]:
    before = {int(t["index"]): t for t in base["transmissions"]}
    return sorted(int(t["index"]) for t in new["transmissions"] if t != before.get(int(t["index"])))


def _base_document(version: Derivation) -> dict[str, Any]:
    doc = copy.deepcopy(version.output)
    doc.pop("edit", None)
    return doc


def _record_edit(workspace: Workspace, connection: Any, base: Derivation, doc: dict[str, Any],
                 edit: dict[str, Any], actor: str) -> Derivation:
    doc["speakers"] = _speaker_map(doc["transmissions"])
    changed = _changed(_base_document(base), doc)
    if not changed and "merge" not in edit:
        raise BadInput("nothing changed: the correction equals the version it corrects")
    doc["edit"] = {**edit, "changed": changed}
    provenance = Provenance(stage=EDIT_STAGE, input_sha256=base.output_sha256, engine=ANALYST_ENGINE,
                            options={"base_version_id": base.id}, parent_id=base.id)
    return derived.record(workspace, connection, item_id=base.item_id, case_id=item_case_id(connection, base.item_id),
                          provenance=provenance, output=doc, actor=actor, action="transcript.edited")


def edit_transcript(
    workspace: Workspace, item_id: str, *, base_version_id: str, note: str, actor: str,
    changes: Sequence[TransmissionChange] = (), document: dict[str, Any] | None = None,
) -> Derivation:
    """Record a corrected version of the current transcript, either as per-transmission changes
    or as a whole new ``audita.speech/1`` document. Refused when ``base_version_id`` is not current."""
    note = _note(note)
    if document is None and not changes:
        raise BadInput("nothing to change")
    with workspace.action() as connection:
        base = _current_or_stale(connection, item_id, base_version_id)
        base_doc = _base_document(base)
        if document is not None:
            doc = _validate_document(document, base_doc)
            doc.pop("edit", None)
        else:
            doc = base_doc
        for change in changes:
            _apply(doc, change)
        return _record_edit(workspace, connection, base, doc, {"note": note}, actor)


def merge_speakers(
    workspace: Workspace, item_id: str, *, base_version_id: str, labels: Sequence[str], into: str, note: str,
    actor: str,
) -> Derivation:
    """Record a version in which every transmission of ``labels`` belongs to speaker ``into``."""
    note = _note(note)
    sources = sorted({_clean(label, "speaker label", MAX_NAME) for label in labels} - {into})
    if not sources:
        raise BadInput("choose at least one other speaker to merge")
    with workspace.action() as connection:
        base = _current_or_stale(connection, item_id, base_version_id)
        doc = _base_document(base)
        known = {str(t.get("speaker")) for t in doc["transmissions"] if t.get("speaker")}
        missing = [label for label in [*sources, into] if label not in known]
        if missing:
            raise BadInput(f"no speaker {', '.join(missing)} in this version")
        for t in doc["transmissions"]:
            if t.get("speaker") in sources:
                t["speaker"] = into
        return _record_edit(workspace, connection, base, doc,
                            {"note": note, "merge": {"from": sources, "into": into}}, actor)


def label_speaker(
    workspace: Workspace, item_id: str, *, label: str, name: str, actor: str, version_id: str | None = None,
) -> Derivation:
    """Name a speaker cluster of a transcript version (the current one unless given)."""
    name = _clean(name, "speaker name", MAX_NAME)
    if not name:
        raise BadInput("a speaker name is empty")
    with workspace.action() as connection:
        if version_id is None:
            version = current_transcript(connection, item_id)
            if version is None:
                raise NotFound("this item has no transcript yet")
        else:
            version = _version_in_chain(connection, item_id, version_id)
        transmissions = sorted(int(t["index"]) for t in version.output.get("transmissions", [])
                               if t.get("speaker") == label)
        if not transmissions:
            raise BadInput(f"no speaker {label!r} in this version")
        provenance = Provenance(stage="speaker.label", input_sha256=version.output_sha256, engine=ANALYST_ENGINE,
                                options={}, parent_id=version.id)
        return derived.record(workspace, connection, item_id=item_id, case_id=item_case_id(connection, item_id),
                              provenance=provenance, output={"label": label, "name": name,
                                                             "transmissions": transmissions},
                              actor=actor, action="speaker.labelled")
