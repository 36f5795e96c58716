"""Numbers written as words or digits in Russian, Ukrainian and English.

``read_number(tokens, forms, i)`` reads the longest number starting at token ``i``: cardinals
(«двадцать два», «двадцять два», "twenty two"), ordinals («шестьдесят четвёртая», "64th",
«155-я»), collective numerals («трое», «двоє»). Inflected forms are recognised through their
pymorphy3 normal forms, which the caller passes in ``forms`` (one set per token).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# value, kind: "card" cardinal, "ord" ordinal, "coll" collective (people)
_UNITS = {
    # Russian
    "ноль": 0, "один": 1, "два": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8,
    "девять": 9,
    # Ukrainian
    "нуль": 0, "чотири": 4, "п'ять": 5, "шість": 6, "сім": 7, "вісім": 8, "дев'ять": 9, "одна": 1, "дві": 2,
    # English
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
_TEENS = {
    "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14, "пятнадцать": 15,
    "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18, "девятнадцать": 19,
    "одинадцять": 11, "дванадцять": 12, "тринадцять": 13, "чотирнадцять": 14, "п'ятнадцять": 15,
    "шістнадцять": 16, "сімнадцять": 17, "вісімнадцять": 18, "дев'ятнадцять": 19,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60, "семьдесят": 70,
    "восемьдесят": 80, "девяносто": 90,
    "двадцять": 20, "тридцять": 30, "п'ятдесят": 50, "шістдесят": 60, "сімдесят": 70, "вісімдесят": 80,
    "дев'яносто": 90,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_HUNDREDS = {
    "сто": 100, "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600, "семьсот": 700,
    "восемьсот": 800, "девятьсот": 900,
    "двісті": 200, "чотириста": 400, "п'ятсот": 500, "шістсот": 600, "сімсот": 700, "вісімсот": 800,
    "дев'ятсот": 900, "hundred": 100,
}
_ORDINALS = {
    "первый": 1, "второй": 2, "третий": 3, "четвертый": 4, "пятый": 5, "шестой": 6, "седьмой": 7, "восьмой": 8,
    "девятый": 9, "десятый": 10, "одиннадцатый": 11, "двенадцатый": 12, "тринадцатый": 13,
    "четырнадцатый": 14, "пятнадцатый": 15, "шестнадцатый": 16, "семнадцатый": 17, "восемнадцатый": 18,
    "девятнадцатый": 19, "двадцатый": 20, "тридцатый": 30, "сороковой": 40, "пятидесятый": 50,
    "шестидесятый": 60, "семидесятый": 70, "восьмидесятый": 80, "девяностый": 90, "сотый": 100,
    "перший": 1, "другий": 2, "третій": 3, "четвертий": 4, "п'ятий": 5, "шостий": 6, "сьомий": 7,
    "восьмий": 8, "дев'ятий": 9, "десятий": 10, "одинадцятий": 11, "дванадцятий": 12, "двадцятий": 20,
    "тридцятий": 30, "сороковий": 40, "п'ятдесятий": 50, "шістдесятий": 60, "сімдесятий": 70,
    "вісімдесятий": 80, "дев'яностий": 90, "сотий": 100,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "twentieth": 20, "thirtieth": 30,
}
_COLLECTIVE = {
    "оба": 2, "двое": 2, "трое": 3, "четверо": 4, "пятеро": 5, "шестеро": 6, "семеро": 7, "восьмеро": 8,
    "девятеро": 9, "десятеро": 10, "обидва": 2, "двоє": 2, "троє": 3, "п'ятеро": 5,
}
_FALSE_FRIENDS = frozenset({"сорока", "второй", "сек"})  # "magpie"; «второй» is also "second" as a name
_DIGITS = re.compile(r"^(\d{1,6})(?:-?(?:[а-яёіїєґa-z]{1,4}))?$", re.IGNORECASE)
_ORDINAL_SUFFIX = re.compile(r"^\d{1,6}-?(?:й|я|е|го|му|м|ой|ая|ий|ый|ого|ому|им|ым|ом|ую|ю|ї|ої|ій|а|тя|ша|га|та|ма|st|nd|rd|th)$",
                             re.IGNORECASE)


@dataclass(frozen=True)
class Number:
    value: int
    kind: str  # "card" | "ord" | "coll"
    length: int  # tokens consumed
    digits: bool


def _lookup(forms: frozenset[str], table: dict[str, int]) -> int | None:
    hits = sorted(table[f] for f in forms if f in table)
    return hits[0] if hits else None


def _word_value(forms: frozenset[str]) -> tuple[int, str, int] | None:
    """(value, kind, rank) of one number word; rank 3 hundreds, 2 tens, 1 teens/units."""
    for table, kind, rank in ((_HUNDREDS, "card", 3), (_TENS, "card", 2), (_TEENS, "card", 1), (_UNITS, "card", 1),
                              (_COLLECTIVE, "coll", 1)):
        value = _lookup(forms, table)
        if value is not None:
            return value, kind, rank
    value = _lookup(forms, _ORDINALS)
    if value is not None:
        return value, "ord", 3 if value == 100 else 2 if value >= 20 and value % 10 == 0 else 1
    return None


def read_number(texts: Sequence[str], forms: Sequence[frozenset[str]], i: int) -> Number | None:
    """The number that starts at token ``i`` (words or digits), or None."""
    if i >= len(texts):
        return None
    raw = texts[i]
    digits = _DIGITS.match(raw)
    if digits:
        kind = "ord" if _ORDINAL_SUFFIX.match(raw) and not raw.isdigit() else "card"
        return Number(int(digits.group(1)), kind, 1, True)
    if raw.lower() in _FALSE_FRIENDS and not (i + 1 < len(texts) and _word_value(forms[i + 1])):
        return None
    first = _word_value(forms[i])
    if first is None:
        return None
    total, kind, rank = first
    length = 1
    if kind in ("ord", "coll"):
        return Number(total, kind, 1, False)
    while i + length < len(texts) and kind == "card":
        nxt = _word_value(forms[i + length])
        if nxt is None:
            break
        value, next_kind, next_rank = nxt
        if next_rank >= rank or next_kind == "coll" or (rank == 2 and value >= 10) or (rank == 1):
            break
        total += value
        rank = next_rank
        kind = next_kind
        length += 1
        if next_kind == "ord":
            break
    return Number(total, kind, length, False)
