"""Upload: size limits (413), file names, background processing with visible progress."""

from __future__ import annotations

import threading
import time
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from webseed import FakeProcessor, recording

from audita.custody.log import entries
from audita.store.schema import blobs, items
from audita.transcripts import current_transcript
from audita.web.app import create_app
from audita.web.jobs import JobRunner

pytestmark = pytest.mark.both_backends  # the store-facing paths run on SQLite and PostgreSQL


def _count(workspace, table) -> int:  # type: ignore[no-untyped-def]
    with workspace.reading() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def _raw(client, case_id: str, body, name: str = "new.wav", process: bool = False, **headers):  # type: ignore[no-untyped-def]
    return client.post(f"/cases/{case_id}/upload", content=body, headers={
        "X-Filename": name if "%" in name else quote(name), "X-Process": "1" if process else "0", "Accept": "application/json",
        "Content-Type": "application/octet-stream", **headers})


def test_upload_then_background_processing_with_progress(client_for, seeded, workspace, tmp_path, app):
    release = threading.Event()
    processor = FakeProcessor(release)
    app.state.audita.processor = processor
    client = client_for("analyst-in")
    data = recording(tmp_path / "x.wav").read_bytes() + b"\0\0"  # new content, still a valid WAV
    reply = _raw(client, seeded.case_id, data, name="дорога-12.wav", process=True)
    assert reply.status_code == 200, reply.text
    outcome = reply.json()["outcomes"][0]
    assert outcome["status"] == "ingested" and outcome["name"] == "дорога-12.wav"
    job = reply.json()["jobs"][0]
    deadline = time.monotonic() + 10
    while client.get(f"/api/jobs/{job['id']}").json()["progress"] < 0.25 and time.monotonic() < deadline:
        time.sleep(0.02)
    running = client.get(f"/api/jobs/{job['id']}").json()
    assert running["state"] == "running" and running["progress"] == 0.25 and running["label"] == "segment"
    page = client.get(f"/items/{outcome['item_id']}").text
    assert f'data-job="{job["id"]}"' in page and "Not processed yet" in page
    release.set()
    assert app.state.audita.jobs.wait_idle(10)
    done = client.get(f"/api/jobs/{job['id']}").json()
    assert done["state"] == "done" and done["progress"] == 1.0
    assert processor.calls == [outcome["item_id"]]
    with workspace.reading() as connection:
        assert current_transcript(connection, outcome["item_id"]) is not None
        actions = [(e.action, e.actor) for e in entries(connection, case_id=seeded.case_id)]
    assert ("item.ingested", "user:analyst-in") in actions
    assert ("web.uploaded", "user:analyst-in") in actions
    assert ("item.processing_requested", "user:analyst-in") in actions
    assert ("item.processed", "user:analyst-in") in actions


def test_failed_processing_is_visible_and_logged(client_for, seeded, workspace, app):
    def broken(workspace, item_id, actor, report):  # type: ignore[no-untyped-def]
        report(0.1, "segment")
        raise RuntimeError("model exploded at /secret/path")

    app.state.audita.processor = broken
    client = client_for("analyst-in")
    job = client.post(f"/items/{seeded.other_item_id}/process").status_code
    assert job == 404  # not this analyst's case
    reply = client.post(f"/items/{seeded.item_id}/process", headers={"Accept": "application/json"})
    assert reply.status_code == 202
    assert app.state.audita.jobs.wait_idle(10)
    state = client.get(f"/api/jobs/{reply.json()['id']}").json()
    assert state["state"] == "failed" and "secret" not in state["error"]
    with workspace.reading() as connection:
        last = [e for e in entries(connection, item_id=seeded.item_id) if e.action == "item.processing_failed"]
    assert last and last[0].details["error"] == "RuntimeError"


