"""Tokenisation with character offsets and lemmas for Russian, Ukrainian and English.

pymorphy3 often offers several normal forms (``Попасной`` -> ``попасная`` and ``попасной``);
all of them are kept so that indexing and rule matching do not depend on picking the right one.
English words get a light suffix stemmer. Results are cached per (word, language).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_UKRAINIAN_LETTERS = set("іїєґІЇЄҐ")


@dataclass(frozen=True)
class Token:
    text: str
    start: int  # character offsets into the source string
    end: int
    lemmas: tuple[str, ...]  # every normal form, lower case, most likely first


@lru_cache(maxsize=2)
def _analyzer(language: str):  # type: ignore[no-untyped-def]
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=language)


def _english_stem(word: str) -> str:
    for suffix, replacement in (("ies", "y"), ("ied", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""),
                                ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: len(word) - len(suffix)] + replacement
    return word


@lru_cache(maxsize=200_000)
def normal_forms(word: str, language: str) -> tuple[str, ...]:
    """All normal forms of one word (lower case), most probable first."""
    lower = word.lower().replace("ё", "е").replace("’", "'")
    if not _CYRILLIC.search(lower):
        return (_english_stem(lower),) if language == "en" or lower.isascii() else (lower,)
    if language not in ("ru", "uk"):
        language = "uk" if _UKRAINIAN_LETTERS & set(lower) else "ru"
    forms: list[str] = []
    for parse in _analyzer(language).parse(lower):
        form = parse.normal_form.replace("ё", "е")
        if form not in forms:
            forms.append(form)
    return tuple(forms) or (lower,)


def tokenize(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]


def lemmatize(text: str, language: str = "ru") -> list[Token]:
    """Tokens of ``text`` with their normal forms in ``language`` ("ru", "uk", "en")."""
    return [Token(word, start, end, normal_forms(word, language)) for word, start, end in tokenize(text)]


@lru_cache(maxsize=50_000)
def is_first_person_verb(word: str) -> bool:
    """``word`` can be a Russian or Ukrainian verb in the first person, present or future
    («сделаем», «оформляем», «зробимо», «працюю»): the form of a reply that commits to an order."""
    lower = word.lower().replace("ё", "е").replace("’", "'")
    if not _CYRILLIC.search(lower):
        return False
    for language in ("ru", "uk"):
        for parse in _analyzer(language).parse(lower):
            tag = parse.tag
            if "VERB" in tag and "1per" in tag and ("pres" in tag or "futr" in tag):
                return True
    return False
