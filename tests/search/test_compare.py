"""A published transcript against the recording: missing, added, different, other form."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from audita.cli import cli
from audita.derived import history
from audita.errors import BadInput
from audita.ingest.documents import document_metadata, ingest_document
from audita.search.compare import compare_text
from audita.search.service import COMPARE_STAGE, compare_published
from audita.verify import verify_store

from searchkit import add_recording, record_transcript, tx
from testkit import ACTOR

PUBLISHED = """Сокол: Гранит, я Сокол, приём.
Гранит: Пленного не брать, всех в расход, и дом сжечь.
Сокол: Принял, уходим в восемь."""

pytestmark = pytest.mark.both_backends  # store-facing: SQLite and PostgreSQL


@pytest.fixture
def recording(workspace, case, tmp_path):
    item = add_recording(workspace, case, tmp_path / "in", "radio.wav")
    transcript = record_transcript(workspace, item, case.id, [
        tx(0, 1.0, 4.0, "Гранит, я Сокол, приём.", translation="Granite, this is Sokol, over."),
        tx(1, 5.0, 9.0, "Пленных не брать, всех троих в расход.",
           translation="Take no prisoners, all three to be killed."),
        tx(2, 10.0, 13.0, "Принял, уходим в семь.", translation="Roger, we leave at seven."),
    ])
    return item, transcript


def test_missing_added_different_and_other_form(recording):
    item, transcript = recording
    result = compare_text(item, transcript, PUBLISHED)
    assert result.against == "transcript" and result.published_language == "ru"
    found = [(d.kind, d.recording_text, d.published_text) for d in result.differences]
    assert found == [
        ("form", "Пленных", "Пленного"),
        ("missing", "троих", ""),
        ("added", "", "и дом сжечь"),
        ("different", "семь", "восемь"),
    ]
    missing = next(d for d in result.differences if d.kind == "missing")
    assert missing.transmission == 1 and missing.start == pytest.approx(6.7) and missing.end == pytest.approx(7.06)
    added = next(d for d in result.differences if d.kind == "added")
    assert added.published_line == 2
    assert result.recording_words == 15 and result.published_words == 17  # speaker prefixes are not words
    assert result.matched_words == 13 and result.coverage == pytest.approx(13 / 15)
    assert result.to_dict()["counts"] == {"missing": 1, "added": 1, "different": 1, "form": 1}


def test_english_text_is_compared_with_the_translation(recording):
    item, transcript = recording
    result = compare_text(item, transcript, "Take no prisoners, kill all three.\nRoger, we leave at seven.")
    assert result.against == "translation" and result.published_language == "en"
    kinds = {(d.kind, d.recording_text, d.published_text) for d in result.differences}
    assert ("missing", "Granite this is Sokol over", "") in kinds
    assert ("missing", "to be killed", "") in kinds and ("added", "", "kill") in kinds  # word order differs


def test_empty_or_unsupported_published_text(recording):
    item, transcript = recording
    with pytest.raises(BadInput):
        compare_text(item, transcript, "   \n")
    with pytest.raises(BadInput, match="not supported"):
        compare_text(item, transcript, "Ceci n'est pas une transcription.", language="fr")


def test_stored_document_comparison_is_recorded_loose_text_is_not(workspace, case, recording, tmp_path):
    item, _ = recording
    result, recorded = compare_published(workspace, item, text=PUBLISHED, actor=ACTOR)
    assert recorded is None and result.count("missing") == 1
    path = tmp_path / "published.txt"
    path.write_text(PUBLISHED, encoding="utf-8")
    document = ingest_document(workspace, case.name, path, actor=ACTOR,
                               metadata=document_metadata("https://t.me/channel/12", "2022-05-04T07:00:00Z"))
    result, recorded = compare_published(workspace, item, document_item=document.item_id, actor=ACTOR)
    assert recorded is not None and result.count("added") == 1
    again, same = compare_published(workspace, item, document_item=document.item_id, actor=ACTOR)
    assert same == recorded
    with workspace.reading() as connection:
        assert [d.id for d in history(connection, item, COMPARE_STAGE)] == [recorded]
    assert verify_store(workspace).ok


def test_cli_compare(settings, recording, tmp_path):
    item, _ = recording
    path = tmp_path / "published.txt"
    path.write_text(PUBLISHED, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["--home", str(settings.home), "compare", item[:12], str(path)])
    assert result.exit_code == 0, result.output
    assert "missing" in result.output and "«троих»" in result.output and "not recorded" in result.output
    as_json = runner.invoke(cli, ["--home", str(settings.home), "compare", item, str(path), "--json"])
    assert json.loads(as_json.output)["counts"]["different"] == 1
