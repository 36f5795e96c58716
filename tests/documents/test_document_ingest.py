"""Documents in custody: hashed, stored write-once, acquisitions, derivations; bad input stores nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from audita.cli import cli
from audita.derived import history
from audita.documents import claims
from audita.documents.service import EXTRACT_STAGE, TEXT_STAGE, list_documents, reextract
from audita.errors import BadInput
from audita.ingest.documents import document_metadata, ingest_document
from audita.ingest.service import ingest_paths
from audita.store.schema import acquisitions, blobs, custody_entries, derivations, items, media_facts
from audita.verify import verify_store

from testkit import ACTOR

PAGE = """<!DOCTYPE html><html><head><title>Перехват</title><meta property="og:site_name" content="Вестник">
<meta property="article:published_time" content="2022-05-03T10:00:00+03:00"></head><body>
<p>27 апреля в Попасной погибли трое мирных жителей.</p>
<p>«Пленных не брать. В расход всех троих», — сказал командир с позывным Утёс.</p></body></html>"""

pytestmark = pytest.mark.both_backends  # store-facing: SQLite and PostgreSQL


def _counts(workspace) -> dict[str, int]:
    with workspace.reading() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (items, blobs, acquisitions, media_facts, derivations, custody_entries)}


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    monkeypatch.setattr(claims, "_analysis_pipeline", lambda: None)  # ingest is tested apart from analysis


@pytest.fixture
def page(tmp_path):
    path = tmp_path / "article.html"
    path.write_text(PAGE, encoding="utf-8")
    return path


def test_document_is_hashed_stored_and_in_custody(workspace, case, page):
    metadata = document_metadata("https://example.org/news/1", "2022-05-04T10:00:00+03:00", publisher="Вестник")
    outcome = ingest_document(workspace, case.name, page, metadata=metadata, actor=ACTOR)
    assert outcome.status == "ingested" and outcome.format == "html" and outcome.paragraphs == 2
    assert workspace.blobs.hash_file(workspace.blobs.path_for(outcome.sha256)) == outcome.sha256
    with workspace.reading() as connection:
        item = connection.execute(select(items).where(items.c.id == outcome.item_id)).one()
        acquired = connection.execute(select(acquisitions).where(acquisitions.c.item_id == item.id)).one()
        facts = json.loads(connection.execute(select(media_facts.c.facts_json)).scalar_one())
        logged = [r.action for r in connection.execute(
            select(custody_entries.c.action).where(custody_entries.c.item_id == item.id)).all()]
        stages = [d.provenance.stage for d in history(connection, item.id)]
        extract = history(connection, item.id, EXTRACT_STAGE)[0]
    assert item.kind == "document" and item.display_name == "article.html"
    assert json.loads(acquired.metadata_json) == {"source_url": "https://example.org/news/1",
                                                  "captured_at": "2022-05-04T07:00:00Z", "publisher": "Вестник"}
    assert facts["kind"] == "document" and facts["format"] == "html" and facts["paragraphs"] == 2
    assert logged == ["item.ingested", "item.processed", "item.processed"]
    assert stages == [TEXT_STAGE, EXTRACT_STAGE]
    assert extract.provenance.parent_id is not None
    assert extract.output["casualties"][0]["count"] == 3 and extract.output["quotes"][0]["speaker"] == "Утёс"
    assert verify_store(workspace).ok


def test_same_source_records_nothing_other_source_is_a_second_acquisition(workspace, case, page):
    metadata = document_metadata("https://example.org/news/1", "2022-05-04T07:00:00Z")
    first = ingest_document(workspace, case.name, page, metadata=metadata, actor=ACTOR)
    before = _counts(workspace)
    again = ingest_document(workspace, case.name, page, metadata=metadata, actor=ACTOR)
    assert again.status == "already" and again.item_id == first.item_id
    assert _counts(workspace) == before
    mirror = ingest_document(workspace, case.name, page, actor=ACTOR,
                             metadata=document_metadata("https://mirror.example.net/x", "2022-05-05T07:00:00Z"))
    assert mirror.status == "duplicate" and mirror.item_id == first.item_id
    after = _counts(workspace)
    assert after["items"] == before["items"] and after["acquisitions"] == before["acquisitions"] + 1
    assert after["derivations"] == before["derivations"] + 1  # a new capture time: a new extraction, same text
    assert verify_store(workspace).ok


@pytest.mark.parametrize(("content", "reason"), [
    (b"%PDF-1.4\n1 0 obj broken", "malformed PDF"),
    (b"<html><body></body></html>", "no text"),
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG"),
    (b"", "empty"),
])
def test_bad_documents_leave_nothing_behind(workspace, case, tmp_path, content, reason):
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    before = _counts(workspace)
    with pytest.raises(BadInput, match=reason):
        ingest_document(workspace, case.name, path, actor=ACTOR,
                        metadata=document_metadata("https://example.org/x", "2022-05-04T07:00:00Z"))
    assert _counts(workspace) == before
    assert list(workspace.blobs.iter_stored()) == []
    assert list(workspace.settings.tmp_dir.iterdir()) == []


@pytest.mark.parametrize(("url", "captured", "reason"), [
    ("ftp://example.org/x", "2022-05-04T07:00:00Z", "http"),
    ("", "2022-05-04T07:00:00Z", "URL"),
    ("https://example.org/x", "2022-05-04 07:00", "UTC offset"),
    ("https://example.org/x", "yesterday", "ISO 8601"),
])
def test_capture_metadata_is_validated(url, captured, reason):
    with pytest.raises(BadInput, match=reason):
        document_metadata(url, captured)


def test_recording_ingest_still_refuses_documents_and_points_to_documents_add(workspace, case, page):
    report = ingest_paths(workspace, case.name, [page], actor=ACTOR)
    assert report.outcomes[0].status == "rejected"
    assert "HTML document" in report.outcomes[0].message and "documents add" in report.outcomes[0].message


def test_list_and_reextract(workspace, case, page):
    outcome = ingest_document(workspace, case.name, page, actor=ACTOR,
                              metadata=document_metadata("https://example.org/n", "2022-05-04T07:00:00Z"))
    [summary] = list_documents(workspace, case.name)
    assert (summary.item_id, summary.title, summary.publisher, summary.published) == (
        outcome.item_id, "Перехват", "Вестник", "2022-05-03T07:00:00Z")
    assert summary.casualty_claims == 1 and summary.quotes == 1
    before = _counts(workspace)
    reextract(workspace, outcome.item_id, actor=ACTOR)
    assert _counts(workspace) == before  # nothing changed: the rows are reused


def test_cli_documents(settings, case, page):
    runner = CliRunner()
    home = ["--home", str(settings.home)]
    result = runner.invoke(cli, [*home, "documents", "add", "--case", case.name, str(page), "--url",
                                 "https://example.org/a", "--captured-at", "2022-05-04T10:00:00+03:00"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ingested") and "1 casualty claim" in result.output
    listed = runner.invoke(cli, [*home, "documents", "list", "--case", case.name, "--json"])
    [document] = json.loads(listed.output)
    shown = runner.invoke(cli, [*home, "documents", "show", document["item_id"][:12]])
    assert shown.exit_code == 0 and "Пленных не брать" in shown.output and "killed 3" in shown.output
    bad = runner.invoke(cli, [*home, "documents", "add", "--case", case.name, str(page), "--url", "nope",
                              "--captured-at", "2022-05-04T10:00:00Z"])
    assert bad.exit_code != 0
