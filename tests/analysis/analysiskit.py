"""Helpers for the analysis tests: a stored recording with a transcript version."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from sqlalchemy import select

from audita.derived import Derivation, Provenance, record
from audita.ingest.service import ingest_paths
from audita.items import list_items
from audita.store.schema import items
from audita.workspace import Workspace
from testkit import ACTOR, tone, write_wav

OPTIONS_FAST: dict[str, Any] = {"embeddings": False}


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def transcript(*texts: str, language: str = "ru") -> dict[str, Any]:
    return {"schema": "audita.speech/1", "transmissions": [
        {"index": n, "text": t, "language": language, "start": 2.0 * n, "end": 2.0 * n + 1.8, "words": [],
         "translations": [{"method": "whisper-translate", "text": "unrelated English", "verified": False}]}
        for n, t in enumerate(texts)]}


def recording(tmp_path: Path, workspace: Workspace, case_name: str, name: str = "x.wav", seed: int = 5,
              metadata: dict[str, Any] | None = None) -> str:
    path = write_wav(tmp_path / name, tone(1.0, seed=seed))
    if metadata is not None:
        (tmp_path / f"{name}.json").write_text(json.dumps(metadata), encoding="utf-8")
    ingest_paths(workspace, case_name, [path], actor=ACTOR)
    return next(i.id for i in list_items(workspace, case_name) if i.display_name.endswith(name))


def add_transcript(workspace: Workspace, item_id: str, doc: dict[str, Any], *, stage: str = "transcript",
                   parent_id: str | None = None) -> Derivation:
    with workspace.action() as connection:
        case_id = connection.execute(select(items.c.case_id).where(items.c.id == item_id)).scalar_one()
        return record(workspace, connection, item_id=item_id, case_id=case_id, output=doc, actor=ACTOR,
                      provenance=Provenance(stage=stage, input_sha256="0" * 64, engine="test" if stage == "transcript"
                                            else "analyst", options={}, parent_id=parent_id))
