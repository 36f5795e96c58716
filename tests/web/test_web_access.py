"""Role x case membership x endpoint: every route answers 200/303 when allowed, 403 when the role
may not, 404 when the object lies in a case the user is not a member of (and for guessed ids),
and anonymous requests are sent to the login form (pages) or refused with 401."""

from __future__ import annotations

import secrets
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient
from testkit import tone, write_wav
from webseed import ROLES, FakeProcessor, Seed, login, recording, user_name

from audita.ingest.service import ingest_paths
from audita.review import TransmissionChange, edit_transcript
from audita.transcripts import current_transcript
from audita.web.app import create_app
from audita.web.jobs import Job, JobRunner
from audita.web.options import WebOptions
from audita.workspace import Workspace

# What each role may do: the rule the matrix checks the routes against (written independently
# of audita.web.access.PERMISSIONS on purpose).
MAY = {
    "read": {"admin", "analyst", "reviewer", "viewer"},
    "edit": {"admin", "analyst"},
    "upload": {"admin", "analyst"},
    "process": {"admin", "analyst"},
    "signoff": {"admin", "reviewer"},
    "export": {"admin", "analyst", "reviewer"},
    "manage": {"admin"},
}


class InertJobs(JobRunner):
    """Accepts jobs without running them (the matrix checks access, not exports)."""

    def submit(self, *, kind: str, case_id: str, item_id: str | None, actor: str, title: str, work: Any) -> Job:
        job = Job(secrets.token_hex(16), kind, case_id, item_id, actor, title)
        with self._lock:
            self._jobs[job.id] = job
        return job


@dataclass
class World:
    workspace: Workspace
    seed: Seed
    clients: dict[str, TestClient]
    job_id: str
    export_name: str
    wav: bytes
    pair_item_id: str  # a second recording in the case


@pytest.fixture(scope="module")
def world(shared_store, tmp_path_factory) -> Iterator[World]:  # type: ignore[no-untyped-def]
    workspace, seeded = shared_store
    jobs = InertJobs()
    app = create_app(workspace, WebOptions(max_upload_bytes=1 << 20), processor=FakeProcessor(), jobs=jobs)
    job = jobs.submit(kind="process", case_id=seeded.case_id, item_id=seeded.item_id, actor="setup", title="t",
                      work=lambda report: None)
    exports = workspace.settings.home / "exports"
    exports.mkdir(exist_ok=True)
    name = f"{seeded.case_id}-20260101T000000Z-0badc0de.zip"
    with zipfile.ZipFile(exports / name, "w") as archive:
        archive.writestr("MANIFEST.json", "{}")
    folder = tmp_path_factory.mktemp("wav")
    wav = recording(folder / "upload.wav").read_bytes()
    second = write_wav(folder / "second.wav", tone(1.5, seed=11))
    pair_item_id = ingest_paths(workspace, seeded.case_id, [second], actor="setup:test").outcomes[0].item_id
    clients: dict[str, TestClient] = {}
    for role in ROLES:
        for member in (True, False):
            client = TestClient(app, base_url="https://testserver")
            client.headers["X-CSRF-Token"] = login(client, user_name(role, member))
            clients[user_name(role, member)] = client
    yield World(workspace, seeded, clients, job.id, name, wav, pair_item_id)
    for client in clients.values():
        client.close()


def _current(world: World) -> str:
    with world.workspace.reading() as connection:
        return current_transcript(connection, world.seed.item_id).id


def _two_speakers(world: World) -> dict[str, Any]:
    """Make sure the current version has S1 and S2 to merge (an earlier merge joined them)."""
    with world.workspace.reading() as connection:
        current = current_transcript(connection, world.seed.item_id)
    if current.output["transmissions"][1]["speaker"] != "S2":
        current = edit_transcript(world.workspace, world.seed.item_id, base_version_id=current.id,
                                  changes=[TransmissionChange(1, speaker="S2")], note="split", actor="setup:test")
    return {"base_version_id": current.id, "from": "S2", "into": "S1", "note": "same voice"}


