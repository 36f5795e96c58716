"""Lemmatised phrase rules for IHL indicators (``data/indicators.json``; format in docs/analysis.md).

A *pattern* is a sequence of elements separated by spaces. An element is a set of alternatives
joined by ``|``: a word (compared through its normal forms, so any inflection matches), a
prefix ``word*``, or a word class ``@name`` (``classes`` in the rule file: words and multi-word
phrases, plus the glossary terms of the categories the class names). Elements follow each other
with at most ``gap`` other tokens between them (``=`` before an element: directly after the
previous one), all inside one clause, sentence or transmission (``scope``); ``any_order`` tries
every order.

A match is dropped when it is *negated* (a negation word before a matched word, between matched
words, a negated repetition of a matched verb or a prohibitive word right after it), unless the
pattern itself contains the negation (``пленных не брать``) or the rule says ``negatable: false``.
``requires`` lists word classes that must occur in the sentence, the transmission or the
*window* (the transmission, the ``window`` transmissions before it and the one after it);
``excludes`` lists classes that must not occur there (context that makes a match lawful:
«гражданских вывели», "no civilians");
``boosts`` raise the weight when a class occurs in the window; ``recategorise`` moves a match to
another category when a class occurs in the given scope; ``yield_to`` drops a match when a flag
of the named category covers the same sentence, unless that flag's rule yields to this one's category
(two rules that yield to each other both stand). *Hard negatives* (lawful targets, own casualty
reports, prisoners cared for) suppress the categories they name in their clause or sentence.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from audita.analysis.glossary import Glossary, shipped_glossary
from audita.analysis.tokens import Tok, clause_spans, clean, sentence_spans, span_index, tokens
from audita.text.lemmas import normal_forms

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
SCOPES = ("clause", "sentence", "transmission", "window")
DEFAULT_GAP = 3
# Words an "=" (adjacent) element may skip: "from the houses", «из каждого дома», «по их позиции»
DETERMINERS = frozenset({"the", "a", "an", "their", "his", "her", "its", "those", "these", "this", "that", "our", "some",
                         "каждого", "каждый", "каждом", "всех", "этих", "этого", "эту", "этот", "эти", "тех", "того", "ту",
                         "чужих", "чужой", "чужие", "пустых", "пустые", "их", "его", "ее", "её", "кожного", "цю", "цей", "ці", "їх",
                         "нашої", "нашей", "нашего", "нашу", "моей", "моєї", "мого", "моего", "my"})


class RuleError(ValueError):
    """The rule file is malformed (unknown class, category or scope)."""


@lru_cache(maxsize=50_000)
def rule_forms(word: str) -> frozenset[str]:
    """Forms of a word written in a rule: itself and its most likely normal form in each language."""
    from audita.analysis.tokens import word_forms

    lower = clean(word)
    if not _CYRILLIC.search(lower):
        return word_forms(lower)
    forms = {lower}
    for language in ("ru", "uk"):
        found = normal_forms(lower, language)
        if found:
            forms.add(found[0].replace("ё", "е"))
    return frozenset(forms)


def _literal(word: str) -> str:
    """A ``!word``: compared with the token's own spelling only (pronouns share normal forms)."""
    return "!" + clean(word)


def _phrase(text: str) -> tuple[frozenset[str], ...]:
    return tuple(rule_forms(t.text) for t in tokens(text))


@dataclass(frozen=True)
class Element:
    source: str
    words: frozenset[str] = frozenset()
    phrases: tuple[tuple[frozenset[str], ...], ...] = ()
    prefixes: tuple[str, ...] = ()
    dynamic: tuple[str, ...] = ()
    adjacent: bool = False
    negation: bool = False

    def lengths(self, toks: Sequence[Tok], i: int, dynamic: dict[str, frozenset[int]]) -> tuple[int, ...]:
        """Lengths (in tokens) of the ways this element matches at token ``i``."""
        found: set[int] = set()
        tok = toks[i]
        if self.words & tok.forms or any(f.startswith(p) for p in self.prefixes for f in tok.forms):
            found.add(1)
        for name in self.dynamic:
            if i in dynamic.get(name, frozenset()):
                found.add(1)
        for phrase in self.phrases:
            n = len(phrase)
            if i + n <= len(toks) and all(phrase[k] & toks[i + k].forms for k in range(n)) and all(
                    toks[i + k + 1].start - toks[i + k].end <= 2 for k in range(n - 1)):
                found.add(n)
        return tuple(sorted(found))


