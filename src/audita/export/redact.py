"""Redaction for an export: spans of audio and terms, applied consistently to audio, transcripts,
translations, analysis, metadata and the report.

A redaction spec is JSON:

    {"spans": [{"item_id": "…", "start": 12.4, "end": 13.1, "reason": "witness name"}],
     "terms": [{"text": "Петренк", "reason": "personal name", "match": "prefix"}]}

* A span is extended to whole words: every word (in any transcript version) that overlaps it is
  covered, so no fragment of a redacted word stays audible or legible.
* A term found in a transcript's words adds a span over those words, padded by TERM_PAD_S into the
  silence around them but never into a neighbouring word; a term
  found in a transmission's text or translation but not locatable in its words adds a span over
  the whole transmission.
* Audio over every span becomes a 1 kHz tone. Words overlapping a span become one
  ``[REDACTED: reason]``; every translation of a transmission touched by a span is replaced whole
  (a translation cannot be aligned to source words). A transmission whose text no longer matches
  its words (an analyst's edit) is replaced whole when a span touches it, and so is the edit's
  note when it changed a transmission a span touches.
* Terms are then replaced wherever they remain: text, translations, edit notes, analysis,
  metadata, option values. Matching ignores case, treats е/ё alike, respects word boundaries;
  ``"match": "prefix"`` matches any word that starts with the text, so a stem covers inflected
  forms (``Петренк`` → Петренко, Петренка, Петренку).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audita.errors import BadInput

TONE_HZ = 1000.0
TONE_LEVEL = 0.3  # about -10 dBFS peak
TERM_PAD_S = 0.15
SPAN_TOLERANCE_S = 0.05  # a span may end this far past the decoded end (rounding of durations)
MAX_REASON = 200
PLACEHOLDER_RE = re.compile(r"\[REDACTED: [^\]]*\]")
# Keys whose string values carry words taken from the recording (analysis and similar outputs).
CONTENT_KEYS = frozenset({"text", "quote", "word", "normalized", "reason", "note", "translation", "rejected_text",
                          "name", "context", "excerpt", "snippet"})


def placeholder(reason: str) -> str:
    return f"[REDACTED: {reason}]"


@dataclass(frozen=True)
class SpanRule:
    item_id: str
    start: float
    end: float
    reason: str


@dataclass(frozen=True)
class TermRule:
    text: str
    reason: str
    match: str = "word"  # "word" | "prefix"


@dataclass(frozen=True)
class RedactionSpec:
    spans: tuple[SpanRule, ...] = ()
    terms: tuple[TermRule, ...] = ()
    source_sha256: str = ""


@dataclass(frozen=True)
class Span:
    """An effective span of audio to redact, in seconds from the start of the recording."""

    start: float
    end: float
    reason: str
    origin: str  # "spec" | "term N"

    def overlaps(self, start: float, end: float) -> bool:
        return self.start < end and self.end > start

    def as_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "reason": self.reason, "origin": self.origin}


# ---- the spec --------------------------------------------------------------------------------------------


def load_spec(path: Path) -> RedactionSpec:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"redaction spec {path}: cannot read ({exc.strerror})") from exc
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput(f"redaction spec {path}: not valid UTF-8 JSON ({exc})") from exc
    return parse_spec(data, hashlib.sha256(raw).hexdigest())


def _reason(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"redaction spec: {where}: 'reason' must be a non-empty string")
    reason = " ".join(value.split())
    if len(reason) > MAX_REASON or "[" in reason or "]" in reason:
        raise BadInput(f"redaction spec: {where}: 'reason' must be at most {MAX_REASON} characters without brackets")
    return reason


def _number(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadInput(f"redaction spec: {where}: '{key}' must be a number of seconds")
    return float(value)


def _fields(entry: Any, where: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise BadInput(f"redaction spec: {where}: must be an object")
    unknown = sorted(set(entry) - required - optional)
    if unknown:
        raise BadInput(f"redaction spec: {where}: unknown field {unknown[0]!r}")
    missing = sorted(required - set(entry))
    if missing:
        raise BadInput(f"redaction spec: {where}: missing field {missing[0]!r}")
    return entry


def parse_spec(data: Any, source_sha256: str = "") -> RedactionSpec:
    """Validate a spec strictly; every problem is a BadInput naming the entry."""
    if not isinstance(data, dict):
        raise BadInput("redaction spec: must be a JSON object with 'spans' and/or 'terms'")
    _fields(data, "top level", set(), {"spans", "terms"})
    spans_in, terms_in = data.get("spans", []), data.get("terms", [])
    if not isinstance(spans_in, list) or not isinstance(terms_in, list):
        raise BadInput("redaction spec: 'spans' and 'terms' must be lists")
    if not spans_in and not terms_in:
        raise BadInput("redaction spec: nothing to redact (no spans, no terms)")
    spans = []
    for n, entry in enumerate(spans_in):
        where = f"spans[{n}]"
        entry = _fields(entry, where, {"item_id", "start", "end", "reason"}, set())
        if not isinstance(entry["item_id"], str) or not entry["item_id"].strip():
            raise BadInput(f"redaction spec: {where}: 'item_id' must be a string")
        start, end = _number(entry["start"], where, "start"), _number(entry["end"], where, "end")
        if start < 0 or end <= start:
            raise BadInput(f"redaction spec: {where}: needs 0 <= start < end (got {start} .. {end})")
        spans.append(SpanRule(entry["item_id"].strip().lower(), start, end, _reason(entry["reason"], where)))
    terms = []
    for n, entry in enumerate(terms_in):
        where = f"terms[{n}]"
        entry = _fields(entry, where, {"text", "reason"}, {"match"})
        text = entry["text"]
        if not isinstance(text, str) or len("".join(text.split())) < 2:
            raise BadInput(f"redaction spec: {where}: 'text' must be a string of at least 2 characters")
        match = entry.get("match", "word")
        if match not in ("word", "prefix"):
            raise BadInput(f"redaction spec: {where}: 'match' must be 'word' or 'prefix'")
        terms.append(TermRule(" ".join(text.split()), _reason(entry["reason"], where), match))
    spec = RedactionSpec(tuple(spans), tuple(terms), source_sha256)
    matcher = TermMatcher(spec.terms)
    for n, rule in enumerate(spans):
        if matcher.search(rule.reason):
            raise BadInput(f"redaction spec: spans[{n}]: the reason contains a redacted term")
    for n, rule in enumerate(terms):
        if matcher.search(rule.reason):
            raise BadInput(f"redaction spec: terms[{n}]: the reason contains a redacted term")
    return spec


# ---- terms -----------------------------------------------------------------------------------------------


def _term_body(text: str) -> str:
    pieces = []
    for word in text.split():
        escaped = "".join("[её]" if ch in "её" else "[ЕЁ]" if ch in "ЕЁ" else re.escape(ch) for ch in word)
        pieces.append(escaped)
    return r"\s+".join(pieces)


class TermMatcher:
    """All terms as one pattern, applied in a single pass; existing placeholders are never rescanned."""

    def __init__(self, terms: Iterable[TermRule]) -> None:
        self.terms = tuple(terms)
        self.hits: Counter[int] = Counter()
        order = sorted(range(len(self.terms)), key=lambda i: -len(self.terms[i].text))
        parts = []
        for i in order:
            tail = r"\w*" if self.terms[i].match == "prefix" else ""
            parts.append(f"(?P<t{i}>(?<!\\w){_term_body(self.terms[i].text)}{tail}(?!\\w))")
        self.pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def _rule(self, match: re.Match[str]) -> int:
        return int(next(name for name, value in match.groupdict().items() if value is not None)[1:])

    def search(self, text: str) -> bool:
        if self.pattern is None or not text:
            return False
        return any(self.pattern.search(piece) for piece in PLACEHOLDER_RE.split(text))

    def finditer(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, rule index) of every match outside placeholders."""
        if self.pattern is None or not text:
            return []
        out = []
        for m in self.pattern.finditer(text):
            if not any(p.start() <= m.start() < p.end() for p in PLACEHOLDER_RE.finditer(text)):
                out.append((m.start(), m.end(), self._rule(m)))
        return out

    def sub(self, text: str) -> str:
        """``text`` with every term replaced by its placeholder; counts hits."""
        if self.pattern is None or not text:
            return text

        def replace(match: re.Match[str]) -> str:
            rule = self._rule(match)
            self.hits[rule] += 1
            return placeholder(self.terms[rule].reason)

        pieces, last = [], 0
        for p in PLACEHOLDER_RE.finditer(text):
            pieces.append(self.pattern.sub(replace, text[last:p.start()]))
            pieces.append(p.group(0))
            last = p.end()
        pieces.append(self.pattern.sub(replace, text[last:]))
        return "".join(pieces)

    def sub_all(self, value: Any) -> Any:
        """Every string in a JSON value (keys included) with terms replaced."""
        if isinstance(value, str):
            return self.sub(value)
        if isinstance(value, list):
            return [self.sub_all(v) for v in value]
        if isinstance(value, dict):
            return {self.sub(k) if isinstance(k, str) else k: self.sub_all(v) for k, v in value.items()}
        return value


