"""What the search index holds for one item, read from the store.

Per recording: each transmission of the current transcript, of the machine transcript where an
analyst changed it, and of every translation; analyst notes (transcript edits, flag reviews,
sign-offs, incident decisions). Per document: each paragraph, and the same notes. Per item: its date
(intercept time, document publication or capture time), the places named by the latest analysis or
document extraction, and the indicator categories of flags no analyst rejected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from audita.derived import Derivation, history, latest
from audita.provenance import canonical_json, sha256_hex
from audita.store.schema import acquisitions, derivations, items
from audita.text import detect_language
from audita.transcripts import current_transcript, machine_transcript

# Stages whose rows change what the index holds for an item (their ids make up its signature).
INDEXED_STAGES = (
    "transcript", "transcript.edit", "speaker.label", "analysis", "flag.review", "review.signoff",
    "document.text", "document.extract", "incident.decision",
)
NOTE_STAGES = ("transcript.edit", "flag.review", "review.signoff", "incident.decision")


@dataclass(frozen=True)
class Entry:
    """One searchable passage."""

    item_id: str
    case_id: str
    item_kind: str
    item_name: str
    source: str  # "transcript" | "machine" | "translation" | "document" | "note"
    derivation_id: str
    text: str
    language: str | None
    transmission: int | None = None
    paragraph: int | None = None
    start: float | None = None
    end: float | None = None
    char_start: int | None = None
    char_end: int | None = None
    speaker: str | None = None
    speaker_name: str | None = None
    date: str | None = None
    categories: tuple[str, ...] = ()
    words: tuple[tuple[float, float, str], ...] = ()  # word timings (seconds, absolute) for transcripts
    author: str | None = None  # who wrote a note
    note_kind: str | None = None


@dataclass(frozen=True)
class ItemFacets:
    item_id: str
    case_id: str
    date: str | None
    places: tuple[str, ...]  # place names as found (normalised and surface forms)
    categories: tuple[str, ...]
    entries: tuple[Entry, ...] = field(default_factory=tuple)


def item_signatures(connection: Connection) -> dict[str, tuple[str, str]]:
    """item id -> (case id, signature of everything the index reads for it)."""
    parts: dict[str, list[str]] = {}
    cases: dict[str, str] = {}
    for row in connection.execute(select(items.c.id, items.c.case_id, items.c.kind)).all():
        parts[row.id] = [f"kind:{row.kind}"]
        cases[row.id] = row.case_id
    for row in connection.execute(select(acquisitions.c.item_id, acquisitions.c.id)).all():
        parts.setdefault(row.item_id, []).append(f"acq:{row.id}")
    for row in connection.execute(
        select(derivations.c.item_id, derivations.c.id).where(derivations.c.stage.in_(INDEXED_STAGES))
    ).all():
        parts.setdefault(row.item_id, []).append(f"der:{row.id}")
    return {item_id: (cases[item_id], sha256_hex(canonical_json(sorted(values))))
            for item_id, values in parts.items() if item_id in cases}


def _acquisition_metadata(connection: Connection, item_id: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(acquisitions.c.metadata_json).where(acquisitions.c.item_id == item_id)
        .order_by(acquisitions.c.acquired_at, acquisitions.c.id)
    ).all()
    return [json.loads(r.metadata_json) for r in rows]


def _rejected_flags(connection: Connection, item_id: str) -> set[str]:
    decisions: dict[str, str] = {}
    for row in history(connection, item_id, "flag.review"):
        output = row.output if isinstance(row.output, dict) else {}
        if output.get("flag_id"):
            decisions[str(output["flag_id"])] = str(output.get("decision", ""))
    return {flag for flag, decision in decisions.items() if decision == "rejected"}


def _place_names(entities: list[Any]) -> list[str]:
    names: list[str] = []
    for entity in entities:
        if not isinstance(entity, dict) or entity.get("type") != "place":
            continue
        place = entity.get("place") if isinstance(entity.get("place"), dict) else {}
        for value in (entity.get("normalized"), entity.get("text"), place.get("name")):
            if isinstance(value, str) and value.strip() and value.strip() not in names:
                names.append(value.strip())
    return names


def _speaker_names(connection: Connection, item_id: str) -> tuple[dict[str, str], dict[int, str]]:
    """Analyst labels: cluster label -> name, and transmission -> name where transmissions are listed."""
    by_label: dict[str, str] = {}
    by_transmission: dict[int, str] = {}
    for row in history(connection, item_id, "speaker.label"):
        output = row.output if isinstance(row.output, dict) else {}
        name = output.get("name")
        if not isinstance(name, str) or not name:
            continue
        if isinstance(output.get("label"), str):
            by_label[output["label"]] = name
        for index in output.get("transmissions") or []:
            if isinstance(index, int):
                by_transmission[index] = name
    return by_label, by_transmission


def _item_date(kind: str, metadata: list[dict[str, Any]], document: dict[str, Any] | None) -> str | None:
    if kind == "document":
        if document and document.get("published"):
            return str(document["published"])
        captured = [m.get("captured_at") for m in metadata if m.get("captured_at")]
        return str(captured[0]) if captured else None
    times = [m.get("intercept_time") for m in metadata if m.get("intercept_time")]
    return str(times[0]) if times else None


def _word_timings(transmission: dict[str, Any]) -> tuple[tuple[float, float, str], ...]:
    out = []
    for word in transmission.get("words") or []:
        try:
            out.append((float(word["start"]), float(word["end"]), str(word["word"])))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def _transcript_entries(base: dict[str, Any], version: Derivation, source: str, names: tuple[dict[str, str], dict[int, str]],
                        categories: dict[int, set[str]], skip: dict[int, str] | None = None) -> list[Entry]:
    by_label, by_transmission = names
    entries: list[Entry] = []
    output = version.output if isinstance(version.output, dict) else {}
    for transmission in output.get("transmissions") or []:
        if not isinstance(transmission, dict):
            continue
        index = transmission.get("index")
        text = transmission.get("text") or ""
        speaker = transmission.get("speaker")
        name = by_transmission.get(index) or (by_label.get(speaker) if isinstance(speaker, str) else None)
        common = dict(base, transmission=index, start=transmission.get("start"), end=transmission.get("end"),
                      speaker=speaker, speaker_name=name, categories=tuple(sorted(categories.get(index, ()))))
        if text.strip() and not transmission.get("unintelligible") and (skip is None or skip.get(index) != text):
            entries.append(Entry(**common, source=source, derivation_id=version.id, text=text,
                                 language=transmission.get("language"), words=_word_timings(transmission)))
        if source != "transcript":
            continue
        for number, rendering in enumerate(transmission.get("translations") or []):
            rendered = rendering.get("text") if isinstance(rendering, dict) else None
            if isinstance(rendered, str) and rendered.strip():
                entries.append(Entry(**common, source="translation", derivation_id=version.id, text=rendered,
                                     language="en", note_kind=str(rendering.get("method") or number)))
    return entries


def _notes(connection: Connection, base: dict[str, Any], flags_by_id: dict[str, dict[str, Any]]) -> list[Entry]:
    entries: list[Entry] = []
    for stage in NOTE_STAGES:
        for row in history(connection, base["item_id"], stage):
            output = row.output if isinstance(row.output, dict) else {}
            note = output.get("edit", {}).get("note") if stage == "transcript.edit" else output.get("note")
            if not isinstance(note, str) or not note.strip():
                continue
            transmission = None
            start = end = None
            if stage == "transcript.edit":
                changed = output.get("edit", {}).get("changed") or []
                transmission = changed[0] if changed and isinstance(changed[0], int) else None
            elif stage == "flag.review":
                flag = flags_by_id.get(str(output.get("flag_id")), {})
                transmission = flag.get("transmission") if isinstance(flag.get("transmission"), int) else None
                start, end = flag.get("start"), flag.get("end")
            entries.append(Entry(**base, source="note", derivation_id=row.id, text=note.strip(),
                                 language=detect_language(note), transmission=transmission, start=start, end=end,
                                 author=row.created_by, note_kind=stage))
    return entries


def read_item(connection: Connection, item_id: str) -> ItemFacets | None:
    """Everything the index needs about one item."""
    row = connection.execute(select(items).where(items.c.id == item_id)).first()
    if row is None:
        return None
    metadata = _acquisition_metadata(connection, item_id)
    document_row = latest(connection, item_id, "document.text")
    document = document_row.output if document_row is not None and isinstance(document_row.output, dict) else None
    date = _item_date(row.kind, metadata, document)
    base = dict(item_id=item_id, case_id=row.case_id, item_kind=row.kind, item_name=row.display_name, date=date)
    rejected = _rejected_flags(connection, item_id)
    entries: list[Entry] = []
    places: list[str] = []
    flag_categories: set[str] = set()
    flags_by_id: dict[str, dict[str, Any]] = {}
    categories_at: dict[int, set[str]] = {}

    def take_flags(flags: list[Any]) -> None:
        for flag in flags:
            if not isinstance(flag, dict):
                continue
            if flag.get("id") is not None:
                flags_by_id[str(flag["id"])] = flag
            if str(flag.get("id")) in rejected or not flag.get("category"):
                continue
            flag_categories.add(str(flag["category"]))
            where = flag.get("transmission") if isinstance(flag.get("transmission"), int) else flag.get("paragraph")
            if isinstance(where, int):
                categories_at.setdefault(where, set()).add(str(flag["category"]))

    if row.kind == "document":
        extract_row = latest(connection, item_id, "document.extract")
        extract = extract_row.output if extract_row is not None and isinstance(extract_row.output, dict) else {}
        places = _place_names(extract.get("entities") or [])
        take_flags(extract.get("flags") or [])
        language = extract.get("language")
        for paragraph in (document or {}).get("paragraphs") or []:
            entries.append(Entry(
                **dict(base, date=paragraph.get("time") or date), source="document",
                derivation_id=document_row.id if document_row else "", text=paragraph["text"],
                language=language if language in ("ru", "uk", "en") else detect_language(paragraph["text"]),
                paragraph=paragraph["index"], char_start=paragraph["char_start"], char_end=paragraph["char_end"],
                speaker=paragraph.get("author"), categories=tuple(sorted(categories_at.get(paragraph["index"], ()))),
            ))
    else:
        analysis_row = latest(connection, item_id, "analysis")
        analysis = analysis_row.output if analysis_row is not None and isinstance(analysis_row.output, dict) else {}
        places = _place_names(analysis.get("entities") or [])
        take_flags(analysis.get("flags") or [])
        names = _speaker_names(connection, item_id)
        current = current_transcript(connection, item_id)
        if current is not None:
            entries += _transcript_entries(base, current, "transcript", names, categories_at)
            machine = machine_transcript(connection, item_id)
            if machine is not None and machine.id != current.id:
                current_texts = {t.get("index"): t.get("text") for t in current.output.get("transmissions", [])
                                 if isinstance(t, dict)}
                entries += _transcript_entries(base, machine, "machine", names, categories_at, skip=current_texts)
    entries += _notes(connection, base, flags_by_id)
    return ItemFacets(item_id, row.case_id, date, tuple(places), tuple(sorted(flag_categories)), tuple(entries))
