"""A realistic case for export tests: one intercept with machine transcript, an analyst correction,
speaker label, analysis (entities, a flag), a flag decision and a sign-off, written as derivation
rows the way the speech, analysis and review stages write them (docs/derivations.md)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from docx import Document
from pypdf import PdfReader

from audita import derived
from audita.derived import Provenance
from audita.ingest.service import ingest_paths
from conftest import ACTOR, write_wav

RATE = 16000
DURATION = 6.0
EDITOR = "analyst:m.koval"
REVIEWER = "reviewer:i.bondar"

# (start, end) of the voiced stretch of each transmission, and its words with timings
TRANSMISSIONS = [
    (0.3, 1.9, [(0.35, 0.75, " Гранит,"), (0.8, 0.9, " я"), (0.95, 1.35, " Сокал,"), (1.4, 1.85, " приём.")]),
    (2.2, 4.0, [(2.3, 2.8, " Пленных"), (2.85, 3.0, " не"), (3.05, 3.4, " брать,"), (3.45, 3.6, " всех"),
                (3.62, 3.7, " в"), (3.72, 3.95, " расход.")]),
    (4.4, 5.8, [(4.5, 5.0, " Петренко"), (5.05, 5.25, " везёт"), (5.28, 5.4, " их"), (5.42, 5.45, " в"),
                (5.47, 5.75, " Попасную.")]),
]
TRANSLATIONS = ["Granit, this is Sokal, over.", "Take no prisoners, finish them all.",
                "Petrenko is taking them to Popasna."]
FLAG_QUOTE = "Пленных не брать, всех в расход"
ARTICLE = "8(2)(b)(xii)"


def voiced(seconds: float, pitch: float, seed: int) -> np.ndarray:
    """A vowel-like signal: harmonics of `pitch` shaped by two formants, with slight jitter."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = pitch * (1 + 0.03 * np.sin(2 * math.pi * 3 * t))
    phase = 2 * math.pi * np.cumsum(f0) / RATE
    out = np.zeros_like(t)
    for k in range(1, int(3600 / pitch)):
        freq = k * pitch
        gain = math.exp(-((freq - 600) / 250) ** 2) + 0.6 * math.exp(-((freq - 2200) / 400) ** 2) + 0.05
        out += gain * np.sin(k * phase + rng.uniform(0, 2 * math.pi))
    envelope = 0.5 * (1 + np.sin(2 * math.pi * 4 * t - math.pi / 2))  # syllable rhythm
    return (out / np.max(np.abs(out)) * 0.5 * (0.3 + 0.7 * envelope)).astype(np.float32)


