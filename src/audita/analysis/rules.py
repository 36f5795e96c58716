"""Lemmatised phrase rules for IHL indicator categories (``data/indicators.json``).

A rule holds one or more patterns; a pattern is a sequence of elements, each a set of
alternative words. Words are compared through all pymorphy3 normal forms (Russian and
Ukrainian) or the light English stem, so inflected forms match. Consecutive elements may be
separated by at most ``MAX_GAP`` other tokens. A negation word right before (or inside) a match
suppresses it unless the pattern itself contains a negation (``пленных не брать``). Hard-negative
patterns (lawful military targets, own casualty reports, prisoners delivered alive) suppress flags
of the categories they name in the same sentence (or transmission, for ``scope: transmission``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from audita.text.lemmas import Token, lemmatize, normal_forms

MAX_GAP = 2
_SENTENCE_END = re.compile(r"[.!?;…]+")


@dataclass(frozen=True)
class Element:
    words: frozenset[str]  # raw words and all their normal forms
    prefixes: tuple[str, ...]
    source: str

    def matches(self, token_forms: frozenset[str]) -> bool:
        if self.words & token_forms:
            return True
        return any(form.startswith(p) for p in self.prefixes for form in token_forms)


@dataclass(frozen=True)
class Pattern:
    elements: tuple[Element, ...]
    any_order: bool
    has_negation: bool

    @property
    def text(self) -> str:
        return " + ".join(e.source for e in self.elements)


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    language: str
    weight: float
    patterns: tuple[Pattern, ...]


@dataclass(frozen=True)
class HardNegative:
    id: str
    language: str
    suppresses: frozenset[str]
    patterns: tuple[Pattern, ...]
    scope: str  # "sentence" | "transmission"


@dataclass(frozen=True)
class Match:
    rule: Rule
    pattern: Pattern
    token_indices: tuple[int, ...]  # matched tokens, ascending


@dataclass(frozen=True)
class RuleSet:
    sha256: str
    negations: frozenset[str]
    categories: dict[str, dict[str, str]]
    rules: tuple[Rule, ...]
    hard_negatives: tuple[HardNegative, ...]


def _clean(word: str) -> str:
    return word.lower().replace("ё", "е").replace("’", "'")


def _word_forms(word: str, language: str) -> set[str]:
    forms = {_clean(word)}
    languages = ("en",) if language == "en" else ("ru", "uk")
    for lang in languages:
        forms.update(normal_forms(word, lang))
    return forms


def _element(source: str, language: str, negations: frozenset[str]) -> tuple[Element, bool]:
    words: set[str] = set()
    prefixes: list[str] = []
    negative = False
    for alternative in source.split("|"):
        alternative = alternative.strip()
        if alternative.endswith("*"):
            prefixes.append(_clean(alternative[:-1]))
            continue
        if _clean(alternative) in negations:
            negative = True
            words.add(_clean(alternative))  # negation words match literally only
            continue
        words.update(_word_forms(alternative, language))
    return Element(frozenset(words), tuple(prefixes), source), negative


def _patterns(raw: list[list[str]], language: str, any_order: bool, negations: frozenset[str]) -> tuple[Pattern, ...]:
    out: list[Pattern] = []
    for sequence in raw:
        built = [_element(source, language, negations) for source in sequence]
        out.append(Pattern(tuple(e for e, _ in built), any_order, any(n for _, n in built)))
    return tuple(out)


def parse_rules(data: dict[str, Any], raw_bytes: bytes) -> RuleSet:
    negations = frozenset(_clean(w) for w in data["negations"])
    rules = tuple(
        Rule(r["id"], r["category"], r["language"], float(r["weight"]),
             _patterns(r["patterns"], r["language"], bool(r.get("any_order", False)), negations))
        for r in data["rules"]
    )
    unknown = sorted({r.category for r in rules} - set(data["categories"]))
    if unknown:
        raise ValueError(f"rules name unknown categories: {unknown}")
    negatives = tuple(
        HardNegative(n["id"], n["language"], frozenset(n["suppresses"]),
                     _patterns(n["patterns"], n["language"], False, negations), n.get("scope", "sentence"))
        for n in data["hard_negatives"]
    )
    return RuleSet(hashlib.sha256(raw_bytes).hexdigest(), negations, dict(data["categories"]), rules, negatives)


@lru_cache(maxsize=1)
def load_rules() -> RuleSet:
    """The packaged rule set (cached)."""
    raw = resources.files("audita.analysis").joinpath("data/indicators.json").read_bytes()
    return parse_rules(json.loads(raw), raw)


def token_forms(text: str, language: str) -> tuple[list[Token], list[frozenset[str]]]:
    """Tokens of ``text`` and, per token, every comparable form (surface and normal forms)."""
    if language == "en":
        tokens = lemmatize(text, "en")
        return tokens, [frozenset({_clean(t.text), *t.lemmas}) for t in tokens]
    ru = lemmatize(text, "ru")
    uk = lemmatize(text, "uk")
    forms = [frozenset({_clean(a.text), *a.lemmas, *b.lemmas}) for a, b in zip(ru, uk)]
    return ru, forms


def _sequence_match(forms: list[frozenset[str]], elements: tuple[Element, ...], start: int) -> tuple[int, ...] | None:
    if not elements[0].matches(forms[start]):
        return None
    matched = [start]

    def extend(position: int, index: int) -> bool:
        if index == len(elements):
            return True
        for nxt in range(position + 1, min(len(forms), position + 2 + MAX_GAP)):
            if elements[index].matches(forms[nxt]):
                matched.append(nxt)
                if extend(nxt, index + 1):
                    return True
                matched.pop()
        return False

    return tuple(matched) if extend(start, 1) else None


def find_pattern(forms: list[frozenset[str]], pattern: Pattern) -> list[tuple[int, ...]]:
    """All non-overlapping matches of one pattern, leftmost first."""
    orders = [pattern.elements]
    if pattern.any_order and 1 < len(pattern.elements) <= 3:
        orders = [tuple(p) for p in itertools.permutations(pattern.elements)]
    found: list[tuple[int, ...]] = []
    last_end = -1
    for start in range(len(forms)):
        if start <= last_end:
            continue
        for order in orders:
            hit = _sequence_match(forms, order, start)
            if hit is not None:
                found.append(hit)
                last_end = hit[-1]
                break
    return found


def negated(forms: list[frozenset[str]], indices: tuple[int, ...], negations: frozenset[str]) -> bool:
    """A negation word right before a matched token, between matched tokens, or in the two tokens after
    the match (a negated verb following its object: «по жилому сектору не работать»)."""
    inside = set(range(indices[0], indices[-1] + 1)) - set(indices)
    after = set(range(indices[-1] + 1, min(len(forms), indices[-1] + 3)))
    candidates = {i - 1 for i in indices if i - 1 >= 0 and i - 1 not in indices} | inside | after
    return any(forms[i] & negations for i in candidates)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans or [(0, len(text))]


def _rule_languages(language: str) -> set[str]:
    return {"en"} if language == "en" else {"ru", "uk"}


def match_text(text: str, language: str, ruleset: RuleSet | None = None) -> list[tuple[Match, str | None]]:
    """Every rule match in ``text`` with the id of the hard negative that suppressed it (or None).

    Negated matches are dropped; suppressed ones are returned with the suppressing id so that
    callers can explain (or count) them.
    """
    ruleset = ruleset or load_rules()
    tokens, forms = token_forms(text, language)
    if not tokens:
        return []
    languages = _rule_languages(language)
    sentences = sentence_spans(text)

    def sentence_of(char: int) -> int:
        for n, (a, b) in enumerate(sentences):
            if a <= char < b:
                return n
        return len(sentences) - 1

    negative_hits: list[tuple[HardNegative, int]] = []
    for negative in ruleset.hard_negatives:
        if negative.language not in languages:
            continue
        for pattern in negative.patterns:
            for hit in find_pattern(forms, pattern):
                negative_hits.append((negative, sentence_of(tokens[hit[0]].start)))

    results: list[tuple[Match, str | None]] = []
    for rule in ruleset.rules:
        if rule.language not in languages:
            continue
        for pattern in rule.patterns:
            for hit in find_pattern(forms, pattern):
                if not pattern.has_negation and negated(forms, hit, ruleset.negations):
                    continue
                sentence = sentence_of(tokens[hit[0]].start)
                suppressor = next(
                    (n.id for n, s in negative_hits if rule.category in n.suppresses
                     and (n.scope == "transmission" or s == sentence)), None)
                results.append((Match(rule, pattern, hit), suppressor))
    return results
