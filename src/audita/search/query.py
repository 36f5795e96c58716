"""Search queries: words, "quoted phrases" and -excluded words, each expanded to every normal form.

Cyrillic words get the normal forms of both the Russian and the Ukrainian dictionary (a short query
cannot be told apart reliably) plus the word itself; Latin words get the English stem. The index
stores the same expansion for every token of the text, so a query in any inflected form meets the
text in any other: «пленных» finds «пленного», «Попасной» finds «Попасная».
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audita.errors import BadInput
from audita.text import normal_forms, tokenize

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_PARTS = re.compile(r'(-?)"([^"]*)"|(-?)«([^»]*)»|(\S+)')


def surface(word: str) -> str:
    return word.lower().replace("ё", "е").replace("’", "'")


def index_form(form: str) -> str:
    """A form as one FTS token: hyphens and apostrophes dropped (``из-за`` -> ``изза``, ``п'ять`` ->
    ``пять``), on both sides, since the FTS tokenizer would split there."""
    return form.replace("-", "").replace("'", "")


_ENDINGS = tuple(sorted({
    "ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "ой", "ей", "ий", "ый", "ая", "яя", "ое", "ее", "ые",
    "ие", "ов", "ев", "ам", "ям", "ах", "ях", "ом", "ем", "ою", "ею", "ую", "юю", "ові", "еві", "ої", "ій", "ів",
    "їв", "ім", "им", "а", "я", "о", "е", "у", "ю", "ы", "и", "і", "ї", "є", "ь", "й",
}, key=len, reverse=True))
STEM_MARK = "stm"  # stem keys live beside lemmas as "stm" + stem, a token no text contains


def stem_key(word: str) -> str | None:
    """A crude stem for Cyrillic names the dictionaries do not inflect (``Ирпеня`` -> ``ирпен``),
    or None for short or non-Cyrillic words."""
    lower = surface(word)
    if len(lower) < 5 or not _CYRILLIC.search(lower):
        return None
    for ending in _ENDINGS:
        if lower.endswith(ending) and len(lower) - len(ending) >= 4:
            return STEM_MARK + index_form(lower[: -len(ending)])
    return STEM_MARK + index_form(lower)


def token_forms(word: str, language: str | None = None, *, stem: bool = True) -> tuple[str, ...]:
    """Every form a token is indexed or queried under (lower case, deduplicated, stable order):
    the surface form, every normal form, and (Cyrillic, when ``stem``) a stem key."""
    forms: list[str] = [surface(word)]
    if _CYRILLIC.search(word):
        languages = (language,) if language in ("ru", "uk") else ("ru", "uk")
        for lang in languages:
            forms.extend(normal_forms(word, lang))
    else:
        forms.extend(normal_forms(word, "en"))
    out = [index_form(f) for f in forms if index_form(f)]
    key = stem_key(word) if stem else None
    if key is not None:
        out.append(key)
    return tuple(dict.fromkeys(out))


_RUSSIAN_ONLY = set("ыэъё")
_UKRAINIAN_ONLY = set("іїєґ'’")


def _known(word: str, language: str) -> bool:
    from audita.text import lemmas

    return bool(lemmas._analyzer(language).word_is_known(word.lower()))


def _proper_or_unknown(word: str, languages: tuple[str, ...]) -> bool:
    from audita.text import lemmas

    for language in languages:
        analyzer = lemmas._analyzer(language)
        if not analyzer.word_is_known(word.lower()):
            return True
        if any({"Geox", "Name", "Surn", "Patr", "Orgn"} & set(str(p.tag).replace(" ", ",").split(","))
               for p in analyzer.parse(word.lower())):
            return True
    return word[:1].isupper()


def query_forms(word: str) -> tuple[str, ...]:
    """Forms of a query word. A Cyrillic word is looked up in the dictionaries that know it (both
    when both or neither do): the guesses a dictionary makes for a foreign word are noise. Names
    (places, people, call signs: capitalised, tagged as names, or unknown) also carry their stem
    key, since dictionaries often lack their inflections (``Ирпень`` must find ``Ирпеня``)."""
    if not _CYRILLIC.search(word):
        return token_forms(word, "en", stem=False)
    letters = set(word.lower())
    if letters & _RUSSIAN_ONLY and not letters & _UKRAINIAN_ONLY:
        languages: tuple[str, ...] = ("ru",)
    elif letters & _UKRAINIAN_ONLY and not letters & _RUSSIAN_ONLY:
        languages = ("uk",)
    else:
        known = tuple(lang for lang in ("ru", "uk") if _known(word, lang))
        languages = known if len(known) == 1 else ("ru", "uk")
    stem = _proper_or_unknown(word, languages)
    return token_forms(word, languages[0] if len(languages) == 1 else None, stem=stem)


@dataclass(frozen=True)
class Term:
    text: str
    forms: tuple[str, ...]


@dataclass(frozen=True)
class ParsedQuery:
    groups: tuple[tuple[Term, ...], ...]  # each group: a word (one term) or a phrase (terms in order)
    excluded: tuple[Term, ...]
    text: str

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(term for group in self.groups for term in group)

    @property
    def phrases(self) -> tuple[tuple[Term, ...], ...]:
        return tuple(group for group in self.groups if len(group) > 1)

    @property
    def all_forms(self) -> frozenset[str]:
        return frozenset(form for term in self.terms for form in term.forms)


def _terms(text: str) -> tuple[Term, ...]:
    return tuple(Term(word, query_forms(word)) for word, _, _ in tokenize(text))


def parse_query(text: str) -> ParsedQuery:
    """Words are all required; a quoted phrase needs its words in order; -word excludes."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise BadInput(f"query longer than {MAX_QUERY_CHARS} characters")
    groups: list[tuple[Term, ...]] = []
    excluded: list[Term] = []
    for match in _PARTS.finditer(text):
        negative = bool(match.group(1) or match.group(3))
        phrase = match.group(2) if match.group(2) is not None else match.group(4)
        if phrase is not None:
            terms = _terms(phrase)
            if negative:
                excluded.extend(terms)
            elif terms:
                groups.append(terms)
            continue
        word = match.group(5)
        if word.startswith("-") and len(word) > 1:
            excluded.extend(_terms(word[1:]))
            continue
        groups.extend((term,) for term in _terms(word))
    if not groups:
        raise BadInput("the query has no words to look for" + (" (only exclusions)" if excluded else ""))
    if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
        raise BadInput(f"the query has more than {MAX_TERMS} words")
    return ParsedQuery(tuple(groups), tuple(excluded), text)


def _quoted(form: str) -> str:
    return '"' + form.replace('"', '""') + '"'


def _any_of(term: Term) -> str:
    return "(" + " OR ".join(_quoted(form) for form in term.forms) + ")"


def match_expression(query: ParsedQuery) -> str:
    """The FTS5 MATCH expression over the lemma column (phrase order is checked afterwards)."""
    required = " AND ".join(_any_of(term) for term in query.terms)
    if not query.excluded:
        return required
    return f"({required}) NOT (" + " OR ".join(_any_of(term) for term in query.excluded) + ")"
