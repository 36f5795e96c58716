"""Call signs, military units, counts of people and grid references found by patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NAME = r"[А-ЯЁІЇЄҐA-Z][а-яёіїєґa-z\-]+"
# «Гранит, я Сокол(, приём)»: addressee then caller
_ADDRESS = re.compile(rf"(?<![\w-])(?P<to>{_NAME})\s*,\s*(?:я|тут|це|this is)\s+(?P<from>{_NAME})")
_CALLSIGN_WORD = re.compile(rf"(?:позывн(?:ой|ого|ому|ым)|позивн(?:ий|ого|ому)|call\s*sign)\s+[«\"]?(?P<name>{_NAME})", re.I)
_UNIT = re.compile(
    r"(?<![\w-])(?P<unit>\d{1,4}(?:-?(?:я|й|ая|ой|ий|th|st|nd|rd|а|ї|ої))?\s*[- ]?"
    r"(?:отдельн\w+\s+)?(?:мотострелков\w+\s+|механізован\w+\s+|штурмов\w+\s+|десантно-штурмов\w+\s+|танков\w+\s+)?"
    r"(?:бригад\w*|полк\w*|батальон\w*|рот[аеуы]|роті|дивизи\w+|дивізі\w+|арми[яиюей]|армі[яїю]|"
    r"омсбр|омбр|обр|мсп|мсд|вдд|одшбр|дшб|дшп|brigade|regiment|battalion|company|division|army)"
    r"(?:\s+(?:ВДВ|ВСУ|ЗСУ|МП))?)(?![\w-])", re.I)
_UNIT_ABBR = re.compile(r"(?<![\w-])(?P<unit>ВДВ|ДНР|ЛНР|ЧВК\s+[«\"]?\w+[»\"]?|Росгвард\w+)(?![\w-])")
_NUMBER_WORDS = {
    "двое": 2, "двоих": 2, "трое": 3, "троих": 3, "четверо": 4, "четверых": 4, "пятеро": 5, "пятерых": 5,
    "шестеро": 6, "один": 1, "одного": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6,
    "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "двоє": 2, "троє": 3, "двох": 2, "трьох": 3,
    "п'ятеро": 5, "чотири": 4, "п'ять": 5, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10,
}
_PEOPLE = (r"(?:пленн\w+|плен\w*|задержанн\w+|человек|чел|мирн\w+|гражданск\w+|местн\w+|раненн?\w+|"
           r"двухсот\w+|трехсот\w+|трёхсот\w+|полонен\w+|цивільн\w+|людей|людини|"
           r"prisoners?|civilians?|people|men|women|detainees?)")
_COUNT = re.compile(
    rf"(?<![\w-])(?P<num>\d{{1,4}}|{'|'.join(sorted((re.escape(w) for w in _NUMBER_WORDS), key=len, reverse=True))})"
    rf"\s+(?:\w+\s+)?(?P<what>{_PEOPLE})(?![\w-])", re.I)
_SQUARE = re.compile(r"(?<![\w-])(?P<grid>(?:квадрат\w*|квадрат|square|grid)\s+\d{1,3}(?:\s*[-/]\s*\d{1,3})?"
                     r"(?:\s+по\s+улитке\s+\d)?)", re.I)
_MGRS = re.compile(r"(?<![\w-])(?P<grid>\d{1,2}[C-HJ-NP-X]\s?[A-HJ-NP-Z]{2}\s?\d{2,5}\s?\d{2,5})(?![\w-])")
_LATLON = re.compile(r"(?<![\w.])(?P<lat>[-+]?\d{1,2}\.\d{3,})\s*[,;/ ]\s*(?P<lon>[-+]?\d{1,3}\.\d{3,})(?![\w.])")


@dataclass(frozen=True)
class Mention:
    type: str
    text: str
    char_start: int
    char_end: int
    normalized: str
    extra: dict[str, Any]


def _callsigns(text: str) -> list[Mention]:
    found: list[Mention] = []
    for m in _ADDRESS.finditer(text):
        for group, role in (("to", "addressee"), ("from", "caller")):
            found.append(Mention("callsign", m.group(group), m.start(group), m.end(group),
                                 m.group(group).capitalize(), {"role": role}))
    for m in _CALLSIGN_WORD.finditer(text):
        found.append(Mention("callsign", m.group("name"), m.start("name"), m.end("name"),
                             m.group("name").capitalize(), {"role": "named"}))
    return found


def find_mentions(text: str) -> list[Mention]:
    """All pattern mentions in ``text``, sorted by position; overlaps of the same type are merged."""
    found = _callsigns(text)
    for m in _UNIT.finditer(text):
        found.append(Mention("unit", m.group("unit"), m.start("unit"), m.end("unit"),
                             re.sub(r"\s+", " ", m.group("unit")).lower(), {}))
    for m in _UNIT_ABBR.finditer(text):
        found.append(Mention("unit", m.group("unit"), m.start("unit"), m.end("unit"), m.group("unit"), {}))
    for m in _COUNT.finditer(text):
        raw = m.group("num").lower()
        value = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        found.append(Mention("count", m.group(0), m.start(), m.end(), f"{value} {m.group('what').lower()}",
                             {"value": value, "of": m.group("what").lower()}))
    for m in _SQUARE.finditer(text):
        found.append(Mention("grid", m.group("grid"), m.start("grid"), m.end("grid"),
                             re.sub(r"\s+", " ", m.group("grid")).lower(), {}))
    for m in _MGRS.finditer(text):
        found.append(Mention("grid", m.group("grid"), m.start("grid"), m.end("grid"),
                             re.sub(r"\s+", "", m.group("grid")).upper(), {"system": "MGRS"}))
    for m in _LATLON.finditer(text):
        lat, lon = float(m.group("lat")), float(m.group("lon"))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            found.append(Mention("coordinate", m.group(0), m.start(), m.end(), f"{lat:.6f},{lon:.6f}",
                                 {"lat": lat, "lon": lon}))
    found.sort(key=lambda x: (x.char_start, -x.char_end, x.type))
    merged: list[Mention] = []
    for mention in found:
        if any(o.type == mention.type and o.char_start <= mention.char_start < o.char_end for o in merged):
            continue
        merged.append(mention)
    return merged