@dataclass(frozen=True)
class Pattern:
    source: str
    elements: tuple[Element, ...]
    has_negation: bool


@dataclass(frozen=True)
class Requirement:
    element: Element
    scope: str


@dataclass(frozen=True)
class Boost:
    element: Element
    weight: float


@dataclass(frozen=True)
class Recategorise:
    element: Element
    category: str
    scope: str


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    article: str
    weight: float
    patterns: tuple[Pattern, ...]
    any_order: bool
    gap: int
    scope: str
    negatable: bool
    requires: tuple[Requirement, ...]
    boosts: tuple[Boost, ...]
    recategorise: tuple[Recategorise, ...]
    yield_to: tuple[str, ...]
    note: str
    excludes: tuple[Requirement, ...] = ()


@dataclass(frozen=True)
class HardNegative:
    id: str
    suppresses: frozenset[str]
    patterns: tuple[Pattern, ...]
    any_order: bool
    gap: int
    scope: str
    note: str


@dataclass(frozen=True)
class Echo:
    """A short reply that commits to the flagged order just before it: an acknowledgement with a verb
    in the first person («Понял, оформляем», «Плюс, сделаем», «Прийняв, зробимо») or with a word of the
    order repeated («Прийняв, обох», «Принял. Расчёт во двор больницы»). A bare «Принял» is not one."""

    ack: Element  # «понял», «принял», «плюс», "copy"...: needed somewhere in the reply for a repeated word
    commit: Element  # committing phrases that need no acknowledgement ("will do", «будет сделано»)
    not_commit: Element  # first-person verbs that do not commit («ждём», «уточню», «отходим», «будем»)
    stop: Element  # words too common to count as repeated («там», «всех», "them")
    max_tokens: int  # of the replying sentence
    max_transmission_tokens: int  # of the whole reply: a long phone turn is not a radio read-back
    weight: float
    note: str


@dataclass(frozen=True)
class FollowUp:
    """A bare report or go-ahead on the radio («Вопрос решён», «Трое минус», «Работай») right after a
    flagged order or report: it carries the earlier flag's category (rule ``ctx.follow-up``); and,
    when ``echo`` is set, a reply that commits to that order (rule ``ctx.echo``)."""

    element: Element
    max_tokens: int
    look_back: int
    weight: float
    note: str
    echo: Echo | None = None


@dataclass(frozen=True)
class RuleSet:
    sha256: str  # of the rule file
    glossary_sha256: str
    categories: dict[str, dict[str, str]] = field(hash=False)
    rules: tuple[Rule, ...]
    hard_negatives: tuple[HardNegative, ...]
    negation_before: frozenset[str]
    negation_after: tuple[tuple[str, ...], ...]
    negation_ignore: tuple[tuple[frozenset[str], ...], ...] = ()
    negation_bridge: frozenset[str] = frozenset()
    follow_up: FollowUp | None = None

    @property
    def effective_sha256(self) -> str:
        """Rules and glossary together: what decides whether an earlier analysis can be reused."""
        return hashlib.sha256(f"{self.sha256}:{self.glossary_sha256}".encode()).hexdigest()