def intercept_samples(seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    samples = rng.normal(0, 0.003, int(DURATION * RATE)).astype(np.float32)
    for n, (start, end, _) in enumerate(TRANSMISSIONS):
        a = int(start * RATE)
        burst = voiced(end - start, 120 + 40 * n, seed=n)
        samples[a:a + burst.size] += burst
    return samples


def speech_doc(input_sha256: str, texts: dict[int, str] | None = None) -> dict:
    transmissions = []
    for n, (start, end, words) in enumerate(TRANSMISSIONS):
        text = "".join(w for _, _, w in words).strip()
        transmissions.append({
            "index": n, "start": start - 0.1, "end": end + 0.1, "text": (texts or {}).get(n, text),
            "language": "ru", "language_probability": 0.93,
            "words": [{"start": a, "end": b, "word": w, "probability": 0.9} for a, b, w in words],
            "snr_db": 21.5, "channel": "radio", "quality_ok": True, "quality_reason": "",
            "unintelligible": False, "unintelligible_reason": "", "avg_logprob": -0.31, "no_speech_prob": 0.02,
            "translations": [{"method": "whisper-translate", "text": TRANSLATIONS[n],
                              "label": "unverified machine translation", "verified": False}],
            "speaker": "S1" if n != 1 else "S2",
        })
    return {
        "schema": "audita.speech/1", "channel": "radio", "duration": DURATION,
        "speakers": {"S1": [0, 2], "S2": [1]}, "transmissions": transmissions,
        "provenance": {"input_sha256": input_sha256, "model": "whisper-base", "model_sha256": "d" * 64,
                       "model_files": {"model.bin": "d" * 64}, "options": {"model": "whisper-base"},
                       "versions": {"faster-whisper": "1.2.1"}, "speaker_backend": {}, "translation_backend": {},
                       "pipeline_version": "1"},
    }


def analysis_doc() -> dict:
    return {
        "schema": "audita.analysis/1",
        "entities": [
            {"type": "callsign", "text": "Гранит", "normalized": "Гранит", "transmission": 0, "start": 0.35, "end": 0.75,
             "place": None},
            {"type": "place", "text": "Попасную", "normalized": "Попасна", "transmission": 2, "start": 5.47, "end": 5.75,
             "place": {"name": "Попасна", "lat": 48.6333, "lon": 38.3833}},
        ],
        "flags": [{
            "id": "flag-001", "category": "killing prisoners / denial of quarter", "article": ARTICLE,
            "title": "Declaring that no quarter will be given", "quote": FLAG_QUOTE, "transmission": 1,
            "start": 2.3, "end": 3.95, "confidence": 0.82, "reason": "explicit order «пленных не брать»",
            "rule": "pow-no-quarter-ru",
        }],
    }


@dataclass(frozen=True)
class Intercept:
    item_id: str
    sha256: str
    source: Path
    samples: np.ndarray


def ingest_intercept(workspace, case, folder: Path, name: str = "popasna-0412.wav", seed: int = 7) -> Intercept:
    folder.mkdir(parents=True, exist_ok=True)
    samples = intercept_samples(seed)
    write_wav(folder / name, samples, rate=RATE)
    (folder / f"{name}.json").write_text(json.dumps({
        "intercept_time": "2022-04-12T06:40:00+03:00", "channel": "radio", "source": "SBU release 2022-04-14",
        "receiver_location": {"lat": 48.72, "lon": 38.05, "description": "Sievierodonetsk area"},
        "acquisition_notes": "received from the Petrenko family", "language": "ru",
    }, ensure_ascii=False))
    report = ingest_paths(workspace, case.name, [folder], actor=ACTOR)
    outcome = next(o for o in report.outcomes if o.status == "ingested")
    return Intercept(outcome.item_id, outcome.sha256, folder / name, samples)


def record_evidence(workspace, case, item: Intercept) -> dict[str, str]:
    """The derivation rows of a processed, analysed and reviewed intercept; returns their ids by role."""
    ids = {}
    with workspace.action() as connection:
        def add(stage, output, *, parent=None, actor=ACTOR, engine="audita-assemble/1"):
            row = derived.record(workspace, connection, item_id=item.item_id, case_id=case.id, actor=actor,
                                 provenance=Provenance(stage, item.sha256, engine, {"stage": stage}, parent_id=parent),
                                 output=output)
            return row.id

        ids["segment"] = add("segment", {"transmissions": [{"index": n, "start": s - 0.1, "end": e + 0.1}
                                                           for n, (s, e, _) in enumerate(TRANSMISSIONS)]},
                             engine="audita-segment/1")
        ids["transcribe"] = add("transcribe", {"items": [{"index": n, "text": "".join(w for _, _, w in words).strip()}
                                                         for n, (_, _, words) in enumerate(TRANSMISSIONS)]},
                                parent=ids["segment"], engine="faster-whisper")
        ids["machine"] = add("transcript", speech_doc(item.sha256), parent=ids["transcribe"])
        corrected = speech_doc(item.sha256, texts={0: "Гранит, я Сокол, приём."})
        corrected["edit"] = {"note": "call sign misheard: Сокол", "changed": [0]}
        ids["edit"] = add("transcript.edit", corrected, parent=ids["machine"], actor=EDITOR, engine="analyst")
        ids["label"] = add("speaker.label", {"label": "S1", "name": "Sokol", "transmissions": [0, 2]},
                           parent=ids["edit"], actor=EDITOR, engine="analyst")
        ids["analysis"] = add("analysis", analysis_doc(), parent=ids["edit"], engine="audita-analysis/1")
        ids["review"] = add("flag.review", {"flag_id": "flag-001", "decision": "confirmed",
                                            "note": "order given by S2, heard clearly"},
                            parent=ids["analysis"], actor=EDITOR, engine="analyst")
        ids["signoff"] = add("review.signoff", {"decision": "approved", "note": "checked against the audio"},
                             parent=ids["edit"], actor=REVIEWER, engine="analyst")
    return ids


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def docx_text(path: Path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def squash(text: str) -> str:
    return " ".join(text.split())
