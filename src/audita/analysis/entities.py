"""Entities found by rules: call signs, military units, organisations, people, counts of people,
grid squares and coordinates (places: ``places.py``; times and dates: ``times.py``).

Word lists live in ``data/entities.json``. People and organisations in Russian also come from
natasha (its NER models ship inside the wheel); natasha knows nothing of call signs or units and
is unreliable on Ukrainian, so rules cover those.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from audita.analysis.numbers import read_number
from audita.analysis.tokens import Tok, clean, tokens, word_forms

_UPPER = "A-ZА-ЯЁІЇЄҐ"
_NAME = rf"[{_UPPER}][\w'’]*(?:-\d{{1,3}}|-[{_UPPER}][\w'’]*)?"
_ADDRESS = re.compile(rf"(?<![\w-])(?P<to>{_NAME})\s*,\s*(?:я|тут|это|це|this is|it's|here's)\s+(?P<from>{_NAME})(?![\w-])")
_ADDRESS_LOWER = re.compile(
    r"(?<![\w-])(?P<to>[^\W\d_][\w'’-]*)\s*,\s*(?:я|это|це|this is)\s+(?P<from>[^\W\d_][\w'’-]*)\s*,?\s*"
    r"(?:при[её]м|прийом|over)(?![\w-])", re.IGNORECASE)
_REPLY = re.compile(
    rf"(?:[Нн]а\s+при[её]ме|[Нн]а\s+связи|[Нн]а\s+зв['’]язку|[Нн]а\s+прийомі|(?:[Пп]онял|[Пп]ринял|[Пп]рийняв|[Зз]розумів)"
    rf"(?:\s+тебя|\s+тебе)?)\s*,\s*(?P<name>{_NAME})(?![\w-])"
    rf"|(?<![\w-])(?P<name2>{_NAME})\s*,?\s+(?:на\s+при[её]ме|на\s+связи|на\s+зв['’]язку|на\s+прийомі)")
_NAMED = re.compile(
    r"(?:позывн(?:ой|ого|ому|ым|ом)|позивн(?:ий|ого|ому|им|ому)|call\s*-?\s*sign)(?:\s+(?:was|is))?\s*[:\-–]?\s*[«\"“„']?"
    r"(?P<name>[^\W\d_][\w'’-]*)",
    re.IGNORECASE)
_MGRS = re.compile(r"(?<![\w])(?P<grid>\d{1,2}[C-HJ-NP-X]\s?[A-HJ-NP-Z]{2}\s?\d{2,5}\s?\d{2,5})(?![\w])")
_DECIMAL = re.compile(r"(?<![\w.])(?P<lat>[-+]?\d{1,2}[.,]\d{3,7})\s*[,;/ ]\s*(?P<lon>[-+]?\d{1,3}[.,]\d{3,7})(?![\w.])")
_DMS = re.compile(
    r"(?P<d1>\d{1,2})\s*°\s*(?P<m1>\d{1,2})\s*['′’]\s*(?:(?P<s1>\d{1,2}(?:[.,]\d+)?)\s*(?:\"|″|''|’’)\s*)?"
    r"(?P<h1>N|S|с\.?\s?ш\.?|пн\.?\s?ш\.?|ю\.?\s?ш\.?)?[\s,;]*"
    r"(?P<d2>\d{1,3})\s*°\s*(?P<m2>\d{1,2})\s*['′’]\s*(?:(?P<s2>\d{1,2}(?:[.,]\d+)?)\s*(?:\"|″|''|’’)\s*)?"
    r"(?P<h2>E|W|в\.?\s?д\.?|сх\.?\s?д\.?|з\.?\s?д\.?)?", re.IGNORECASE)
_ORDINAL_EN = {1: "st", 2: "nd", 3: "rd"}


@dataclass(frozen=True)
class Mention:
    type: str
    char_start: int
    char_end: int
    text: str
    normalized: str
    source: str
    value: dict[str, Any] | None = field(default=None, hash=False, compare=False)


@lru_cache(maxsize=1)
def entity_data() -> dict[str, Any]:
    return json.loads(resources.files("audita.analysis.data").joinpath("entities.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, Any]:
    data = entity_data()

    def forms_table(table: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for word, value in table.items():
            for form in word_forms(word) if " " not in word else ():
                out.setdefault(form, value)
        return out

    def phrases(table: dict[str, Any]) -> list[tuple[tuple[frozenset[str], ...], Any]]:
        return sorted(((tuple(t.forms for t in tokens(k)), v) for k, v in table.items()), key=lambda p: -len(p[0]))

    def form_set(words: list[str]) -> frozenset[str]:
        out: set[str] = set()
        for word in words:
            out |= word_forms(word)
        return frozenset(out)

    def canonical(words: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for word in words:
            for form in sorted(word_forms(word)):
                out.setdefault(form, word)
        return out

    return {
        "types": forms_table(data["unit_types"]),
        "abbreviations": {clean(k).rstrip("."): v for k, v in data["abbreviations"].items()},
        "qualifiers": forms_table(data["qualifiers"]),
        "after_type": phrases(data["after_type"]),
        "organisations": phrases(data["organisations"]),
        "ranks": form_set(data["ranks"]),
        "people": form_set(data["people"]),
        "people_canonical": canonical(data["people"]),
        "approximate": frozenset(clean(w) for w in data["approximate"]),
        "address_words": frozenset(clean(w) for w in data["address_words"]),
    }


def _title(word: str) -> str:
    return word[:1].upper() + word[1:]


# ---- call signs --------------------------------------------------------------------------------


def _not_a_name(word: str) -> bool:
    lower = clean(word)
    if lower in _lexicon()["address_words"] or lower in ("я", "ты", "он", "мы", "вы", "они", "i", "we", "you"):
        return True
    from audita.text.lemmas import _analyzer

    if re.search(r"[\u0400-\u04FF]", lower):
        parses = _analyzer("ru").parse(lower)
        if parses and parses[0].tag.POS in ("VERB", "INFN", "NPRO", "PRCL", "CONJ", "PREP", "INTJ", "ADVB"):
            return True
    return False


def find_callsigns(text: str) -> list[Mention]:
    """«Гранит, я Сокол(, приём)», «на приёме, Кедр», «позывной Кедр», "Granite, this is Falcon"."""
    found: list[Mention] = []
    for pattern, source in ((_ADDRESS, "rule:callsign-address"), (_ADDRESS_LOWER, "rule:callsign-address")):
        for m in pattern.finditer(text):
            if _not_a_name(m.group("to")) or _not_a_name(m.group("from")):
                continue
            for group, role in (("to", "addressee"), ("from", "caller")):
                found.append(Mention("callsign", m.start(group), m.end(group), m.group(group), _title(m.group(group)),
                                     source, {"role": role}))
    for m in _REPLY.finditer(text):
        group = "name" if m.group("name") else "name2"
        if _not_a_name(m.group(group)):
            continue
        found.append(Mention("callsign", m.start(group), m.end(group), m.group(group), _title(m.group(group)),
                             "rule:callsign-reply", {"role": "addressee" if group == "name" else "station"}))
    for m in _NAMED.finditer(text):
        found.append(Mention("callsign", m.start("name"), m.end("name"), m.group("name"), _title(m.group("name")),
                             "rule:callsign-named", {"role": "named"}))
    return found


def known_callsign_mentions(text: str, toks: Sequence[Tok], names: dict[str, str]) -> list[Mention]:
    """Further capitalised mentions of call signs already established elsewhere in the transcript."""
    out: list[Mention] = []
    for tok in toks:
        if not tok.capitalised:
            continue
        hit = next((names[f] for f in sorted(tok.forms) if f in names), None)
        if hit is not None:
            out.append(Mention("callsign", tok.start, tok.end, tok.text, hit, "rule:callsign-known",
                               {"role": "mentioned"}))
    return out


# ---- units and organisations ---------------------------------------------------------------------


def _phrase_at(phrases: list[tuple[tuple[frozenset[str], ...], Any]], toks: Sequence[Tok], i: int) -> tuple[int, Any] | None:
    for parts, value in phrases:
        n = len(parts)
        if i + n <= len(toks) and all(parts[k] & toks[i + k].forms for k in range(n)):
            return n, value
    return None


def _ordinal_en(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{_ORDINAL_EN.get(number % 10, 'th')}"


def find_units(text: str, toks: Sequence[Tok]) -> list[Mention]:
    """«155-я бригада морской пехоты», «64 омсбр», «шестьдесят четвёртая отдельная бригада», "25th brigade",
    «батальон «Азов»»: a unit needs a number or a name."""
    lex = _lexicon()
    found: list[Mention] = []
    texts = [t.text for t in toks]
    forms = [t.forms for t in toks]
    for i, tok in enumerate(toks):
        unit_type = next((lex["types"][f] for f in sorted(tok.forms) if f in lex["types"]), None)
        abbreviation = lex["abbreviations"].get(tok.lower)
        if unit_type is None and abbreviation is None:
            continue
        qualifiers: list[str] = []
        if abbreviation is not None:
            unit_type, qualifiers = abbreviation[0], list(abbreviation[1])
        # qualifiers and the number before the type
        j = i
        before: list[str] = []
        while j - 1 >= 0 and i - j < 4:
            qualifier = next((lex["qualifiers"][f] for f in sorted(toks[j - 1].forms) if f in lex["qualifiers"]), None)
            if qualifier is None:
                break
            before.insert(0, qualifier)
            j -= 1
        number = None
        start = j
        for back in range(4, 0, -1):  # the longest number ending right before the qualifiers
            k = j - back
            if k < 0:
                continue
            candidate = read_number(texts, forms, k)
            if candidate is not None and k + candidate.length == j and (candidate.kind == "ord" or candidate.digits):
                number, start = candidate, k
                break
        # a name or a branch after the type
        end = i + 1
        name = None
        after = _phrase_at(lex["after_type"], toks, end)
        if after is not None:
            qualifiers.append(after[1])
            end += after[0]
        quoted = re.match(r"\s*[«\"“„](?P<name>[^»\"”“]{2,40})[»\"”“]", text[toks[end - 1].end:])
        name_end = None
        if quoted:
            name = quoted.group("name").strip()
            name_end = toks[end - 1].end + quoted.end()
            while end < len(toks) and toks[end].end <= name_end:
                end += 1
        elif number is None and end < len(toks):
            following = read_number(texts, forms, end)
            if following is not None and following.digits:
                number = following
                end += following.length
        if number is None and name is None:
            continue
        if abbreviation is not None and number is None:
            continue
        qualifiers = [*before, *qualifiers]
        char_end = name_end if name_end is not None else toks[end - 1].end
        char_start = toks[start].start
        label = " ".join(dict.fromkeys(qualifiers))
        normalized = " ".join(p for p in (_ordinal_en(number.value) if number else "", label, unit_type) if p)
        if name:
            normalized = f"{normalized} \u00ab{name}\u00bb"
        found.append(Mention("unit", char_start, char_end, text[char_start:char_end], normalized, "rule:unit", {
            "number": number.value if number else None, "type": unit_type, "qualifiers": list(dict.fromkeys(qualifiers)),
            "abbreviation": tok.text if abbreviation is not None else None, "name": name}))
    return found


def find_organisations(text: str, toks: Sequence[Tok]) -> list[Mention]:
    lex = _lexicon()
    found: list[Mention] = []
    i = 0
    while i < len(toks):
        hit = _phrase_at(lex["organisations"], toks, i)
        if hit is None or (len(toks[i].text) <= 4 and toks[i].text.islower() and toks[i].text.isalpha()
                           and hit[0] == 1 and toks[i].lower not in ("чвк",)):
            i += 1
            continue
        n, canonical = hit
        end = i + n
        start_char, end_char = toks[i].start, toks[end - 1].end
        quoted = re.match(r"\s*[«\"“„](?P<name>[^»\"”“]{2,40})[»\"”“]", text[end_char:])
        if toks[i].lower == "чвк" and quoted:
            canonical = f"PMC \u00ab{quoted.group('name').strip()}\u00bb"
            end_char += quoted.end()
            while end < len(toks) and toks[end].end <= end_char:
                end += 1
        elif toks[i].lower == "чвк" and end < len(toks) and toks[end].capitalised:
            canonical = f"PMC \u00ab{toks[end].text}\u00bb"
            end_char = toks[end].end
            end += 1
        found.append(Mention("org", start_char, end_char, text[start_char:end_char], canonical, "rule:organisation"))
        i = end
    return found


# ---- people --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _natasha() -> Any:
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

    return Doc, Segmenter(), NewsNERTagger(NewsEmbedding())


def natasha_spans(text: str) -> list[tuple[str, int, int, str]]:
    """(type PER/LOC/ORG, start, end, text) from natasha's Russian NER."""
    doc_class, segmenter, tagger = _natasha()
    doc = doc_class(text)
    doc.segment(segmenter)
    doc.tag_ner(tagger)
    return [(s.type, s.start, s.stop, s.text) for s in doc.spans]