class _Compiler:
    def __init__(self, data: dict[str, Any], glossary: Glossary, negation_before: frozenset[str]) -> None:
        self.classes: dict[str, Any] = data.get("classes", {})
        self.glossary = glossary
        self.negation_before = negation_before
        self._cache: dict[str, Element] = {}

    def word_class(self, name: str) -> Element:
        if name in self._cache:
            return self._cache[name]
        if name == "place_ru" or name == "place_ua" or name == "place":
            element = Element(source=f"@{name}", dynamic=(name,))
        else:
            if name not in self.classes:
                raise RuleError(f"unknown word class @{name}")
            spec = self.classes[name]
            members = list(spec.get("words", []))
            for entry in self.glossary.of_category(*spec.get("glossary", [])):
                members.append(entry.term)
            element = self._members(f"@{name}", members)
        self._cache[name] = element
        return element

    def _members(self, source: str, members: list[str]) -> Element:
        words: set[str] = set()
        phrases: list[tuple[frozenset[str], ...]] = []
        prefixes: list[str] = []
        for member in members:
            member = member.strip()
            if not member:
                continue
            if member.endswith("*") and " " not in member:
                prefixes.append(clean(member[:-1]))
                continue
            if member.startswith("!") and " " not in member:
                words.add(_literal(member[1:]))
                continue
            parts = _phrase(member)
            if len(parts) == 1:
                words.update(parts[0])
            elif parts:
                phrases.append(parts)
        return Element(source, frozenset(words), tuple(sorted(set(phrases), key=repr)), tuple(sorted(prefixes)))

    def element(self, source: str) -> Element:
        adjacent = source.startswith("=")
        body = source[1:] if adjacent else source
        words: set[str] = set()
        phrases: list[tuple[frozenset[str], ...]] = []
        prefixes: list[str] = []
        dynamic: list[str] = []
        negation = True
        for alternative in body.split("|"):
            alternative = alternative.strip()
            if not alternative:
                continue
            if alternative.startswith("@"):
                sub = self.word_class(alternative[1:])
                words |= sub.words
                phrases.extend(sub.phrases)
                prefixes.extend(sub.prefixes)
                dynamic.extend(sub.dynamic)
                negation = False
                continue
            if alternative.endswith("*"):
                prefixes.append(clean(alternative[:-1]))
                negation = False
                continue
            if alternative.startswith("!"):
                words.add(_literal(alternative[1:]))
                negation = False
                continue
            if " " in alternative:  # a phrase: only in context classes (a pattern splits on spaces)
                phrases.append(_phrase(alternative))
                negation = False
                continue
            if clean(alternative) in self.negation_before:
                words.add(clean(alternative))  # negation words match literally
                continue
            negation = False
            words.update(rule_forms(alternative))
        return Element(source, frozenset(words), tuple(phrases), tuple(sorted(set(prefixes))), tuple(sorted(set(dynamic))),
                       adjacent, negation)

    def pattern(self, source: str) -> Pattern:
        elements = tuple(self.element(part) for part in source.split())
        if not elements:
            raise RuleError("empty pattern")
        return Pattern(source, elements, any(e.negation for e in elements))


def _scope(value: str, where: str, allowed: tuple[str, ...] = SCOPES) -> str:
    if value not in allowed:
        raise RuleError(f"{where}: scope must be one of {allowed}, got {value!r}")
    return value


def parse_rules(data: dict[str, Any], raw: bytes, glossary: Glossary) -> RuleSet:
    negation = data.get("negation", {})
    before = frozenset(clean(w) for w in negation.get("before", []))
    after = tuple(tuple(clean(t.text) for t in tokens(p)) for p in negation.get("after", []))
    ignore = tuple(_phrase(p) for p in negation.get("ignore", []) if p.strip())
    bridge = frozenset(f for w in negation.get("bridge", []) for f in rule_forms(w))
    compiler = _Compiler(data, glossary, before)
    categories = dict(data["categories"])
    rules: list[Rule] = []
    seen: set[str] = set()
    for raw_rule in data["rules"]:
        rule_id = raw_rule["id"]
        if rule_id in seen:
            raise RuleError(f"duplicate rule id {rule_id}")
        seen.add(rule_id)
        category = raw_rule["category"]
        if category not in categories:
            raise RuleError(f"rule {rule_id}: unknown category {category}")
        recategorise = []
        for item in raw_rule.get("recategorise", []):
            if item["category"] not in categories:
                raise RuleError(f"rule {rule_id}: unknown category {item['category']}")
            recategorise.append(Recategorise(compiler.element(item["context"]), item["category"],
                                             _scope(item.get("scope", "window"), rule_id)))
        rules.append(Rule(
            id=rule_id, category=category, article=raw_rule.get("article") or categories[category]["article"],
            weight=float(raw_rule["weight"]), patterns=tuple(compiler.pattern(p) for p in raw_rule["patterns"]),
            any_order=bool(raw_rule.get("any_order", False)), gap=int(raw_rule.get("gap", DEFAULT_GAP)),
            scope=_scope(raw_rule.get("scope", "sentence"), rule_id, ("clause", "sentence", "transmission")),
            negatable=bool(raw_rule.get("negatable", True)),
            requires=tuple(Requirement(compiler.element(r["class"]), _scope(r.get("scope", "window"), rule_id))
                           for r in raw_rule.get("requires", [])),
            boosts=tuple(Boost(compiler.element(b["context"]), float(b["weight"])) for b in raw_rule.get("boosts", [])),
            recategorise=tuple(recategorise), yield_to=tuple(raw_rule.get("yield_to", [])),
            note=raw_rule.get("note", ""),
            excludes=tuple(Requirement(compiler.element(r["class"]), _scope(r.get("scope", "window"), rule_id))
                           for r in raw_rule.get("excludes", [])),
        ))
    negatives = []
    for item in data.get("hard_negatives", []):
        unknown = set(item["suppresses"]) - set(categories)
        if unknown:
            raise RuleError(f"hard negative {item['id']}: unknown categories {sorted(unknown)}")
        negatives.append(HardNegative(
            item["id"], frozenset(item["suppresses"]), tuple(compiler.pattern(p) for p in item["patterns"]),
            bool(item.get("any_order", False)), int(item.get("gap", DEFAULT_GAP)),
            _scope(item.get("scope", "sentence"), item["id"], ("clause", "sentence", "transmission")),
            item.get("note", "")))
    follow_up = None
    if "follow_up" in data:
        spec = data["follow_up"]
        echo = None
        if "echo" in spec:
            e = spec["echo"]
            echo = Echo(compiler.element(e["ack"]), compiler.element(e["commit"]), compiler.element(e["not_commit"]),
                        compiler.element(e["stop"]), int(e.get("max_tokens", 6)),
                        int(e.get("max_transmission_tokens", 14)), float(e["weight"]), e.get("note", ""))
        follow_up = FollowUp(compiler.element(spec["class"]), int(spec.get("max_tokens", 4)),
                             int(spec.get("look_back", 2)), float(spec["weight"]), spec.get("note", ""), echo)
    return RuleSet(hashlib.sha256(raw).hexdigest(), glossary.sha256, categories, tuple(rules), tuple(negatives),
                   before, after, ignore, bridge, follow_up)