# ---- spans from the spec and from terms ------------------------------------------------------------------


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _words(transmission: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in transmission.get("words") or [] if isinstance(w, dict)
            and _num(w.get("start")) is not None and _num(w.get("end")) is not None]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _joiner(words: list[dict[str, Any]], text: str) -> str | None:
    """How the words join into the text ("" when they carry their leading space, " " otherwise),
    or None when the text is not the words (edited, or no words)."""
    if not words:
        return None
    for joiner in ("", " "):
        if _norm(joiner.join(str(w.get("word", "")) for w in words)) == _norm(text):
            return joiner
    return None


def _transcript_docs(docs: Iterable[Any]) -> list[dict[str, Any]]:
    return [t for d in docs if isinstance(d, dict) for t in d.get("transmissions") or [] if isinstance(t, dict)]


def item_spans(rules: Iterable[SpanRule], transcripts: list[Any], matcher: TermMatcher, duration: float) -> list[Span]:
    """Effective spans for one item: spec spans widened to whole words, plus spans where terms are spoken."""
    transmissions = _transcript_docs(transcripts)
    all_words = [w for t in transmissions for w in _words(t)]
    spans: list[Span] = []
    for rule in rules:
        start, end = rule.start, rule.end
        for w in all_words:
            if w["start"] < rule.end and w["end"] > rule.start:
                start, end = min(start, float(w["start"])), max(end, float(w["end"]))
        spans.append(Span(max(0.0, start), min(duration, end), rule.reason, "spec"))
    if matcher.pattern is not None:
        for t in transmissions:
            spans.extend(_term_spans(t, matcher, duration))
    unique = {(round(s.start, 6), round(s.end, 6), s.reason, s.origin): s for s in spans}
    return sorted(unique.values(), key=lambda s: (s.start, s.end, s.reason, s.origin))