def _looks_like_name(toks: Sequence[Tok], grammemes: tuple[str, ...]) -> bool:
    """natasha calls many capitalised words people or places («Братан», «Бери», «Идём»): keep a span only when
    a word of it carries one of ``grammemes`` (first name, surname, geographic name...) or is unknown to the
    dictionary."""
    from audita.text.lemmas import _analyzer

    analyzer = _analyzer("ru")
    for tok in toks:
        lower = tok.lower
        if not re.search(r"[\u0400-\u04FF]", lower):
            return True
        if not analyzer.word_is_known(lower):
            return True
        if any(set(grammemes) & set(str(p.tag).replace(" ", ",").split(",")) for p in analyzer.parse(lower)[:2]):
            return True
    return False


def _normal_name(toks: Sequence[Tok]) -> str:
    from audita.text.lemmas import _analyzer

    words = []
    for tok in toks:
        word = tok.text
        if re.search(r"[\u0400-\u04FF]", word):
            parses = [p for p in _analyzer("ru").parse(word.lower()) if {"Name", "Surn", "Patr"} & set(str(p.tag).replace(" ", ",").split(","))]
            if parses:
                word = parses[0].normal_form
        words.append(_title(word))
    return " ".join(words)


def find_people(text: str, toks: Sequence[Tok], language: str, use_natasha: bool) -> list[Mention]:
    """People: natasha (Russian), a rank before a capitalised name (all languages), and for Ukrainian
    capitalised words that the Ukrainian dictionary knows as first names or surnames."""
    found: list[Mention] = []
    if use_natasha and language == "ru":
        for kind, start, end, span_text in natasha_spans(text):
            inside = [t for t in toks if start <= t.start and t.end <= end]
            if kind == "PER" and inside and _looks_like_name(inside, ("Name", "Surn", "Patr")):
                found.append(Mention("person", start, end, span_text, _normal_name(inside), "natasha"))
            elif kind == "ORG" and inside:
                found.append(Mention("org", start, end, span_text, span_text, "natasha"))
            elif kind == "LOC" and inside and inside[0].capitalised and _looks_like_name(inside, ("Geox", "Name", "Surn")):
                found.append(Mention("place", start, end, span_text, span_text, "natasha"))
    ranks = _lexicon()["ranks"]
    for i, tok in enumerate(toks[:-1]):
        if tok.forms & ranks and toks[i + 1].capitalised and not _not_a_name(toks[i + 1].text):
            end = i + 2 if not (i + 2 < len(toks) and toks[i + 2].capitalised) else i + 3
            found.append(Mention("person", toks[i + 1].start, toks[end - 1].end, text[toks[i + 1].start:toks[end - 1].end],
                                 _normal_name(toks[i + 1:end]), "rule:rank-name", {"rank": tok.text}))
    if language == "uk":
        from audita.text.lemmas import _analyzer

        analyzer = _analyzer("uk")
        i = 0
        while i < len(toks):
            tok = toks[i]
            tags = str(analyzer.parse(tok.lower)[0].tag) if tok.capitalised else ""
            if i > 0 and ("name" in tags.lower() or "surn" in tags.lower()):
                end = i + 1
                while end < len(toks) and toks[end].capitalised and "surn" in str(analyzer.parse(toks[end].lower)[0].tag).lower():
                    end += 1
                found.append(Mention("person", tok.start, toks[end - 1].end, text[tok.start:toks[end - 1].end],
                                     " ".join(_title(t.text) for t in toks[i:end]), "rule:uk-name"))
                i = end
                continue
            i += 1
    return found


