"""Per-recording files: transcripts (current and machine), translations, speakers, analysis with
analyst decisions, and the history of versions, labels, decisions and sign-offs."""

from __future__ import annotations

from typing import Any

from audita.export.records import ItemEvidence, Record, flag_decisions, speaker_names
from audita.export.transcripts import transcript_files, translation_files
from audita.speech.translate import MT_LABEL


def _who(record: Record) -> dict[str, Any]:
    return {"derivation_id": record.id, "by": record.created_by, "at": record.created_at,
            "output_sha256": record.output_sha256, **({"redaction": record.redaction} if record.redaction else {})}


def recording_texts(evidence: ItemEvidence) -> dict[str, str]:
    """File name -> text for the transcript and translation files of one recording."""
    out: dict[str, str] = {}
    current, machine = evidence.current, evidence.machine
    for stem, record in (("transcript.current", current), ("transcript.machine", machine)):
        if record is not None and isinstance(record.output, dict):
            out.update(transcript_files(record.output, stem))
    if current is not None and isinstance(current.output, dict):
        out.update(translation_files(current.output, "translation.current"))
    return out


def speakers_json(evidence: ItemEvidence) -> dict[str, Any]:
    current = evidence.current
    clusters = current.output.get("speakers", {}) if current is not None and isinstance(current.output, dict) else {}
    labels = []
    for label, row in sorted(speaker_names(evidence).items()):
        output = row.output if isinstance(row.output, dict) else {}
        labels.append({"label": label, "name": output.get("name"), "transmissions": output.get("transmissions"),
                       "version_id": row.parent_id, **_who(row)})
    return {
        "note": "Clusters (S1, S2, …) group transmissions by voice within this recording; they are not identities. "
                "Names are analyst labels.",
        "clusters": clusters,
        "analyst_labels": labels,
        "all_label_rows": [{"output": r.output, "version_id": r.parent_id, **_who(r)} for r in evidence.speaker_labels],
    }


def analysis_json(evidence: ItemEvidence) -> dict[str, Any] | None:
    record = evidence.analysis
    if record is None or not isinstance(record.output, dict):
        return None
    decisions = flag_decisions(evidence)
    flags = []
    for flag in record.output.get("flags") or []:
        if not isinstance(flag, dict):
            continue
        reviews = [{"decision": r.output.get("decision"), "note": r.output.get("note"), **_who(r)}
                   for r in decisions.get(str(flag.get("id")), [])]
        flags.append({**flag, "analyst_decisions": reviews,
                      "standing_decision": reviews[-1]["decision"] if reviews else "pending"})
    return {
        "note": "Flags are indicators for an analyst to assess, not findings.",
        "analysis": _who(record) | {"engine": record.engine, "of_transcript_version": record.parent_id,
                                    "schema": record.output.get("schema")},
        "entities": record.output.get("entities") or [],
        "flags": flags,
        "other_analyses": [_who(r) | {"of_transcript_version": r.parent_id} for r in evidence.stage("analysis")
                           if r.id != record.id],
    }


def history_json(evidence: ItemEvidence) -> dict[str, Any]:
    versions = []
    for n, record in enumerate(evidence.versions):
        output = record.output if isinstance(record.output, dict) else {}
        edit = output.get("edit") if isinstance(output.get("edit"), dict) else {}
        versions.append({"version": n, "stage": record.stage, "engine": record.engine, "parent_id": record.parent_id,
                         "edit_note": edit.get("note"), "changed_transmissions": edit.get("changed"), **_who(record)})
    return {
        "current_version_id": evidence.current.id if evidence.current else None,
        "versions": versions,
        "signoffs": [{"of": r.parent_id, "of_stage": (evidence.by_id(r.parent_id).stage if evidence.by_id(r.parent_id) else None),
                      "decision": r.output.get("decision") if isinstance(r.output, dict) else None,
                      "note": r.output.get("note") if isinstance(r.output, dict) else None, **_who(r)}
                     for r in evidence.signoffs],
        "flag_reviews": [{"analysis_id": r.parent_id, "output": r.output, **_who(r)} for r in evidence.stage("flag.review")],
        "translation_label": MT_LABEL,
    }
