"""Test data for the workbench: users of every role inside and outside a case, a recording with a
machine transcript (hand-timed words, so that seeking can be checked to the word), an analyst's
correction, and the real analysis of that correction (``audita.analysis.service.analyze_item``:
flags, entities, glossary hits), and a fake speech processor. Import as `webseed` from tests/web."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from starlette.testclient import TestClient
from testkit import write_wav

from audita import derived
from audita.analysis.pipeline import AnalysisOptions
from audita.analysis.service import analyze_item
from audita.cases import create_case
from audita.derived import Provenance
from audita.ingest.service import ingest_paths
from audita.web.accounts import add_member, create_user
from audita.workspace import Workspace

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "analyst", "reviewer", "viewer")
RATE = 16000
SETUP = "setup:test"
FAST_ANALYSIS = AnalysisOptions(embeddings=False)  # rules, places, entities, glossary; no embedding model
WORDS = [
    [(0.35, 0.75, " Гранит,"), (0.8, 0.9, " я"), (0.95, 1.35, " Сокал,"), (1.4, 1.85, " приём.")],
    [(2.3, 2.8, " Пленных"), (2.85, 3.0, " не"), (3.05, 3.4, " брать,"), (3.45, 3.6, " всех"), (3.62, 3.7, " в"),
     (3.72, 3.95, " расход.")],
    [(4.5, 5.0, " Петренко"), (5.05, 5.25, " везёт"), (5.28, 5.4, " их"), (5.42, 5.45, " в"), (5.47, 5.75, " Попасную.")],
]
TRANSLATIONS = ["Granit, this is Sokal, over.", "Take no prisoners, all of them to waste.",
                "Petrenko is taking them to Popasna."]


def speech_doc(text0: str | None = None) -> dict:
    transmissions = []
    for n, words in enumerate(WORDS):
        transmissions.append({
            "index": n, "start": round(words[0][0] - 0.25, 3), "end": round(words[-1][1] + 0.25, 3),
            "text": text0 if (n == 0 and text0) else "".join(w for _, _, w in words).strip(),
            "language": "ru", "language_probability": 0.9,
            "words": [{"start": a, "end": b, "word": w, "probability": 0.85} for a, b, w in words],
            "snr_db": 17.0, "channel": "radio", "quality_ok": True, "quality_reason": "", "unintelligible": False,
            "unintelligible_reason": "", "avg_logprob": -0.3, "no_speech_prob": 0.02,
            "translations": [{"method": "whisper-translate", "text": TRANSLATIONS[n],
                              "label": "unverified machine translation", "verified": False}],
            "speaker": "S1" if n != 1 else "S2",
        })
    return {"schema": "audita.speech/1", "channel": "radio", "duration": 6.0, "speakers": {"S1": [0, 2], "S2": [1]},
            "transmissions": transmissions, "provenance": {"input_sha256": "0" * 64, "model": "fake",
                                                           "pipeline_version": "1"}}


def voiced(seconds: float, pitch: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * pitch * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)


def recording(path: Path) -> Path:
    samples = np.random.default_rng(3).normal(0, 0.003, int(6.0 * RATE)).astype(np.float32)
    for n, words in enumerate(WORDS):
        a, b = words[0][0], words[-1][1]
        burst = voiced(b - a, 140 + 50 * n)
        samples[int(a * RATE):int(a * RATE) + burst.size] += burst
    return write_wav(path, samples, rate=RATE)


@dataclass(frozen=True)
class Seed:
    case_id: str
    other_case_id: str
    item_id: str
    other_item_id: str
    machine_id: str
    edit_id: str
    analysis_id: str
    flag_id: str  # the analysis's flag on «Пленных не брать, всех в расход»
    users: dict[str, str]  # username -> user id


def user_name(role: str, member: bool) -> str:
    return f"{role}-{'in' if member else 'out'}"


def seed(workspace: Workspace, folder: Path) -> Seed:
    case = create_case(workspace, "Popasna 2022", actor=SETUP, description="Intercepts near Popasna")
    other = create_case(workspace, "Other case", actor=SETUP)
    users: dict[str, str] = {}
    for role in ROLES:
        for member in (True, False):
            name = user_name(role, member)
            users[name] = create_user(workspace, name, PASSWORD, role=role, actor=SETUP).id
            add_member(workspace, case.name if member else other.name, name, actor=SETUP)
    users["spare"] = create_user(workspace, "spare", PASSWORD, role="viewer", actor=SETUP).id
    folder.mkdir(parents=True, exist_ok=True)
    wav = recording(folder / "popasna-0412.wav")
    (folder / "popasna-0412.wav.json").write_text(
        '{"intercept_time": "2022-04-12T06:40:00+03:00", "channel": "radio", "source": "test release",'
        ' "receiver_location": {"lat": 48.72, "lon": 38.05, "description": "Sievierodonetsk area"}}')
    item_id = ingest_paths(workspace, case.name, [folder], actor=SETUP).outcomes[0].item_id
    other_dir = folder / "other"
    other_dir.mkdir()
    other_wav = write_wav(other_dir / "other.wav", voiced(2.0, 200))
    other_item = ingest_paths(workspace, other.name, [other_wav], actor=SETUP).outcomes[0].item_id
    with workspace.action() as connection:
        machine = derived.record(workspace, connection, item_id=item_id, case_id=case.id, actor="local:pipeline",
                                 provenance=Provenance("transcript", "1" * 64, "audita-assemble/1", {}),
                                 output=speech_doc())
        edit_doc = speech_doc("Гранит, я Сокол, приём.")
        edit_doc["edit"] = {"note": "call sign misheard", "changed": [0]}
        edit = derived.record(workspace, connection, item_id=item_id, case_id=case.id, actor="user:analyst-in",
                              provenance=Provenance("transcript.edit", machine.output_sha256, "analyst", {},
                                                    parent_id=machine.id), output=edit_doc)
        derived.record(workspace, connection, item_id=other_item, case_id=other.id, actor="local:pipeline",
                       provenance=Provenance("transcript", "2" * 64, "audita-assemble/1", {}), output=speech_doc())
    del wav
    analysis = analyze_item(workspace, item_id, actor="local:pipeline", options=FAST_ANALYSIS)
    flag_id = next(f["id"] for f in analysis.output["flags"]
                   if f["transmission"] == 1 and f["category"] == "killing_hors_de_combat")
    return Seed(case.id, other.id, item_id, other_item, machine.id, edit.id, analysis.id, flag_id, users)


class FakeProcessor:
    """Stands in for the speech pipeline: reports progress, then records a machine transcript."""

    def __init__(self, release: threading.Event | None = None) -> None:
        self.calls: list[str] = []
        self.release = release

    def __call__(self, workspace: Workspace, item_id: str, actor: str, report) -> None:  # type: ignore[no-untyped-def]
        self.calls.append(item_id)
        report(0.25, "segment")
        if self.release is not None:
            self.release.wait(20)
        report(0.6, "transcribe")
        from audita.review.store import item_case_id

        with workspace.action() as connection:
            derived.record(workspace, connection, item_id=item_id, case_id=item_case_id(connection, item_id),
                           actor=actor, provenance=Provenance("transcript", "3" * 64, "fake-speech/1", {}),
                           output=speech_doc())
        report(1.0, "transcript")


CSRF = re.compile(r'data-csrf="([^"]+)"')


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log ``client`` in; returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    reply = client.post("/login", data={"username": username, "password": password, "login_token": token,
                                        "next": "/cases"}, follow_redirects=False)
    assert reply.status_code == 303, reply.text
    return csrf_of(client)


def csrf_of(client: TestClient) -> str:
    page = client.get("/cases")
    return CSRF.search(page.text).group(1)