# ---- counts, grid squares, coordinates -------------------------------------------------------------


def find_counts(text: str, toks: Sequence[Tok]) -> list[Mention]:
    """«трое сдались», «сорок человек гражданских», «один двухсотый», "two civilians", «человек десять»."""
    lex = _lexicon()
    texts = [t.text for t in toks]
    forms = [t.forms for t in toks]
    found: list[Mention] = []
    i = 0
    while i < len(toks):
        number = read_number(texts, forms, i)
        if number is None or number.kind == "ord" or (number.digits and not toks[i].text.isdigit()):
            i += 1
            continue
        end = i + number.length
        noun = None
        for k in range(end, min(len(toks), end + 2)):
            if re.search(r"[^\s]", text[toks[k - 1].end:toks[k].start]):
                break  # punctuation between the number and the noun
            if toks[k].forms & lex["people"]:
                noun = k
                break
        approximate = i > 0 and toks[i - 1].lower in lex["approximate"]
        if noun is None and number.kind != "coll":
            # inverted order («человек десять») is approximate
            if i > 0 and toks[i - 1].forms & lex["people"] and not number.digits:
                start = i - 1
                found.append(Mention("count", toks[start].start, toks[end - 1].end, text[toks[start].start:toks[end - 1].end],
                                     f"~{number.value} {toks[start].lower}", "rule:count",
                                     {"count": number.value, "approximate": True,
                                      "of": min(lex["people_canonical"][f] for f in toks[start].forms & lex["people"])}))
            i = end
            continue
        last = noun if noun is not None else end - 1
        of = "people" if noun is None else min(lex["people_canonical"][f] for f in toks[noun].forms & lex["people"])
        start = i - 1 if approximate else i
        found.append(Mention("count", toks[start].start, toks[last].end, text[toks[start].start:toks[last].end],
                             f"{'~' if approximate else ''}{number.value} {of}", "rule:count",
                             {"count": number.value, "of": of, "approximate": approximate}))
        i = last + 1
    return found


