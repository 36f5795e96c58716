"""What the prosecutor's report says, independent of its format (PDF and DOCX render this model)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from audita.export.figures import MapPoint
from audita.export.records import ItemEvidence, Record, flag_decisions, speaker_names, transmissions

MT_COLUMN = "English (unverified machine translation)"
INDICATOR_NOTE = ("Flagged passages are indicators for an analyst to assess, not findings: each shows the words, "
                  "their time span, the Rome Statute Art. 8 reference the indicator relates to, the reason it was "
                  "raised and the analyst's decision.")
MT_NOTE = ("English renderings are unverified machine translation. The source-language transcript governs; "
           "have any passage relied on translated by a qualified translator.")


@dataclass(frozen=True)
class TranscriptRow:
    start: float
    end: float
    speaker: str
    language: str
    text: str
    translation: str
    note: str


@dataclass(frozen=True)
class FlagRow:
    number: int
    category: str
    article: str
    title: str
    quote: str
    start: float | None
    end: float | None
    transmission: str
    confidence: str
    reason: str
    rule: str
    decision: str


@dataclass(frozen=True)
class EntityRow:
    type: str
    text: str
    normalized: str
    time: str
    place: str


@dataclass(frozen=True)
class FileRow:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class RecordingSection:
    item_id: str
    name: str
    sha256: str
    facts: tuple[tuple[str, str], ...]
    summary: tuple[tuple[str, str], ...]
    transcript_label: str
    rows: tuple[TranscriptRow, ...]
    flags: tuple[FlagRow, ...]
    entities: tuple[EntityRow, ...]
    places: tuple[MapPoint, ...]
    history: tuple[tuple[str, str, str, str], ...]  # (what, who, when, note)
    signal_png: str | None  # package-relative path
    map_png: str | None
    files: tuple[FileRow, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ReportModel:
    case_name: str
    case_id: str
    exported_at: str
    exported_by: str
    audita_version: str
    key_id: str
    recordings: tuple[RecordingSection, ...]
    other_items: tuple[tuple[str, str, str], ...]  # (kind, name, sha256)
    redaction: tuple[str, ...]
    files: tuple[FileRow, ...]


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest / 1000:04.1f}"


def span_text(start: float | None, end: float | None) -> str:
    return f"{clock(start)}–{clock(end)}" if start is not None and end is not None else ""


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def facts_of(detail: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    facts = detail["media_facts"][-1]["facts"] if detail.get("media_facts") else {}
    meta: dict[str, Any] = {}
    for acquisition in detail.get("acquisitions", []):
        meta.update({k: v for k, v in (acquisition.get("metadata") or {}).items() if v not in (None, "")})
    rows: list[tuple[str, str]] = []
    duration = _num(facts.get("decoded_duration"))
    if duration is not None:
        declared = _num(facts.get("declared_duration"))
        rows.append(("Duration", f"{clock(duration)} ({duration:.2f} s decoded"
                     + (f", {declared:.2f} s declared)" if declared is not None else ")")))
    if facts:
        codec = f"{facts.get('codec', '?')} in {facts.get('container', facts.get('format', '?'))}"
        rows.append(("Codec", f"{codec}, {facts.get('sample_rate', '?')} Hz, {facts.get('channels', '?')} channel(s)"))
        rows.append(("Decoded with", _str(facts.get("decoder"))))
        if facts.get("warnings"):
            rows.append(("Decoder warnings", "; ".join(str(w) for w in facts["warnings"])))
    rows.append(("Intercept time (UTC)", _str(meta.get("intercept_time")) or "not recorded"))
    rows.append(("Source", _str(meta.get("source")) or "not recorded"))
    for key, label in (("source_url", "Published at"), ("channel", "Channel"), ("frequency_mhz", "Frequency (MHz)"),
                       ("language", "Declared language"), ("title", "Title"), ("acquisition_notes", "Acquisition notes")):
        if meta.get(key) not in (None, ""):
            rows.append((label, _str(meta[key])))
    receiver = meta.get("receiver_location")
    if isinstance(receiver, dict) and receiver.get("lat") is not None:
        rows.append(("Receiver location", f"{receiver.get('lat')}, {receiver.get('lon')} {receiver.get('description') or ''}".strip()))
    first = detail["acquisitions"][0] if detail.get("acquisitions") else {}
    rows.append(("Ingested", f"{detail.get('created_at', '')} by {detail.get('created_by', '')}"))
    if first.get("original_name"):
        rows.append(("Original file name", _str(first.get("original_name"))))
    rows.append(("Acquisitions", str(len(detail.get("acquisitions", [])))))
    rows.append(("SHA-256 of the original", detail["sha256"]))
    return tuple(rows)


def _changed_by(evidence: ItemEvidence) -> dict[int, tuple[Record, str]]:
    """transmission index -> (the last version that changed its text, the machine text)."""
    versions = evidence.versions
    if len(versions) < 2:
        return {}
    machine = {int(t.get("index", n)): str(t.get("text") or "") for n, t in enumerate(transmissions(versions[0]))}
    out: dict[int, tuple[Record, str]] = {}
    previous = machine
    for version in versions[1:]:
        texts = {int(t.get("index", n)): str(t.get("text") or "") for n, t in enumerate(transmissions(version))}
        for index, text in texts.items():
            if previous.get(index) != text:
                out[index] = (version, machine.get(index, ""))
        previous = texts
    return out


def _transcript_rows(evidence: ItemEvidence, names: dict[str, str]) -> tuple[TranscriptRow, ...]:
    changed = _changed_by(evidence)
    rows = []
    for n, t in enumerate(transmissions(evidence.current)):
        index = int(t.get("index", n))
        if t.get("unintelligible"):
            text = f"[unintelligible: {t.get('unintelligible_reason') or 'unknown'}]"
        else:
            text = _str(t.get("text")) or "[not transcribed]"
        translations = [tr for tr in t.get("translations") or [] if isinstance(tr, dict)]
        translation = " / ".join(_str(tr.get("text")) for tr in translations if tr.get("text"))
        speaker = _str(t.get("speaker"))
        if speaker and names.get(speaker):
            speaker = f"{speaker} ({names[speaker]})"
        notes = []
        if index in changed:
            version, machine_text = changed[index]
            notes.append(f"corrected by {version.created_by} at {version.created_at}; machine: {machine_text or '(empty)'}")
        if t.get("quality_ok") is False:
            notes.append(f"low quality: {t.get('quality_reason') or 'below threshold'}")
        rows.append(TranscriptRow(_num(t.get("start")) or 0.0, _num(t.get("end")) or 0.0, speaker,
                                  _str(t.get("language")), text, translation, "; ".join(notes)))
    return tuple(rows)


def _decision_text(reviews: list[Record]) -> str:
    if not reviews:
        return "pending analyst review"
    parts = []
    for r in reviews:
        note = _str(r.output.get("note")) if isinstance(r.output, dict) else ""
        decision = _str(r.output.get("decision")) if isinstance(r.output, dict) else "?"
        parts.append(f"{decision} by {r.created_by} at {r.created_at}" + (f": {note}" if note else ""))
    standing = parts[-1]
    return standing + (f" (earlier: {'; '.join(parts[:-1])})" if len(parts) > 1 else "")


def _analysis(evidence: ItemEvidence) -> dict[str, Any]:
    record = evidence.analysis
    return record.output if record is not None and isinstance(record.output, dict) else {}


def _flag_rows(evidence: ItemEvidence) -> tuple[FlagRow, ...]:
    decisions = flag_decisions(evidence)
    rows = []
    flags = [f for f in _analysis(evidence).get("flags") or [] if isinstance(f, dict)]
    flags.sort(key=lambda f: (_num(f.get("start")) or 0.0, _str(f.get("id"))))
    for number, flag in enumerate(flags, start=1):
        confidence = _num(flag.get("confidence"))
        rows.append(FlagRow(
            number=number, category=_str(flag.get("category")), article=_str(flag.get("article")) or "—",
            title=_str(flag.get("title")), quote=_str(flag.get("quote")), start=_num(flag.get("start")),
            end=_num(flag.get("end")), transmission=_str(flag.get("transmission")),
            confidence=f"{confidence:.2f}" if confidence is not None else _str(flag.get("confidence")),
            reason=_str(flag.get("reason")), rule=_str(flag.get("rule")),
            decision=_decision_text(decisions.get(_str(flag.get("id")), [])),
        ))
    return tuple(rows)


def _entity_rows(evidence: ItemEvidence) -> tuple[tuple[EntityRow, ...], tuple[MapPoint, ...]]:
    rows, points = [], []
    for entity in _analysis(evidence).get("entities") or []:
        if not isinstance(entity, dict):
            continue
        place = entity.get("place") if isinstance(entity.get("place"), dict) else None
        place_text = ""
        if place and _num(place.get("lat")) is not None and _num(place.get("lon")) is not None:
            number = len(points) + 1
            name = _str(place.get("name")) or _str(entity.get("normalized")) or _str(entity.get("text"))
            points.append(MapPoint(number, name, float(place["lat"]), float(place["lon"])))
            place_text = f"[{number}] {name} ({float(place['lat']):.4f}, {float(place['lon']):.4f})"
        rows.append(EntityRow(_str(entity.get("type")), _str(entity.get("text")), _str(entity.get("normalized")),
                              span_text(_num(entity.get("start")), _num(entity.get("end"))), place_text))
    return tuple(rows), tuple(points)


def receiver_point(detail: dict[str, Any], number: int) -> MapPoint | None:
    for acquisition in detail.get("acquisitions", []):
        location = (acquisition.get("metadata") or {}).get("receiver_location")
        if isinstance(location, dict) and _num(location.get("lat")) is not None and _num(location.get("lon")) is not None:
            return MapPoint(number, "receiver " + _str(location.get("description")), float(location["lat"]),
                            float(location["lon"]), kind="receiver")
    return None


def _history(evidence: ItemEvidence) -> tuple[tuple[str, str, str, str], ...]:
    rows = []
    for n, version in enumerate(evidence.versions):
        if n == 0:
            what = f"machine transcript ({version.engine}) {version.id[:8]}"
            note = ""
        else:
            edit = version.output.get("edit") if isinstance(version.output, dict) else None
            changed = ", ".join(str(i) for i in (edit or {}).get("changed", []) or [])
            what = f"analyst correction v{n} {version.id[:8]}" + (f" (transmissions {changed})" if changed else "")
            note = _str((edit or {}).get("note"))
        rows.append((what, version.created_by, version.created_at, note))
    labelled = {r.id: n for n, r in enumerate(evidence.versions)}
    for row in evidence.speaker_labels:
        out = row.output if isinstance(row.output, dict) else {}
        rows.append((f"speaker label {out.get('label', '?')} = {out.get('name', '?')}", row.created_by, row.created_at,
                     f"on version {labelled.get(row.parent_id or '', '?')}"))
    for row in evidence.flag_reviews:
        out = row.output if isinstance(row.output, dict) else {}
        rows.append((f"flag {out.get('flag_id', '?')}: {out.get('decision', '?')}", row.created_by, row.created_at,
                     _str(out.get("note"))))
    for row in evidence.signoffs:
        out = row.output if isinstance(row.output, dict) else {}
        target = evidence.by_id(row.parent_id)
        what_signed = f"{target.stage} {target.id[:8]}" if target else _str(row.parent_id)[:8]
        rows.append((f"sign-off: {out.get('decision', '?')} of {what_signed}", row.created_by, row.created_at,
                     _str(out.get("note"))))
    return tuple(rows)


def _summary(evidence: ItemEvidence, flags: tuple[FlagRow, ...], entities: tuple[EntityRow, ...],
             names: dict[str, str]) -> tuple[tuple[str, str], ...]:
    items = transmissions(evidence.current)
    if not items:
        return (("Transcript", "none recorded for this item"),)
    unintelligible = sum(1 for t in items if t.get("unintelligible"))
    low = sum(1 for t in items if t.get("quality_ok") is False)
    speakers = sorted({_str(t.get("speaker")) for t in items if t.get("speaker")})
    languages = Counter(_str(t.get("language")) or "unknown" for t in items)
    rows = [
        ("Transmissions", f"{len(items)} ({unintelligible} unintelligible, {low} below the quality threshold)"),
        ("Speakers (voice clusters)", ", ".join(f"{s} = {names[s]}" if s in names else s for s in speakers)
         + (f" ({len(speakers)})" if speakers else "none assigned")),
        ("Languages", ", ".join(f"{lang}: {count}" for lang, count in sorted(languages.items()))),
    ]
    by_category: dict[str, Counter[str]] = {}
    for flag in flags:
        state = flag.decision.split(" ", 1)[0] if not flag.decision.startswith("pending") else "pending"
        by_category.setdefault(flag.category, Counter())[state] += 1
    rows.append(("Flagged passages", "; ".join(
        f"{category}: {sum(c.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) + ")"
        for category, c in sorted(by_category.items())) or "none"))
    rows.append(("Entities", ", ".join(f"{k}: {v}" for k, v in sorted(Counter(e.type for e in entities).items())) or "none"))
    versions = evidence.versions
    current = evidence.current
    approved = [s for s in evidence.signoffs if current is not None and s.parent_id == current.id
                and isinstance(s.output, dict) and s.output.get("decision") == "approved"]
    status = "machine transcript, not corrected" if len(versions) == 1 else f"{len(versions) - 1} analyst correction(s)"
    if approved:
        status += "; current version approved by " + ", ".join(s.created_by for s in approved)
    else:
        status += "; current version not signed off"
    rows.append(("Transcript status", status))
    return tuple(rows)


def recording_section(detail: dict[str, Any], evidence: ItemEvidence, *, signal_png: str | None, map_png: str | None,
                      files: tuple[FileRow, ...], notes: tuple[str, ...]) -> RecordingSection:
    names = {label: _str(row.output.get("name")) for label, row in speaker_names(evidence).items()
             if isinstance(row.output, dict)}
    flags = _flag_rows(evidence)
    entities, points = _entity_rows(evidence)
    receiver = receiver_point(detail, len(points) + 1)
    if receiver is not None:
        points = points + (receiver,)
    current = evidence.current
    if current is None:
        label = "No transcript recorded."
    elif current.stage == "transcript":
        label = f"Machine transcript {current.id[:8]} ({current.engine}), {current.created_at}."
    else:
        label = (f"Current version: analyst correction {current.id[:8]} by {current.created_by}, {current.created_at}. "
                 "Corrected transmissions show the machine text beside them.")
    analysis = evidence.analysis
    if analysis is not None and current is not None and analysis.parent_id != current.id:
        notes = notes + ("The analysis shown was run on an earlier transcript version.",)
    return RecordingSection(
        item_id=detail["id"], name=detail["name"], sha256=detail["sha256"], facts=facts_of(detail),
        summary=_summary(evidence, flags, entities, names), transcript_label=label,
        rows=_transcript_rows(evidence, names), flags=flags, entities=entities, places=points,
        history=_history(evidence), signal_png=signal_png, map_png=map_png if points else None, files=files,
        notes=notes,
    )
