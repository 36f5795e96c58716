"""Times and dates, resolved against the intercept time when it is known.

Recognised (ru, uk, en): clock times («в 14:30», «в шесть утра», «в 8 вечера», "at 0600"),
offsets («через десять минут», «два часа назад», «за годину», "in 10 minutes", "3 days ago"),
day words («вчера», «позавчора», "tomorrow"), dates («27 февраля 2022 года», «24.02.2022»,
"February 24, 2022"), weekdays (dated when «прошлую»/«следующую», "last"/"next" say which; otherwise
both candidates) and parts of the day without a clock time («вечером», «до утра», «на світанку», "at
night": a span of hours). A date next to a time («вчера в 6 утра», «вчора ввечері») makes one
expression. The anchor is the intercept time plus the transmission's start; clock times are read
in ``timezone`` (default Europe/Kyiv) and assumed to fall on the anchor's day. Without an
anchor, expressions are kept with what they say but no ISO time (``iso: null``).
dateparser is not used: it misreads such phrases (see the offline-stack notes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from audita.analysis.numbers import read_number
from audita.analysis.tokens import Tok

_MONTHS = {
    **{m: n for n, m in enumerate(("январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр",
                                   "октябр", "ноябр", "декабр"), start=1)},
    **{m: n for n, m in enumerate(("січ", "лют", "берез", "квіт", "трав", "черв", "лип", "серп", "верес", "жовт",
                                   "листопад", "груд"), start=1)},
    **{m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                   "dec"), start=1)},
}
_MONTH_WORD = (r"(?P<month>январ[ьяе]|феврал[ьяе]|март[ае]?|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|август[ае]?|"
               r"сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе]|січня|лютого|березня|квітня|травня|червня|липня|"
               r"серпня|вересня|жовтня|листопада|грудня|january|february|march|april|may|june|july|august|"
               r"september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)")
_DATE_DMY = re.compile(rf"(?<![\w.])(?P<day>[0-3]?\d)(?:-?(?:го|е|th|st|nd|rd))?\s+{_MONTH_WORD}\.?"
                       rf"(?:,?\s+(?P<year>(?:19|20)\d\d)(?:\s*(?:года|г\.|року|р\.|год))?)?(?![\w])", re.IGNORECASE)
_DATE_MDY = re.compile(rf"(?<![\w.]){_MONTH_WORD}\.?\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d\d))?(?![\w])",
                       re.IGNORECASE)
_DATE_NUMERIC = re.compile(r"(?<![\d.])(?P<day>[0-3]?\d)\.(?P<month>[01]?\d)\.(?P<year>(?:19|20)?\d\d)(?!\d|\.\d)"
                           r"|(?<![\d-])(?P<iy>(?:19|20)\d\d)-(?P<im>[01]\d)-(?P<id>[0-3]\d)(?![\d-])")
_CLOCK = re.compile(r"(?<![\d.,:°])(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)(?![\d:°'′]|[.,]\d)")
_MILITARY = re.compile(r"(?<![\w])(?:at|в|о|к)\s+(?P<h>[01]\d|2[0-3])(?P<m>[0-5]\d)(?:\s*(?:hours|hrs|h))?(?![\w])", re.IGNORECASE)
_DAY_WORDS = {
    "сегодня": 0, "сьогодні": 0, "today": 0, "tonight": 0, "вчера": -1, "вчора": -1, "yesterday": -1,
    "позавчера": -2, "позавчора": -2, "завтра": 1, "tomorrow": 1, "послезавтра": 2, "післязавтра": 2,
}
_PART_OF_DAY = {
    "утро": (6, "morning"), "утром": (6, "morning"), "утра": (6, "morning"), "вранці": (6, "morning"), "ранку": (6, "morning"),
    "ранок": (6, "morning"), "morning": (6, "morning"), "день": (12, "afternoon"), "днем": (12, "afternoon"),
    "днём": (12, "afternoon"), "дня": (12, "afternoon"), "вдень": (12, "afternoon"), "afternoon": (12, "afternoon"),
    "вечер": (18, "evening"), "вечером": (18, "evening"), "вечера": (18, "evening"), "ввечері": (18, "evening"),
    "вечора": (18, "evening"), "evening": (18, "evening"), "ночь": (0, "night"), "ночью": (0, "night"), "ночи": (0, "night"),
    "вночі": (0, "night"), "ночі": (0, "night"), "night": (0, "night"), "tonight": (0, "night"),
}
_WEEKDAYS = {
    "понедельник": 0, "вторник": 1, "среда": 2, "среду": 2, "четверг": 3, "пятница": 4, "пятницу": 4, "суббота": 5, "субботу": 5,
    "воскресенье": 6, "понеділок": 0, "вівторок": 1, "середа": 2, "середу": 2, "четвер": 3, "п'ятниця": 4, "п'ятницю": 4,
    "субота": 5, "суботу": 5, "неділя": 6, "неділю": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3,
    "friday": 4, "saturday": 5, "sunday": 6,
    # genitive after «минулого/наступного», «прошлого»: «минулої п'ятниці», «наступного вівторка»
    "понедельника": 0, "вторника": 1, "среды": 2, "четверга": 3, "пятницы": 4, "субботы": 5, "воскресенья": 6,
    "понеділка": 0, "вівторка": 1, "середи": 2, "п'ятниці": 4, "суботи": 5, "неділі": 6,
}
# «в прошлую пятницу», "last Friday": the one before the intercept day; «в следующую среду», "next Monday": after
_WEEKDAY_PAST = frozenset({"прошлый", "прошлую", "прошлое", "прошлого", "прошлой", "минулий", "минулу", "минулого",
                           "минулої", "last", "позапрошлую"})
_WEEKDAY_NEXT = frozenset({"следующий", "следующую", "следующее", "следующего", "следующей", "наступний", "наступну",
                           "наступного", "наступної", "next", "coming"})
_WEEKDAY_LEAD = frozenset({"в", "во", "у", "on", "this", "этот", "эту", "это", "цей", "цю", "ця", *_WEEKDAY_PAST,
                           *_WEEKDAY_NEXT})
# Parts of the day said without a clock time: a span of hours on the day (the anchor's, or the day word's before it)
_DAY_PARTS: dict[str, tuple[int, int]] = {  # part -> (first hour, last hour); 29 = 05:00 the next day
    "dawn": (4, 7), "morning": (6, 12), "afternoon": (12, 18), "evening": (18, 23), "night": (22, 29),
}
_PART_PHRASES: tuple[tuple[tuple[str, ...], str, str], ...] = (
    # (lower-case tokens, day part, qualifier)
    (("на", "рассвете"), "dawn", "at"), (("перед", "рассветом"), "dawn", "before"), (("под", "утро"), "dawn", "at"),
    (("на", "світанку"), "dawn", "at"), (("перед", "світанком"), "dawn", "before"), (("at", "dawn"), "dawn", "at"),
    (("at", "first", "light"), "dawn", "at"), (("до", "утра"), "morning", "until"),
    (("до", "ранку"), "morning", "until"),
    (("until", "morning"), "morning", "until"), (("с", "утра"), "morning", "from"), (("з", "ранку"), "morning", "from"),
    (("in", "the", "morning"), "morning", "at"), (("this", "morning"), "morning", "at"), (("утром",), "morning", "at"),
    (("вранці",), "morning", "at"), (("зранку",), "morning", "at"), (("днём",), "afternoon", "at"),
    (("днем",), "afternoon", "at"), (("вдень",), "afternoon", "at"), (("удень",), "afternoon", "at"),
    (("in", "the", "afternoon"), "afternoon", "at"), (("вечером",), "evening", "at"), (("ввечері",), "evening", "at"),
    (("увечері",), "evening", "at"), (("на", "закате"), "evening", "at"), (("на", "заході", "сонця"), "evening", "at"),
    (("in", "the", "evening"), "evening", "at"), (("at", "dusk"), "evening", "at"), (("ночью",), "night", "at"),
    (("вночі",), "night", "at"), (("уночі",), "night", "at"), (("at", "night"), "night", "at"),
    (("overnight",), "night", "at"), (("до", "вечера"), "evening", "until"), (("до", "вечора"), "evening", "until"),
)
_UNITS = (("секунд", 1), ("минут", 60), ("мин", 60), ("хвилин", 60), ("полчаса", 1800), ("півгодини", 1800),
          ("час", 3600), ("годин", 3600), ("сутк", 86400), ("доб", 86400), ("дн", 86400), ("день", 86400),
          ("недел", 604800), ("тижд", 604800), ("second", 1), ("sec", 1), ("minute", 60), ("min", 60), ("hour", 3600),
          ("half an hour", 1800), ("day", 86400), ("week", 604800))
_HOUR_WORDS = ("час", "годин", "o'clock", "hours")
_AFTER = {"через": 1, "за": 1, "in": 1}  # «через десять минут», «за годину» (uk: within), "in ten minutes"
_AGO = {"назад": -1, "тому": -1, "ago": -1}


@dataclass(frozen=True)
class TimeMention:
    type: str  # "time" | "date"
    char_start: int
    char_end: int
    text: str
    normalized: str
    value: dict[str, Any] = field(hash=False, compare=False)


def parse_anchor(intercept_time: str | None, offset_s: float | None = None) -> datetime | None:
    """The moment a transmission was said: intercept time (ISO 8601) plus its start offset."""
    if not intercept_time:
        return None
    try:
        moment = datetime.fromisoformat(intercept_time.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment + timedelta(seconds=float(offset_s or 0.0))


def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def _unit_seconds(word: str) -> int | None:
    lower = word.lower()
    for prefix, seconds in _UNITS:
        if lower.startswith(prefix):
            return seconds
    return None


def _month(word: str) -> int | None:
    lower = word.lower()
    for prefix in sorted(_MONTHS, key=len, reverse=True):
        if lower.startswith(prefix) and (len(prefix) > 2 or lower in ("май", "мая", "мае", "may")):
            return _MONTHS[prefix]
    return None


def _infer_year(month: int, day: int, anchor: datetime | None) -> int | None:
    if anchor is None:
        return None
    year = anchor.year
    try:
        if date(year, month, day) > anchor.date() + timedelta(days=31):
            year -= 1
        date(year, month, day)
    except ValueError:
        return None
    return year


def _iso(moment: datetime | date | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _weekday_value(weekday: int, direction: str | None, local: datetime | None) -> dict[str, Any]:
    """A weekday against the intercept day: with «прошлую»/"last" the one before it, with «следующую»/"next"
    the one after; bare («в пятницу») both candidates and no ``iso``: the tense decides, not the word."""
    value: dict[str, Any] = {"expression": "weekday", "weekday": weekday, "direction": direction, "iso": None}
    if local is None:
        return value
    today = local.date()
    previous = today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
    following = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    value["candidates"] = {"previous": previous.isoformat(), "next": following.isoformat(),
                           **({"same_day": today.isoformat()} if today.weekday() == weekday else {})}
    if direction == "past":
        value["iso"] = previous.isoformat()
    elif direction == "next":
        value["iso"] = following.isoformat()
    return value


_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _weekday_text(value: dict[str, Any]) -> str:
    """«в пятницу» -> "Friday (2022-02-25 or 2022-03-04)"; dated -> the date."""
    if value.get("iso"):
        return str(value["iso"])
    name = _WEEKDAY_NAMES[value["weekday"]]
    candidates = value.get("candidates")
    return f"{name} ({candidates['previous']} or {candidates['next']})" if candidates else name


def _part_text(label: str, qualifier: str) -> str:
    return label if qualifier == "at" else f"{qualifier} {label}"


def _day_span(day: date | None, start_hour: int, end_hour: int, zone_name: str) -> dict[str, Any]:
    """``from``/``to`` of a part of the day on ``day`` (hours past 24 run into the next day)."""
    if day is None:
        return {"date": None, "from": None, "to": None}
    zone = _zone(zone_name)
    start = datetime.combine(day, time(0), tzinfo=zone) + timedelta(hours=start_hour)
    end = datetime.combine(day, time(0), tzinfo=zone) + timedelta(hours=end_hour)
    return {"date": day.isoformat(), "from": start.isoformat(), "to": end.isoformat()}


def find_times(text: str, toks: Sequence[Tok], *, anchor: datetime | None, zone_name: str = "Europe/Kyiv") -> list[TimeMention]:
    zone = _zone(zone_name)
    local = anchor.astimezone(zone) if anchor is not None else None
    found: list[TimeMention] = []
    base = {"anchor": _iso(local), "timezone": zone_name}

    def add(kind: str, start: int, end: int, normalized: str, value: dict[str, Any]) -> None:
        found.append(TimeMention(kind, start, end, text[start:end], normalized, {**base, **value}))

    # dates
    for pattern in (_DATE_DMY, _DATE_MDY):
        for m in pattern.finditer(text):
            month = _month(m.group("month"))
            day = int(m.group("day"))
            if month is None or not 1 <= day <= 31:
                continue
            year = int(m.group("year")) if m.group("year") else _infer_year(month, day, local)
            try:
                when = date(year, month, day) if year else None
            except ValueError:
                continue
            normalized = when.isoformat() if when else f"--{month:02d}-{day:02d}"
            add("date", m.start(), m.end(), normalized, {"expression": "date", "iso": _iso(when),
                                                          "year_inferred": bool(when and not m.group("year"))})
    for m in _DATE_NUMERIC.finditer(text):
        try:
            if m.group("iy"):
                when = date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
            else:
                year = int(m.group("year"))
                when = date(year + 2000 if year < 100 else year, int(m.group("month")), int(m.group("day")))
        except ValueError:
            continue
        add("date", m.start(), m.end(), when.isoformat(), {"expression": "date", "iso": when.isoformat(),
                                                            "year_inferred": False})
    texts = [t.text for t in toks]
    forms = [t.forms for t in toks]
    lowers = [t.lower for t in toks]
    # day words and weekdays
    for i, lower in enumerate(lowers):
        if lower in _DAY_WORDS:
            when = (local + timedelta(days=_DAY_WORDS[lower])).date() if local else None
            add("date", toks[i].start, toks[i].end, when.isoformat() if when else f"day{_DAY_WORDS[lower]:+d}",
                {"expression": "day", "days": _DAY_WORDS[lower], "iso": _iso(when)})
        elif lower in _WEEKDAYS and i > 0 and lowers[i - 1] in _WEEKDAY_LEAD:
            first = i - 2 if i > 1 and lowers[i - 2] in ("в", "во", "у", "on") else i - 1
            modifiers = {lowers[i - 1], lowers[first]}
            direction = "past" if modifiers & _WEEKDAY_PAST else "next" if modifiers & _WEEKDAY_NEXT else None
            weekday_value = _weekday_value(_WEEKDAYS[lower], direction, local)
            add("date", toks[first].start, toks[i].end, _weekday_text(weekday_value), weekday_value)
    # parts of the day without a clock time: «вчера вечером», «до утра», «на світанку», "at night"
    for i in range(len(lowers)):
        for words, part, qualifier in _PART_PHRASES:
            if tuple(lowers[i:i + len(words)]) == words:
                start_hour, end_hour = _DAY_PARTS[part]
                value: dict[str, Any] = {"expression": "part_of_day", "part": part, "qualifier": qualifier,
                                         "hours": [start_hour, end_hour], "iso": None}
                value.update(_day_span(local.date() if local else None, start_hour, end_hour, zone_name))
                value["assumption"] = "same day as the intercept" if local is not None else None
                add("time", toks[i].start, toks[i + len(words) - 1].end,
                    " ".join(x for x in (value["date"], _part_text(part, qualifier)) if x), value)
                break
    # clock times
    for m in _CLOCK.finditer(text):
        before = text[max(0, m.start() - 12):m.start()].lower()
        if m.group(0)[2:3] == "." or m.group(0)[1:2] == ".":
            if not re.search(r"(?:^|\s)(?:в|о|об|к|до|после|с|около|at|by|until|till|from|на)\s*$", before):
                continue
        hour, minute = int(m.group("h")), int(m.group("m"))
        add("time", m.start(), m.end(), f"{hour:02d}:{minute:02d}", {"expression": "clock", "hour": hour, "minute": minute})
    for m in _MILITARY.finditer(text):
        hour, minute = int(m.group("h")), int(m.group("m"))
        add("time", m.start(), m.end(), f"{hour:02d}:{minute:02d}", {"expression": "clock", "hour": hour, "minute": minute})
    i = 0
    while i < len(toks):
        lower = lowers[i]
        if lower in ("полночь", "опівночі", "midnight", "полдень", "опівдні", "noon"):
            hour = 0 if lower in ("полночь", "опівночі", "midnight") else 12
            add("time", toks[i].start, toks[i].end, f"{hour:02d}:00", {"expression": "clock", "hour": hour, "minute": 0})
            i += 1
            continue
        if lower in _AFTER and i + 1 < len(toks) and lowers[i + 1] in ("час", "годину", "сутки", "добу", "неделю", "тиждень",
                                                                        "полчаса", "півгодини", "minute", "hour", "day", "week"):
            seconds = _unit_seconds(lowers[i + 1]) or 0
            moment = local + timedelta(seconds=seconds) if local else None
            kind = "date" if seconds >= 86400 else "time"
            shown = moment.date().isoformat() if moment and kind == "date" else _iso(moment)
            add(kind, toks[i].start, toks[i + 1].end, f"+{seconds}s", {"expression": "relative", "seconds": seconds, "iso": shown})
            i += 2
            continue
        number = read_number(texts, forms, i)
        if number is None or number.kind == "ord":
            i += 1
            continue
        end = i + number.length
        nxt = lowers[end] if end < len(toks) else ""
        previous = lowers[i - 1] if i > 0 else ""
        # relative offsets: «через N минут», «N часов назад»
        unit = _unit_seconds(nxt) if nxt else None
        if unit is not None and (previous in _AFTER or (end + 1 < len(toks) and lowers[end + 1] in _AGO)):
            sign = -1 if end + 1 < len(toks) and lowers[end + 1] in _AGO else 1
            seconds = sign * number.value * unit
            start_tok = i - 1 if sign > 0 else i
            end_tok = end + 1 if sign > 0 else end + 2
            moment = local + timedelta(seconds=seconds) if local else None
            kind = "date" if abs(unit) >= 86400 else "time"
            shown = moment.date().isoformat() if moment and kind == "date" else _iso(moment)
            add(kind, toks[start_tok].start, toks[end_tok - 1].end, f"{'+' if seconds >= 0 else ''}{seconds}s",
                {"expression": "relative", "seconds": seconds, "iso": shown})
            i = end_tok
            continue
        # o'clock with a part of day («в шесть утра», «в 8 вечера», "at 6 pm")
        part = _PART_OF_DAY.get(nxt) if nxt else None
        ampm = nxt in ("am", "pm", "a.m.", "p.m.")
        hour_word = bool(nxt) and any(nxt.startswith(w) for w in _HOUR_WORDS) and previous in ("в", "о", "об", "к", "до", "после", "около", "at", "by", "до", "на")
        if number.value <= 24 and (part is not None and (nxt not in ("день", "дня") or previous in ("в", "о", "об", "к")) or ampm or hour_word):
            hour = number.value
            span_end = end + 1
            if part is not None:
                offset, label = part
                if label in ("afternoon", "evening") and hour < 12:
                    hour += 12
                if label == "night" and hour == 12:
                    hour = 0
            elif ampm and nxt.startswith("p") and hour < 12:
                hour += 12
            elif hour_word and span_end < len(toks) and _PART_OF_DAY.get(lowers[span_end]):
                offset, label = _PART_OF_DAY[lowers[span_end]]
                if label in ("afternoon", "evening") and hour < 12:
                    hour += 12
                span_end += 1
            hour %= 24
            start_tok = i - 1 if previous in ("в", "о", "об", "к", "до", "после", "около", "at", "by") else i
            add("time", toks[start_tok].start, toks[span_end - 1].end, f"{hour:02d}:00",
                {"expression": "clock", "hour": hour, "minute": 0})
            i = span_end
            continue
        i = end
    return _combine(found, text, local, zone_name)


def _combine(found: list[TimeMention], text: str, local: datetime | None, zone_name: str) -> list[TimeMention]:
    """Join «вчера» + «в 6 утра» into one moment; give clock times a date (the anchor's day by default)."""
    found = sorted(found, key=lambda m: (m.char_start, -m.char_end))
    kept: list[TimeMention] = []
    for mention in found:
        if kept and mention.char_start < kept[-1].char_end:
            continue  # overlapping duplicates: the earlier, longer one stays
        kept.append(mention)
    out: list[TimeMention] = []
    skip: set[int] = set()
    for n, mention in enumerate(kept):
        if n in skip:
            continue
        if mention.value.get("expression") in ("day", "date") and n + 1 < len(kept):
            clock = kept[n + 1]
            gap = text[mention.char_end:clock.char_start]
            if clock.value.get("expression") == "part_of_day" and len(gap) <= 2 and not re.search(r"[.!?;,]", gap):
                day = mention.value.get("iso")
                hours = clock.value["hours"]
                value = {**clock.value, **_day_span(date.fromisoformat(day[:10]) if day else None, hours[0], hours[1],
                                                    zone_name), "day": mention.normalized, "assumption": None}
                shown = f"{day or mention.normalized} {_part_text(value['part'], value['qualifier'])}"
                out.append(TimeMention("time", mention.char_start, clock.char_end,
                                       text[mention.char_start:clock.char_end], shown, value))
                skip.add(n + 1)
                continue
            if clock.value.get("expression") == "clock" and len(gap) <= 4 and not re.search(r"[.!?;]", gap):
                day = mention.value.get("iso")
                moment = None
                if day:
                    moment = datetime.combine(date.fromisoformat(day[:10]), time(clock.value["hour"], clock.value["minute"]),
                                              tzinfo=_zone(zone_name))
                value = {**clock.value, "date": day, "iso": _iso(moment), "expression": "datetime"}
                out.append(TimeMention("time", mention.char_start, clock.char_end, text[mention.char_start:clock.char_end],
                                       _iso(moment) or f"{mention.normalized} {clock.normalized}", value))
                skip.add(n + 1)
                continue
        if mention.value.get("expression") == "clock":
            moment = None
            if local is not None:
                moment = local.replace(hour=mention.value["hour"], minute=mention.value["minute"], second=0, microsecond=0)
            value = {**mention.value, "iso": _iso(moment),
                     "assumption": "same day as the intercept" if moment is not None else None}
            out.append(TimeMention("time", mention.char_start, mention.char_end, mention.text, mention.normalized, value))
            continue
        out.append(mention)
    return out
