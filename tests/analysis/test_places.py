"""Offline geocoding: inflected Russian/Ukrainian/English names, stop-list, common words,
disambiguation by oblast, case region and neighbouring places, KATOTTG codes."""

from __future__ import annotations

import pytest

from audita.analysis.pipeline import AnalysisOptions, analyze_text, analyze_transcript
from analysiskit import km, transcript

FAST = AnalysisOptions(embeddings=False, flags=False)


def _places(text: str, language: str | None = "ru", options: AnalysisOptions = FAST):  # type: ignore[no-untyped-def]
    return [e for e in analyze_text(text, language, options).entities if e.type == "place" and e.place
            and e.place.get("lat") is not None]


@pytest.mark.parametrize("text, language, said", [
    ("Работаем под Попасной, приём.", "ru", "Попасной"),
    ("Мы у Попасной стоим.", "ru", "Попасной"),
    ("Заходим в Попасную.", "ru", "Попасную"),
    ("Ми під Попасною.", "uk", "Попасною"),
    ("Бої у Попасній тривають.", "uk", "Попасній"),
    ("Shelling near Popasna continued.", "en", "Popasna"),
])
def test_inflected_forms_resolve_to_popasna(text: str, language: str, said: str) -> None:
    places = _places(text, language)
    assert [p.text for p in places] == [said]
    place = places[0].place
    assert place is not None and place["name"] == "Popasna"
    assert km(place["lat"], place["lon"], 48.632, 38.371) < 1.0
    assert place["name_ru"] == "Попасная" and place["name_uk"] == "Попасна"
    assert place["katottg"].startswith("UA44") and "Луганська" in place["katottg_path"]
    assert place["admin1"] == "Luhansk Oblast"


def test_normalized_is_the_dictionary_form_in_the_text_language() -> None:
    assert [p.normalized for p in _places("Под Попасной и в Бахмуте.")] == ["Попасная", "Бахмут"]
    assert [p.normalized for p in _places("У Бучі та Ірпені.", "uk")] == ["Буча", "Ірпінь"]


@pytest.mark.parametrize("text, expected", [
    ("Из Мариуполя везём.", [("Mariupol", 47.097, 37.543)]),
    ("В Буче тихо, в Гостомеле стреляют.", [("Bucha", 50.544, 30.212), ("Hostomel", 50.570, 30.265)]),
    ("Позиции у Лимана.", [("Lyman", 48.989, 37.804)]),
    ("Под Угледаром сидим.", [("Vuhledar", 47.780, 37.247)]),
    ("Везут в Таганрог.", [("Taganrog", 47.236, 38.905)]),
])
def test_other_towns(text: str, expected: list[tuple[str, float, float]]) -> None:
    places = _places(text)
    assert [p.place["name"] for p in places] == [e[0] for e in expected]
    for place, (_, lat, lon) in zip(places, expected, strict=True):
        assert km(place.place["lat"], place.place["lon"], lat, lon) < 5


@pytest.mark.parametrize("text", [
    "Вышли из леса, бой идёт за поле, мир нам.",
    "Из окопа не высовываться.",
    "Приём, как слышно? Конец связи.",
    "Правый берег держим.",
    "Изюм взяли в магазине.",  # «изюм» (raisins) at the start of a sentence is a word, not Izium
    "Счастье — это когда тебя понимают.",
    "На правом берегу Днепра тихо.",  # a river
    "Мирные там или нет, без разницы.",
])
def test_stop_list_and_common_words_are_not_places(text: str) -> None:
    assert _places(text) == []


def test_common_word_after_a_preposition_is_a_place() -> None:
    assert [p.place["name"] for p in _places("Стоим под Изюмом, потом в Счастье.")] == ["Izyum", "Shchastya"]


def test_call_signs_are_not_places() -> None:
    doc = transcript("Молот, я Барс, приём.", "Барс, на приёме.")
    places = [e for e in analyze_transcript(doc, FAST).entities if e.type == "place"]
    assert places == []


def test_pervomaisk_is_disambiguated_by_oblast() -> None:
    luhansk = _places("Первомайск Луганской области обстреляли.")
    assert len(luhansk) == 1
    assert km(luhansk[0].place["lat"], luhansk[0].place["lon"], 48.628, 38.524) < 5  # Pervomaisk (now Sokolohirsk)
    assert "oblast" in luhansk[0].place["resolution"] and luhansk[0].place["alternatives"]
    mykolaiv = _places("В Первомайске Николаевской области тихо.")
    assert km(mykolaiv[0].place["lat"], mykolaiv[0].place["lon"], 48.045, 30.848) < 5
    on_region = _places("На Луганщине, в Первомайске, тяжело.")
    assert km(on_region[0].place["lat"], on_region[0].place["lon"], 48.628, 38.524) < 5
    # no context: the largest, and the alternatives are listed for the analyst
    bare = _places("В Первомайске тихо.")
    assert km(bare[0].place["lat"], bare[0].place["lon"], 48.045, 30.848) < 5
    assert bare[0].place["resolution"].startswith("largest")
    assert any(km(a["lat"], a["lon"], 48.628, 38.524) < 5 for a in bare[0].place["alternatives"])


def test_pervomaisk_is_disambiguated_by_neighbouring_places_and_case_region() -> None:
    near = _places("Из Попасной выдвинулись на Первомайск.")
    assert km(near[1].place["lat"], near[1].place["lon"], 48.628, 38.524) < 5
    assert "Попасной" in near[1].place["resolution"]
    hinted = _places("В Первомайске тихо.", "ru", AnalysisOptions(embeddings=False, flags=False, region=("14",)))
    assert km(hinted[0].place["lat"], hinted[0].place["lon"], 48.628, 38.524) < 5
    assert hinted[0].place["resolution"].startswith("case region")


def test_receiver_location_breaks_ties() -> None:
    doc = transcript("Идём на Первомайск.")
    entity = next(e for e in analyze_transcript(doc, FAST, receiver=(48.7, 38.4)).entities if e.type == "place")
    assert km(entity.place["lat"], entity.place["lon"], 48.628, 38.524) < 5


def test_oblast_mention_is_an_entity() -> None:
    entities = analyze_text("Первомайск Луганской области.", "ru", FAST).entities
    oblast = [e for e in entities if e.type == "place" and e.place and e.place.get("kind") == "oblast"]
    assert [(e.text, e.normalized) for e in oblast] == [("Луганской области", "Luhansk Oblast")]


def test_lower_case_only_for_large_towns() -> None:
    assert [p.place["name"] for p in _places("едем в мариуполь")] == ["Mariupol"]
    assert _places("едем в попасную") == [] or _places("едем в попасную")[0].place["population"] >= 0
    assert _places("дача у ручья") == []
