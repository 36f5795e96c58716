"""Every hostile document (tests/hardening/hostile_documents.py) is refused by `audita documents add`
with a clear one-line message, within a time bound, and leaves the store exactly as it was: no
item, acquisition, blob row or file, media facts, derivation, custody entry, tree head or staged
file. Two inputs that look hostile but are handled safely are tested apart: a PDF with a broken
cross-reference pointer (read after repair, with a recorded warning) and XHTML declaring an
entity bomb (never expanded)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import hostile_documents
from audita.cases import create_case
from audita.config import Settings
from audita.documents import claims
from audita.errors import BadInput
from audita.ingest.documents import MAX_DOCUMENT_FILE_BYTES, document_metadata, ingest_document
from audita.store.schema import acquisitions, blobs, custody_entries, derivations, items, media_facts, tree_heads
from audita.verify import verify_store
from audita.workspace import Workspace
from testkit import ACTOR

TABLES = (items, acquisitions, blobs, media_facts, derivations, custody_entries, tree_heads)
CASES = hostile_documents.build()
METADATA = document_metadata("https://example.org/post/1", "2022-05-04T10:00:00+03:00")
TIME_BOUND_S = 30.0


@pytest.fixture(autouse=True)
def _no_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claims, "_analysis_pipeline", lambda: None)  # refusals come before extraction anyway


@pytest.fixture(scope="module")
def document_figures(reliability_figures: dict[str, Any]) -> dict[str, Any]:
    figures: dict[str, Any] = {"cases": len(CASES), "refused": 0, "by_category": dict(Counter(c.category for c in CASES)),
                               "slowest_s": 0.0}
    reliability_figures["hostile_documents"] = figures
    return figures


def _snapshot(workspace: Workspace) -> tuple[tuple[int, ...], list[str], list[str]]:
    with workspace.reading() as connection:
        counts = tuple(connection.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES)
    return counts, sorted(workspace.blobs.iter_stored()), sorted(p.name for p in workspace.settings.tmp_dir.iterdir())


def test_corpus_size_and_distinct_names():
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_document_is_refused_and_nothing_is_stored(case: hostile_documents.HostileDocument, tmp_path: Path,
                                                           document_figures: dict[str, Any]) -> None:
    workspace = Workspace.open(Settings(home=tmp_path / "home"))
    try:
        create_case(workspace, "Hostile", actor=ACTOR)
        path = hostile_documents.write(case, tmp_path / "in")
        before = _snapshot(workspace)
        started = time.monotonic()
        with pytest.raises(BadInput) as refused:
            ingest_document(workspace, "Hostile", path, metadata=METADATA, actor=ACTOR)
        elapsed = time.monotonic() - started
        message = str(refused.value)
        assert "\n" not in message and "\r" not in message, message
        assert len(message) < 400, message
        assert re.search(case.message, message.split(": ", 1)[-1]) or re.search(case.message, message), message
        assert case.filename in message, message  # names the file
        assert "Traceback" not in message and "/tmp/" not in message.split(": ", 1)[-1]
        assert elapsed < TIME_BOUND_S, f"{case.name}: {elapsed:.1f} s"
        assert _snapshot(workspace) == before
        report = verify_store(workspace)
        assert report.ok and not report.problems, report.problems
    finally:
        workspace.close()
    document_figures["refused"] += 1
    document_figures["slowest_s"] = round(max(document_figures["slowest_s"], elapsed), 2)


def test_document_over_the_size_limit_is_refused_while_staging(tmp_path: Path) -> None:
    workspace = Workspace.open(Settings(home=tmp_path / "home"))
    try:
        create_case(workspace, "Hostile", actor=ACTOR)
        path = tmp_path / "huge.txt"
        with open(path, "wb") as out:  # sparse: cheap to make
            out.truncate(MAX_DOCUMENT_FILE_BYTES + 1)
        before = _snapshot(workspace)
        with pytest.raises(BadInput) as refused:
            ingest_document(workspace, "Hostile", path, metadata=METADATA, actor=ACTOR)
        assert "\n" not in str(refused.value) and re.search(r"larger|limit|too large|exceeds", str(refused.value))
        assert _snapshot(workspace) == before
    finally:
        workspace.close()


def test_pdf_with_a_broken_xref_pointer_is_read_after_repair_with_a_warning(tmp_path: Path) -> None:
    workspace = Workspace.open(Settings(home=tmp_path / "home"))
    try:
        create_case(workspace, "Hostile", actor=ACTOR)
        path = tmp_path / "repaired.pdf"
        path.write_bytes(hostile_documents.repaired_pdf())
        outcome = ingest_document(workspace, "Hostile", path, metadata=METADATA, actor=ACTOR)
        assert outcome.status == "ingested" and outcome.format == "pdf" and outcome.paragraphs >= 3
        assert any("read after repair" in w for w in outcome.warnings), outcome.warnings
        with workspace.reading() as connection:
            facts = json.loads(connection.execute(select(media_facts.c.facts_json)
                                                  .where(media_facts.c.blob_sha256 == outcome.sha256)).scalar_one())
        assert any("read after repair" in w for w in facts["warnings"])
        assert workspace.blobs.path_for(outcome.sha256).read_bytes() == path.read_bytes()  # original as received
        assert verify_store(workspace).ok
    finally:
        workspace.close()


def test_entity_bomb_is_never_expanded(tmp_path: Path) -> None:
    from audita.documents.extract import parse_document

    started = time.monotonic()
    document = parse_document(hostile_documents.entity_bomb())
    assert time.monotonic() - started < 5
    assert len(document.text) < 1000 and "aaaaaaaaaa" * 3 not in document.text
    assert "Колонна прошла." in document.text


@pytest.mark.parametrize("name", ["json-deep-nesting", "pdf-encrypted-password", "html-is-a-zip"])
def test_cli_prints_one_error_line_and_stores_nothing(name: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == name)
    home = tmp_path / "home"
    path = hostile_documents.write(case, tmp_path / "in")
    env = {**os.environ, "AUDITA_HOME": str(home), "AUDITA_ACTOR": "cli:tester", "COLUMNS": "80"}
    subprocess.run([sys.executable, "-m", "audita", "case", "create", "Hostile"], env=env, check=True,
                   capture_output=True)
    done = subprocess.run([sys.executable, "-m", "audita", "documents", "add", "--case", "Hostile", str(path),
                           "--url", "https://example.org/x", "--captured-at", "2022-05-04T10:00:00Z"],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and case.filename in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    workspace = Workspace.open(Settings(home=home))
    try:
        with workspace.reading() as connection:
            assert connection.execute(select(func.count()).select_from(items)).scalar_one() == 0
            assert [e for e in connection.execute(select(custody_entries.c.action)).scalars()
                    if e not in ("installation.created", "case.created")] == []
        assert list(workspace.blobs.iter_stored()) == []
    finally:
        workspace.close()
