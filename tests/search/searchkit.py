"""Helpers for the search tests: stored recordings with hand-written transcripts, analyses,
speaker labels and edits (as the speech and analysis stages would record them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audita.derived import Derivation, Provenance, record
from audita.ingest.service import ingest_paths
from audita.provenance import canonical_json, sha256_hex
from audita.workspace import Workspace

from testkit import ACTOR, tone, write_wav


def add_recording(workspace: Workspace, case: Any, folder: Path, name: str, *, seconds: float = 2.0,
                  intercept_time: str | None = None, seed: int = 1) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = write_wav(folder / name, tone(seconds, freq=300 + 40 * seed, seed=seed))
    if intercept_time is not None:
        (folder / f"{name}.json").write_text(json.dumps({"intercept_time": intercept_time}))
    report = ingest_paths(workspace, case.name, [path], actor=ACTOR)
    outcome = report.outcomes[0]
    assert outcome.status == "ingested", outcome
    return str(outcome.item_id)


def timed(text: str, start: float, step: float = 0.4) -> list[dict[str, Any]]:
    """Word timings for a text, one word every ``step`` seconds (with leading spaces like Whisper)."""
    words = []
    for n, word in enumerate(text.split()):
        words.append({"start": round(start + n * step, 3), "end": round(start + n * step + step * 0.9, 3),
                      "word": " " + word, "probability": 0.9})
    return words


def tx(index: int, start: float, end: float, text: str, *, speaker: str | None = "S1", language: str = "ru",
       translation: str | None = None, words: bool = True) -> dict[str, Any]:
    return {
        "index": index, "start": start, "end": end, "text": text, "language": language,
        "words": timed(text, start + 0.1) if words else [], "speaker": speaker, "unintelligible": False,
        "translations": ([{"method": "whisper-translate", "text": translation, "label": "unverified machine translation",
                           "verified": False}] if translation else []),
        "snr_db": 20.0, "channel": "radio", "quality_ok": True,
    }


def _record(workspace: Workspace, item_id: str, case_id: str, stage: str, output: Any, *,
            parent: str | None = None, engine: str = "test", action: str = "item.processed") -> Derivation:
    provenance = Provenance(stage=stage, input_sha256=sha256_hex(canonical_json({"item": item_id, "out": output})),
                            engine=engine, options={}, parent_id=parent)
    with workspace.action() as connection:
        return record(workspace, connection, item_id=item_id, case_id=case_id, provenance=provenance, output=output,
                      actor=ACTOR, action=action)


def record_transcript(workspace: Workspace, item_id: str, case_id: str, transmissions: list[dict[str, Any]]) -> Derivation:
    output = {"schema": "audita.speech/1", "channel": "radio", "duration": 30.0, "speakers": {},
              "transmissions": transmissions}
    return _record(workspace, item_id, case_id, "transcript", output)


def record_edit(workspace: Workspace, item_id: str, case_id: str, parent: Derivation, changes: dict[int, str],
                note: str) -> Derivation:
    output = json.loads(json.dumps(parent.output))
    for transmission in output["transmissions"]:
        if transmission["index"] in changes:
            transmission["text"] = changes[transmission["index"]]
            transmission["words"] = timed(changes[transmission["index"]], transmission["start"] + 0.1)
    output["edit"] = {"note": note, "changed": sorted(changes)}
    return _record(workspace, item_id, case_id, "transcript.edit", output, parent=parent.id, engine="analyst",
                   action="item.edited")


def record_analysis(workspace: Workspace, item_id: str, case_id: str, parent: Derivation, *,
                    places: list[tuple[str, str, int]] = (), flags: list[tuple[str, str, str, int]] = (),
                    entities: list[tuple[str, str, int]] = ()) -> Derivation:
    """places: (text, normalized, transmission); flags: (id, category, quote, transmission);
    entities: (type, text, transmission)."""
    output = {
        "schema": "audita.analysis/1",
        "entities": [{"id": f"e{n}", "type": "place", "text": text, "normalized": normalized, "transmission": t,
                      "place": {"name": normalized, "lat": 48.632, "lon": 38.371}}
                     for n, (text, normalized, t) in enumerate(places)]
                    + [{"id": f"x{n}", "type": kind, "text": text, "normalized": text, "transmission": t, "place": None}
                       for n, (kind, text, t) in enumerate(entities)],
        "flags": [{"id": flag_id, "category": category, "article": "8(2)(b)(vi)", "quote": quote, "transmission": t,
                   "start": None, "end": None, "confidence": 0.8, "reason": "test"}
                  for flag_id, category, quote, t in flags],
    }
    return _record(workspace, item_id, case_id, "analysis", output, parent=parent.id, engine="audita-rules/test")


def record_flag_review(workspace: Workspace, item_id: str, case_id: str, analysis: Derivation, flag_id: str,
                       decision: str, note: str) -> Derivation:
    return _record(workspace, item_id, case_id, "flag.review", {"flag_id": flag_id, "decision": decision, "note": note},
                   parent=analysis.id, engine="analyst", action="item.reviewed")


def record_speaker_label(workspace: Workspace, item_id: str, case_id: str, parent: Derivation, label: str,
                         name: str) -> Derivation:
    return _record(workspace, item_id, case_id, "speaker.label", {"label": label, "name": name, "transmissions": []},
                   parent=parent.id, engine="analyst", action="item.edited")