def _term_spans(t: dict[str, Any], matcher: TermMatcher, duration: float) -> list[Span]:
    words = _words(t)
    text = str(t.get("text") or "")
    joiner = _joiner(words, text)
    out: list[Span] = []
    located = False
    if words:
        glue = joiner if joiner is not None else (
            "" if all(str(w.get("word", "")).startswith((" ", "\t")) for w in words[1:]) else " ")
        joined, offsets = "", []
        for w in words:
            if joined and glue == " ":
                joined += " "
            begin = len(joined)
            joined += str(w.get("word", ""))
            offsets.append((begin, len(joined)))
        for begin, end, rule in matcher.finditer(joined):
            positions = [n for n, (a, b) in enumerate(offsets) if a < end and b > begin]
            if positions:
                located = True
                first, last = positions[0], positions[-1]
                # padded into the silence around the words, never into a neighbouring word
                floor = float(words[first - 1]["end"]) if first > 0 else 0.0
                ceiling = float(words[last + 1]["start"]) if last + 1 < len(words) else duration
                start = max(float(words[first]["start"]) - TERM_PAD_S, min(floor, float(words[first]["start"])), 0.0)
                stop = min(float(words[last]["end"]) + TERM_PAD_S, max(ceiling, float(words[last]["end"])), duration)
                out.append(Span(start, stop, matcher.terms[rule].reason, f"term {rule + 1}"))
    translations = [str(tr.get("text") or "") for tr in t.get("translations") or [] if isinstance(tr, dict)]
    text_rules = [rule for _, _, rule in matcher.finditer(text)]
    translation_rules = [rule for tr in translations for _, _, rule in matcher.finditer(tr)]
    # Not locatable: the text has a term but is not the words (an edit), or only the translation has it.
    unlocated = text_rules if (joiner is None or not located) else []
    if not located:
        unlocated = unlocated + translation_rules
    start, end = _num(t.get("start")), _num(t.get("end"))
    if unlocated and start is not None and end is not None and end > start:
        rule = unlocated[0]
        out.append(Span(max(0.0, start), min(duration, end), matcher.terms[rule].reason,
                        f"term {rule + 1} (whole transmission: not locatable in its words)"))
    return out


def validate_span_bounds(rules: Iterable[SpanRule], duration: float, item_label: str) -> None:
    for rule in rules:
        if rule.end > duration + SPAN_TOLERANCE_S:
            raise BadInput(f"redaction span {rule.start}..{rule.end} s is outside item {item_label} "
                           f"({duration:.2f} s long)")


# ---- applying spans and terms ----------------------------------------------------------------------------


