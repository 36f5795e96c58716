"""Entities by rule: call signs, units (ru/uk/en, abbreviations, spelled ordinals), grid squares and
coordinates, counts of people, times relative to the intercept time, organisations, people."""

from __future__ import annotations

from typing import Any

import pytest

from audita.analysis.pipeline import AnalysisOptions, analyze_text, analyze_transcript
from analysiskit import transcript

FAST = AnalysisOptions(embeddings=False, flags=False)


def _entities(text: str, kind: str, language: str | None = "ru", **kwargs: Any) -> list[Any]:
    return [e for e in analyze_text(text, language, FAST, **kwargs).entities if e.type == kind]


# ---- call signs -----------------------------------------------------------------------------------

def test_address_pattern_gives_addressee_and_caller() -> None:
    calls = _entities("Гранит, я Сокол, приём.", "callsign")
    assert [(c.normalized, c.value["role"]) for c in calls] == [("Гранит", "addressee"), ("Сокол", "caller")]
    assert all(c.source == "rule:callsign-address" for c in calls)


@pytest.mark.parametrize("text, language, names", [
    ("Утёс, я Кедр.", "ru", ["Утёс", "Кедр"]),
    ("Гранит-1, я Сокол-2, приём.", "ru", ["Гранит-1", "Сокол-2"]),
    ("гранит, я сокол, приём", "ru", ["Гранит", "Сокол"]),  # lower case speech recognition, with «приём»
    ("Береза, це Липа, прийом.", "uk", ["Береза", "Липа"]),
    ("Granite, this is Falcon, over.", "en", ["Granite", "Falcon"]),
    ("На приёме, Кедр.", "ru", ["Кедр"]),
    ("Понял тебя, Утёс.", "ru", ["Утёс"]),
    ("Это позывной «Шаман», он старший.", "ru", ["Шаман"]),
    ("Командир с позывным Туман на связь не выходит.", "ru", ["Туман"]),
    ("His call sign was Vega.", "en", ["Vega"]),
])
def test_call_sign_patterns(text: str, language: str, names: list[str]) -> None:
    assert [c.normalized for c in _entities(text, "callsign", language)] == names


@pytest.mark.parametrize("text", ["Мам, я тебе посылку отправил.", "Слушай, я понял.", "Ну, я сказал.",
                                  "Понял, три залпа.", "Принял, работаем."])
def test_not_call_signs(text: str) -> None:
    assert _entities(text, "callsign") == []


def test_known_call_signs_are_found_again_in_later_transmissions() -> None:
    doc = transcript("Утёс, я Кедр, приём.", "Передай Утёсу, что выходим.")
    later = [e for e in analyze_transcript(doc, FAST).entities if e.type == "callsign" and e.transmission == 1]
    assert [(e.text, e.normalized, e.source) for e in later] == [("Утёсу", "Утёс", "rule:callsign-known")]


# ---- units ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, language, number, kind, qualifiers", [
    ("Там стоит 155-я бригада морской пехоты.", "ru", 155, "brigade", ["marine"]),
    ("Подошла 64 омсбр.", "ru", 64, "brigade", ["separate", "motor rifle"]),
    ("Это шестьдесят четвёртая отдельная мотострелковая бригада.", "ru", 64, "brigade", ["separate", "motor rifle"]),
    ("237 мсп на марше.", "ru", 237, "regiment", ["motor rifle"]),
    ("2-й батальон отходит.", "ru", 2, "battalion", []),
    ("Третья рота на месте.", "ru", 3, "company", []),
    ("Працює 93-тя окрема механізована бригада.", "uk", 93, "brigade", ["separate", "mechanised"]),
    ("Підійшла 3 ОШБр.", "uk", 3, "brigade", ["separate", "assault"]),
    ("The 25th Separate Airborne Brigade holds the line.", "en", 25, "brigade", ["separate", "airborne"]),
    ("1st battalion moves at dawn.", "en", 1, "battalion", []),
])
def test_units(text: str, language: str, number: int, kind: str, qualifiers: list[str]) -> None:
    units = _entities(text, "unit", language)
    assert len(units) == 1, units
    value = units[0].value
    assert (value["number"], value["type"], value["qualifiers"]) == (number, kind, qualifiers)
    assert text[units[0].char_start:units[0].char_end] == units[0].text