def _edit_form(world: World) -> dict[str, Any]:
    return {"base_version_id": _current(world), "note": "matrix", "text_2": f"Петренко везёт {uuid.uuid4().hex[:6]}"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {case} {item} {other} {version} {machine} {job} {export} {flag} {spare}
    permission: str
    scoped: bool  # lies in a case: non-members get 404
    ok: int | Callable[[], int]
    body: Callable[[World], dict[str, Any]] | None = None
    raw: bool = False  # the upload: raw body
    files: Callable[[World], dict[str, Any]] | None = None  # a multipart form with these files

    def expected_ok(self) -> int:
        return self.ok() if callable(self.ok) else self.ok


def _pair(world: World) -> dict[str, Any]:
    """The case's recording and a second item of the same case (a document), to accept or split."""
    return {"item_a": world.seed.item_id, "item_b": world.pair_item_id, "decision": "accepted", "note": "same call"}


def _glossary_term(world: World) -> dict[str, Any]:
    return {"term": f"груз {uuid.uuid4().hex[:6]}", "language": "ru", "gloss": "cargo", "category": "casualty",
            "note": "matrix"}


def _withdrawable(world: World) -> dict[str, Any]:
    """A shipped term to withdraw (withdrawing twice is refused, so each call picks a fresh one)."""
    from audita.analysis.glossary import load_glossary

    with world.workspace.reading() as connection:
        current = load_glossary(connection, world.seed.case_id)
    entry = next(e for e in current.entries if e.source == "shipped" and e.term not in ("в расход", "приём"))
    return {"term": entry.term, "language": entry.language, "note": "not used in this case"}

def _document_form(world: World) -> dict[str, Any]:
    return {"source_url": "https://example.org/report", "captured_at": "2022-05-03T10:15:00Z", "language": "en"}


def _document_file(world: World) -> dict[str, Any]:
    return {"file": ("report.txt", f"A report about shelling, {uuid.uuid4().hex}.".encode(), "text/plain")}


ENDPOINTS = [
    Endpoint("GET", "/", "read", False, 303),
    Endpoint("GET", "/cases", "read", False, 200),
    Endpoint("POST", "/cases", "manage", False, 303, lambda w: {"name": f"New {uuid.uuid4().hex[:8]}"}),
    Endpoint("GET", "/search?q=Гранит", "read", False, 200),
    Endpoint("GET", "/admin/users", "manage", False, 200),
    Endpoint("POST", "/admin/users", "manage", False, 303,
             lambda w: {"username": f"u{uuid.uuid4().hex[:8]}", "password": "x" * 14, "role": "viewer"}),
    Endpoint("POST", "/admin/users/{spare}/disable", "manage", False, 303),
    Endpoint("GET", "/cases/{case}", "read", True, 200),
    Endpoint("GET", "/cases/{case}/log", "read", True, 200),
    Endpoint("GET", "/cases/{case}/upload", "upload", True, 200),
    Endpoint("POST", "/cases/{case}/upload", "upload", True, 200, raw=True),
    Endpoint("GET", "/cases/{case}/documents/new", "upload", True, 200),
    Endpoint("POST", "/cases/{case}/documents", "upload", True, 303, _document_form, files=_document_file),
    Endpoint("POST", "/cases/{case}/export", "export", True, 303),
    Endpoint("GET", "/cases/{case}/exports/{export}", "export", True, 200),
    Endpoint("POST", "/cases/{case}/members", "manage", True, 303, lambda w: {"username": "spare"}),
    Endpoint("POST", "/cases/{case}/members/{spare}/remove", "manage", True, 303),
    Endpoint("GET", "/api/jobs/{job}", "read", True, 200),
    Endpoint("GET", "/items/{item}", "read", True, 200),
    Endpoint("GET", "/api/items/{item}/audio", "read", True, 200),
    Endpoint("GET", "/api/items/{item}/peaks", "read", True, 200),
    Endpoint("GET", "/items/{item}/history", "read", True, 200),
    Endpoint("GET", "/items/{item}/versions/{machine}", "read", True, 200),
    Endpoint("GET", "/items/{item}/edit", "edit", True, 200),
    Endpoint("POST", "/items/{item}/transcript", "edit", True, 303, _edit_form),
    Endpoint("POST", "/items/{item}/speakers/rename", "edit", True, 303, lambda w: {"label": "S1", "name": "Sokol"}),
    Endpoint("POST", "/items/{item}/speakers/merge", "edit", True, 303, _two_speakers),
    Endpoint("POST", "/items/{item}/flags/{flag}", "edit", True, 303,
             lambda w: {"analysis_id": w.seed.analysis_id, "decision": "confirmed", "note": "heard it"}),
    Endpoint("POST", "/items/{item}/process", "process", True, 303),
    Endpoint("POST", "/items/{item}/analyze", "process", True, 303),
    Endpoint("POST", "/cases/{case}/analyze", "process", True, 303),
    Endpoint("POST", "/cases/{case}/incidents/suggest", "process", True, 303),
    Endpoint("POST", "/cases/{case}/incidents/decide", "edit", True, 303, _pair),
    Endpoint("GET", "/cases/{case}/glossary", "read", True, 200),
    Endpoint("POST", "/cases/{case}/glossary", "edit", True, 303, _glossary_term),
    Endpoint("POST", "/cases/{case}/glossary/withdraw", "edit", True, 303, _withdrawable),
    Endpoint("POST", "/versions/{version}/signoff", "signoff", True, 303,
             lambda w: {"decision": "approved", "note": "checked"}),
]


def _url(endpoint: Endpoint, world: World, **override: str) -> str:
    values = {"case": world.seed.case_id, "item": world.seed.item_id, "version": world.seed.edit_id,
              "machine": world.seed.machine_id, "job": world.job_id, "export": world.export_name,
              "spare": world.seed.users["spare"], "flag": world.seed.flag_id, **override}
    return endpoint.path.format(**values)


def _call(client: TestClient, endpoint: Endpoint, world: World, **override: str):  # type: ignore[no-untyped-def]
    url = _url(endpoint, world, **override)
    if endpoint.method == "GET":
        return client.get(url, follow_redirects=False)
    if endpoint.raw:
        return client.post(url, content=world.wav, follow_redirects=False,
                           headers={"X-Filename": "upload.wav", "Accept": "application/json",
                                    "Content-Type": "application/octet-stream"})
    data = endpoint.body(world) if endpoint.body else {}
    files = endpoint.files(world) if endpoint.files else None
    return client.post(url, data=data, files=files, follow_redirects=False)


def _expected(endpoint: Endpoint, role: str, member: bool) -> int:
    if endpoint.scoped and not member and role != "admin":
        return 404
    return endpoint.expected_ok() if role in MAY[endpoint.permission] else 403


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
@pytest.mark.parametrize("member", [True, False], ids=["member", "non-member"])
@pytest.mark.parametrize("role", ROLES)
def test_role_membership_endpoint_matrix(world: World, role: str, member: bool, endpoint: Endpoint) -> None:
    reply = _call(world.clients[user_name(role, member)], endpoint, world)
    assert reply.status_code == _expected(endpoint, role, member), reply.text[:300]


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.scoped], ids=lambda e: f"{e.method} {e.path}")
def test_guessed_and_foreign_ids_are_404_even_for_admins(world: World, endpoint: Endpoint) -> None:
    admin = world.clients["admin-in"]
    guessed = {"case": secrets.token_hex(16), "item": secrets.token_hex(16), "version": secrets.token_hex(16),
               "machine": secrets.token_hex(16), "job": secrets.token_hex(16)}
    key = next(k for k in ("version", "machine", "job", "export", "item", "case") if "{" + k + "}" in endpoint.path)
    override = {key: guessed.get(key, f"{secrets.token_hex(16)}-20260101T000000Z-00000000.zip")}
    assert _call(admin, endpoint, world, **override).status_code == 404
    assert _call(admin, endpoint, world, **{key: "../../etc/passwd"}).status_code == 404


