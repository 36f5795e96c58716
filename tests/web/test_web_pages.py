"""The pages: recording (words, flags, glossary, translation, speakers), audio with ranges,
waveform peaks, corrections, history and sign-off, case overview, search, export, custody."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from testkit import tone, write_amr, write_wav
from webseed import PASSWORD

from audita.custody.log import entries
from audita.ingest.service import ingest_paths
from audita.transcripts import current_transcript, machine_transcript, versions
from audita.web.overview import MAP_H, MAP_W, project

pytestmark = pytest.mark.both_backends  # the store-facing paths run on SQLite and PostgreSQL


def _actions(workspace, **where):  # type: ignore[no-untyped-def]
    with workspace.reading() as connection:
        return [(e.action, e.actor) for e in entries(connection, **where)]


def _analysis(workspace, item_id: str) -> dict:  # type: ignore[no-untyped-def]
    from audita.review.reading import current_analysis

    with workspace.reading() as connection:
        return current_analysis(connection, item_id).output


def test_recording_page_shows_transcript_translation_flags_and_glossary(client_for, seeded, workspace):
    html = client_for("viewer-in").get(f"/items/{seeded.item_id}").text
    words = re.findall(r'<span class="(w[^"]*)" data-start="([\d.]+)" data-end="([\d.]+)"[^>]*>([^<]+)</span>', html)
    assert [w[3] for w in words][:4] == ["Гранит,", "я", "Сокол,", "приём."]  # the current (edited) version
    assert ("w", "0.800", "0.900", "я") in words
    flagged = [w[3] for w in words if "flag" in w[0].split()]
    assert flagged == ["Пленных", "не", "брать,", "всех", "в", "расход."]
    flag = next(f for f in _analysis(workspace, seeded.item_id)["flags"] if f["id"] == seeded.flag_id)
    assert flag["category"] == "killing_hors_de_combat" and flag["quote"] == "Пленных не брать, всех в расход"
    # the words carry category, article and reason (once: "Art." is not doubled), the card the quote
    assert str(escape(f"Flag: killing_hors_de_combat · {flag['article']} · {flag['reason']}")) in html
    assert "Art. Art." not in html and "«Пленных не брать, всех в расход»" in html
    assert str(escape(flag["reason"])) in re.search(r'id="flag-' + flag["id"] + r'".*?</div>', html, re.S).group(0)
    glossed = [w[3] for w in words if "gloss" in w[0].split()]
    assert glossed == ["приём.", "Пленных", "не", "брать,", "в", "расход."]
    assert "Glossary: в расход — to execute (to &#39;write off&#39;)" in html
    # the gloss is written inline after the last word of the term
    assert re.search(r'>расход\.</span> <span class="gloss-note"[^>]*>to execute \(to &#39;write off&#39;\)</span>', html)
    assert "unverified machine translation" in html and "Take no prisoners" in html
    assert 'src="/api/items/' in html and 'id="waveform"' in html
    entities = re.search(r'<section class="panel" id="entities">.*?</section>', html, re.S).group(0)
    assert "callsign" in entities and "Попасную" in entities and "Popasna" in entities and "48.63" in entities
    assert [w[3] for w in words if "entity" in w[0].split()][-1] == "Попасную."
    assert ("item.viewed", "user:viewer-in") in _actions(workspace, item_id=seeded.item_id)


def test_audio_is_served_with_ranges(client_for, seeded, workspace):
    client = client_for("viewer-in")
    original = workspace.blobs.path_for(_sha(workspace, seeded.item_id)).read_bytes()
    whole = client.get(f"/api/items/{seeded.item_id}/audio")
    assert whole.status_code == 200 and whole.content == original
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "audio/wav"
    part = client.get(f"/api/items/{seeded.item_id}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == original[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(original)}"
    tail = client.get(f"/api/items/{seeded.item_id}/audio", headers={"Range": "bytes=-10"})
    assert tail.content == original[-10:]
    open_ended = client.get(f"/api/items/{seeded.item_id}/audio", headers={"Range": f"bytes={len(original) - 5}-"})
    assert open_ended.content == original[-5:]
    beyond = client.get(f"/api/items/{seeded.item_id}/audio", headers={"Range": f"bytes={len(original)}-"})
    assert beyond.status_code == 416
    served = [a for a in _actions(workspace, item_id=seeded.item_id) if a[0] == "item.audio_served"]
    assert len(served) == 1  # a playback is logged once, not per range request


def _sha(workspace, item_id: str) -> str:  # type: ignore[no-untyped-def]
    from audita.items import item_detail

    return item_detail(workspace, item_id)["sha256"]


def test_amr_is_played_from_a_decoded_copy(client_for, seeded, workspace, tmp_path):
    wav = write_wav(tmp_path / "phone.wav", tone(1.0, seed=9))
    amr = write_amr(tmp_path / "phone.amr", wav)
    item_id = ingest_paths(workspace, "Popasna 2022", [amr], actor="t").outcomes[0].item_id
    reply = client_for("viewer-in").get(f"/api/items/{item_id}/audio")
    assert reply.headers["x-audita-playback"] == "derived" and reply.headers["content-type"] == "audio/wav"
    assert reply.content[:4] == b"RIFF" and reply.content[8:12] == b"WAVE"
    assert "browsers cannot play this format" in client_for("viewer-in").get(f"/items/{item_id}").text


def test_waveform_peaks_come_from_the_decoded_audio(client_for, seeded):
    data = client_for("viewer-in").get(f"/api/items/{seeded.item_id}/peaks").json()
    assert data["duration"] == pytest.approx(6.0, abs=0.01)
    assert len(data["peaks"]) == 1200
    loud = max(p[1] for p in data["peaks"][int(2.4 / 6 * 1200):int(3.9 / 6 * 1200)])
    quiet = max(p[1] for p in data["peaks"][int(2.0 / 6 * 1200):int(2.2 / 6 * 1200)])
    assert loud > 0.2 > quiet  # speech where the transmissions are, floor between them


def test_correction_through_the_form_is_a_new_version(client_for, seeded, workspace):
    client = client_for("analyst-in")
    form = client.get(f"/items/{seeded.item_id}/edit").text
    base = re.search(r'name="base_version_id" value="([0-9a-f]+)"', form).group(1)
    assert base == seeded.edit_id
    reply = client.post(f"/items/{seeded.item_id}/transcript", data={
        "base_version_id": base, "note": "name misheard", "text_2": "Петренко везёт их в Попасную!",
        "text_0": "Гранит, я Сокол, приём.", "translation_1": "Take no prisoners, kill them all."},
        follow_redirects=False)
    assert reply.status_code == 303
    with workspace.reading() as connection:
        current = current_transcript(connection, seeded.item_id)
        machine = machine_transcript(connection, seeded.item_id)
        chain = [v.id for v in versions(connection, seeded.item_id)]
    assert chain == [seeded.machine_id, seeded.edit_id, current.id]
    assert current.created_by == "user:analyst-in" and current.output["edit"]["changed"] == [1, 2]
    assert machine.output["transmissions"][2]["text"] == "Петренко везёт их в Попасную."
    assert ("transcript.edited", "user:analyst-in") in _actions(workspace, item_id=seeded.item_id)
    history = client.get(reply.headers["location"]).text
    assert "name misheard" in history and "Попасную!" in history and "kill them all" in history
    page = client.get(f"/items/{seeded.item_id}").text
    assert "analyst translation" in page and "Take no prisoners, kill them all." in page
    assert "analysis of an earlier version" in page  # flags now read an older version: placed by time
    assert re.findall(r'<span class="w flag[^"]*"[^>]*>([^<]+)</span>', page)[:2] == ["Пленных", "не"]
    stale = client.post(f"/items/{seeded.item_id}/transcript", data={
        "base_version_id": base, "note": "late", "text_2": "другое"}, headers={"Accept": "text/html"})
    assert stale.status_code == 409 and "no longer current" in stale.text and "reload" in stale.text
    unchanged = client.post(f"/items/{seeded.item_id}/transcript", data={"base_version_id": current.id, "note": "x"})
    assert unchanged.status_code == 400


def test_speakers_rename_and_merge(client_for, seeded, workspace):
    client = client_for("analyst-in")
    assert client.post(f"/items/{seeded.item_id}/speakers/rename", data={"label": "S2", "name": "Гранит"},
                       follow_redirects=False).status_code == 303
    page = client.get(f"/items/{seeded.item_id}").text
    assert "Гранит <span class=\"muted\">(S2)</span>" in page and "named by user:analyst-in" in page
    merged = client.post(f"/items/{seeded.item_id}/speakers/merge", data={
        "base_version_id": seeded.edit_id, "from": "S2", "into": "S1", "note": "one voice"}, follow_redirects=False)
    assert merged.status_code == 303
    with workspace.reading() as connection:
        current = current_transcript(connection, seeded.item_id)
    assert current.output["speakers"] == {"S1": [0, 1, 2]}
    assert "Merged speakers S2 into S1" in client.get(f"/items/{seeded.item_id}/history").text


def test_two_person_signoff_through_the_web(client_for, seeded, workspace):
    analyst, reviewer, admin = client_for("analyst-in"), client_for("reviewer-in"), client_for("admin-in")
    history = reviewer.get(f"/items/{seeded.item_id}/history").text
    assert f'action="/versions/{seeded.edit_id}/signoff"' in history
    assert analyst.post(f"/versions/{seeded.edit_id}/signoff", data={"decision": "approved"}).status_code == 403
    reply = reviewer.post(f"/versions/{seeded.edit_id}/signoff", data={"decision": "approved", "note": "listened"},
                          follow_redirects=False)
    assert reply.status_code == 303
    history = reviewer.get(f"/items/{seeded.item_id}/history").text
    assert "approved</span> by <strong>user:reviewer-in</strong>" in history
    assert ("review.signed_off", "user:reviewer-in") in _actions(workspace, item_id=seeded.item_id)
    # an admin who wrote a version cannot sign it off either
    form = admin.get(f"/items/{seeded.item_id}/edit").text
    base = re.search(r'name="base_version_id" value="([0-9a-f]+)"', form).group(1)
    admin.post(f"/items/{seeded.item_id}/transcript", data={"base_version_id": base, "note": "n", "text_1": "Пленных!"})
    with workspace.reading() as connection:
        mine = current_transcript(connection, seeded.item_id).id
    assert "You wrote this version" in admin.get(f"/items/{seeded.item_id}/history").text
    refused = admin.post(f"/versions/{mine}/signoff", data={"decision": "approved"}, headers={"Accept": "text/html"})
    assert refused.status_code == 403 and "two-person review" in refused.text
    assert reviewer.post(f"/versions/{mine}/signoff", data={"decision": "changes_requested", "note": "why?"},
                         follow_redirects=False).status_code == 303
    assert "changes requested" in analyst.get(f"/items/{seeded.item_id}").text


def test_case_overview_map_timeline_and_open_flags(client_for, seeded, workspace):
    html = client_for("viewer-in").get(f"/cases/{seeded.case_id}").text
    place = next(e["place"] for e in _analysis(workspace, seeded.item_id)["entities"] if e["type"] == "place")
    x, y = project(place["lat"], place["lon"])
    assert place["name"] == "Popasna" and 0 < x < MAP_W and 0 < y < MAP_H
    assert f'cx="{x}" cy="{y}"' in html and ">Popasna</text>" in html
    assert "Sievierodonetsk area" in html  # the receiver location from the sidecar
    assert "http" not in re.search(r'<svg class="map".*?</svg>', html, re.S).group(0)  # no tiles, offline
    assert "2022-04-12 03:40 UTC" in html  # timeline, intercept time in UTC
    flags = re.search(r'<section class="panel" id="flags">.*?</section>', html, re.S).group(0)
    assert "killing hors de combat" in flags and f"#flag-{seeded.flag_id}" in flags
    assert "«Пленных не брать, всех в расход»" in flags
    assert ("case.viewed", "user:viewer-in") in _actions(workspace, case_id=seeded.case_id)


def test_search_finds_the_seeded_transcript_in_visible_cases_only(client_for, seeded, workspace):
    html = client_for("viewer-in").get("/search?q=Гранит").text
    assert f'href="/items/{seeded.item_id}#t=0.35"' in html and "<mark>Гранит</mark>" in html
    assert seeded.other_item_id not in html  # the same words in the other case stay hidden
    assert seeded.other_item_id in client_for("viewer-out").get("/search?q=Гранит").text
    with workspace.reading() as connection:
        logged = [e for e in entries(connection) if e.action == "search.performed"]
    assert logged[-2].details["query"] == "Гранит" and logged[-2].details["cases"] == [seeded.case_id]
    assert logged[-2].details["items"] == [seeded.item_id] and logged[-2].actor == "user:viewer-in"


def test_search_results_are_filtered_again_to_visible_cases(client_for, seeded, monkeypatch):
    from audita.search.api import SearchHit
    from audita.web import searching

    def hit(item_id: str, case_id: str, text: str, link: str) -> SearchHit:
        return SearchHit(item_id, case_id, "recording", "x.wav", "transcript", "d" * 32, 0, None, 0.4, 0.8, text,
                         ((0, 6),), link, -1.0, "ru", "S1", None, None)

    leaked = [hit(seeded.item_id, seeded.case_id, "Гранит, я Сокол", "javascript:alert(1)"),
              hit(seeded.other_item_id, seeded.case_id, "LEAKED other case", f"/items/{seeded.other_item_id}")]
    monkeypatch.setattr(searching, "run_search", lambda *args, **kwargs: leaked)
    html = client_for("viewer-in").get("/search?q=Гранит").text
    # the store decides an item's case, not the index; only local links are kept
    assert "Сокол" in html and "LEAKED" not in html and "javascript:" not in html
    assert f'href="/items/{seeded.item_id}"' in html


def test_flag_decision_through_the_web(client_for, seeded, workspace):
    client = client_for("analyst-in")
    url = f"/items/{seeded.item_id}/flags/{seeded.flag_id}"
    reply = client.post(url, data={"analysis_id": seeded.analysis_id, "decision": "confirmed", "note": "heard it"},
                        follow_redirects=False)
    assert reply.status_code == 303
    page = client.get(f"/items/{seeded.item_id}").text
    assert 'class="flag-card confirmed"' in page and "confirmed by user:analyst-in" in page
    assert client.post(url, data={"analysis_id": seeded.analysis_id, "decision": "maybe"}).status_code == 400
    assert client.post(f"/items/{seeded.item_id}/flags/0000000000000000", data={
        "analysis_id": seeded.analysis_id, "decision": "confirmed"}).status_code == 404
    assert client_for("viewer-in").post(url, data={"analysis_id": seeded.analysis_id,
                                                   "decision": "rejected"}).status_code == 403
    assert f"#flag-{seeded.flag_id}" not in client.get(f"/cases/{seeded.case_id}").text  # no longer open


def test_export_runs_in_the_background_and_is_downloaded(client_for, seeded, workspace, app):
    client = client_for("reviewer-in")
    reply = client.post(f"/cases/{seeded.case_id}/export", headers={"Accept": "application/json"})
    assert reply.status_code == 202
    assert app.state.audita.jobs.wait_idle(240)
    job = client.get(f"/api/jobs/{reply.json()['id']}").json()
    assert job["state"] == "done", job
    name = job["result"]["zip"]
    assert name in client.get(f"/cases/{seeded.case_id}").text
    download = client.get(f"/cases/{seeded.case_id}/exports/{name}")
    assert download.status_code == 200 and download.content[:2] == b"PK"
    assert client_for("viewer-in").get(f"/cases/{seeded.case_id}/exports/{name}").status_code == 403
    actions = _actions(workspace, case_id=seeded.case_id)
    for action in ("case.export_requested", "case.exported", "case.export_downloaded"):
        assert (action, "user:reviewer-in") in actions


def test_custody_log_page_and_admin_pages(client_for, seeded):
    admin = client_for("admin-in")
    log = admin.get(f"/cases/{seeded.case_id}/log").text
    assert "case.created" in log and "item.ingested" in log
    created = admin.post("/admin/users", data={"username": "new.analyst", "password": PASSWORD,
                                                "role": "analyst"}, follow_redirects=False)
    assert created.status_code == 303 and "new.analyst" in admin.get("/admin/users").text
    bad = admin.post("/admin/users", data={"username": "Bad Name!", "password": "long enough pw!", "role": "analyst"})
    assert bad.status_code == 400
    added = admin.post(f"/cases/{seeded.case_id}/members", data={"username": "new.analyst"}, follow_redirects=False)
    assert added.status_code == 303
    assert client_for("new.analyst").get(f"/cases/{seeded.case_id}").status_code == 200
    made = admin.post("/cases", data={"name": "Bakhmut 2023", "description": "d"}, follow_redirects=False)
    assert made.status_code == 303 and "Bakhmut 2023" in admin.get("/cases").text
    assert "Bakhmut 2023" not in client_for("new.analyst").get("/cases").text


def test_static_files_are_served_from_the_package(client_for):
    client = client_for(None)
    for name in ("app.js", "recording.js", "upload.js", "app.css"):
        reply = client.get(f"/static/{name}")
        assert reply.status_code == 200 and len(reply.content) > 200


def test_analyse_the_current_version_in_the_background(client_for, seeded, workspace, app):
    try:
        import audita.analysis.service  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"audita.analysis is not importable: {exc}")
    from audita.review import TransmissionChange, edit_transcript
    from audita.review.reading import current_analysis

    newer = edit_transcript(workspace, seeded.item_id, base_version_id=seeded.edit_id, note="n",
                            changes=[TransmissionChange(2, text="Петренко везёт их в Попасную, быстро.")],
                            actor="user:analyst-in")
    client = client_for("analyst-in")
    reply = client.post(f"/items/{seeded.item_id}/analyze", headers={"Accept": "application/json"})
    assert reply.status_code == 202
    assert app.state.audita.jobs.wait_idle(60)
    assert client.get(f"/api/jobs/{reply.json()['id']}").json()["state"] == "done"
    with workspace.reading() as connection:
        assert current_analysis(connection, seeded.item_id).provenance.parent_id == newer.id
    assert "analysis of an earlier version" not in client.get(f"/items/{seeded.item_id}").text


def test_document_items_show_their_extracted_text(client_for, seeded, workspace):
    from sqlalchemy import update

    from audita import derived
    from audita.derived import Provenance
    from audita.store.schema import items

    with workspace.action() as connection:  # a document as the documents package stores one
        connection.execute(update(items).where(items.c.id == seeded.other_item_id).values(kind="document"))
        derived.record(workspace, connection, item_id=seeded.other_item_id, case_id=seeded.other_case_id,
                       actor="t", provenance=Provenance("document.text", "4" * 64, "fake-extract/1", {}),
                       output={"paragraphs": [{"index": 0, "text": "Колонна вышла на Попасную."},
                                              {"index": 1, "text": "<b>not html</b>", "author": "channel"}]})
    client = client_for("viewer-out")
    html = client.get(f"/items/{seeded.other_item_id}").text
    assert 'id="p=0"' in html and "Колонна вышла на Попасную." in html and "&lt;b&gt;not html" in html
    assert f'href="/items/{seeded.other_item_id}"' in client.get(f"/cases/{seeded.other_case_id}").text
    assert client_for("viewer-in").get(f"/items/{seeded.other_item_id}").status_code == 404


def test_document_flags_are_confirmed_or_rejected_like_a_recording_s(client_for, seeded, workspace):
    from sqlalchemy import update

    from audita import derived
    from audita.derived import Provenance
    from audita.store.schema import items

    text = "Пленных расстреляли у дороги."
    flag = {"id": "d0c0ffee12345678", "category": "killing_hors_de_combat", "article": "Art. 8(2)(c)(i)",
            "title": "Killing", "quote": "Пленных расстреляли", "reason": "rule kill.prisoner", "confidence": 0.8,
            "paragraph": 0, "char_start": 0, "char_end": 19}
    with workspace.action() as connection:
        connection.execute(update(items).where(items.c.id == seeded.item_id).values(kind="document"))
        derived.record(workspace, connection, item_id=seeded.item_id, case_id=seeded.case_id, actor="t",
                       provenance=Provenance("document.text", "5" * 64, "fake-extract/1", {}),
                       output={"paragraphs": [{"index": 0, "text": text, "char_start": 0}]})
        extract = derived.record(workspace, connection, item_id=seeded.item_id, case_id=seeded.case_id, actor="t",
                                 provenance=Provenance("document.extract", "6" * 64, "fake-extract/1", {}),
                                 output={"flags": [flag], "entities": [], "places": []})
    client = client_for("analyst-in")
    page = client.get(f"/items/{seeded.item_id}").text
    assert 'class="flag-card open"' in page and f'value="{extract.id}"' in page
    assert f"#flag-{flag['id']}" in client.get(f"/cases/{seeded.case_id}").text  # listed as open
    url = f"/items/{seeded.item_id}/flags/{flag['id']}"
    assert client_for("viewer-in").post(url, data={"analysis_id": extract.id, "decision": "rejected"}).status_code == 403
    assert client.post(url, data={"analysis_id": seeded.analysis_id, "decision": "rejected"}).status_code == 404
    reply = client.post(url, data={"analysis_id": extract.id, "decision": "rejected", "note": "a quote of a denial"},
                        follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"].endswith(f"#flag-{flag['id']}")
    page = client.get(f"/items/{seeded.item_id}").text
    assert 'class="flag-card rejected"' in page and "rejected by user:analyst-in" in page and "a quote of a denial" in page
    assert f"#flag-{flag['id']}" not in client.get(f"/cases/{seeded.case_id}").text  # no longer open
    assert ("flag.reviewed", "user:analyst-in") in _actions(workspace, item_id=seeded.item_id)
    with workspace.action() as connection:  # extracted again (new rules): the same flag keeps its decision
        again = derived.record(workspace, connection, item_id=seeded.item_id, case_id=seeded.case_id, actor="t",
                               provenance=Provenance("document.extract", "7" * 64, "fake-extract/2", {}),
                               output={"flags": [flag], "entities": [], "places": []})
    page = client.get(f"/items/{seeded.item_id}").text
    assert 'class="flag-card rejected"' in page and "on an earlier extraction of the same words" in page
    assert f'value="{again.id}"' in page
    assert client.post(url, data={"analysis_id": extract.id, "decision": "confirmed"}).status_code == 404  # stale


def test_search_pages_keep_the_query_and_filters(client_for, seeded, monkeypatch):
    from audita.search.api import SearchHit
    from audita.web import searching

    calls: list[dict] = []

    def fake(*args, **kwargs):  # five hits in all, two a page
        calls.append(kwargs)
        every = [SearchHit(seeded.item_id, seeded.case_id, "recording", "x.wav", "transcript", "d" * 32, n, None,
                           0.4, 0.8, f"Гранит номер {n}", ((0, 6),), f"/items/{seeded.item_id}", -1.0, "ru", "S1",
                           None, None) for n in range(5)]
        return every[kwargs["offset"]:kwargs["offset"] + kwargs["limit"]]

    monkeypatch.setattr(searching, "run_search", fake)
    monkeypatch.setattr(searching, "LIMIT", 2)
    client = client_for("viewer-in")
    first = client.get("/search?q=Гранит&place=Попасная").text
    assert "номер 0" in first and "номер 1" in first and "номер 2" not in first
    assert 'id="search-next"' in first and 'id="search-previous"' not in first and "passages 1–2" in first
    assert calls[-1]["offset"] == 0 and calls[-1]["limit"] == 3  # one more than a page, to know a next one exists
    last = client.get("/search?q=Гранит&place=Попасная&page=3").text
    assert calls[-1]["offset"] == 4 and "номер 4" in last and "passages 5–5" in last
    assert 'id="search-next"' not in last and "page=2" in last and "place=%D0%9F" in last
    assert client.get("/search?q=Гранит&page=-7").status_code == 200 and calls[-1]["offset"] == 0