@lru_cache(maxsize=1)
def _raw_rules() -> bytes:
    return resources.files("audita.analysis.data").joinpath("indicators.json").read_bytes()


@lru_cache(maxsize=8)
def load_rules(glossary: Glossary | None = None) -> RuleSet:
    """The packaged rules compiled with ``glossary`` (default: the shipped glossary); cached."""
    raw = _raw_rules()
    return parse_rules(json.loads(raw), raw, glossary if glossary is not None else shipped_glossary())


# ---- matching ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentTokens:
    """One transmission (or paragraph) as the matcher sees it."""

    text: str
    toks: tuple[Tok, ...]
    dynamic: dict[str, frozenset[int]] = field(default_factory=dict, hash=False, compare=False)

    @property
    def units(self) -> dict[str, tuple[int, ...]]:
        return _units(self.text, self.toks)


@lru_cache(maxsize=4096)
def _units(text: str, toks: tuple[Tok, ...]) -> dict[str, tuple[int, ...]]:
    sentences = sentence_spans(text)
    clauses = clause_spans(text)
    return {
        "sentence": tuple(span_index(sentences, t.start) for t in toks),
        "clause": tuple(span_index(clauses, t.start) for t in toks),
        "transmission": tuple(0 for _ in toks),
    }


@dataclass(frozen=True)
class RuleMatch:
    rule: Rule
    pattern: Pattern
    spans: tuple[tuple[int, int], ...]  # token [start, end) per element, in text order
    category: str
    article: str
    weight: float
    signals: tuple[dict[str, Any], ...]
    suppressed_by: str | None = None
    negated: bool = False

    @property
    def first(self) -> int:
        return self.spans[0][0]

    @property
    def last(self) -> int:
        return self.spans[-1][1]