def test_other_cases_objects_are_404_for_a_member_of_this_case(world: World) -> None:
    analyst = world.clients["analyst-in"]
    hidden = analyst.get(f"/items/{world.seed.other_item_id}")
    never = analyst.get(f"/items/{secrets.token_hex(16)}")
    assert hidden.status_code == never.status_code == 404
    assert hidden.text == never.text  # nothing tells a hidden item from one that never existed
    assert analyst.get(f"/cases/{world.seed.other_case_id}").status_code == 404
    assert analyst.get(f"/api/items/{world.seed.other_item_id}/audio").status_code == 404
    cases = analyst.get("/cases").text
    assert "Popasna 2022" in cases and "Other case" not in cases


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_anonymous_is_sent_to_login_or_refused(world: World, endpoint: Endpoint) -> None:
    with TestClient(world.clients["admin-in"].app, base_url="https://testserver") as anonymous:
        reply = _call(anonymous, endpoint, world)
    if endpoint.method == "GET" and not endpoint.path.startswith("/api/"):
        assert reply.status_code == 303
        assert reply.headers["location"].startswith("/login?next=")
    else:
        assert reply.status_code == 401


def test_every_route_is_in_the_matrix(world: World) -> None:
    app = world.clients["admin-in"].app
    routes = set()
    for entry in app.routes:
        for route in getattr(getattr(entry, "original_router", None), "routes", [entry]):
            for method in getattr(route, "methods", None) or ():
                routes.add((method, route.path))
    covered = {(e.method, e.path.split("?")[0]) for e in ENDPOINTS}
    placeholders = {"{case}": "{case_id}", "{item}": "{item_id}", "{version}": "{version_id}",
                    "{machine}": "{version_id}", "{job}": "{job_id}", "{export}": "{name}", "{spare}": "{user_id}",
                    "{flag}": "{flag_id}"}
    normalised = set()
    for method, path in covered:
        for short, long in placeholders.items():
            path = path.replace(short, long)
        normalised.add((method, path))
    untested = routes - normalised - {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}
    assert not untested, f"routes missing from the access matrix: {sorted(untested)}"


def test_incident_decisions_need_both_items_in_the_case(world: World) -> None:
    analyst = world.clients["analyst-in"]
    url = f"/cases/{world.seed.case_id}/incidents/decide"
    foreign = analyst.post(url, data={"item_a": world.seed.item_id, "item_b": world.seed.other_item_id,
                                      "decision": "accepted"}, follow_redirects=False)
    assert foreign.status_code == 404  # an item of a case this analyst cannot see
    admin = world.clients["admin-in"]  # sees both cases, but the pair must lie in the case named
    assert admin.post(url, data={"item_a": world.seed.item_id, "item_b": world.seed.other_item_id,
                                 "decision": "accepted"}, follow_redirects=False).status_code == 404
    assert analyst.post(url, data={"item_a": world.seed.item_id, "item_b": secrets.token_hex(16),
                                   "decision": "split"}, follow_redirects=False).status_code == 404
    assert analyst.post(url, data={"item_a": world.seed.item_id, "item_b": world.pair_item_id,
                                   "decision": "merge"}, follow_redirects=False).status_code == 400
