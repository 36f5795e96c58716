"""Incidents: intercepts and reports about the same event, grouped by suggested links that analysts
accept or split.

Each item of a case gets a profile: its dates (intercept time; a document's publication or capture
time and the dates it mentions), places and coordinates, call signs, units and people (latest
``analysis`` or ``document.extract``), its words (transcript transmissions and translations) and a
document's quotes, and its near-duplicate matches. A pair of items scores points for overlapping
dates, shared places, shared entities, a quote found in the other's words, and audio republication;
a pair over the threshold is a suggested link, stored as an ``incident.link`` derivation (reused
while the evidence is unchanged; a pair that no longer qualifies gets a row saying so). Analyst
decisions are ``incident.decision`` rows (``accepted`` or ``split``), always new, newest wins.

Incidents are the groups those links make: accepted links first, then suggested ones by score,
never joining two groups that an analyst split apart. An incident's id is derived from its
members, so it changes when they do; its timeline lists each member's dated events in order.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import Connection, select

from audita.cases import get_case
from audita.derived import Derivation, Provenance, find_reusable, history, latest, record
from audita.errors import BadInput, NotFound
from audita.provenance import canonical_json, sha256_hex, utc_now
from audita.search.index import place_keys
from audita.search.query import token_forms
from audita.store.schema import acquisitions, items
from audita.text import tokenize
from audita.transcripts import current_transcript
from audita.workspace import Workspace

LINK_STAGE = "incident.link"
DECISION_STAGE = "incident.decision"
INCIDENTS_VERSION = "1"
Decision = Literal["accepted", "split"]
ENTITY_TYPES = ("callsign", "unit", "person", "org")


@dataclass(frozen=True)
class IncidentOptions:
    threshold: float = 0.5
    same_day: float = 0.25  # dates within one day
    near_days: float = 0.1  # within three days
    far_days: int = 14  # further apart than this: no link unless words or audio match
    shared_place: float = 0.3
    place_km: float = 10.0  # coordinates this close count as the same place
    shared_entity: float = 0.15
    max_entities: float = 0.3
    quote_match: float = 0.5
    quote_containment: float = 0.6  # share of a quote's words found in the other item
    min_quote_words: int = 3
    audio_republication: float = 0.6
    audio_possible: float = 0.3

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Profile:
    item_id: str
    kind: str
    name: str
    dates: tuple[str, ...]  # ISO dates (YYYY-MM-DD) the item is about
    time: str | None  # the item's own time: intercept, publication or capture
    places: tuple[str, ...]  # place names as found
    place_keys: frozenset[str]
    coordinates: tuple[tuple[float, float], ...]
    entities: frozenset[str]  # "type:normalised name"
    passages: tuple[tuple[str, frozenset[str]], ...]  # (label, canonical lemmas) of transmissions / paragraphs
    quotes: tuple[tuple[str, tuple[str, ...]], ...]  # (quote text, canonical lemmas)
    audio: tuple[tuple[str, str, float], ...]  # (other item, confidence, score) from near-duplicates

    def digest(self) -> str:
        data = asdict(self)
        data["place_keys"] = sorted(self.place_keys)
        data["entities"] = sorted(self.entities)
        data["passages"] = [[label, sorted(words)] for label, words in self.passages]
        return sha256_hex(canonical_json(data))


@dataclass(frozen=True)
class Evidence:
    kind: str  # "time" | "place" | "entity" | "quote" | "audio" | "far_apart"
    detail: str
    points: float

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": self.detail, "points": round(self.points, 3)}


@dataclass(frozen=True)
class Link:
    items: tuple[str, str]  # sorted
    score: float
    evidence: tuple[Evidence, ...]
    suggested: bool
    status: str = "suggested"  # "suggested" | "accepted" | "split" | "withdrawn"
    derivation_id: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"items": list(self.items), "score": round(self.score, 3), "suggested": self.suggested,
                "status": self.status, "evidence": [e.to_dict() for e in self.evidence],
                "derivation_id": self.derivation_id, "note": self.note}


@dataclass(frozen=True)
class TimelineEvent:
    time: str | None
    item_id: str
    kind: str  # "intercept" | "published" | "captured" | "mentioned" | "message"
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Incident:
    id: str
    items: tuple[str, ...]
    links: tuple[Link, ...]
    timeline: tuple[TimelineEvent, ...]
    places: tuple[str, ...]
    first: str | None
    last: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "items": list(self.items), "links": [link.to_dict() for link in self.links],
                "timeline": [event.to_dict() for event in self.timeline], "places": list(self.places),
                "first": self.first, "last": self.last}


@dataclass(frozen=True)
class IncidentReport:
    case_id: str
    incidents: tuple[Incident, ...]
    split: tuple[Link, ...] = field(default_factory=tuple)
    recorded: int = 0  # link rows written by this call

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "incidents": [i.to_dict() for i in self.incidents],
                "split": [link.to_dict() for link in self.split], "recorded": self.recorded}


# ---- profiles ---------------------------------------------------------------------------------------


def canonical_lemmas(text: str, language: str | None = None) -> tuple[str, ...]:
    """The most likely normal form of each word of three letters or more (and negations)."""
    out = []
    for word, _, _ in tokenize(text):
        forms = token_forms(word, language)
        lemma = forms[1] if len(forms) > 1 else forms[0]
        if len(lemma) >= 3 or lemma in ("не", "ні", "no", "not"):
            out.append(lemma)
    return tuple(out)


def _entity_keys(entities: list[Any]) -> tuple[set[str], list[str], list[tuple[float, float]], set[str]]:
    keys: set[str] = set()
    names: list[str] = []
    coordinates: list[tuple[float, float]] = []
    places: set[str] = set()
    for entity in entities:
        if not isinstance(entity, dict):
            continue
        kind = entity.get("type")
        value = entity.get("normalized") or entity.get("text")
        if kind == "place":
            place = entity.get("place") if isinstance(entity.get("place"), dict) else {}
            spellings = [n.strip() for n in (place.get("name"), entity.get("normalized"), entity.get("text"))
                         if isinstance(n, str) and n.strip()]
            for name in spellings:
                places.update(place_keys(name))
            # shown once per place: the gazetteer's name when geocoded, else the words as normalised
            if spellings and spellings[0] not in names:
                names.append(spellings[0])
            lat, lon = place.get("lat"), place.get("lon")
            if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
                coordinates.append((float(lat), float(lon)))
        elif kind in ENTITY_TYPES and isinstance(value, str) and value.strip():
            keys.add(f"{kind}:{' '.join(canonical_lemmas(value)) or value.strip().lower()}")
    return keys, names, coordinates, places


def _day(value: Any) -> str | None:
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    return None


def build_profile(connection: Connection, item_id: str) -> Profile:
    row = connection.execute(select(items).where(items.c.id == item_id)).first()
    if row is None:
        raise NotFound(f"no item {item_id!r}")
    metadata = [json.loads(r.metadata_json) for r in connection.execute(
        select(acquisitions.c.metadata_json).where(acquisitions.c.item_id == item_id)
        .order_by(acquisitions.c.acquired_at, acquisitions.c.id)).all()]
    dates: list[str] = []
    passages: list[tuple[str, frozenset[str]]] = []
    quotes: list[tuple[str, tuple[str, ...]]] = []
    audio: list[tuple[str, str, float]] = []
    time: str | None = None
    if row.kind == "document":
        text_row = latest(connection, item_id, "document.text")
        extract_row = latest(connection, item_id, "document.extract")
        document = text_row.output if text_row is not None else {}
        extract = extract_row.output if extract_row is not None else {}
        captured = next((m.get("captured_at") for m in metadata if m.get("captured_at")), None)
        time = document.get("published") or captured
        language = extract.get("language")
        for found in extract.get("dates") or []:
            if _day(found.get("date")):
                dates.append(_day(found["date"]))  # type: ignore[arg-type]
        if not dates and _day(time):
            dates.append(_day(time))  # type: ignore[arg-type]
        for paragraph in document.get("paragraphs") or []:
            if _day(paragraph.get("time")):
                dates.append(_day(paragraph["time"]))  # type: ignore[arg-type]
            passages.append((f"¶{paragraph['index']}", frozenset(canonical_lemmas(paragraph["text"], language))))
        for quote in extract.get("quotes") or []:
            quotes.append((quote["text"], canonical_lemmas(quote["text"], language)))
        entities = extract.get("entities") or []
    else:
        time = next((m.get("intercept_time") for m in metadata if m.get("intercept_time")), None)
        if _day(time):
            dates.append(_day(time))  # type: ignore[arg-type]
        transcript = current_transcript(connection, item_id)
        for transmission in (transcript.output.get("transmissions") or []) if transcript is not None else []:
            if not isinstance(transmission, dict) or transmission.get("unintelligible"):
                continue
            words = set(canonical_lemmas(transmission.get("text") or "", transmission.get("language")))
            for rendering in transmission.get("translations") or []:
                if isinstance(rendering, dict) and isinstance(rendering.get("text"), str):
                    words.update(canonical_lemmas(rendering["text"], "en"))
            passages.append((f"#{transmission.get('index')} {float(transmission.get('start') or 0):.1f} s",
                             frozenset(words)))
        analysis = latest(connection, item_id, "analysis")
        entities = (analysis.output.get("entities") or []) if analysis is not None else []
        duplicates = latest(connection, item_id, "duplicates")
        for match in (duplicates.output.get("matches") or []) if duplicates is not None else []:
            audio.append((match["other_id"], match["confidence"], float(match["score"])))
    keys, names, coordinates, places = _entity_keys(entities)
    return Profile(item_id, row.kind, row.display_name, tuple(sorted(set(dates))), time, tuple(names),
                   frozenset(places), tuple(coordinates), frozenset(keys), tuple(passages), tuple(quotes),
                   tuple(sorted(audio)))


# ---- scoring ----------------------------------------------------------------------------------------


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(h)))


def _quote_evidence(a: Profile, b: Profile, options: IncidentOptions) -> Evidence | None:
    best: tuple[float, str, str] | None = None
    for quoting, other in ((a, b), (b, a)):
        for text, words in quoting.quotes:
            if len(words) < options.min_quote_words:
                continue
            wanted = set(words)
            for label, passage in other.passages:
                share = len(wanted & passage) / len(wanted)
                if best is None or share > best[0]:
                    best = (share, text, f"{other.item_id[:12]} {label}")
            for other_text, other_words in other.quotes:
                if len(other_words) >= options.min_quote_words:
                    share = len(wanted & set(other_words)) / len(wanted | set(other_words))
                    if best is None or share > best[0]:
                        best = (share, text, f"{other.item_id[:12]} quote «{other_text[:60]}»")
    if best is None or best[0] < options.quote_containment:
        return None
    return Evidence("quote", f"«{best[1][:80]}» in {best[2]} ({best[0]:.0%} of its words)", options.quote_match)


def score_pair(a: Profile, b: Profile, options: IncidentOptions | None = None) -> tuple[float, tuple[Evidence, ...]]:
    options = options or IncidentOptions()
    evidence: list[Evidence] = []
    gap: int | None = None
    if a.dates and b.dates:
        gap = min(abs((date.fromisoformat(x) - date.fromisoformat(y)).days) for x in a.dates for y in b.dates)
        if gap <= 1:
            evidence.append(Evidence("time", f"dates {gap} day(s) apart", options.same_day))
        elif gap <= 3:
            evidence.append(Evidence("time", f"dates {gap} days apart", options.near_days))
    shared = sorted(a.place_keys & b.place_keys)
    near = [(p, q) for p in a.coordinates for q in b.coordinates if _km(p, q) <= options.place_km]
    if shared or near:
        names = (sorted({n for n in a.places if set(place_keys(n)) & b.place_keys}) or shared
                 or [f"{len(near)} coordinate pair(s) within {options.place_km:g} km"])
        evidence.append(Evidence("place", "shared place: " + ", ".join(names[:3]), options.shared_place))
    entities = sorted(a.entities & b.entities)
    if entities:
        evidence.append(Evidence("entity", "shared: " + ", ".join(entities[:4]),
                                 min(options.max_entities, options.shared_entity * len(entities))))
    quote = _quote_evidence(a, b, options)
    if quote is not None:
        evidence.append(quote)
    audio = [(o, c, s) for o, c, s in a.audio if o == b.item_id] + [(o, c, s) for o, c, s in b.audio if o == a.item_id]
    if audio:
        _, confidence, value = max(audio, key=lambda t: t[2])
        evidence.append(Evidence("audio", f"near-duplicate audio ({confidence}, {value:.2f})",
                                 options.audio_republication if confidence == "republication" else options.audio_possible))
    score = sum(e.points for e in evidence)
    strong = any(e.kind in ("quote", "audio") for e in evidence)
    if gap is not None and gap > options.far_days and not strong:
        evidence.append(Evidence("far_apart", f"dates {gap} days apart", -score))
        score = 0.0
    return score, tuple(evidence)


# ---- the store ----------------------------------------------------------------------------------------


def _pair(a: str, b: str) -> tuple[str, str]:
    if a == b:
        raise BadInput("a link needs two different items")
    return (a, b) if a < b else (b, a)


def _case_items(connection: Connection, case_id: str) -> list[str]:
    return list(connection.execute(
        select(items.c.id).where(items.c.case_id == case_id, items.c.kind.in_(("recording", "document")))
        .order_by(items.c.created_at, items.c.id)).scalars())


def _recorded_links(connection: Connection, item_ids: list[str]) -> tuple[dict[tuple[str, str], Derivation],
                                                                         dict[tuple[str, str], Derivation]]:
    links: dict[tuple[str, str], Derivation] = {}
    decisions: dict[tuple[str, str], Derivation] = {}
    for item_id in item_ids:
        for stage, target in ((LINK_STAGE, links), (DECISION_STAGE, decisions)):
            for row in history(connection, item_id, stage):  # oldest first: the newest per pair wins
                pair = tuple(row.output.get("items") or ())
                if len(pair) == 2:
                    target[(pair[0], pair[1])] = row
    return links, decisions


def suggest_incidents(workspace: Workspace, case: str, *, actor: str, options: IncidentOptions | None = None,
                      progress: Callable[[int, int, str], None] | None = None) -> IncidentReport:
    """Score every pair of the case's items, record new or changed link suggestions, and return
    the incidents with decisions applied."""
    options = options or IncidentOptions()
    with workspace.reading() as connection:
        case_row = get_case(connection, case)
        item_ids = _case_items(connection, case_row.id)
        profiles = {i: build_profile(connection, i) for i in item_ids}
        links, _ = _recorded_links(connection, item_ids)
    recorded = 0
    pairs = list(itertools.combinations(sorted(item_ids), 2))
    for number, (a, b) in enumerate(pairs):
        if progress is not None and number % 50 == 0:
            progress(number, len(pairs), f"{a[:8]}–{b[:8]}")
        score, evidence = score_pair(profiles[a], profiles[b], options)
        suggested = score >= options.threshold
        previous = links.get((a, b))
        if not suggested and (previous is None or not previous.output.get("suggested")):
            continue
        provenance = Provenance(
            stage=LINK_STAGE,
            input_sha256=sha256_hex(canonical_json({"a": profiles[a].digest(), "b": profiles[b].digest()})),
            engine=f"audita.search.incidents/{INCIDENTS_VERSION}", options=options.to_dict(),
        )
        output = {"schema": "audita.incident.link/1", "items": [a, b], "score": round(score, 4),
                  "suggested": suggested, "evidence": [e.to_dict() for e in evidence]}
        with workspace.action() as connection:
            found = find_reusable(connection, a, provenance)
            if found is not None and found.output == output and (previous is None or previous.id == found.id):
                continue
            record(workspace, connection, item_id=a, case_id=case_row.id, provenance=provenance, output=output,
                   actor=actor)
            recorded += 1
    report = list_incidents(workspace, case)
    return IncidentReport(report.case_id, report.incidents, report.split, recorded)


def decide_link(workspace: Workspace, case: str, item_a: str, item_b: str, decision: Decision, *, actor: str,
                note: str = "") -> Derivation:
    """Record an analyst's decision on a pair: ``accepted`` (same event) or ``split`` (different events)."""
    if decision not in ("accepted", "split"):
        raise BadInput(f"decision must be 'accepted' or 'split', not {decision!r}")
    a, b = _pair(item_a, item_b)
    with workspace.action() as connection:
        case_row = get_case(connection, case)
        found = set(connection.execute(select(items.c.id).where(items.c.case_id == case_row.id,
                                                                items.c.id.in_((a, b)))).scalars())
        missing = sorted({a, b} - found)
        if missing:
            raise NotFound(f"item {missing[0]} is not in case {case_row.name!r}")
        links, _ = _recorded_links(connection, [a])
        parent = links.get((a, b))
        output = {"schema": "audita.incident.decision/1", "items": [a, b], "decision": decision,
                  "note": note.strip()}
        provenance = Provenance(
            stage=DECISION_STAGE,
            input_sha256=sha256_hex(canonical_json({"items": [a, b], "decision": decision, "note": note.strip(),
                                                    "at": utc_now(), "by": actor})),
            engine="analyst", options={}, parent_id=parent.id if parent is not None else None,
        )
        return record(workspace, connection, item_id=a, case_id=case_row.id, provenance=provenance, output=output,
                      actor=actor, action="item.reviewed")


