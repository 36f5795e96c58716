"""Log injection: user-controlled text (user names at login, User-Agent, upload file names, case
descriptions, search queries, notes) with CR/LF, ANSI escapes, other control characters and fake
`key=value` fragments stays one custody entry whose JSON round-trips exactly, and is encoded in
the server log; the generic 500 page carries none of it."""

from __future__ import annotations

import io
import json
import logging
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select
from webseed import PASSWORD, recording

from audita.custody.log import entries
from audita.derived import latest
from audita.logsafe import SafeFormatter
from audita.store.schema import custody_entries, items
from audita.verify import verify_store

HOSTILE = 'x\r\n2026-01-01 INFO audita.web: user=admin action=user.created ok=1\x1b[31m\x1b]0;pwned\x07\u202eevil\x00\x85\u2028"}{'

# a header carries bytes: the same attack in Latin-1 (what a server decodes header bytes as)
HOSTILE_AGENT = b"Mozilla/5.0\r\nINFO audita.web: user=admin ok=1\x1b[31m\x1b]0;pwned\x07\x00\x7f end"
AGENT = HOSTILE_AGENT.decode("latin-1")

pytestmark = pytest.mark.both_backends


def _new_entries(workspace, before: int):  # type: ignore[no-untyped-def]
    with workspace.reading() as connection:
        rows = connection.execute(select(custody_entries.c.seq, custody_entries.c.entry_json)
                                  .where(custody_entries.c.seq >= before).order_by(custody_entries.c.seq)).all()
        parsed = [e for e in entries(connection) if e.seq >= before]
    return rows, parsed


def _size(workspace) -> int:  # type: ignore[no-untyped-def]
    with workspace.reading() as connection:
        return len(entries(connection))


def test_hostile_login_name_and_user_agent_are_one_entry_each_and_round_trip(client_for, workspace):
    client = client_for(None)
    before = _size(workspace)
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    reply = client.post("/login", data={"username": HOSTILE, "password": "wrong password!", "login_token": token},
                        headers={"User-Agent": HOSTILE_AGENT})
    assert reply.status_code == 401
    ok = client_for(None)
    page = ok.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    reply = ok.post("/login", data={"username": "analyst-in", "password": PASSWORD, "login_token": token},
                    headers={"User-Agent": HOSTILE_AGENT}, follow_redirects=False)
    assert reply.status_code == 303
    rows, parsed = _new_entries(workspace, before)
    failed = [e for e in parsed if e.action == "web.login_failed"]
    logged_in = [e for e in parsed if e.action == "web.login"]
    assert len(failed) == 1 and len(logged_in) == 1
    assert failed[0].details["username"] == HOSTILE[:100] and failed[0].details["user_agent"] == AGENT
    assert logged_in[0].details["user_agent"] == AGENT and logged_in[0].actor == "user:analyst-in"
    for row in rows:  # each entry is one JSON document, no raw control character in its text
        assert json.loads(row.entry_json)["seq"] == row.seq
        assert not any(ord(ch) < 0x20 for ch in row.entry_json)
    assert all(e.action in ("web.login_failed", "web.login", "web.cases_viewed") for e in parsed)
    assert verify_store(workspace).ok


def test_hostile_upload_name_search_query_and_note(client_for, seeded, workspace, tmp_path):
    client = client_for("analyst-in")
    before = _size(workspace)
    data = recording(tmp_path / "h.wav").read_bytes() + b"\3\3"
    reply = client.post(f"/cases/{seeded.case_id}/upload", content=data, headers={
        "X-Filename": quote(HOSTILE + ".wav"), "X-Process": "0", "Accept": "application/json",
        "Content-Type": "application/octet-stream"})
    assert reply.status_code == 200, reply.text
    outcome = reply.json()["outcomes"][0]
    assert outcome["status"] == "ingested"
    stored_name = outcome["name"]
    assert not any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f or ch in "\u2028\u202e" for ch in stored_name)
    assert "user=admin action=user.created" in stored_name  # text kept, only control characters dropped
    assert client.get("/search", params={"q": HOSTILE}).status_code == 200
    refused = client.post(f"/items/{seeded.item_id}/speakers/rename", data={"label": "S1", "name": HOSTILE},
                          headers={"Accept": "application/json"}, follow_redirects=False)
    assert refused.status_code == 400 and "\x1b" not in refused.text  # control characters refused, one line
    forged = 'Олена" action=user.created ok=1 } {"seq": 0'
    renamed = client.post(f"/items/{seeded.item_id}/speakers/rename", data={"label": "S1", "name": forged},
                          follow_redirects=False)
    assert renamed.status_code == 303
    rows, parsed = _new_entries(workspace, before)
    uploaded = [e for e in parsed if e.action == "web.uploaded"]
    assert len(uploaded) == 1 and uploaded[0].details["filename"] == stored_name
    searched = [e for e in parsed if e.action == "search.performed"]
    assert len(searched) == 1 and searched[0].details["query"] == HOSTILE.strip()[:500]
    labelled = [e for e in parsed if e.action == "speaker.labelled"]
    assert len(labelled) == 1
    with workspace.reading() as connection:
        label = latest(connection, seeded.item_id, "speaker.label")
    assert label is not None and label.id == labelled[0].details["derivation_id"] and label.output["name"] == forged
    for row in rows:
        assert not any(ord(ch) < 0x20 for ch in row.entry_json)
        assert json.loads(row.entry_json)["seq"] == row.seq
    with workspace.reading() as connection:
        assert connection.execute(select(items.c.display_name).where(items.c.id == outcome["item_id"])).scalar() \
            == stored_name
    assert verify_store(workspace).ok


def test_server_log_lines_are_encoded_and_the_500_page_is_generic(client_for, app, monkeypatch, seeded):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("audita.web")
    logger.addHandler(handler)
    try:
        import audita.web.routes.cases as cases_routes

        def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom at /srv/secret\nERROR audita.web: forged record user=admin\x1b[2J")

        monkeypatch.setattr(cases_routes, "build_overview", broken)
        client = client_for("viewer-in")
        path = f"/cases/{seeded.case_id}"
        reply = client.get(path + "%0A%1B%5B31mINFO%20fake%20user=admin", headers={"Accept": "text/html"})
        assert reply.status_code == 404  # not a case id: never reaches the broken code
        reply = client.get(path)
        assert reply.status_code == 500
        for leaked in ("boom", "secret", "Traceback", "RuntimeError", "forged", "/srv"):
            assert leaked not in reply.text
        api = client.post(f"/cases/{seeded.case_id}/export", headers={"Accept": "application/json"})
        assert api.status_code in (202, 403)  # unrelated route still fine
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "\x1b" not in text and "\r" not in text
    lines = text.splitlines()
    records = [line for line in lines if not line.startswith("| ")]
    assert records == [f'ERROR audita.web: unhandled error method=GET path={path}']
    # the exception message's line break starts a continuation line, never a record of its own
    assert "| ERROR audita.web: forged record user=admin\\x1b[2J" in lines