def test_named_unit_and_generic_words() -> None:
    named = _entities("Там батальон «Азов».", "unit")
    assert named[0].value["name"] == "Азов" and named[0].normalized == "battalion «Азов»"
    assert _entities("Половину роты положили.", "unit") == []
    assert _entities("Бригада пришла.", "unit") == []


def test_organisations() -> None:
    orgs = {e.normalized for e in _entities("Там ЧВК «Вагнер», а ещё ФСБ и Красный Крест.", "org")}
    assert {"PMC «Вагнер»", "FSB", "Red Cross"} <= orgs


def test_people() -> None:
    people = [e.normalized for e in _entities("Вчера приезжал полковник Иванов, и Серёга с ним.", "person")]
    assert "Иванов" in people and "Серёга" in people
    assert _entities("Братан, держись.", "person") == []


# ---- grid squares and coordinates -----------------------------------------------------------------

@pytest.mark.parametrize("text, language, square, snail", [
    ("Работаем в квадрате двадцать два.", "ru", "22", None),
    ("Цель в квадрате 45-12 по улитке 3.", "ru", "45-12", 3),
    ("Квадрат 7, улитка 9.", "ru", "7", 9),
    ("Ціль у квадраті 31.", "uk", "31", None),
    ("Target in grid square 58.", "en", "58", None),
])
def test_grid_squares(text: str, language: str, square: str, snail: int | None) -> None:
    grids = _entities(text, "grid", language)
    assert [g.value.get("square") for g in grids] == [square]
    assert grids[0].value.get("snail") == snail


def test_mgrs_and_coordinates() -> None:
    assert _entities("Точка 37U DQ 12345 67890.", "grid")[0].normalized == "37UDQ1234567890"
    decimal = _entities("Координаты 48.6279, 38.5239 — там склад.", "coordinate")
    assert decimal[0].value == {"lat": 48.6279, "lon": 38.5239}
    dms = _entities("Точка 48°37′40″ с.ш. 38°22′16″ в.д.", "coordinate")
    assert abs(dms[0].value["lat"] - 48.6278) < 1e-3 and abs(dms[0].value["lon"] - 38.3711) < 1e-3
    assert _entities("Поставили 200 мин.", "coordinate") == []


# ---- counts ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, language, count, of, approximate", [
    ("У нас трое сдались.", "ru", 3, "people", False),
    ("Везём сорок человек гражданских.", "ru", 40, "человек", False),
    ("Один двухсотый.", "ru", 1, "двухсотый", False),
    ("Двоих пленных привели.", "ru", 2, "пленный", False),
    ("Там около двадцати мирных.", "ru", 20, "мирный", True),
    ("Там человек десять.", "ru", 10, "человек", True),
    ("Двоє полонених.", "uk", 2, "полонений", False),
    ("They shot two civilians.", "en", 2, "civilian", False),
])
def test_counts(text: str, language: str, count: int, of: str, approximate: bool) -> None:
    counts = _entities(text, "count", language)
    assert [(c.value["count"], c.value["of"], c.value["approximate"]) for c in counts] == [(count, of, approximate)]


def test_numbers_that_are_not_counts() -> None:
    assert _entities("В квадрате двадцать два, через десять минут.", "count") == []
    assert _entities("Третий день сидим.", "count") == []


# ---- times ----------------------------------------------------------------------------------------

INTERCEPT = "2022-03-02T04:00:00Z"  # 06:00 in Kyiv


def _times(text: str, intercept: str | None = INTERCEPT, offset: float | None = None) -> list[Any]:
    doc = transcript(text)
    doc["transmissions"][0]["start"] = offset
    return [e for e in analyze_transcript(doc, FAST, intercept_time=intercept).entities if e.type in ("time", "date")]


def test_times_relative_to_the_intercept_time() -> None:
    [yesterday_six] = _times("Вчера в шесть утра вышли.")
    assert yesterday_six.value["iso"] == "2022-03-01T06:00:00+02:00" and yesterday_six.type == "time"
    [later] = _times("Будем через десять минут.", offset=30.0)
    assert later.value["iso"] == "2022-03-02T06:10:30+02:00" and later.value["seconds"] == 600
    [ago] = _times("Это было два часа назад.")
    assert ago.value["iso"] == "2022-03-02T04:00:00+02:00"
    [clock] = _times("Сбор в 14:30.")
    assert clock.value["iso"] == "2022-03-02T14:30:00+02:00" and clock.value["assumption"] == "same day as the intercept"
    [evening] = _times("Выход в 8 вечера.")
    assert evening.normalized == "20:00"
    [tomorrow] = _times("Завтра штурм.")
    assert tomorrow.type == "date" and tomorrow.value["iso"] == "2022-03-03"


