"""Every input of the hostile corpus (tests/hardening/hostile.py) gets a clear one-line error
(or, for a document found in a folder, a clear skip) and leaves the store as it was."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

import hostile
from audita.cases import create_case
from audita.config import Settings
from audita.errors import BadInput
from audita.ingest.service import ingest_paths
from audita.store.schema import acquisitions, blobs, custody_entries, derivations, items, media_facts, tree_heads
from audita.verify import verify_store
from audita.workspace import Workspace
from testkit import ACTOR

TABLES = (items, acquisitions, blobs, media_facts, derivations, custody_entries, tree_heads)
ARCHIVE_ITEM = (1, 0, 1, 0, 0, 1, 1)  # what keeping a zip as an item adds, table by table


def _snapshot(workspace: Workspace) -> tuple[tuple[int, ...], int, list[str]]:
    with workspace.reading() as connection:
        counts = tuple(connection.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES)
    return counts, len(list(workspace.blobs.iter_stored())), sorted(p.name for p in workspace.settings.tmp_dir.iterdir())


def _check(case: hostile.Hostile, home: Path) -> list[str]:
    """Run one case on a fresh store; returns what went wrong (empty when it behaved)."""
    workspace = Workspace.open(Settings(home=home))
    try:
        create_case(workspace, "Hostile", actor=ACTOR)
        before = _snapshot(workspace)
        if case.manifest is not None:
            try:
                ingest_paths(workspace, "Hostile", list(case.paths), actor=ACTOR, manifest_path=case.manifest)
            except BadInput as exc:
                messages, statuses = [str(exc)], [case.status]
            else:
                return ["an invalid --manifest was accepted"]
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                report = ingest_paths(workspace, "Hostile", list(case.paths), actor=ACTOR)
            messages = [o.message for o in report.outcomes]
            statuses = [o.status for o in report.outcomes]
            for outcome in report.outcomes:
                (outcome.source + outcome.message).encode("utf-8")  # printable, whatever the file was called
        problems = []
        if not messages:
            problems.append("no outcome reported")
        if any(status != case.status for status in statuses):
            problems.append(f"statuses {statuses}, expected {case.status}")
        for message in messages:
            if "\n" in message or not re.search(case.expect, message):
                problems.append(f"message {message!r} does not match {case.expect!r}")
        counts, files, temp = _snapshot(workspace)
        grown = ARCHIVE_ITEM if case.keeps_archive else (0,) * len(TABLES)
        if counts != tuple(b + g for b, g in zip(before[0], grown)) or files != before[1] + grown[2] or temp:
            problems.append(f"store changed: {before} -> {(counts, files, temp)}")
        report_verify = verify_store(workspace)
        if not report_verify.ok or report_verify.problems:
            problems.append(f"verify: {report_verify.problems}")
        return problems
    finally:
        workspace.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[hostile.Hostile]:
    return hostile.build(tmp_path_factory.mktemp("hostile"))


def test_corpus_covers_every_class(corpus: list[hostile.Hostile]) -> None:
    counts = hostile.summary(corpus)
    assert len(corpus) >= 50
    assert all(count >= 3 for count in counts.values()), counts
    assert len({case.id for case in corpus}) == len(corpus)


def test_every_hostile_input_is_refused_and_leaves_nothing(corpus: list[hostile.Hostile], tmp_path: Path,
                                                           reliability_figures: dict[str, Any]) -> None:
    failures = {}
    for case in corpus:
        problems = _check(case, tmp_path / case.id)
        if problems:
            failures[case.id] = problems
    assert not failures, failures
    reliability_figures["hostile"] = {
        "cases": len(corpus), "by_class": hostile.summary(corpus),
        "skipped_documents": sum(1 for c in corpus if c.status == "skipped"),
        "archive_item_kept": [c.id for c in corpus if c.keeps_archive],
    }