def _grid(text: str, toks: Sequence[Tok], i: int, end: int, value: dict[str, Any], texts: list[str],
          forms: list[frozenset[str]]) -> Mention:
    """A grid-square mention from token ``i`` to ``end``, extended by «по улитке N» / «улитка N»."""
    snail_words = {"улитка", "равлик", "snail"}
    step = None
    if end + 1 < len(toks) and toks[end].forms & snail_words:
        step = end + 1
    elif end + 2 < len(toks) and toks[end].lower in ("по", "за") and toks[end + 1].forms & snail_words:
        step = end + 2
    if step is not None:
        snail = read_number(texts, forms, step)
        if snail is not None and 1 <= snail.value <= 9:
            value["snail"] = snail.value
            end = step + snail.length
    normalized = f"square {value['square']}" + (f" snail {value['snail']}" if "snail" in value else "")
    return Mention("grid", toks[i].start, toks[end - 1].end, text[toks[i].start:toks[end - 1].end], normalized,
                   "rule:grid-square", value)


def find_grid(text: str, toks: Sequence[Tok]) -> list[Mention]:
    """Grid squares («квадрат 22», «в квадрате двадцать два по улитке 3», "grid square 45-12") and MGRS."""
    texts = [t.text for t in toks]
    forms = [t.forms for t in toks]
    found: list[Mention] = []
    for i, tok in enumerate(toks):
        if not tok.forms & {"квадрат", "square", "grid"}:
            continue
        k = i + 1
        if k < len(toks) and toks[k].lower == "square":
            k += 1
        pair = re.match(r"^(\d{1,3})[-/](\d{1,3})$", toks[k].text) if k < len(toks) else None
        if pair:  # «45-12» is one token
            value: dict[str, Any] = {"square": f"{pair.group(1)}-{pair.group(2)}"}
            end = k + 1
            found.append(_grid(text, toks, i, end, value, texts, forms))
            continue
        number = read_number(texts, forms, k)
        if number is None:
            continue
        parts = [str(number.value)]
        end = k + number.length
        if end < len(toks) and re.match(r"\s*[-/]\s*$", text[toks[end - 1].end:toks[end].start]) is not None:
            second = read_number(texts, forms, end)
            if second is not None:
                parts.append(str(second.value))
                end += second.length
        found.append(_grid(text, toks, i, end, {"square": "-".join(parts)}, texts, forms))
    for m in _MGRS.finditer(text):
        compact = re.sub(r"\s+", "", m.group("grid")).upper()
        digits = re.sub(r"^\d{1,2}[A-Z]{3}", "", compact)
        if len(digits) % 2 == 0:
            found.append(Mention("grid", m.start(), m.end(), m.group(0), compact, "rule:mgrs", {"mgrs": compact}))
    return found


