"""Search over transcripts, translations, documents and notes: lemmas, filters, snippets, the index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from audita.cli import cli
from audita.errors import BadInput
from audita.ingest.documents import document_metadata, ingest_document
from audita.search.api import SearchFilters, reindex, search
from audita.search.index import SearchIndex, SearchIndexError, index_path
from audita.search.query import parse_query, query_forms

from searchkit import (
    add_recording,
    record_analysis,
    record_edit,
    record_flag_review,
    record_speaker_label,
    record_transcript,
    tx,
)
from testkit import ACTOR

ARTICLE = """<!DOCTYPE html><html><head><title>Перехват</title>
<meta property="article:published_time" content="2022-05-03T10:00:00+03:00"></head><body>
<p>В Попасна загинули троє цивільних.</p>
<p>«Пленных не брать, всех в расход», — сказал командир с позывным Утёс.</p></body></html>"""

pytestmark = pytest.mark.both_backends  # store-facing: SQLite and PostgreSQL


@pytest.fixture
def store(workspace, case, tmp_path):
    """A recording with a machine transcript, an analyst edit, an analysis and a speaker label, plus a document."""
    item = add_recording(workspace, case, tmp_path / "in", "radio.wav", intercept_time="2022-04-27T06:15:00+03:00")
    machine = record_transcript(workspace, item, case.id, [
        tx(0, 1.0, 4.0, "Сокол, я Гранит, пленного не брать", translation="Sokol, this is Granite, take no prisoners"),
        tx(1, 5.0, 8.0, "Работаем по Попасной, квадрат девять", speaker="S2"),
        tx(2, 9.0, 12.0, "Понял, отработали по школе", speaker="S1"),
    ])
    edit = record_edit(workspace, item, case.id, machine, {2: "Понял, отработали по больнице"},
                       note="Переслушал: не школа, а больница")
    analysis = record_analysis(workspace, item, case.id, edit, places=[("Попасной", "Попасная", 1)],
                               flags=[("f1", "killing_hors_de_combat", "пленного не брать", 0),
                                      ("f2", "attack_on_protected_objects", "по больнице", 2)])
    record_speaker_label(workspace, item, case.id, edit, "S2", "Гранит")
    page = tmp_path / "article.html"
    page.write_text(ARTICLE, encoding="utf-8")
    document = ingest_document(workspace, case.name, page, actor=ACTOR,
                               metadata=document_metadata("https://example.org/a", "2022-05-04T08:00:00Z"))
    return {"item": item, "document": document.item_id, "analysis": analysis, "case": case}


def test_query_forms_cover_inflections_and_both_languages():
    assert "пленный" in query_forms("пленных")
    assert {"попасная", "попасной"} <= set(query_forms("Попасной"))
    assert "prisoner" in query_forms("prisoners")
    parsed = parse_query('пленных "не брать" -школа')
    assert [len(g) for g in parsed.groups] == [1, 2]
    assert parsed.excluded[0].text == "школа"
    with pytest.raises(BadInput):
        parse_query("-только")
    with pytest.raises(BadInput):
        parse_query("   ")


def test_inflected_query_finds_other_forms_with_time_code_and_link(workspace, store):
    hits = search(workspace, "пленных", case_ids=[store["case"].id])
    transcript = [h for h in hits if h.source == "transcript"]
    assert len(transcript) == 1
    hit = transcript[0]
    assert hit.item_id == store["item"] and hit.transmission == 0
    assert hit.marked_snippet() == "Сокол, я Гранит, [пленного] не брать"
    assert hit.start == pytest.approx(2.3) and hit.end == pytest.approx(2.66)  # the word's own timing
    assert hit.link == f"/items/{store['item']}#t=2.30"
    assert {h.source for h in hits} == {"transcript", "document"}
    document = next(h for h in hits if h.source == "document")
    assert document.link == f"/items/{store['document']}#p=1" and "[Пленных]" in document.marked_snippet()
    assert hit.to_dict()["highlights"] == [list(s) for s in hit.highlights]


def test_place_in_any_case_and_language(workspace, store):
    hits = search(workspace, "Попасная", case_ids=None)
    assert {(h.source, h.transmission) for h in hits if h.item_id == store["item"]} == {("transcript", 1)}
    # the Ukrainian spelling in the article is found through the name's stem
    assert any(h.item_id == store["document"] and "[Попасна]" in h.marked_snippet() for h in hits)


def test_english_translation_is_stemmed(workspace, store):
    hits = search(workspace, "prisoner", case_ids=None)
    assert [(h.source, h.transmission) for h in hits] == [("translation", 0)]
    assert hits[0].marked_snippet().endswith("take no [prisoners]")


def test_current_and_machine_versions_and_notes(workspace, store):
    current = search(workspace, "больница", case_ids=None)
    assert [(h.source, h.transmission) for h in current if h.source != "note"] == [("transcript", 2)]
    machine = search(workspace, "школа", case_ids=None)
    assert [(h.source, h.transmission) for h in machine] == [("machine", 2), ("note", 2)] or \
        {(h.source, h.transmission) for h in machine} == {("machine", 2), ("note", 2)}
    note = next(h for h in machine if h.source == "note")
    assert note.author == ACTOR and note.note_kind == "transcript.edit"


def test_phrase_and_exclusion(workspace, store):
    assert {h.source for h in search(workspace, '"не брать"', case_ids=None)} == {"transcript", "document"}
    assert search(workspace, '"брать не"', case_ids=None) == []
    hits = search(workspace, "пленных -расход", case_ids=None)
    assert {h.source for h in hits} == {"transcript"}


def test_filters(workspace, store, case):
    ids = [case.id]
    assert search(workspace, "пленных", case_ids=[]) == []
    assert {h.source for h in search(workspace, "пленных", case_ids=ids,
                                     filters=SearchFilters(date_from="2022-04-27", date_to="2022-04-27"))} == {"transcript"}
    assert {h.source for h in search(workspace, "пленных", case_ids=ids,
                                     filters=SearchFilters(date_from="2022-05-01"))} == {"document"}
    assert search(workspace, "пленных", case_ids=ids, filters=SearchFilters(date_to="2022-04-26")) == []
    placed = search(workspace, "пленных", case_ids=ids, filters=SearchFilters(place="Попасной"))
    assert {h.item_id for h in placed} == {store["item"], store["document"]}  # «Попасна» in the article
    assert search(workspace, "пленных", case_ids=ids, filters=SearchFilters(place="Бахмут")) == []
    named = search(workspace, "Попасной", case_ids=ids, filters=SearchFilters(speaker="гранит"))
    assert [(h.transmission, h.speaker, h.speaker_name) for h in named] == [(1, "S2", "Гранит")]
    assert search(workspace, "пленных", case_ids=ids, filters=SearchFilters(speaker="S2")) == []
    flagged = search(workspace, "пленных", case_ids=ids, filters=SearchFilters(category="killing_hors_de_combat",
                                                                               sources=("transcript",)))
    assert [h.categories for h in flagged] == [("killing_hors_de_combat",)]
    with pytest.raises(BadInput):
        search(workspace, "пленных", case_ids=ids, filters=SearchFilters(date_from="27.04.2022"))
    with pytest.raises(BadInput):
        search(workspace, "пленных", case_ids=ids, filters=SearchFilters(sources=("video",)))


def test_rejected_flag_no_longer_counts_for_its_category(workspace, store, case):
    wanted = SearchFilters(category="attack_on_protected_objects")
    assert search(workspace, "больница", case_ids=[case.id], filters=wanted)
    record_flag_review(workspace, store["item"], case.id, store["analysis"], "f2", "rejected", "не подтверждается")
    assert [h.source for h in search(workspace, "больница", case_ids=[case.id], filters=wanted)] == []
    notes = search(workspace, "подтверждается", case_ids=[case.id])
    assert [(h.source, h.note_kind, h.transmission) for h in notes] == [("note", "flag.review", 2)]


def test_index_is_incremental_deterministic_and_rebuildable(workspace, store, case, tmp_path):
    first = [h.to_dict() for h in search(workspace, "Попасная", case_ids=None)]
    assert [h.to_dict() for h in search(workspace, "Попасная", case_ids=None)] == first
    index = SearchIndex(index_path(workspace))
    assert index.refresh(workspace).items_indexed == 0  # nothing changed since the last search
    other = add_recording(workspace, case, tmp_path / "more", "second.wav", seed=4)
    record_transcript(workspace, other, case.id, [tx(0, 0.5, 2.0, "В Попасной тихо")])
    report = index.refresh(workspace)
    assert report.items_indexed == 1 and report.rebuilt is False
    assert len(search(workspace, "Попасная", case_ids=None)) == len(first) + 1
    rebuilt = reindex(workspace)
    assert rebuilt["rebuilt"] is True and rebuilt["items_indexed"] == 3
    path = index_path(workspace)
    assert path.parent == workspace.settings.home / "index"
    path.unlink()
    assert len(search(workspace, "Попасная", case_ids=None)) == len(first) + 1  # recreated on demand


def test_damaged_index_names_the_remedy(workspace, store):
    path = index_path(workspace)
    search(workspace, "пленных", case_ids=None)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(SearchIndexError, match="reindex"):
        search(workspace, "пленных", case_ids=None)
    reindex(workspace)
    assert search(workspace, "пленных", case_ids=None)


def test_cli_search_json_and_table(settings, store):
    runner = CliRunner()
    home = ["--home", str(settings.home)]
    result = runner.invoke(cli, [*home, "search", "пленных", "--case", store["case"].name, "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert {h["source"] for h in hits} == {"transcript", "document"}
    result = runner.invoke(cli, [*home, "search", "Попасная", "--place", "Попасная", "--source", "transcript"])
    assert result.exit_code == 0, result.output
    assert "Попасной" in result.output and "passage(s)" in result.output
    result = runner.invoke(cli, [*home, "search", "--reindex"])
    assert result.exit_code == 0 and "rebuilt" in result.output
    assert runner.invoke(cli, [*home, "search"]).exit_code != 0


def test_cli_search_is_in_the_custody_log(settings, store):
    from audita.custody.log import entries
    from audita.workspace import Workspace

    result = CliRunner().invoke(cli, ["--home", str(settings.home), "search", "пленных", "--case", store["case"].name,
                                      "--place", "Попасная", "--json"])
    assert result.exit_code == 0, result.output
    shown = sorted({h["item_id"] for h in json.loads(result.output)})
    workspace = Workspace.open(settings)
    try:
        with workspace.reading() as connection:
            logged = [e for e in entries(connection) if e.action == "search.performed"]
    finally:
        workspace.close()
    assert len(logged) == 1 and logged[0].case_id == store["case"].id and logged[0].actor
    details = logged[0].details
    assert details["query"] == "пленных" and details["cases"] == [store["case"].id]
    assert details["filters"]["place"] == "Попасная" and details["items"] == shown and details["results"] >= 1


def test_offset_pages_through_the_same_ranking(workspace, store):
    everything = search(workspace, "пленных", case_ids=None)
    assert len(everything) >= 2
    paged = [h for k in range(len(everything) + 1) for h in search(workspace, "пленных", case_ids=None, limit=1, offset=k)]
    assert [(h.item_id, h.source, h.transmission, h.paragraph) for h in paged] == \
        [(h.item_id, h.source, h.transmission, h.paragraph) for h in everything]
    assert search(workspace, "пленных", case_ids=None, offset=len(everything)) == []
    with pytest.raises(BadInput, match="offset"):
        search(workspace, "пленных", case_ids=None, offset=-1)
