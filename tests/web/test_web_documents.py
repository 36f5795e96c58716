"""The document form: an open-source document (an article, a captured post) added to a case with its
source URL and capture time; permissions, refusals that store nothing, CSRF, the size limit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from audita.custody.log import entries
from audita.store.schema import acquisitions, blobs, items

pytestmark = pytest.mark.both_backends  # the store-facing paths run on SQLite and PostgreSQL

ARTICLE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Обстрел Попасной</title></head>
<body><article>
<h1>Обстрел Попасной</h1>
<p>3 мая 2022 года жители сообщили об обстреле жилых кварталов Попасной.</p>
<p>По словам местных жителей, пострадали мирные жители и была разрушена школа.</p>
</article></body></html>
""".encode()

FORM = {"source_url": "https://t.me/example_channel/4321", "captured_at": "2022-05-03T10:15:00+03:00",
        "title": "Обстрел Попасной", "publisher": "example_channel", "language": "ru", "notes": "saved page"}


def _counts(workspace) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with workspace.reading() as connection:
        return tuple(connection.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (items, blobs, acquisitions))  # type: ignore[return-value]


def _post(client, case_id: str, data: dict, content: bytes = ARTICLE, name: str = "popasna.html", **kwargs):  # type: ignore[no-untyped-def]
    return client.post(f"/cases/{case_id}/documents", data=data, files={"file": (name, content, "text/html")},
                       follow_redirects=False, **kwargs)


def _leftovers(workspace) -> list:  # type: ignore[no-untyped-def]
    return list(workspace.settings.tmp_dir.glob("web-document-*"))


def test_member_with_upload_permission_adds_a_document(client_for, seeded, workspace):
    client = client_for("analyst-in")
    page = client.get(f"/cases/{seeded.case_id}/documents/new")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="csrf_token"' in page.text
    assert 'name="source_url"' in page.text and 'name="captured_at"' in page.text
    assert '<option value="uk">' in page.text and '<option value="en">' in page.text
    assert f'href="/cases/{seeded.case_id}/documents/new"' in client.get(f"/cases/{seeded.case_id}").text
    assert f'href="/cases/{seeded.case_id}/documents/new"' in client.get(f"/cases/{seeded.case_id}/upload").text

    reply = _post(client, seeded.case_id, FORM)
    assert reply.status_code == 303, reply.text[:300]
    item_id = reply.headers["location"].removeprefix("/items/")
    assert reply.headers["location"] == f"/items/{item_id}" and len(item_id) == 32
    with workspace.reading() as connection:
        item = connection.execute(select(items).where(items.c.id == item_id)).one()
        acquisition = connection.execute(select(acquisitions).where(acquisitions.c.item_id == item_id)).one()
        log = [e for e in entries(connection, case_id=seeded.case_id) if e.item_id == item_id]
    assert item.case_id == seeded.case_id and item.kind == "document" and item.display_name == "popasna.html"
    assert item.created_by == "user:analyst-in"
    assert json.loads(acquisition.metadata_json) == {
        "source_url": "https://t.me/example_channel/4321", "captured_at": "2022-05-03T07:15:00Z",
        "title": "Обстрел Попасной", "publisher": "example_channel", "language": "ru", "notes": "saved page"}
    assert workspace.blobs.path_for(item.blob_sha256).read_bytes() == ARTICLE
    actions = [(e.action, e.actor) for e in log]
    assert ("item.ingested", "user:analyst-in") in actions
    uploaded = [e for e in log if e.action == "web.document_uploaded"]
    assert len(uploaded) == 1 and uploaded[0].actor == "user:analyst-in"
    details = uploaded[0].details
    assert details["via"] == "web" and details["filename"] == "popasna.html" and details["bytes"] == len(ARTICLE)
    assert details["url"] == FORM["source_url"] and details["status"] == "ingested" and details["item_id"] == item_id
    assert not _leftovers(workspace)
    shown = client.get(f"/items/{item_id}")
    assert shown.status_code == 200 and "Попасной" in shown.text


