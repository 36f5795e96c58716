"""tsvector search on the PostgreSQL store: lemmas match inflections, snippets mark the words,
case filter, re-indexing after an edit; migration 0004 leaves SQLite alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from audita.cases import create_case
from audita.config import Settings
from audita.derived import Provenance, record
from audita.ingest.service import ingest_paths
from audita.items import list_items
from audita.store import pg_search
from audita.workspace import Workspace
from testkit import ACTOR, tone, write_wav

TEXTS = {
    "a": [("ru", "Колонна вышла из Попасной, идём к Бахмуту."), ("ru", "Пленных не брать, понял?")],
    "b": [("uk", "Відходимо до Бахмута, поранених двоє."), ("ru", "Гранит, я Сокол, приём.")],
}


def _transcript(texts: list[tuple[str, str]]) -> dict:
    return {"schema": "audita.speech/1", "transmissions": [
        {"index": n, "start": 2.0 * n, "end": 2.0 * n + 1.5, "text": body, "language": language,
         "unintelligible": False} for n, (language, body) in enumerate(texts)]}


def _add_item(workspace: Workspace, tmp_path: Path, case_name: str, key: str, seed: int) -> str:
    path = write_wav(tmp_path / f"{key}-{seed}.wav", tone(0.5, seed=seed))
    ingest_paths(workspace, case_name, [path], actor=ACTOR)
    item = next(i for i in list_items(workspace, case_name) if i.display_name == path.name)
    _record_transcript(workspace, item.id, "transcript", _transcript(TEXTS[key]))
    return item.id


def _record_transcript(workspace: Workspace, item_id: str, stage: str, output: dict, parent: str | None = None) -> str:
    from audita.store.schema import items
    from sqlalchemy import select

    with workspace.action() as connection:
        case_id = connection.execute(select(items.c.case_id).where(items.c.id == item_id)).scalar_one()
        row = record(workspace, connection, item_id=item_id, case_id=case_id, actor=ACTOR, output=output,
                     provenance=Provenance(stage=stage, input_sha256="0" * 64, engine="test", options={},
                                           parent_id=parent))
    return row.id


@pytest.fixture
def pg_workspace(tmp_path: Path, pg_database: str):
    workspace = Workspace.open(Settings(home=tmp_path / "pg-home", database_url=pg_database))
    yield workspace
    workspace.close()


def test_inflected_query_finds_transmissions_with_snippets(pg_workspace, tmp_path):
    create_case(pg_workspace, "Popasna", actor=ACTOR)
    a = _add_item(pg_workspace, tmp_path, "Popasna", "a", 1)
    b = _add_item(pg_workspace, tmp_path, "Popasna", "b", 2)

    hits = pg_search.pg_search(pg_workspace, "попасная")  # the lemma, not the form in the text
    assert [(h.item_id, h.transmission) for h in hits] == [(a, 0)]
    assert hits[0].snippet == "Колонна вышла из <b>Попасной</b>, идём к Бахмуту."
    assert (hits[0].start, hits[0].end) == (0.0, 1.5) and hits[0].language == "ru"

    # Russian query form, Russian and Ukrainian transcripts: both inflections of Бахмут match.
    bakhmut = pg_search.pg_search(pg_workspace, "Бахмуте")
    assert {(h.item_id, h.transmission) for h in bakhmut} == {(a, 0), (b, 0)}
    assert any("<b>Бахмута</b>" in h.snippet for h in bakhmut)

    # every word must be there; each in any inflection
    assert [(h.item_id, h.transmission) for h in pg_search.pg_search(pg_workspace, "пленный брать")] == [(a, 1)]
    assert pg_search.pg_search(pg_workspace, "пленный Сокол") == []
    assert pg_search.pg_search(pg_workspace, "  ,. ") == []


def test_case_filter_limit_and_reindex_after_an_edit(pg_workspace, tmp_path):
    first = create_case(pg_workspace, "One", actor=ACTOR)
    second = create_case(pg_workspace, "Two", actor=ACTOR)
    a = _add_item(pg_workspace, tmp_path, "One", "b", 3)
    b = _add_item(pg_workspace, tmp_path, "Two", "b", 4)
    assert {h.item_id for h in pg_search.pg_search(pg_workspace, "сокол")} == {a, b}
    assert [h.item_id for h in pg_search.pg_search(pg_workspace, "сокол", case_ids=[second.id])] == [b]
    assert pg_search.pg_search(pg_workspace, "сокол", case_ids=[]) == []
    assert len(pg_search.pg_search(pg_workspace, "сокол", limit=1)) == 1

    # an analyst corrects the transcript: the index follows the current version
    from audita.transcripts import current_transcript

    with pg_workspace.reading() as connection:
        machine = current_transcript(connection, a)
    edited = _transcript([("uk", "Відходимо до Бахмута, поранених двоє."), ("ru", "Гранит, я Ястреб, приём.")])
    _record_transcript(pg_workspace, a, "transcript.edit", edited, parent=machine.id)
    assert pg_search.stale_items(pg_workspace, [first.id]) == [a]
    hits = pg_search.pg_search(pg_workspace, "ястреб", case_ids=[first.id])
    assert [(h.item_id, h.transmission) for h in hits] == [(a, 1)]
    assert hits[0].derivation_id != machine.id
    assert {h.item_id for h in pg_search.pg_search(pg_workspace, "сокол")} == {b}
    assert pg_search.stale_items(pg_workspace) == []


def test_speech_pipeline_output_is_searchable(pg_workspace, tmp_path):
    from scaleoutkit import fake_engine, fake_voices, ingest_recordings

    from audita.speech.service import process_item

    create_case(pg_workspace, "Radio", actor=ACTOR)
    [item] = ingest_recordings(pg_workspace, "Radio", tmp_path / "radio", 1)
    process_item(pg_workspace, item, actor=ACTOR, engine=fake_engine(), speaker_backend=fake_voices())
    hits = pg_search.pg_search(pg_workspace, "гранит")
    assert [(h.item_id, h.transmission) for h in hits] == [(item, 0), (item, 1)]
    assert all(h.snippet.startswith("<b>Гранит</b>, я Сокол") for h in hits)


def test_sqlite_store_has_no_search_table_and_refuses(tmp_path):
    workspace = Workspace.open(Settings(home=tmp_path / "home"))
    try:
        assert "search_documents" not in inspect(workspace.engine).get_table_names()
        with pytest.raises(pg_search.SearchUnavailable):
            pg_search.pg_search(workspace, "гранит")
    finally:
        workspace.close()


def test_lemma_string_keeps_every_normal_form():
    assert pg_search.lemma_string("Пленных не брать", "ru").split() == ["пленный", "не", "брать"]
    assert "попасная" in pg_search.lemma_string("из Попасной", "ru").split()


def test_hyphenated_and_apostrophe_words(pg_workspace, tmp_path):
    create_case(pg_workspace, "Words", actor=ACTOR)
    path = write_wav(tmp_path / "words.wav", tone(0.5, seed=9))
    ingest_paths(pg_workspace, "Words", [path], actor=ACTOR)
    item = list_items(pg_workspace, "Words")[0].id
    _record_transcript(pg_workspace, item, "transcript", _transcript(
        [("ru", "Колонна северо-восточнее Попасной."), ("uk", "Маємо п'ять поранених, ідемо о'кей.")]))
    assert [h.transmission for h in pg_search.pg_search(pg_workspace, "северо-восточнее")] == [0]
    assert [h.transmission for h in pg_search.pg_search(pg_workspace, "п'ять")] == [1]
    assert [h.transmission for h in pg_search.pg_search(pg_workspace, "o'k \\ '")] == []