def _timeline(profiles: dict[str, Profile], connection: Connection, members: list[str]) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for item_id in members:
        profile = profiles[item_id]
        if profile.kind == "document":
            if profile.time:
                events.append(TimelineEvent(profile.time, item_id, "published", profile.name))
            extract = latest(connection, item_id, "document.extract")
            output = extract.output if extract is not None else {}
            for found in output.get("dates") or []:
                events.append(TimelineEvent(found.get("date"), item_id, "mentioned", found.get("text", "")))
            for claim in output.get("casualties") or []:
                parts = [str(claim.get("kind")), str(claim.get("count") or ""), str(claim.get("who") or "")]
                what = " ".join(part for part in parts if part)
                events.append(TimelineEvent(profile.time, item_id, "claim", f"{what}: {claim.get('text', '')[:120]}"))
        else:
            transcript = current_transcript(connection, item_id)
            first = ""
            if transcript is not None:
                texts = [t.get("text") for t in transcript.output.get("transmissions") or [] if t.get("text")]
                first = " / ".join(texts[:2])[:160]
            events.append(TimelineEvent(profile.time, item_id, "intercept", first or profile.name))
    return sorted(events, key=lambda e: (e.time is None, e.time or "", e.item_id, e.kind, e.text))


def list_incidents(workspace: Workspace, case: str) -> IncidentReport:
    """Incidents from the recorded links and decisions (nothing is computed or written)."""
    with workspace.reading() as connection:
        case_row = get_case(connection, case)
        item_ids = _case_items(connection, case_row.id)
        links, decisions = _recorded_links(connection, item_ids)
        current: dict[tuple[str, str], Link] = {}
        for pair, row in links.items():
            output = row.output
            current[pair] = Link(pair, float(output.get("score", 0.0)),
                                 tuple(Evidence(e["kind"], e["detail"], float(e["points"])) for e in output.get("evidence", [])),
                                 bool(output.get("suggested")), "suggested" if output.get("suggested") else "withdrawn",
                                 row.id)
        for pair, row in decisions.items():
            base = current.get(pair) or Link(pair, 0.0, (), False, derivation_id=None)
            current[pair] = Link(pair, base.score, base.evidence, base.suggested, row.output["decision"], row.id,
                                 row.output.get("note") or None)
        split_pairs = {pair for pair, link in current.items() if link.status == "split"}
        ordered = sorted((link for link in current.values() if link.status in ("accepted", "suggested")),
                         key=lambda link: (link.status != "accepted", -link.score, link.items))
        group: dict[str, set[str]] = {}
        used: list[Link] = []
        for link in ordered:
            a, b = link.items
            left, right = group.get(a, {a}), group.get(b, {b})
            if left is right:
                used.append(link)
                continue
            if any(_pair(x, y) in split_pairs for x in left for y in right):
                continue
            merged = left | right
            for member in merged:
                group[member] = merged
            used.append(link)
        seen: list[frozenset[str]] = []
        for members in group.values():
            if frozenset(members) not in seen:
                seen.append(frozenset(members))
        profiles = {i: build_profile(connection, i) for i in {m for s in seen for m in s}}
        incidents = []
        for members in seen:
            ordered_members = sorted(members)
            timeline = _timeline(profiles, connection, ordered_members)
            times = [e.time for e in timeline if e.time]
            places = sorted({name for m in ordered_members for name in profiles[m].places})
            incidents.append(Incident(
                id="inc-" + sha256_hex(canonical_json(ordered_members))[:10], items=tuple(ordered_members),
                links=tuple(link for link in used if link.items[0] in members), timeline=tuple(timeline),
                places=tuple(places), first=min(times) if times else None, last=max(times) if times else None,
            ))
    incidents.sort(key=lambda i: (i.first is None, i.first or "", i.id))
    split = tuple(sorted((current[p] for p in split_pairs), key=lambda link: link.items))
    return IncidentReport(case_row.id, tuple(incidents), split)