def test_json_clients_get_the_outcome(client_for, seeded, workspace):
    client = client_for("admin-in")
    reply = _post(client, seeded.case_id, {**FORM, "language": ""}, content=ARTICLE + b"<!-- v2 -->",
                  headers={"Accept": "application/json"})
    assert reply.status_code == 200, reply.text[:300]
    outcome = reply.json()["outcome"]
    assert outcome["status"] == "ingested" and outcome["source"] == "popasna.html" and len(outcome["item_id"]) == 32
    assert outcome["format"] and outcome["paragraphs"] >= 1


@pytest.mark.parametrize("username, status", [("viewer-in", 403), ("reviewer-in", 403), ("analyst-out", 404),
                                              ("viewer-out", 404)])
def test_without_upload_permission_or_outside_the_case_is_refused(client_for, seeded, workspace, username, status):
    client = client_for(username)
    before = _counts(workspace)
    assert client.get(f"/cases/{seeded.case_id}/documents/new").status_code == status
    assert _post(client, seeded.case_id, FORM).status_code == status
    assert _counts(workspace) == before
    assert f"/cases/{seeded.case_id}/documents/new" not in client.get(f"/cases/{seeded.case_id}").text


@pytest.mark.parametrize("url, message", [("ftp://x", "is not an http(s) URL"),
                                          ("", "a document needs the URL it was captured from")])
def test_a_bad_url_shows_the_form_again_and_stores_nothing(client_for, seeded, workspace, url, message):
    client = client_for("analyst-in")
    before = _counts(workspace)
    reply = _post(client, seeded.case_id, {**FORM, "source_url": url}, headers={"Accept": "text/html"})
    assert reply.status_code == 400
    assert message in reply.text and 'id="document-form"' in reply.text
    # what the user typed is kept
    assert 'value="2022-05-03T10:15:00+03:00"' in reply.text and 'value="example_channel"' in reply.text
    assert '<option value="ru" selected>' in reply.text and "saved page</textarea>" in reply.text
    assert _counts(workspace) == before
    with workspace.reading() as connection:
        assert not [e for e in entries(connection, case_id=seeded.case_id) if e.action == "web.document_uploaded"]
    assert not _leftovers(workspace)


def test_a_bad_capture_time_or_unreadable_file_stores_nothing(client_for, seeded, workspace):
    client = client_for("analyst-in")
    before = _counts(workspace)
    naive = _post(client, seeded.case_id, {**FORM, "captured_at": "2022-05-03T10:15:00"})
    assert naive.status_code == 400 and "has no UTC offset" in naive.text
    binary = _post(client, seeded.case_id, FORM, content=b"\x00\x01\x02\xff" * 200, name="blob.bin")
    assert binary.status_code == 400 and "nothing stored" in binary.text
    json_reply = _post(client, seeded.case_id, {**FORM, "source_url": "ftp://x"}, headers={"Accept": "application/json"})
    assert json_reply.status_code == 400 and "http(s)" in json_reply.json()["error"]
    assert _counts(workspace) == before
    assert not _leftovers(workspace)


def test_a_file_over_the_upload_limit_is_refused_and_nothing_stored(client_for, seeded, workspace, web_options):
    client = client_for("analyst-in")
    before = _counts(workspace)
    padding = b"<p>x</p>" * ((web_options.max_upload_bytes + 8 * 1024) // 8)  # over the limit, within the framing
    reply = _post(client, seeded.case_id, FORM, content=ARTICLE + padding)
    assert reply.status_code == 400 and "over the upload limit" in reply.text
    far = _post(client, seeded.case_id, FORM, content=ARTICLE + padding * 2)
    assert far.status_code == 413  # refused by the body limit before the form is read
    assert _counts(workspace) == before
    assert not _leftovers(workspace)


def test_a_missing_csrf_token_is_refused(client_for, seeded, workspace):
    client = client_for("analyst-in")
    token = client.headers.pop("X-CSRF-Token")
    before = _counts(workspace)
    assert _post(client, seeded.case_id, FORM).status_code == 403
    assert _post(client, seeded.case_id, {**FORM, "csrf_token": "wrong"}).status_code == 403
    assert _counts(workspace) == before
    accepted = _post(client, seeded.case_id, {**FORM, "csrf_token": token})  # the form's hidden field
    assert accepted.status_code == 303