def test_upload_over_the_limit_is_refused_before_and_while_reading(client_for, seeded, workspace):
    client = client_for("analyst-in")
    before = (_count(workspace, items), _count(workspace, blobs))
    big = b"RIFF" + b"\0" * (600 * 1024)
    declared = _raw(client, seeded.case_id, big)
    assert declared.status_code == 413

    def chunks():  # no Content-Length: counted while reading
        for _ in range(40):
            yield b"\0" * (32 * 1024)

    chunked = _raw(client, seeded.case_id, chunks())
    assert chunked.status_code == 413
    multipart = client.post(f"/cases/{seeded.case_id}/upload", files={"file": ("big.wav", big, "audio/wav")},
                            data={"csrf_token": client.headers["X-CSRF-Token"]})
    assert multipart.status_code == 413
    assert (_count(workspace, items), _count(workspace, blobs)) == before
    assert not list((workspace.settings.tmp_dir).glob("web-upload-*/*"))


def test_other_requests_have_a_small_body_limit(client_for, seeded):
    client = client_for("analyst-in")
    reply = client.post(f"/items/{seeded.item_id}/speakers/rename", data={"label": "S1", "name": "x" * (70 * 1024)})
    assert reply.status_code == 413


def test_upload_names_cannot_escape_and_content_decides(client_for, seeded, workspace, tmp_path):
    client = client_for("analyst-in")
    data = recording(tmp_path / "y.wav").read_bytes() + b"\1\1"
    reply = _raw(client, seeded.case_id, data, name="..%2F..%2F..%2Fetc%2Fevil%0A.wav")
    outcome = reply.json()["outcomes"][0]
    assert outcome["status"] == "ingested" and outcome["name"] == "evil.wav"
    with workspace.reading() as connection:
        name = connection.execute(select(items.c.display_name).where(items.c.id == outcome["item_id"])).scalar()
    assert name == "evil.wav"
    fake = _raw(client, seeded.case_id, b"%PDF-1.4 not audio", name="intercept.mp3")
    assert fake.json()["outcomes"][0]["status"] == "rejected"


def test_multipart_upload_without_javascript(client_for, seeded, workspace, tmp_path):
    client = client_for("admin-in")
    data = recording(tmp_path / "z.wav").read_bytes() + b"\2\2"
    reply = client.post(f"/cases/{seeded.case_id}/upload", files={"file": ("form.wav", data, "audio/wav")},
                        data={"csrf_token": client.headers.pop("X-CSRF-Token")}, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == f"/cases/{seeded.case_id}"
    with workspace.reading() as connection:
        assert connection.execute(select(items.c.id).where(items.c.display_name == "form.wav")).first()


def test_job_progress_is_only_for_case_members(client_for, seeded, app):
    job = app.state.audita.jobs.submit(kind="process", case_id=seeded.other_case_id, item_id=seeded.other_item_id,
                                       actor="x", title="t", work=lambda report: None)
    assert client_for("analyst-in").get(f"/api/jobs/{job.id}").status_code == 404
    assert client_for("analyst-out").get(f"/api/jobs/{job.id}").status_code == 200


def test_job_runner_survives_failures():
    runner = JobRunner()
    bad = runner.submit(kind="x", case_id="c", item_id=None, actor="a", title="t",
                        work=lambda report: (_ for _ in ()).throw(ValueError("boom")))
    good = runner.submit(kind="x", case_id="c", item_id=None, actor="a", title="t",
                         work=lambda report: {"ok": True})
    assert runner.wait_idle(5)
    assert bad.state == "failed" and good.state == "done" and good.result == {"ok": True}
    runner.shutdown()


def test_processing_unavailable_without_a_processor(workspace, seeded, client_for):
    app = create_app(workspace, processor=None)
    from starlette.testclient import TestClient
    from webseed import login

    with TestClient(app, base_url="https://testserver") as client:
        client.headers["X-CSRF-Token"] = login(client, "analyst-in")
        assert client.post(f"/items/{seeded.item_id}/process").status_code == 400
