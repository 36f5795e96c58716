"""Load on loopback: the real app under uvicorn on 127.0.0.1, concurrent readers and uploaders,
bounded by count and time. Correctness only (every answer as expected, every upload stored, the
custody log verifies); speed is measured by `python -m audita.web.loadtest`, never asserted."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select
from webseed import PASSWORD

from audita.custody.log import entries
from audita.store.schema import blobs, items
from audita.verify import verify_store
from audita.web.loadtest import Account, LoadOptions, LoadTarget, percentile, run_load, serve_in_thread

READERS = ("viewer-in", "analyst-in", "reviewer-in", "admin-in")
UPLOADERS = ("analyst-in", "admin-in")
R, ROUNDS, U, UPLOADS = 8, 8, 2, 5  # readers, rounds per reader, uploaders, uploads per uploader


@pytest.mark.both_backends


def test_concurrent_readers_and_uploaders_get_no_errors(app, seeded, workspace):  # type: ignore[no-untyped-def]
    target = LoadTarget(seeded.case_id, seeded.item_id, tuple(Account(n, PASSWORD) for n in READERS),
                        tuple(Account(n, PASSWORD) for n in UPLOADERS))
    options = LoadOptions(readers=R, uploaders=U, rounds_per_reader=ROUNDS, uploads_per_uploader=UPLOADS,
                          time_limit_s=40, upload_seconds=0.5)
    with workspace.reading() as connection:
        before = Counter(e.action for e in entries(connection))
    with serve_in_thread(app) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        report = run_load(base_url, target, options)

    assert not report.errors, [s.problem for s in report.errors[:10]]
    assert not report.cut_short
    kinds = Counter(s.kind for s in report.samples)
    # per reader: GET+POST /login, then /cases; per round: case, recording, 2 audio ranges, search
    assert kinds["login"] == 2 * (R + U) and kinds["recording"] == R * ROUNDS and kinds["audio"] == R * ROUNDS * 2
    assert kinds["search"] == R * ROUNDS and kinds["upload"] == U * UPLOADS and kinds["case"] == R * ROUNDS + R + U
    assert report.requests == sum(kinds.values()) and report.requests_per_s > 0
    assert {row.kind for row in report.by_class()} == {*kinds, "all"}

    assert len(report.uploaded) == U * UPLOADS and len({sha for _, sha in report.uploaded}) == U * UPLOADS
    with workspace.reading() as connection:
        for item_id, sha in report.uploaded:
            row = connection.execute(select(items.c.case_id, items.c.blob_sha256).where(items.c.id == item_id)).one()
            assert (row.case_id, row.blob_sha256) == (seeded.case_id, sha)
            assert connection.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha)).first()
            assert workspace.blobs.path_for(sha).is_file()
        after = Counter(e.action for e in entries(connection))
    added = after - before
    assert added["web.uploaded"] == U * UPLOADS and added["item.ingested"] == U * UPLOADS
    assert added["web.login"] == R + U and added["item.viewed"] == R * ROUNDS
    assert added["item.audio_served"] == R * ROUNDS  # one per playback: the ranges starting at byte 0
    assert added["case.viewed"] == R * ROUNDS
    assert verify_store(workspace).ok
    assert not list(workspace.settings.tmp_dir.glob("web-upload-*"))


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95 and percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0


def test_body_limits_hold_over_a_real_socket(app, seeded, workspace, web_options):  # type: ignore[no-untyped-def]
    """413 from the real server (uvicorn's HTTP parsing, not the test client's shortcut), by
    declared length and while counting a chunked body; nothing stored, no upload folder left."""
    import httpx

    from audita.web.loadtest import _Client

    with workspace.reading() as connection:
        before = (len(entries(connection)), connection.execute(select(items.c.id)).all())
    with serve_in_thread(app) as base_url:
        client = _Client(base_url, LoadOptions(), [], __import__("threading").Lock())
        assert client.login(Account("analyst-in", PASSWORD))
        headers = {"X-Filename": "big.wav", "X-CSRF-Token": client.csrf, "Accept": "application/json",
                   "Content-Type": "application/octet-stream"}
        big = b"RIFF" + b"\0" * (web_options.max_upload_bytes + 128 * 1024)
        declared = client.request("upload", "POST", f"/cases/{seeded.case_id}/upload", (413,), content=big,
                                  headers=headers)

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(web_options.max_upload_bytes // (32 * 1024) + 8):
                yield b"\0" * (32 * 1024)

        chunked = client.request("upload", "POST", f"/cases/{seeded.case_id}/upload", (413,), content=chunks(),
                                 headers=headers)
        form = client.request("case", "POST", f"/items/{seeded.item_id}/speakers/rename", (413,),
                              data={"label": "S1", "name": "x" * (web_options.max_form_bytes + 1024)},
                              headers={"X-CSRF-Token": client.csrf})
        client.close()
        assert httpx.get(f"{base_url}/login").status_code == 200  # the server still answers
    for reply in (declared, chunked, form):
        assert reply is not None and reply.status_code == 413 and reply.json() == {"error": "Too large."}
        assert reply.headers["content-security-policy"]
    with workspace.reading() as connection:
        after_items = connection.execute(select(items.c.id)).all()
        added = [e.action for e in entries(connection)][before[0]:]
    assert after_items == before[1]
    assert "web.uploaded" not in added and "item.ingested" not in added and "speaker.labelled" not in added
    assert not list(workspace.settings.tmp_dir.glob("web-upload-*"))
