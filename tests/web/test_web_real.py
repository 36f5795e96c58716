"""End to end over the real packages, through the workbench: a recording uploaded and processed
from the web (the real speech pipeline with scripted model adapters, then the real analysis), a
document stored by the real document ingest, incidents suggested by ``audita.search.incidents``,
search by ``audita.search.api``, flag review by ``audita.analysis.review`` and the case glossary
of ``audita.analysis.glossary``. Nothing here writes an analysis by hand."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from dataclasses import dataclass
from typing import Any

import pytest
from markupsafe import escape
from realcase import INTERCEPT, REPORT, TEXTS, PitchVoices, ScriptedEngine, radio_wav
from starlette.testclient import TestClient
from webseed import PASSWORD, login

from audita.analysis.glossary import load_glossary
from audita.analysis.pipeline import AnalysisOptions
from audita.analysis.review import flag_decisions
from audita.cases import create_case
from audita.config import Settings
from audita.custody.log import entries
from audita.ingest.documents import document_metadata, ingest_document
from audita.ingest.service import ingest_paths
from audita.review.reading import current_analysis
from audita.search.incidents import list_incidents
from audita.transcripts import current_transcript
from audita.web.accounts import add_member, create_user
from audita.web.app import create_app
from audita.web.jobs import JobRunner
from audita.web.overview import project
from audita.web.processing import speech_processor
from audita.workspace import Workspace

SETUP = "setup:test"
USERS = {"analyst-in": "analyst", "analyst-2": "analyst", "viewer-in": "viewer", "reviewer-in": "reviewer",
         "analyst-out": "analyst", "viewer-out": "viewer"}
TITLED = re.compile(r'<span class="(w[^"]*)" data-start="[\d.]+" data-end="[\d.]+"(?: title="([^"]*)")?>([^<]+)</span>')
WORD = re.compile(r'<span class="(w[^"]*)" data-start="([\d.]+)" data-end="([\d.]+)"[^>]*>([^<]+)</span>')


@dataclass
class Real:
    workspace: Workspace
    app: Any
    jobs: JobRunner
    case_id: str
    other_case_id: str
    recording_id: str
    document_id: str
    clients: dict[str, TestClient]


def _wait(jobs: JobRunner, client: TestClient, job_id: str) -> dict[str, Any]:
    assert jobs.wait_idle(120)
    job = client.get(f"/api/jobs/{job_id}").json()
    assert job["state"] == "done", job
    return job


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Real]:
    home = tmp_path_factory.mktemp("real")
    workspace = Workspace.open(Settings(home=home / "home"))
    case = create_case(workspace, "Popasna 2022", actor=SETUP)
    other = create_case(workspace, "Other case", actor=SETUP)
    for name, role in USERS.items():
        create_user(workspace, name, PASSWORD, role=role, actor=SETUP)
        add_member(workspace, other.name if name.endswith("-out") else case.name, name, actor=SETUP)
    jobs = JobRunner()
    processor = speech_processor(engine=ScriptedEngine(), speaker_backend=PitchVoices(),
                                 analysis=AnalysisOptions(embeddings=False))
    app = create_app(workspace, processor=processor, jobs=jobs)
    clients = {}
    for name in USERS:
        client = TestClient(app, base_url="https://testserver")
        client.headers["X-CSRF-Token"] = login(client, name)
        clients[name] = client
    analyst = clients["analyst-in"]
    # the recording is ingested with its metadata sidecar, then processed from the web
    folder = home / "incoming"
    folder.mkdir()
    radio_wav(folder / "intercept-0503.wav")
    (folder / "intercept-0503.wav.json").write_text(json.dumps(INTERCEPT), encoding="utf-8")
    recording_id = ingest_paths(workspace, case.name, [folder], actor=SETUP).outcomes[0].item_id
    queued = analyst.post(f"/items/{recording_id}/process", headers={"Accept": "application/json"})
    assert queued.status_code == 202, queued.text
    _wait(jobs, analyst, queued.json()["id"])
    report = home / "report.txt"
    report.write_text(REPORT, encoding="utf-8")
    document = ingest_document(workspace, case.name, report, actor=SETUP, metadata=document_metadata(
        "https://example.org/popasna-report", "2022-05-04T10:15:00+03:00", title="Report from Popasna"))
    suggested = analyst.post(f"/cases/{case.id}/incidents/suggest", headers={"Accept": "application/json"})
    assert suggested.status_code == 202
    _wait(jobs, analyst, suggested.json()["id"])
    yield Real(workspace, app, jobs, case.id, other.id, recording_id, document.item_id, clients)
    for client in clients.values():
        client.close()
    jobs.shutdown()
    workspace.close()


def _analysis(real: Real) -> Any:
    with real.workspace.reading() as connection:
        return current_analysis(connection, real.recording_id)


def _flag(real: Real) -> dict[str, Any]:
    """The killing flag on «Этих двоих пленных в расход» (the rules may add others, e.g. concealment)."""
    return next(f for f in _analysis(real).output["flags"]
                if f["transmission"] == 1 and f["category"] == "killing_hors_de_combat")


def _actions(real: Real, **where: Any) -> list[tuple[str, str, dict[str, Any]]]:
    with real.workspace.reading() as connection:
        return [(e.action, e.actor, e.details) for e in entries(connection, **where)]


def test_the_web_processed_the_upload_with_the_real_pipeline(real: Real) -> None:
    with real.workspace.reading() as connection:
        transcript = current_transcript(connection, real.recording_id)
    assert transcript.provenance.model_name == "fake-whisper" and transcript.created_by == "user:analyst-in"
    assert [t["text"] for t in transcript.output["transmissions"]] == list(TEXTS)
    analysis = _analysis(real)
    assert analysis.provenance.parent_id == transcript.id and analysis.created_by == "user:analyst-in"
    assert analysis.output["provenance"]["intercept_time"] == "2022-05-03T03:40:00Z"
    actions = [a[:2] for a in _actions(real, item_id=real.recording_id)]
    assert ("item.processing_requested", "user:analyst-in") in actions
    assert actions.count(("item.processed", "user:analyst-in")) >= 6  # five speech stages and the analysis


def test_recording_page_shows_flag_gloss_and_place_on_the_words(real: Real) -> None:
    html = real.clients["viewer-in"].get(f"/items/{real.recording_id}").text
    words = WORD.findall(html)
    flag = _flag(real)
    assert flag["category"] == "killing_hors_de_combat" and flag["quote"] == "Этих двоих пленных в расход"
    titled = TITLED.findall(html)
    flagged = [w[2] for w in titled if f"Flag: {flag['category']} · " in unescape(w[1])]
    assert flagged == ["Этих", "двоих", "пленных", "в", "расход,"]  # exactly the quoted words
    assert all("flag" in w[0].split() for w in titled if w[2] in flagged)
    title = escape(f"Flag: killing_hors_de_combat · {flag['article']} · {flag['reason']}")
    assert str(title) in html
    card = re.search(r'<div class="flag-card open" id="flag-' + flag["id"] + r'">.*?</div>', html, re.S).group(0)
    assert "killing hors de combat" in card and flag["article"] in card and "«Этих двоих пленных в расход»" in card
    assert str(escape(flag["reason"])) in card and f'data-seek="{flag["start"]:.3f}"' in card
    first = next(w for w in words if w[3] == "Этих")
    assert float(first[1]) == pytest.approx(flag["start"], abs=0.001)  # the flag's time is its first word's
    # glosses on the words, written after the term
    assert [w[3] for w in words if "gloss" in w[0].split()] == ["приём.", "в", "расход,", "Двухсотых"]
    assert re.search(r'>расход,</span> <span class="gloss-note"[^>]*>to execute \(to &#39;write off&#39;\)</span>', html)
    assert re.search(r'>Двухсотых</span> <span class="gloss-note"[^>]*>killed in action', html)
    # entities: call signs and the place, geocoded
    assert [w[3] for w in words if "entity" in w[0].split()][-1] == "Попасной."
    entities = re.search(r'<section class="panel" id="entities">.*?</section>', html, re.S).group(0)
    assert "Попасной</a> → Попасная" in entities and "Popasna, Luhansk Oblast 48.63168, 38.37104" in entities
    assert 'class="entity-callsign"' in entities and "Сокол" in entities
    assert "Machine rendering of the transmission." in html and "unverified machine translation" in html
    assert "killed in action" in re.search(r'<section class="panel" id="glossary">.*?</section>', html, re.S).group(0)


def test_overview_lists_the_document_the_open_flag_the_place_and_the_incident(real: Real) -> None:
    html = real.clients["viewer-in"].get(f"/cases/{real.case_id}").text
    documents = re.search(r'<section class="panel" id="documents">.*?</section>', html, re.S).group(0)
    assert f'href="/items/{real.document_id}">report.txt</a>' in documents
    flags = re.search(r'<section class="panel" id="flags">.*?</section>', html, re.S).group(0)
    assert f'href="/items/{real.recording_id}#flag-{_flag(real)["id"]}"' in flags
    assert "killing hors de combat" in flags and "«Этих двоих пленных в расход»" in flags
    x, y = project(48.63168, 38.37104)
    svg = re.search(r'<svg class="map".*?</svg>', html, re.S).group(0)
    assert svg.count(f'cx="{x}" cy="{y}"') == 2  # named in the recording and in the document
    assert f'<a href="/items/{real.document_id}"><g class="point place">' in svg
    incidents = re.search(r'<section class="panel wide" id="incidents">.*?</section>', html, re.S).group(0)
    assert "intercept-0503.wav" in incidents and "report.txt" in incidents
    assert "shared place" in incidents and "«Этих двоих пленных в расход, чтобы никто больше не видел»" in incidents
    assert "incident-form" not in incidents and "suggest-form" not in incidents  # a viewer cannot decide


def test_search_finds_inflected_forms_in_the_recording_and_the_document(real: Real) -> None:
    client = real.clients["viewer-in"]
    html = client.get("/search", params={"q": "пленный"}).text
    links = re.findall(r'<a class="hit-link" href="([^"]+)"', html)
    recording_link = next(link for link in links if link.startswith(f"/items/{real.recording_id}#t="))
    assert {f"/items/{real.document_id}#p=0", f"/items/{real.document_id}#p=1"} <= set(links)
    assert "<mark>пленных</mark>" in html
    # the link opens the recording at the matched word
    page = client.get(recording_link.split("#")[0]).text
    word = next(w for w in WORD.findall(page) if w[3] == "пленных")
    assert recording_link.endswith(f"#t={float(word[1]):.2f}")
    # ... and the document at the paragraph, where the indicator's words are marked
    document = client.get(f"/items/{real.document_id}").text
    paragraph = re.search(r'<p id="p=1" class="paragraph">.*?</p>', document, re.S).group(0)
    assert '<span class="flag"' in paragraph and "пленных" in paragraph
    assert "killing hors de combat" in document and "captured from <code>https://example.org/popasna-report" in document

    def found(**params: str) -> set[str]:
        page = client.get("/search", params={"q": "пленный", **params}).text
        return {link.split("#")[0].rsplit("/", 1)[-1] for link in re.findall(r'class="hit-link" href="([^"]+)"', page)}

    both = {real.recording_id, real.document_id}
    assert found(case=real.case_id) == both
    assert found(category="killing_hors_de_combat", place="Попасная") == both
    assert found(date_from="2022-05-03", date_to="2022-05-03") == {real.recording_id}  # the report is of 05-04
    assert found(speaker="S2") == {real.recording_id}
    assert found(source="document") == {real.document_id}
    assert found(category="pillage") == set()
    bad = client.get("/search", params={"q": "пленный", "date_from": "May 3rd"}).text
    assert 'id="search-problem"' in bad and "is not an ISO date" in bad


def test_search_respects_case_membership(real: Real) -> None:
    outsider = real.clients["analyst-out"]
    html = outsider.get("/search", params={"q": "пленный"}).text
    assert real.recording_id not in html and real.document_id not in html and 'id="search-none"' in html
    assert outsider.get("/search", params={"q": "пленный", "case": real.case_id}).text.count("hit-link") == 0
    assert outsider.get(f"/items/{real.recording_id}").status_code == 404
    assert outsider.get(f"/items/{real.document_id}").status_code == 404
    logged = [a for a in _actions(real) if a[0] == "search.performed" and a[1] == "user:analyst-out"]
    assert logged and logged[-1][2]["cases"] == [] and logged[-1][2]["results"] == 0


def test_flag_review_from_the_web_is_a_row_with_who_and_when_in_the_custody_log(real: Real) -> None:
    flag, analysis = _flag(real), _analysis(real)
    url = f"/items/{real.recording_id}/flags/{flag['id']}"
    form = {"analysis_id": analysis.id, "decision": "confirmed", "note": "heard it twice"}
    assert real.clients["viewer-in"].post(url, data=form).status_code == 403
    assert real.clients["reviewer-in"].post(url, data=form).status_code == 403
    assert real.clients["analyst-out"].post(url, data=form).status_code == 404
    assert real.clients["analyst-in"].post(url, data=form, follow_redirects=False).status_code == 303
    with real.workspace.reading() as connection:
        decided = flag_decisions(connection, analysis.id)[flag["id"]]
    assert decided.output == {"flag_id": flag["id"], "decision": "confirmed", "note": "heard it twice"}
    assert decided.created_by == "user:analyst-in" and decided.created_at.endswith("Z")
    assert decided.provenance.parent_id == analysis.id
    logged = [a for a in _actions(real, item_id=real.recording_id) if a[0] == "flag.reviewed"]
    assert logged[-1][1] == "user:analyst-in" and logged[-1][2]["derivation_id"] == decided.id
    page = real.clients["viewer-in"].get(f"/items/{real.recording_id}").text
    assert f'<div class="flag-card confirmed" id="flag-{flag["id"]}">' in page and "heard it twice" in page
    assert f"#flag-{flag['id']}" not in real.clients["viewer-in"].get(f"/cases/{real.case_id}").text
    log = real.clients["viewer-in"].get(f"/cases/{real.case_id}/log").text
    assert "flag.reviewed" in log and "user:analyst-in" in log
    # a second analyst disagrees: a new row, the newest stands, both stay as history
    real.clients["analyst-2"].post(url, data={"analysis_id": analysis.id, "decision": "rejected",
                                              "note": "a drill, see the log"})
    with real.workspace.reading() as connection:
        assert flag_decisions(connection, analysis.id)[flag["id"]].output["decision"] == "rejected"
    page = real.clients["viewer-in"].get(f"/items/{real.recording_id}").text
    assert "confirmed by user:analyst-in" in page and "rejected by user:analyst-2" in page


def test_incidents_are_accepted_and_split_from_the_web(real: Real) -> None:
    pair = sorted([real.recording_id, real.document_id])
    url = f"/cases/{real.case_id}/incidents/decide"
    form = {"item_a": pair[1], "item_b": pair[0], "decision": "split", "note": "another day"}
    assert real.clients["viewer-in"].post(url, data=form).status_code == 403
    assert real.clients["analyst-out"].post(url, data=form).status_code == 404
    analyst = real.clients["analyst-in"]
    html = analyst.get(f"/cases/{real.case_id}").text
    assert html.count('class="inline incident-form"') == 1 and 'value="accepted">Same event' in html
    assert analyst.post(url, data=form, follow_redirects=False).status_code == 303
    report = list_incidents(real.workspace, real.case_id)
    assert report.incidents == () and [link.items for link in report.split] == [tuple(pair)]
    assert report.split[0].note == "another day"
    logged = [a for a in _actions(real, item_id=pair[0]) if a[0] == "item.reviewed"]
    assert logged[-1][1] == "user:analyst-in" and logged[-1][2]["stage"] == "incident.decision"
    html = analyst.get(f"/cases/{real.case_id}").text
    assert "Split by an analyst" in html and "«another day»" in html
    assert analyst.post(url, data={**form, "decision": "accepted", "note": "same execution"},
                        follow_redirects=False).status_code == 303
    report = list_incidents(real.workspace, real.case_id)
    assert [i.items for i in report.incidents] == [tuple(pair)] and report.incidents[0].links[0].status == "accepted"
    html = analyst.get(f"/cases/{real.case_id}").text
    assert '<span class="status accepted">accepted</span>' in html and "«same execution»" in html


def test_case_glossary_edits_are_versioned_logged_and_used_by_the_next_analysis(real: Real) -> None:
    url = f"/cases/{real.case_id}/glossary"
    viewer, analyst = real.clients["viewer-in"], real.clients["analyst-in"]
    page = viewer.get(url, params={"q": "расход"}).text
    assert "to execute" in page and 'id="glossary-form"' not in page and "withdraw" not in page
    term = {"term": "никто больше не видел", "language": "ru", "gloss": "no witnesses left (concealment)",
            "category": "tactics", "note": "heard in this case"}
    assert viewer.post(url, data=term).status_code == 403
    assert real.clients["analyst-out"].post(url, data=term).status_code == 404
    assert analyst.post(url, data=term, follow_redirects=False).status_code == 303
    page = analyst.get(url).text
    assert "no witnesses left (concealment)" in page and "this case · user:analyst-in" in page
    assert [a[1] for a in _actions(real, case_id=real.case_id) if a[0] == "glossary.edited"] == ["user:analyst-in"]
    recording = analyst.get(f"/items/{real.recording_id}").text
    assert "The case glossary changed since this analysis." in recording and 'id="analyze"' in recording
    assert "no witnesses left" not in recording  # not before the next analysis
    job = analyst.post(f"/items/{real.recording_id}/analyze", headers={"Accept": "application/json"})
    assert job.status_code == 202
    _wait(real.jobs, analyst, job.json()["id"])
    recording = viewer.get(f"/items/{real.recording_id}").text
    assert re.search(r'>видел\.</span> <span class="gloss-note"[^>]*>no witnesses left \(concealment\)</span>',
                     recording)
    assert "The case glossary changed" not in recording
    with real.workspace.reading() as connection:
        assert _analysis(real).output["provenance"]["glossary_sha256"] == load_glossary(connection,
                                                                                        real.case_id).sha256
    # change it, then withdraw it: every edit is a new row, the history shows all three
    assert analyst.post(url, data={**term, "gloss": "so that nobody sees (no witnesses)"},
                        follow_redirects=False).status_code == 303
    assert analyst.post(f"{url}/withdraw", data={"term": term["term"], "language": "ru", "note": "too broad"},
                        follow_redirects=False).status_code == 303
    history = re.search(r'<section class="panel" id="history">.*?</section>', analyst.get(url).text, re.S).group(0)
    assert history.count('class="g-row"') == 3 and "withdrawn" in history and "so that nobody sees" in history
    with real.workspace.reading() as connection:
        assert not load_glossary(connection, real.case_id).lookup(term["term"])
    assert viewer.post(f"{url}/withdraw", data={"term": "в расход", "language": "ru"}).status_code == 403
    # the whole case again, from the glossary page: the withdrawn term's gloss is gone
    assert 'id="analyze-case-form"' in analyst.get(url).text and 'id="analyze-case-form"' not in viewer.get(url).text
    assert viewer.post(f"/cases/{real.case_id}/analyze").status_code == 403
    job = analyst.post(f"/cases/{real.case_id}/analyze", headers={"Accept": "application/json"})
    assert job.status_code == 202
    assert _wait(real.jobs, analyst, job.json()["id"])["result"]["recordings"] == 1
    recording = viewer.get(f"/items/{real.recording_id}").text
    assert "no witnesses" not in recording and "nobody sees" not in recording
    assert "The case glossary changed" not in recording and "to execute" in recording
    assert ("case.analysis_requested", "user:analyst-in") in [a[:2] for a in _actions(real, case_id=real.case_id)]
    bad = analyst.post(url, data={**term, "category": "Not A Category!"})
    assert bad.status_code == 400 and "category" in bad.json()["error"]


def test_document_page_marks_what_was_found_and_links_paragraphs(real: Real) -> None:
    html = real.clients["viewer-in"].get(f"/items/{real.document_id}").text
    assert 'id="p=0"' in html and 'id="p=1"' in html
    assert re.search(r'<a href="#p=1">¶ 1</a>', html)  # the indicator links to its paragraph
    first = re.search(r'<p id="p=0" class="paragraph">.*?</p>', html, re.S).group(0)
    assert re.search(r'<span class="entity" title="place: Попасная">Попасной</span>', first)
    assert [a[:2] for a in _actions(real, item_id=real.document_id)][-1] == ("item.viewed", "user:viewer-in")