def tone_over(samples: np.ndarray, sample_rate: int, spans: Iterable[Span]) -> np.ndarray:
    """A copy of ``samples`` with a 1 kHz sine (phase tied to absolute time) over every span."""
    out = np.array(samples, dtype=np.float32, copy=True)
    for span in spans:
        a = max(0, int(math.floor(span.start * sample_rate)))
        b = min(out.size, int(math.ceil(span.end * sample_rate)))
        if b > a:
            t = np.arange(a, b, dtype=np.float64) / sample_rate
            out[a:b] = (TONE_LEVEL * np.sin(2 * math.pi * TONE_HZ * t)).astype(np.float32)
    return out


def _reasons(spans: Iterable[Span]) -> str:
    return "; ".join(dict.fromkeys(s.reason for s in spans))


def redact_transcript(doc: Any, spans: list[Span], matcher: TermMatcher) -> Any:
    """An ``audita.speech/1`` transcript with spans and terms redacted (a new object)."""
    if not isinstance(doc, dict):
        return matcher.sub_all(doc)
    out = copy.deepcopy(doc)
    touched_indexes: dict[Any, list[Span]] = {}
    for t in out.get("transmissions") or []:
        if not isinstance(t, dict):
            continue
        t_start, t_end = _num(t.get("start")), _num(t.get("end"))
        relevant = [s for s in spans if t_start is not None and t_end is not None and s.overlaps(t_start, t_end)]
        if not relevant:
            continue
        words = _words(t)
        joiner = _joiner(words, str(t.get("text") or ""))
        touched: list[Span] = []
        new_words: list[dict[str, Any]] = []
        last_placeholder: str | None = None
        for w in words:
            span = next((s for s in relevant if s.overlaps(float(w["start"]), float(w["end"]))), None)
            if span is None:
                new_words.append(w)
                last_placeholder = None
                continue
            touched.append(span)
            mark = placeholder(span.reason)
            if last_placeholder == mark:
                new_words[-1]["end"] = w["end"]
            else:
                new_words.append({"start": w["start"], "end": w["end"], "probability": 0.0,
                                  "word": (" " if joiner != " " else "") + mark})
            last_placeholder = mark
        if joiner is not None and touched:
            t["words"] = new_words
            t["text"] = joiner.join(str(w["word"]) for w in new_words).strip()
        elif joiner is None:
            # text and words disagree (an edit) or there are no words: the span cannot be placed in
            # the text, so the whole transmission goes
            touched = relevant
            mark = placeholder(_reasons(relevant))
            t["words"] = [{"start": t_start, "end": t_end, "probability": 0.0, "word": " " + mark}] if words else []
            if t.get("text"):
                t["text"] = mark
        if touched:
            for tr in t.get("translations") or []:
                if isinstance(tr, dict) and "text" in tr:
                    tr["text"] = placeholder(_reasons(touched))
            touched_indexes[t.get("index")] = touched
    edit = out.get("edit")
    if isinstance(edit, dict) and edit.get("note") and isinstance(edit.get("changed"), list):
        # an analyst's note on a changed transmission may quote the words the span removes
        hit = [s for index in edit["changed"] for s in touched_indexes.get(index, [])]
        if hit:
            edit["note"] = placeholder(_reasons(hit))
    return matcher.sub_all(out)


def redact_content(value: Any, spans: list[Span], matcher: TermMatcher, redacted_ids: set[str] | None = None) -> Any:
    """Generic redaction for analysis-like JSON: an object whose own start/end overlaps a span has its
    content strings replaced and its place dropped; an object in which a term was found loses its
    place too (the coordinates would name what the text no longer does). Ids of objects redacted by
    span go into ``redacted_ids``."""

    def walk(node: Any) -> tuple[Any, bool]:
        if isinstance(node, list):
            items = [walk(v) for v in node]
            return [v for v, _ in items], any(h for _, h in items)
        if isinstance(node, str):
            replaced = matcher.sub(node)
            return replaced, replaced != node
        if not isinstance(node, dict):
            return node, False
        out: dict[str, Any] = {}
        hit = False
        for key, child in node.items():
            out[key], child_hit = walk(child)
            hit = hit or child_hit
        start, end = _num(node.get("start")), _num(node.get("end"))
        overlapping = [s for s in spans if start is not None and end is not None and s.overlaps(start, end)]
        if overlapping:
            mark = placeholder(_reasons(overlapping))
            for key in CONTENT_KEYS & set(out):
                if isinstance(out[key], str) and out[key]:
                    out[key] = mark
            if redacted_ids is not None and isinstance(node.get("id"), str):
                redacted_ids.add(node["id"])
            hit = True
        if hit and isinstance(out.get("place"), dict):
            out["place"] = None
        return out, hit

    return walk(value)[0]

