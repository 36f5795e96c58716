"""Tokens with every comparable form, sentence and clause boundaries.

A Cyrillic token's forms are its lower-case surface (ё -> е) and every pymorphy3 normal form in
Russian *and* Ukrainian (speech recognition mislabels the language often enough that both are
tried). A Latin token gets its surface, the light stem of ``audita.text`` and a few irregular
English verb forms. Rule words go through the same function, so "whatever pymorphy3 makes of the
word" is compared on both sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from audita.text.lemmas import normal_forms, tokenize

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_SENTENCE_END = re.compile(r"[.!?…;]+|\n+")
_CLAUSE_END = re.compile(r"[.!?…;,:—–()«»\"]+|\s-\s|\n+")
_IRREGULAR = {
    "took": "take", "taken": "take", "shot": "shoot", "went": "go", "gone": "go", "gave": "give", "given": "give",
    "kept": "keep", "held": "hold", "left": "leave", "burnt": "burn", "hid": "hide", "hidden": "hide",
    "beat": "beat", "beaten": "beat", "stole": "steal", "stolen": "steal", "brought": "bring", "put": "put",
    "drove": "drive", "driven": "drive", "let": "let", "sent": "send", "dug": "dig", "bled": "bleed",
    "fed": "feed", "ate": "eat", "eaten": "eat", "found": "find", "saw": "see", "seen": "see", "told": "tell",
    "said": "say", "made": "make", "did": "do", "done": "do", "got": "get", "gotten": "get", "caught": "catch",
    "children": "child", "women": "woman", "men": "man", "people": "people", "bodies": "body", "lay": "lie",
    "thrown": "throw", "threw": "throw", "struck": "strike", "hit": "hit", "fled": "flee", "knew": "know",
    "won't": "will", "can't": "can", "don't": "do", "didn't": "do", "doesn't": "do",
}


def clean(word: str) -> str:
    return word.lower().replace("ё", "е").replace("’", "'").replace("ʼ", "'")


def _english_forms(lower: str) -> set[str]:
    forms = {lower}
    if lower in _IRREGULAR:
        forms.add(_IRREGULAR[lower])
    for suffix, replacement in (("ies", "y"), ("ied", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""),
                                ("s", ""), ("'s", "")):
        if lower.endswith(suffix) and len(lower) - len(suffix) >= 3:
            base = lower[: len(lower) - len(suffix)] + replacement
            forms.add(base)
            if suffix in ("ing", "ed"):
                forms.add(base + "e")  # burned/burning -> burn, tortured -> torture
                if len(base) >= 4 and base[-1] == base[-2]:
                    forms.add(base[:-1])  # shelling -> shell stays, stopped -> stop
            break
    return forms


@lru_cache(maxsize=100_000)
def word_forms(word: str) -> frozenset[str]:
    """Every form a rule, glossary term or gazetteer name is compared through."""
    lower = clean(word)
    if not lower:
        return frozenset()
    if not _CYRILLIC.search(lower):
        return frozenset(_english_forms(lower))
    forms = {lower}
    for language in ("ru", "uk"):
        forms.update(f.replace("ё", "е") for f in normal_forms(lower, language))
    return frozenset(forms)


@dataclass(frozen=True)
class Tok:
    text: str
    start: int
    end: int
    forms: frozenset[str]

    @property
    def lower(self) -> str:
        return clean(self.text)

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[Tok, ...]:
    return tuple(Tok(word, start, end, word_forms(word) | {"!" + clean(word)}) for word, start, end in tokenize(text))


def _spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in pattern.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans or [(0, len(text))]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    return _spans(text, _SENTENCE_END)


def clause_spans(text: str) -> list[tuple[int, int]]:
    return _spans(text, _CLAUSE_END)


def span_index(spans: list[tuple[int, int]], char: int) -> int:
    """Index of the span holding ``char`` (a boundary character belongs to the span after it)."""
    for n, (_start, end) in enumerate(spans):
        if char < end:
            return n
    return len(spans) - 1


def sentence_starts(text: str, toks: tuple[Tok, ...]) -> frozenset[int]:
    """Indices of tokens that open a sentence (capitalisation says nothing there)."""
    starts: set[int] = set()
    spans = sentence_spans(text)
    for a, b in spans:
        for n, tok in enumerate(toks):
            if a <= tok.start < b:
                starts.add(n)
                break
    return frozenset(starts)