def _element_hits(element: Element, toks: Sequence[Tok], dynamic: dict[str, frozenset[int]],
                  cache: dict[int, tuple[tuple[int, ...], ...]],
                  sentence: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """Match lengths of ``element`` at each token; ``sentence`` (the sentence index of each token) keeps a
    multi-word phrase from running across a sentence end («Я сказал. Кто…» is not «скажешь кому»)."""
    key = id(element)
    if key not in cache:
        cache[key] = tuple(tuple(n for n in element.lengths(toks, i, dynamic) if sentence[i + n - 1] == sentence[i])
                           for i in range(len(toks)))
    return cache[key]


def find_pattern(pattern: Pattern, any_order: bool, gap: int, segment: SegmentTokens, scope: str,
                 cache: dict[int, tuple[tuple[int, ...], ...]] | None = None) -> list[tuple[tuple[int, int], ...]]:
    """Non-overlapping matches of ``pattern``, leftmost first, each the shortest from its start."""
    cache = {} if cache is None else cache
    toks = segment.toks
    unit = segment.units[scope]
    hits = [_element_hits(e, toks, segment.dynamic, cache, segment.units["sentence"]) for e in pattern.elements]
    orders = [tuple(range(len(pattern.elements)))]
    if any_order and len(pattern.elements) > 1:
        orders = list(itertools.permutations(range(len(pattern.elements))))

    def extend(order: tuple[int, ...], k: int, prev_end: int, first: int) -> list[tuple[int, int]] | None:
        if k == len(order):
            return []
        element = pattern.elements[order[k]]
        if element.adjacent:
            span = range(prev_end, prev_end + (2 if prev_end < len(toks) and toks[prev_end].lower in DETERMINERS else 1))
        else:
            span = range(prev_end, min(len(toks), prev_end + gap + 1))
        for p in span:
            if p >= len(toks) or unit[p] != unit[first]:
                break
            for length in reversed(hits[order[k]][p]):  # longest first: «по жилым домам», not «по жилым»
                rest = extend(order, k + 1, p + length, first)
                if rest is not None:
                    return [(p, p + length), *rest]
        return None

    found: list[tuple[tuple[int, int], ...]] = []
    busy_until = 0
    for start in range(len(toks)):
        if start < busy_until:
            continue
        best: list[tuple[int, int]] | None = None
        for order in orders:
            for length in reversed(hits[order[0]][start]):
                rest = extend(order, 1, start + length, start)
                if rest is not None:
                    candidate = [(start, start + length), *rest]
                    if best is None or candidate[-1][1] < best[-1][1]:
                        best = candidate
        if best is not None:
            found.append(tuple(sorted(best)))
            busy_until = max(b for _, b in best)
    return found


_INFINITIVE_ENDINGS = ("ть", "ти", "ться", "тися", "тись", "чь")


def _intensifier(ruleset: RuleSet, toks: Sequence[Tok], i: int) -> bool:
    """A negation that belongs to an intensifier («не жалеть», «не разбираясь»), not to the order."""
    for phrase in ruleset.negation_ignore:
        n = len(phrase)
        if i + n <= len(toks) and all(phrase[k] & toks[i + k].forms for k in range(n)):
            return True
    return False


def _own_verb(ruleset: RuleSet, tok: Tok) -> bool:
    """A verb of its own between a negation and the match («не продавать, пусть голодают»): the
    negation belongs to that verb. Auxiliaries («не надо», «не будем», «не стоит») pass it on."""
    if tok.forms & ruleset.negation_bridge or not _CYRILLIC.search(tok.lower):
        return False
    return any(not f.startswith("!") and f.endswith(_INFINITIVE_ENDINGS) for f in tok.forms)


def _negated(ruleset: RuleSet, pattern: Pattern, spans: tuple[tuple[int, int], ...], segment: SegmentTokens) -> bool:
    toks = segment.toks
    clause = segment.units["clause"]
    covered = {i for a, b in spans for i in range(a, b)}
    first, last = spans[0][0], spans[-1][1]
    negators = ruleset.negation_before

    def is_negation(i: int, same_clause_as: int | None) -> bool:
        return (0 <= i < len(toks) and i not in covered and toks[i].lower in negators
                and (same_clause_as is None or clause[i] == clause[same_clause_as])
                and not _intensifier(ruleset, toks, i))

    # before the match (same clause), right before a later matched word, or between matched words
    if is_negation(first - 1, first) or (is_negation(first - 2, first) and not _own_verb(ruleset, toks[first - 1])):
        return True
    if any(is_negation(a - 1, a) for a, _ in spans[1:]) or any(is_negation(i, None) for i in range(first, last)):
        return True
    # after the match: a prohibitive word, or a negated repetition of a matched word («...не работать»)
    end = last - 1
    after = [toks[i].lower for i in range(last, min(len(toks), last + 4)) if clause[i] == clause[end]]
    for phrase in ruleset.negation_after:
        for offset in range(0, 2):
            if tuple(after[offset:offset + len(phrase)]) == phrase:
                return True
    for offset in range(0, 2):
        k = last + offset
        if k + 1 < len(toks) and clause[k] == clause[end] and toks[k].lower in negators and \
                any(e.words & toks[k + 1].forms for e in pattern.elements if not e.negation):
            return True
    return False


def _window(segments: Sequence[SegmentTokens], position: int, window: int) -> list[SegmentTokens]:
    low = max(0, position - window)
    high = min(len(segments), position + 2)
    return list(segments[low:high])


def _present(element: Element, scope: str, segments: Sequence[SegmentTokens], position: int, window: int,
             spans: tuple[tuple[int, int], ...], caches: dict[int, dict[int, tuple[tuple[int, ...], ...]]]) -> str | None:
    """The text of the first occurrence of ``element`` in ``scope`` around the match, or None."""
    segment = segments[position]
    if scope in ("sentence", "clause"):
        unit = segment.units[scope]
        which = unit[spans[0][0]]
        hits = _element_hits(element, segment.toks, segment.dynamic, caches.setdefault(position, {}),
                              segment.units["sentence"])
        for i, lengths in enumerate(hits):
            if lengths and unit[i] == which:
                return segment.text[segment.toks[i].start:segment.toks[i + lengths[-1] - 1].end]
        return None
    candidates = [position] if scope == "transmission" else \
        [position, *range(position - 1, max(-1, position - window - 1), -1), position + 1]
    for p in candidates:
        if not 0 <= p < len(segments):
            continue
        other = segments[p]
        hits = _element_hits(element, other.toks, other.dynamic, caches.setdefault(p, {}), other.units["sentence"])
        for i, lengths in enumerate(hits):
            if lengths:
                return other.text[other.toks[i].start:other.toks[i + lengths[-1] - 1].end]
    return None


def match_segment(ruleset: RuleSet, segments: Sequence[SegmentTokens], position: int, *, window: int = 3,
                  caches: dict[int, dict[int, tuple[tuple[int, ...], ...]]] | None = None) -> list[RuleMatch]:
    """Every rule match in ``segments[position]``, with negated and suppressed ones marked.

    ``caches`` (per segment position, element hits) may be shared between calls over the same segments.
    """
    caches = {} if caches is None else caches
    segment = segments[position]
    if not segment.toks:
        return []
    cache = caches.setdefault(position, {})
    suppressions: list[tuple[HardNegative, str, int]] = []
    for negative in ruleset.hard_negatives:
        for pattern in negative.patterns:
            for spans in find_pattern(pattern, negative.any_order, negative.gap, segment, negative.scope, cache):
                if not pattern.has_negation and _negated(ruleset, pattern, spans, segment):
                    continue
                suppressions.append((negative, negative.scope, segment.units[negative.scope][spans[0][0]]))

    results: list[RuleMatch] = []
    for rule in ruleset.rules:
        for pattern in rule.patterns:
            for spans in find_pattern(pattern, rule.any_order, rule.gap, segment, rule.scope, cache):
                signals: list[dict[str, Any]] = []
                missing = False
                for requirement in rule.requires:
                    seen = _present(requirement.element, requirement.scope, segments, position, window, spans, caches)
                    if seen is None:
                        missing = True
                        break
                    signals.append({"type": "context", "class": requirement.element.source, "scope": requirement.scope,
                                    "words": seen})
                if missing or any(
                        _present(exclude.element, exclude.scope, segments, position, window, spans, caches) is not None
                        for exclude in rule.excludes):
                    continue
                negated = rule.negatable and not pattern.has_negation and _negated(ruleset, pattern, spans, segment)
                weight = rule.weight
                for boost in rule.boosts:
                    seen = _present(boost.element, "window", segments, position, window, spans, caches)
                    if seen is not None:
                        weight += boost.weight
                        signals.append({"type": "boost", "class": boost.element.source, "words": seen,
                                        "weight": boost.weight})
                        break
                category, article = rule.category, rule.article
                for change in rule.recategorise:
                    seen = _present(change.element, change.scope, segments, position, window, spans, caches)
                    if seen is not None:
                        category = change.category
                        article = ruleset.categories[category]["article"]
                        signals.append({"type": "recategorised", "class": change.element.source, "words": seen,
                                        "category": category})
                        break
                suppressed = None
                for negative, scope, unit_index in suppressions:
                    if category in negative.suppresses and segment.units[scope][spans[0][0]] == unit_index:
                        suppressed = negative.id
                        break
                results.append(RuleMatch(rule, pattern, spans, category, article, min(weight, 0.99), tuple(signals),
                                         suppressed, negated))
    active = [m for m in results if not m.negated and m.suppressed_by is None]
    sentence = segment.units["sentence"]
    kept: list[RuleMatch] = []
    for match in results:
        if match.rule.yield_to and not match.negated and match.suppressed_by is None and any(
                other.category in match.rule.yield_to and match.category not in other.rule.yield_to
                and sentence[other.first] == sentence[match.first] for other in active if other is not match):
            kept.append(RuleMatch(match.rule, match.pattern, match.spans, match.category, match.article, match.weight,
                                  match.signals, f"yield:{','.join(match.rule.yield_to)}", False))
            continue
        kept.append(match)
    return kept
