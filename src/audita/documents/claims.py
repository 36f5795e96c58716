"""Light extraction from document text: dates, quoted speech, casualty claims, and (through
``audita.analysis`` when it is installed, else natasha for Russian) places, people and indicators.

Everything found keeps its paragraph and character offsets into the document text, so a reader can
check each claim against the words it came from. These are leads for an analyst, not findings.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from audita.documents.extract import DocumentText, Paragraph
from audita.text import detect_language, lemmatize

EXTRACT_SCHEMA = "audita.document.extract/1"
EXTRACTOR_VERSION = "1"

# ---- dates ------------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _number, _stems in enumerate((
    ("январ", "січ", "jan"), ("феврал", "лют", "feb"), ("март", "берез", "mar"), ("апрел", "квіт", "apr"),
    ("ма", "трав", "may"), ("июн", "черв", "jun"), ("июл", "лип", "jul"), ("август", "серп", "aug"),
    ("сентябр", "верес", "sep"), ("октябр", "жовт", "oct"), ("ноябр", "листопад", "nov"),
    ("декабр", "груд", "dec"),
), start=1):
    for _stem in _stems:
        _MONTHS[_stem] = _number

_MONTH_WORD = (r"(январ[ьяе]|феврал[ьяе]|март[ае]?|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|август[ае]?|"
               r"сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе]|січ(?:ня|ень)|лют(?:ого|ий)|берез(?:ня|ень)|"
               r"квіт(?:ня|ень)|трав(?:ня|ень)|черв(?:ня|ень)|лип(?:ня|ень)|серп(?:ня|ень)|верес(?:ня|ень)|"
               r"жовт(?:ня|ень)|листопад(?:а)?|груд(?:ня|ень)|january|february|march|april|may|june|july|"
               r"august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:-?(?:го|е|th|st|nd|rd))?\s+{_MONTH_WORD}\.?(?:,?\s+(\d{{4}}))?", re.IGNORECASE)
_MONTH_DAY = re.compile(rf"\b{_MONTH_WORD}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b")
_RELATIVE = {
    "сегодня": 0, "сьогодні": 0, "today": 0, "вчера": -1, "вчора": -1, "учора": -1, "yesterday": -1,
    "позавчера": -2, "позавчора": -2,
}
_RELATIVE_WORD = re.compile(r"\b(" + "|".join(_RELATIVE) + r")\b", re.IGNORECASE)


def _month_number(word: str) -> int | None:
    word = word.lower()
    for length in range(len(word), 1, -1):
        found = _MONTHS.get(word[:length])
        if found is not None:
            return found
    return None


def _make_date(year: int | None, month: int | None, day: int, reference: date | None) -> date | None:
    if month is None or not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    if year is None:
        if reference is None:
            return None
        year = reference.year
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate > reference + timedelta(days=31):
            year -= 1  # "27 февраля" in a report from January means last year
    elif year < 100:
        year += 2000
    if not 1990 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, reference: date | None) -> list[dict[str, Any]]:
    """Dates written in the text (ISO, dotted, with month names in ru/uk/en) and relative words
    (вчера, учора, yesterday) resolved against ``reference`` (publication or capture date)."""
    found: dict[tuple[int, int], dict[str, Any]] = {}

    def add(match: re.Match[str], value: date | None, kind: str) -> None:
        if value is None:
            return
        span = (match.start(), match.end())
        if any(a <= span[0] < b or a < span[1] <= b for a, b in found):
            return
        found[span] = {"text": match.group(0), "date": value.isoformat(), "kind": kind,
                       "char_start": span[0], "char_end": span[1]}

    for match in _ISO_DATE.finditer(text):
        add(match, _make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)), reference), "written")
    for match in _DOTTED.finditer(text):
        add(match, _make_date(int(match.group(3)), int(match.group(2)), int(match.group(1)), reference), "written")
    for match in _DAY_MONTH.finditer(text):
        year = int(match.group(3)) if match.group(3) else None
        add(match, _make_date(year, _month_number(match.group(2)), int(match.group(1)), reference), "written")
    for match in _MONTH_DAY.finditer(text):
        year = int(match.group(3)) if match.group(3) else None
        add(match, _make_date(year, _month_number(match.group(1)), int(match.group(2)), reference), "written")
    if reference is not None:
        for match in _RELATIVE_WORD.finditer(text):
            add(match, reference + timedelta(days=_RELATIVE[match.group(1).lower()]), "relative")
    return [found[span] for span in sorted(found)]


# ---- quoted speech ----------------------------------------------------------------------------------

_QUOTE_PATTERNS = (
    re.compile(r"«([^«»]+(?:«[^«»]*»[^«»]*)*)»"),
    re.compile(r"“([^“”]+)”"),
    re.compile(r"„([^„“”]+)[“”]"),
    re.compile(r"(?<![\w\"])\"([^\"\n]+)\"(?![\w\"])"),
)
_SPEECH_VERBS = (
    r"сказал[аи]?|заявил[аи]?|сообщил[аи]?|говорит|говорил[аи]?|пишет|написал[аи]?|приказал[аи]?|добавил[аи]?|"
    r"сказав|сказала|заявив|заявила|повідомив|повідомила|каже|пише|додав|додала|наказав|"
    r"ответил[аи]?|спросил[аи]?|крикнул[аи]?|відповів|відповіла|запитав|запитала|"
    r"said|says|told|added|wrote|stated|ordered|claimed|replied|answered|asked"
)
_NAME = r"([A-ZА-ЯЁІЇЄҐ][\w’'\-]+(?:\s+[A-ZА-ЯЁІЇЄҐ][\w’'\-]+){0,2})"
_AFTER = re.compile(rf"^\s*[,.]?\s*[—–-]?\s*(?:{_SPEECH_VERBS})\s+(?:[a-zа-яёіїєґ][\w\-]*\s+){{0,4}}{_NAME}")
_AFTER_NAME_FIRST = re.compile(rf"^\s*[,.]?\s*[—–-]?\s*{_NAME}\s+(?:{_SPEECH_VERBS})\b")
_BEFORE = re.compile(rf"{_NAME}\s+(?:{_SPEECH_VERBS})[^«\"“„]{{0,30}}[:,]?\s*$")
_SPEAKER_LINE = re.compile(r"^\s*([A-ZА-ЯЁІЇЄҐ][\w’'\-]+(?:\s+[A-ZА-ЯЁІЇЄҐ][\w’'\-]+){0,2})\s*:\s+(\S.*)$")
_DASH_LINE = re.compile(r"^\s*[—–]\s*(\S.*)$")
MIN_QUOTE_WORDS = 3


def _word_count(text: str) -> int:
    return len(re.findall(r"[^\W_]+", text))


def _attribution(text: str, start: int, end: int) -> str | None:
    after = text[end:end + 80]
    for pattern in (_AFTER, _AFTER_NAME_FIRST):
        match = pattern.match(after)
        if match:
            return match.group(1)
    before = _BEFORE.search(text[max(0, start - 100):start])
    return before.group(1) if before else None


def find_quotes(text: str) -> list[dict[str, Any]]:
    """Quoted speech: text in «», “”, „“ or straight quotes (three words or more, so that names of
    units or places in quotes are left out), dialogue lines opened by a dash, and ``Name: text``
    lines of published transcripts. Offsets cover the quoted words only."""
    quotes: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, speaker: str | None, form: str) -> None:
        words = text[start:end]
        stripped = words.strip(" \t,.;:—–-")
        if _word_count(stripped) < MIN_QUOTE_WORDS:
            return
        offset = start + words.index(stripped)
        span = (offset, offset + len(stripped))
        if any(a <= span[0] < b or a < span[1] <= b for a, b in taken):
            return
        taken.append(span)
        quotes.append({"text": stripped, "speaker": speaker, "form": form, "char_start": span[0],
                       "char_end": span[1]})

    line_start = 0
    for line in text.split("\n"):
        speaker_line = _SPEAKER_LINE.match(line)
        dash_line = _DASH_LINE.match(line)
        if speaker_line and _word_count(speaker_line.group(1)) <= 3:
            add(line_start + speaker_line.start(2), line_start + speaker_line.end(2), speaker_line.group(1), "line")
        elif dash_line:
            body_start = line_start + dash_line.start(1)
            body = dash_line.group(1)
            cut = re.search(rf",?\s+[—–]\s+(?:{_SPEECH_VERBS}|{_NAME}\s+(?:{_SPEECH_VERBS}))", body)
            body_end = body_start + (cut.start() if cut else len(body))
            add(body_start, body_end, _attribution(text, body_start, body_end), "dialogue")
        line_start += len(line) + 1
    for pattern in _QUOTE_PATTERNS:
        for match in pattern.finditer(text):
            add(match.start(1), match.end(1), _attribution(text, match.start(), match.end()), "quoted")
    return sorted(quotes, key=lambda q: q["char_start"])


# ---- casualty claims --------------------------------------------------------------------------------

_KILLED = {
    "погибнуть", "погибший", "убить", "убитый", "гибель", "расстрелять", "расстрелянный", "казнить", "казнённый",
    "казненный", "мертвый", "мёртвый", "труп", "тело", "двухсотый", "загинути", "загиблий", "вбити", "вбитий",
    "убитий", "розстріляти", "розстріляний", "стратити", "страчений", "мертвий", "тіло", "загибель",
    "kill", "killed", "dead", "died", "die", "execut", "executed", "bodies", "body", "death", "deaths",
    "fatalities", "murder", "murdered", "shot",
}
_WOUNDED = {
    "ранить", "раненый", "ранение", "трехсотый", "трёхсотый", "травмировать", "травмированный", "поранити",
    "поранений", "травмований", "трьохсотий", "wound", "wounded", "injur", "injured", "injury", "injuries", "hurt",
}
_CASUALTIES = {
    "жертва", "потеря", "пострадать", "пострадавший", "постраждати", "постраждалий", "втрата", "casualty",
    "casualties", "victim", "victims",
}
_WHO = {
    "civilians": {"мирный", "житель", "гражданский", "мирняк", "цивільний", "мешканець", "мирний", "civilian",
                  "resident", "residents", "civilians"},
    "prisoners": {"пленный", "военнопленный", "пленник", "полонений", "військовополонений", "prisoner", "prisoners",
                  "pow", "pows", "captive"},
    "children": {"ребёнок", "ребенок", "дети", "дитина", "діти", "child", "children", "kid"},
    "military": {"военный", "солдат", "военнослужащий", "боец", "бойцы", "військовий", "військовослужбовець",
                 "боєць", "soldier", "soldiers", "troop", "troops", "servicemen", "serviceman"},
}
_NUMBER_WORDS = {
    "один": 1, "одна": 1, "два": 2, "две": 2, "двое": 2, "три": 3, "трое": 3, "четыре": 4, "четверо": 4,
    "пять": 5, "пятеро": 5, "шесть": 6, "шестеро": 6, "семь": 7, "семеро": 7, "восемь": 8, "восьмеро": 8,
    "девять": 9, "девятеро": 9, "десять": 10, "десятеро": 10, "одиннадцать": 11, "двенадцать": 12,
    "пятнадцать": 15, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "сто": 100,
    "дві": 2, "двоє": 2, "троє": 3, "чотири": 4, "п'ять": 5, "п'ятеро": 5, "шість": 6, "сім": 7, "вісім": 8,
    "дев'ять": 9, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50,
    "hundred": 100,
}
_APPROXIMATE = {"десяток": "tens", "десятки": "tens", "десятка": "tens", "сотня": "hundreds",
                "сотни": "hundreds", "сотні": "hundreds", "dozen": "tens", "dozens": "tens", "hundreds": "hundreds",
                "несколько": "several", "кілька": "several", "several": "several"}
_AT_LEAST = ("не менее", "по меньшей мере", "как минимум", "не меньше", "щонайменше", "не менше", "принаймні",
             "at least", "more than", "over", "более", "больше", "понад", "більше")
_SENTENCE = re.compile(r"[^.!?…\n]+[.!?…]*")
CASUALTY_WINDOW = 6


def _kind(forms: set[str]) -> str | None:
    if forms & _KILLED:
        return "killed"
    if forms & _WOUNDED:
        return "wounded"
    if forms & _CASUALTIES:
        return "casualties"
    return None


def _number(token_text: str, forms: set[str]) -> tuple[int | None, str | None] | None:
    lower = token_text.lower().replace("’", "'")
    if lower.isdigit():
        value = int(lower)
        return None if 1900 <= value <= 2100 or value == 0 else (value, None)
    for form in (lower, *forms):
        if form in _NUMBER_WORDS:
            return _NUMBER_WORDS[form], None
        if form in _APPROXIMATE:
            return None, _APPROXIMATE[form]
    return None


def find_casualty_claims(text: str, language: str) -> list[dict[str, Any]]:
    """Sentences that claim people were killed, wounded or became casualties, with the number
    (when one is stated within a few words), whether it is a minimum, and who (civilians,
    prisoners, children, military) when a word for them is near."""
    claims: list[dict[str, Any]] = []
    for sentence in _SENTENCE.finditer(text):
        tokens = lemmatize(sentence.group(0), language)
        seen_kinds: set[str] = set()
        for position, token in enumerate(tokens):
            forms = {token.text.lower(), *token.lemmas}
            kind = _kind(forms)
            if kind is None or kind in seen_kinds:
                continue
            seen_kinds.add(kind)
            window = range(max(0, position - CASUALTY_WINDOW), min(len(tokens), position + CASUALTY_WINDOW + 1))
            count: int | None = None
            approximate: str | None = None
            count_text: str | None = None
            best_distance = CASUALTY_WINDOW + 1
            number_at: int | None = None
            for other in window:
                parsed = _number(tokens[other].text, set(tokens[other].lemmas))
                if parsed is not None and abs(other - position) < best_distance:
                    best_distance = abs(other - position)
                    count, approximate = parsed
                    count_text = tokens[other].text
                    number_at = other
            who = None
            for other in window:
                near = {tokens[other].text.lower(), *tokens[other].lemmas}
                for group, words in _WHO.items():
                    if near & words:
                        who = group
                        break
                if who:
                    break
            qualifier = None
            if number_at is not None:
                lead = sentence.group(0)[max(0, tokens[number_at].start - 25):tokens[number_at].start].lower()
                if any(lead.rstrip().endswith(phrase) for phrase in _AT_LEAST):
                    qualifier = "at_least"
            stripped = sentence.group(0).strip()
            start = sentence.start() + sentence.group(0).index(stripped)
            claims.append({"text": stripped, "kind": kind, "count": count, "count_text": count_text,
                           "approximate": approximate, "qualifier": qualifier, "who": who,
                           "char_start": start, "char_end": start + len(stripped)})
    return claims


# ---- entities and indicators -----------------------------------------------------------------------


def _analysis_pipeline() -> Any | None:
    """``audita.analysis.pipeline`` when it is part of this installation (a present module that fails
    to import is an error, not hidden)."""
    try:
        if importlib.util.find_spec("audita.analysis") is None or importlib.util.find_spec("audita.analysis.pipeline") is None:
            return None
    except ModuleNotFoundError:
        return None
    pipeline = importlib.import_module("audita.analysis.pipeline")
    return pipeline if hasattr(pipeline, "analyze_text") else None


def analysis_available() -> bool:
    return _analysis_pipeline() is not None


def analysis_version() -> str:
    """Identity of the analysis code used (goes into the derivation's options, so that installing or
    upgrading analysis makes a re-extraction a new row rather than a reuse)."""
    pipeline = _analysis_pipeline()
    if pipeline is None:
        return "absent"
    version = getattr(pipeline, "ANALYSIS_VERSION", None) or getattr(pipeline, "PIPELINE_VERSION", None)
    return f"audita.analysis/{version or 'present'}"


def _analyze(text: str, language: str) -> dict[str, Any] | None:
    pipeline = _analysis_pipeline()
    if pipeline is None:
        return None
    function = pipeline.analyze_text
    parameters = inspect.signature(function).parameters
    options_parameter = parameters.get("options")
    if options_parameter is None or options_parameter.default is not inspect.Parameter.empty:
        result = function(text, language)
    else:
        options_class = getattr(pipeline, "AnalysisOptions", None)
        result = function(text, language, options_class() if options_class is not None else None)
    if hasattr(result, "to_dict"):
        result = result.to_dict()
    return result if isinstance(result, dict) else None


@lru_cache(maxsize=1)
def _natasha() -> Any:
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

    return Doc, Segmenter(), NewsNERTagger(NewsEmbedding())


def _normalised_name(text: str, language: str) -> str:
    """Dictionary form of a name, word by word (``Попасной`` -> ``Попасная``)."""
    words = []
    for token in lemmatize(text, language):
        form = token.lemmas[0] if token.lemmas else token.text.lower()
        words.append(form[:1].upper() + form[1:])
    return " ".join(words) or text


def _natasha_entities(text: str, language: str) -> list[dict[str, Any]]:
    document_class, segmenter, ner_tagger = _natasha()
    document = document_class(text)
    document.segment(segmenter)
    document.tag_ner(ner_tagger)
    kinds = {"LOC": "place", "PER": "person", "ORG": "org"}
    return [{"type": kinds.get(span.type, span.type.lower()), "text": span.text,
             "normalized": _normalised_name(span.text, language), "char_start": span.start, "char_end": span.stop,
             "place": None} for span in document.spans]


# ---- the whole extraction -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtractOptions:
    use_analysis: bool = True
    natasha_fallback: bool = True
    casualty_window: int = CASUALTY_WINDOW

    def to_dict(self) -> dict[str, Any]:
        return {"use_analysis": self.use_analysis, "natasha_fallback": self.natasha_fallback,
                "casualty_window": self.casualty_window, "extractor": EXTRACTOR_VERSION,
                "analysis": analysis_version() if self.use_analysis else "off"}


@dataclass(frozen=True)
class Extraction:
    language: str
    published: str | None
    captured: str | None
    dates: tuple[dict[str, Any], ...] = ()
    quotes: tuple[dict[str, Any], ...] = ()
    casualties: tuple[dict[str, Any], ...] = ()
    entities: tuple[dict[str, Any], ...] = ()
    flags: tuple[dict[str, Any], ...] = ()
    entities_source: str = "none"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def places(self) -> list[dict[str, Any]]:
        return [e for e in self.entities if e.get("type") == "place"]

    @property
    def people(self) -> list[dict[str, Any]]:
        return [e for e in self.entities if e.get("type") in ("person", "callsign")]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": EXTRACT_SCHEMA, "language": self.language, "published": self.published,
            "captured": self.captured, "dates": list(self.dates), "quotes": list(self.quotes),
            "casualties": list(self.casualties), "entities": list(self.entities), "places": self.places,
            "people": self.people, "flags": list(self.flags), "entities_source": self.entities_source,
            "notes": list(self.notes),
        }


def _paragraph_of(paragraphs: tuple[Paragraph, ...], offset: int) -> Paragraph | None:
    for paragraph in paragraphs:
        if paragraph.char_start <= offset < paragraph.char_end + 2:
            return paragraph
    return None


def _located(records: list[dict[str, Any]], paragraph: Paragraph) -> list[dict[str, Any]]:
    out = []
    for record in records:
        shifted = dict(record)
        shifted["char_start"] = record["char_start"] + paragraph.char_start
        shifted["char_end"] = record["char_end"] + paragraph.char_start
        shifted["paragraph"] = paragraph.index
        out.append(shifted)
    return out


def _reference_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def document_language(document: DocumentText, declared: str | None = None) -> str:
    if declared in ("ru", "uk", "en"):
        return declared
    return detect_language(document.text[:4000]) if document.paragraphs else "other"


def extract_claims(document: DocumentText, *, captured_at: str | None, language: str | None = None,
                   options: ExtractOptions | None = None) -> Extraction:
    """Dates, quotes, casualty claims, entities and indicators of a parsed document."""
    options = options or ExtractOptions()
    language = document_language(document, language)
    lemma_language = language if language in ("ru", "uk", "en") else "ru"
    dates: list[dict[str, Any]] = []
    quotes: list[dict[str, Any]] = []
    casualties: list[dict[str, Any]] = []
    for paragraph in document.paragraphs:
        reference = _reference_date(paragraph.time or document.published or captured_at)
        dates += _located(find_dates(paragraph.text, reference), paragraph)
        quotes += _located(find_quotes(paragraph.text), paragraph)
        casualties += _located(find_casualty_claims(paragraph.text, lemma_language), paragraph)
    notes: list[str] = []
    entities: list[dict[str, Any]] = []
    flags: list[dict[str, Any]] = []
    source = "none"
    analysed = _analyze(document.text, language) if options.use_analysis and document.paragraphs else None
    if analysed is not None:
        source = "audita.analysis"
        entities = [dict(e) for e in analysed.get("entities", []) if isinstance(e, dict)]
        flags = [dict(f) for f in analysed.get("flags", []) if isinstance(f, dict)]
    else:
        if options.use_analysis:
            notes.append("audita.analysis is not installed: no indicators; places and people from natasha (Russian only)")
        if options.natasha_fallback and language in ("ru", "uk") and document.paragraphs:
            source = "natasha"
            for paragraph in document.paragraphs:
                entities += _located(_natasha_entities(paragraph.text, lemma_language), paragraph)
            if language == "uk":
                notes.append("natasha is trained on Russian: places and people in Ukrainian text are unreliable")
    for record in entities:
        if "paragraph" not in record and isinstance(record.get("char_start"), int):
            where = _paragraph_of(document.paragraphs, record["char_start"])
            record["paragraph"] = where.index if where else None
    for flag in flags:
        quote = flag.get("quote")
        if "paragraph" not in flag and isinstance(quote, str) and quote:
            at = document.text.find(quote)
            where = _paragraph_of(document.paragraphs, at) if at >= 0 else None
            flag["paragraph"] = where.index if where else None
    return Extraction(
        language=language, published=document.published, captured=captured_at, dates=tuple(dates),
        quotes=tuple(quotes), casualties=tuple(casualties), entities=tuple(entities), flags=tuple(flags),
        entities_source=source, notes=tuple(notes),
    )
