"""Fixtures for the review library: an ingested recording with a machine transcript."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from testkit import ACTOR, tone, write_wav

from audita import derived
from audita.derived import Provenance
from audita.ingest.service import ingest_paths

MACHINE_ACTOR = "local:pipeline"
WORDS = [
    [(0.35, 0.75, " Гранит,"), (0.8, 0.9, " я"), (0.95, 1.35, " Сокал,"), (1.4, 1.85, " приём.")],
    [(2.3, 2.8, " Пленных"), (2.85, 3.0, " не"), (3.05, 3.4, " брать.")],
    [(4.5, 5.0, " Везёт"), (5.05, 5.4, " в"), (5.45, 5.75, " Попасную.")],
]
SPEAKERS = ["S1", "S2", "S3"]


def speech_doc() -> dict:
    transmissions = []
    for n, words in enumerate(WORDS):
        transmissions.append({
            "index": n, "start": words[0][0] - 0.2, "end": words[-1][1] + 0.2,
            "text": "".join(w for _, _, w in words).strip(), "language": "ru", "language_probability": 0.9,
            "words": [{"start": a, "end": b, "word": w, "probability": 0.8} for a, b, w in words],
            "snr_db": 18.0, "channel": "radio", "quality_ok": True, "quality_reason": "", "unintelligible": False,
            "unintelligible_reason": "", "avg_logprob": -0.3, "no_speech_prob": 0.01,
            "translations": [{"method": "whisper-translate", "text": f"line {n}",
                              "label": "unverified machine translation", "verified": False}],
            "speaker": SPEAKERS[n],
        })
    return {"schema": "audita.speech/1", "channel": "radio", "duration": 6.0,
            "speakers": {label: [n] for n, label in enumerate(SPEAKERS)}, "transmissions": transmissions,
            "provenance": {"input_sha256": "0" * 64, "model": "fake", "pipeline_version": "1"}}


@dataclass(frozen=True)
class Transcribed:
    item_id: str
    case_id: str
    machine_id: str


@pytest.fixture
def transcribed(workspace, case, tmp_path: Path) -> Transcribed:
    wav = write_wav(tmp_path / "intercept.wav", tone(6.0, seed=4))
    report = ingest_paths(workspace, case.name, [wav], actor=ACTOR)
    item_id = report.outcomes[0].item_id
    with workspace.action() as connection:
        row = derived.record(workspace, connection, item_id=item_id, case_id=case.id, actor=MACHINE_ACTOR,
                             provenance=Provenance("transcript", "1" * 64, "audita-assemble/1", {}),
                             output=speech_doc())
    return Transcribed(item_id, case.id, row.id)