def test_dates() -> None:
    [full] = _times("Это было 27 февраля 2022 года.")
    assert full.value["iso"] == "2022-02-27"
    [inferred] = _times("С 24 февраля стоим тут.")
    assert inferred.value["iso"] == "2022-02-24" and inferred.value["year_inferred"] is True
    [numeric] = _times("Приказ от 24.02.2022.")
    assert numeric.value["iso"] == "2022-02-24"
    [ukrainian] = _times("Це було 5 березня.")
    assert ukrainian.value["iso"] == "2022-03-05"


def test_times_without_an_intercept_time_are_kept_unresolved() -> None:
    [yesterday] = _times("Вчера приходили.", intercept=None)
    assert yesterday.value["iso"] is None and yesterday.value["days"] == -1
    assert [t.normalized for t in _times("Сбор в 14:30.", intercept=None)] == ["14:30"]


def test_english_times() -> None:
    doc = {"schema": "audita.speech/1", "transmissions": [{"index": 0, "text": "We move in 10 minutes, yesterday at 6 pm they left.",
                                                           "language": "en"}]}
    found = [e for e in analyze_transcript(doc, FAST, intercept_time=INTERCEPT).entities if e.type in ("time", "date")]
    assert [e.value["iso"] for e in found] == ["2022-03-02T06:10:00+02:00", "2022-03-01T18:00:00+02:00"]


def test_word_timings_give_entity_times() -> None:
    doc = transcript("Гранит, я Сокол.")
    doc["transmissions"][0]["words"] = [{"word": " Гранит,", "start": 3.1, "end": 3.5}, {"word": " я", "start": 3.5, "end": 3.6},
                                        {"word": " Сокол.", "start": 3.6, "end": 4.0}]
    calls = [e for e in analyze_transcript(doc, FAST).entities if e.type == "callsign"]
    assert [(c.start, c.end) for c in calls] == [(3.1, 3.5), (3.6, 4.0)]


def test_weekdays_are_dated_only_when_the_words_say_which() -> None:
    # the intercept day, 2022-03-02, is a Wednesday
    [last_friday] = _times("В прошлую пятницу приехали.")
    assert last_friday.value["iso"] == "2022-02-25" and last_friday.value["direction"] == "past"
    [ukrainian] = _times("Минулої п'ятниці забрали.")
    assert ukrainian.value["iso"] == "2022-02-25"
    [next_tuesday] = _times("Next Tuesday we move.")
    assert next_tuesday.value["iso"] == "2022-03-08"
    [bare] = _times("В пятницу штурм.")
    assert bare.value["iso"] is None
    assert bare.value["candidates"] == {"previous": "2022-02-25", "next": "2022-03-04"}
    [same] = _times("В среду приезжал.")
    assert same.value["candidates"]["same_day"] == "2022-03-02"
    [unanchored] = _times("В прошлую пятницу приехали.", intercept=None)
    assert unanchored.value["iso"] is None and "candidates" not in unanchored.value


def test_parts_of_the_day_are_spans_of_hours() -> None:
    [evening] = _times("Вчера вечером вывели троих.")
    assert evening.text == "Вчера вечером" and evening.value["date"] == "2022-03-01"
    assert (evening.value["from"], evening.value["to"]) == ("2022-03-01T18:00:00+02:00", "2022-03-01T23:00:00+02:00")
    [until] = _times("Держать в подвале до утра.")
    assert until.value["part"] == "morning" and until.value["qualifier"] == "until"
    assert until.value["assumption"] == "same day as the intercept"
    [night] = _times("Уночі двох забрали.")
    assert night.value["to"] == "2022-03-03T05:00:00+02:00"  # a night runs into the next day
    [dawn] = _times("Go in at dawn.")
    assert dawn.value["part"] == "dawn" and dawn.value["iso"] is None
    [clock] = _times("В шесть утра вышли.")  # a clock time keeps its part of the day
    assert clock.value["expression"] == "clock" and clock.normalized == "06:00"
    [kept] = _times("Вчора ввечері приїхали.", intercept=None)
    assert kept.value["from"] is None and kept.value["day"] == "day-1"