def _dms(d: str, m: str, s: str | None) -> float:
    return float(d) + float(m) / 60 + (float(s.replace(",", ".")) / 3600 if s else 0.0)


def find_coordinates(text: str) -> list[Mention]:
    found: list[Mention] = []
    for m in _DECIMAL.finditer(text):
        lat, lon = float(m.group("lat").replace(",", ".")), float(m.group("lon").replace(",", "."))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            found.append(Mention("coordinate", m.start(), m.end(), m.group(0), f"{lat:.6f},{lon:.6f}", "rule:decimal-degrees",
                                 {"lat": lat, "lon": lon}))
    for m in _DMS.finditer(text):
        lat = _dms(m.group("d1"), m.group("m1"), m.group("s1"))
        lon = _dms(m.group("d2"), m.group("m2"), m.group("s2"))
        if (m.group("h1") or "").lower().startswith(("s", "ю")):
            lat = -lat
        if (m.group("h2") or "").lower().startswith(("w", "з")):
            lon = -lon
        if -90 <= lat <= 90 and -180 <= lon <= 180 and int(m.group("m1")) < 60 and int(m.group("m2")) < 60:
            found.append(Mention("coordinate", m.start(), m.end(), m.group(0).strip(), f"{lat:.6f},{lon:.6f}",
                                 "rule:dms", {"lat": round(lat, 6), "lon": round(lon, 6)}))
    return found
