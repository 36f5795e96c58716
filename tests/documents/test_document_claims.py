"""Dates, quoted speech, casualty claims, entities and indicators found in document text."""

from __future__ import annotations

import importlib.util
from datetime import date

import pytest

from audita.documents import claims
from audita.documents.claims import extract_claims, find_casualty_claims, find_dates, find_quotes
from audita.documents.extract import parse_document

ANALYSIS_PRESENT = importlib.util.find_spec("audita.analysis") is not None


def test_dates_written_and_relative():
    text = "27 февраля 2022 года и 3.03.2022; 2022-03-05, 12 березня, March 7, 2022; вчера"
    found = find_dates(text, date(2022, 3, 20))
    assert [(d["date"], d["kind"]) for d in found] == [
        ("2022-02-27", "written"), ("2022-03-03", "written"), ("2022-03-05", "written"), ("2022-03-12", "written"),
        ("2022-03-07", "written"), ("2022-03-19", "relative")]
    for record in found:
        assert text[record["char_start"]:record["char_end"]] == record["text"]


def test_dates_without_year_need_a_reference_and_roll_back_a_year():
    assert find_dates("27 декабря", None) == []
    assert find_dates("27 декабря", date(2023, 1, 5))[0]["date"] == "2022-12-27"
    assert find_dates("31.02.2022 и 45 мая", None) == []  # impossible dates are dropped


def test_quotes_with_speakers():
    text = ("«Пленных не брать. В расход всех троих», — сказал командир с позывным Утёс.\n"
            "Гранит: Работаем по школе, приём.\n"
            "— Понял, выходим через десять минут, — ответил Сокол.\n"
            "Бригада «Азов» и батальон «Айдар» упоминаются без цитат.")
    quotes = find_quotes(text)
    assert [(q["text"], q["speaker"], q["form"]) for q in quotes] == [
        ("Пленных не брать. В расход всех троих", "Утёс", "quoted"),
        ("Работаем по школе, приём", "Гранит", "line"),
        ("Понял, выходим через десять минут", "Сокол", "dialogue"),
    ]
    english = find_quotes('The commander said: "Take no prisoners, kill them all", according to the SBU.')
    assert english[0]["text"] == "Take no prisoners, kill them all"


def test_casualty_claims_in_three_languages():
    ru = find_casualty_claims("В Попасной погибли трое мирных жителей, ещё не менее 5 человек ранены.", "ru")
    assert [(c["kind"], c["count"], c["who"], c["qualifier"]) for c in ru] == [
        ("killed", 3, "civilians", None), ("wounded", 5, "civilians", "at_least")]
    en = find_casualty_claims("At least 12 civilians were killed in Bucha. Dozens were injured.", "en")
    assert [(c["kind"], c["count"], c["approximate"], c["qualifier"]) for c in en] == [
        ("killed", 12, None, "at_least"), ("wounded", None, "tens", None)]
    uk = find_casualty_claims("Внаслідок обстрілу загинули двоє полонених.", "uk")
    assert [(c["kind"], c["count"], c["who"]) for c in uk] == [("killed", 2, "prisoners")]
    assert find_casualty_claims("В 2022 году всё было спокойно.", "ru") == []


def _article() -> bytes:
    return """<html><head><meta property="article:published_time" content="2022-05-03T10:00:00+03:00"></head>
    <body><p>Вчера в Попасной погибли трое мирных жителей.</p>
    <p>«Пленных не брать. В расход всех троих», — сказал командир с позывным Утёс.</p></body></html>""".encode()


def test_extraction_offsets_point_into_the_document_text(monkeypatch):
    monkeypatch.setattr(claims, "_analysis_pipeline", lambda: None)
    document = parse_document(_article())
    extraction = extract_claims(document, captured_at="2022-05-04T08:00:00Z")
    data = extraction.to_dict()
    assert data["language"] == "ru" and data["published"] == "2022-05-03T07:00:00Z"
    assert [d["date"] for d in data["dates"]] == ["2022-05-02"]  # «Вчера» against the publication date
    for key in ("dates", "quotes", "casualties", "entities"):
        for record in data[key]:
            assert document.text[record["char_start"]:record["char_end"]] == record["text"], key
            assert isinstance(record["paragraph"], int)
    assert data["entities_source"] == "natasha"
    assert "Попасная" in [p["normalized"] for p in data["places"]]
    assert data["flags"] == [] and "not installed" in data["notes"][0]


@pytest.mark.skipif(not ANALYSIS_PRESENT, reason="audita.analysis is not part of this installation")
def test_extraction_uses_analysis_when_installed():
    extraction = extract_claims(parse_document(_article()), captured_at="2022-05-04T08:00:00Z")
    assert extraction.entities_source == "audita.analysis"
    assert "killing_hors_de_combat" in {f["category"] for f in extraction.flags}
    assert all(isinstance(f.get("paragraph"), int) for f in extraction.flags)
