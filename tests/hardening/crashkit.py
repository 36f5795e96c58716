"""Crash harness: run an operation in a child process, SIGKILL it at a named checkpoint, then
check what the store looks like and finish the work.

Children come from a multiprocessing fork server that has already imported Audita, so each run
costs a fork rather than a fresh interpreter. Each child opens its own Workspace on a copy of a
prepared home, arms ``audita.faults`` through the environment and runs one operation; the kill is
``os.kill(getpid(), SIGKILL)`` inside the library, so no ``finally`` block or rollback runs.
"""

from __future__ import annotations

import json
import multiprocessing
import zipfile
import os
import shutil
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from audita import faults
from audita.config import Settings
from audita.store.schema import acquisitions, blobs, custody_entries, derivations, items, media_facts
from audita.verify import VerifyReport, verify_store
from audita.workspace import Workspace
from testkit import tone, write_wav

SPEECH_TESTS = Path(__file__).resolve().parent.parent / "speech"
if str(SPEECH_TESTS) not in sys.path:
    sys.path.insert(0, str(SPEECH_TESTS))

ACTOR = "test:crash"
CASE = "Crash case"
ORPHAN_WARNING = "stored file has no record (left by an interrupted ingest; re-run it)"

# ---- operations (run in the child when killed, in the test process to finish the work) -------


def op_init(home: Path, case: str) -> None:
    from audita.cases import create_case

    workspace = Workspace.open(Settings(home=home))
    try:
        create_case(workspace, case, actor=ACTOR)
    finally:
        workspace.close()


def op_ingest(home: Path, case: str, paths: list[str]) -> None:
    from audita.ingest.service import ingest_paths

    workspace = Workspace.open(Settings(home=home))
    try:
        ingest_paths(workspace, case, [Path(p) for p in paths], actor=ACTOR)
    finally:
        workspace.close()


def fake_engine() -> Any:
    """FakeEngine whose translations do not depend on how many calls came before (a resumed run
    skips the calls of reused stages, and must still produce the same output)."""
    from speechfakes import FakeEngine, islands

    from audita.speech.asr import EngineSegment
    from audita.speech.models import ResolvedModel

    class StatelessEngine(FakeEngine):
        def decode(self, audio: Any, request: Any) -> list[Any]:
            if request.task == "translate":
                return [EngineSegment(begin, end, f"english {begin:.2f}", -0.3, 0.01, 1.2)
                        for begin, end in islands(audio)]
            return super().decode(audio, request)

    engine = StatelessEngine()
    engine.model_info = ResolvedModel(name="fake-whisper", path=Path("/nonexistent"), sha256="f" * 64,
                                      files={"model.bin": "f" * 64}, source="test")
    return engine


def op_process(home: Path, item_ids: list[str]) -> None:
    from speechfakes import FakeVoices

    from audita.speech.service import process_item

    workspace = Workspace.open(Settings(home=home))
    try:
        for item_id in item_ids:
            process_item(workspace, item_id, actor=ACTOR, engine=fake_engine(), speaker_backend=FakeVoices())
    finally:
        workspace.close()


def op_export(home: Path, case: str, out: str) -> None:
    from audita.export.package import ExportOptions, export_case

    workspace = Workspace.open(Settings(home=home))
    try:
        export_case(workspace, case, Path(out), actor=ACTOR, options=ExportOptions(report=False))
    finally:
        workspace.close()


def op_backup(home: Path, out: str) -> None:
    from audita.backup import backup_store

    workspace = Workspace.open(Settings(home=home))
    try:
        backup_store(workspace, Path(out), actor=ACTOR)
    finally:
        workspace.close()


def op_restore(backup: str, target: str) -> None:
    from audita.backup import restore_store

    restore_store(Path(backup), Path(target), actor=ACTOR)


OPERATIONS: dict[str, Callable[..., None]] = {
    "init": op_init, "ingest": op_ingest, "process": op_process, "export": op_export,
    "backup": op_backup, "restore": op_restore,
}


def _child(op: str, kwargs: dict[str, Any], kill_at: str | None, trace: str | None) -> None:
    for variable, value in ((faults.KILL_VARIABLE, kill_at), (faults.TRACE_VARIABLE, trace)):
        if value:
            os.environ[variable] = value
        else:
            os.environ.pop(variable, None)
    faults.reset()
    OPERATIONS[op](**kwargs)


_CONTEXT: Any = None


def _context() -> Any:
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["crashkit", "audita.ingest.service", "audita.speech.service",
                                         "audita.export.package", "audita.backup", "speechfakes"])
    return _CONTEXT


def run_child(op: str, kwargs: dict[str, Any], *, kill_at: str | None = None, trace: Path | None = None,
              timeout: float = 120.0) -> int:
    """Run one operation in a forked child; returns its exit code (-9 when killed by SIGKILL)."""
    process = _context().Process(target=_child, args=(op, kwargs, kill_at, str(trace) if trace else None))
    process.start()
    process.join(timeout)
    if process.exitcode is None:
        process.kill()
        process.join()
        raise AssertionError(f"{op} did not finish within {timeout} s (kill point {kill_at})")
    return int(process.exitcode)


def run_together(op: str, kwargs_list: list[dict[str, Any]], timeout: float = 120.0) -> list[int]:
    """Start one child per kwargs at once (no faults armed); returns their exit codes."""
    processes = [_context().Process(target=_child, args=(op, kwargs, None, None)) for kwargs in kwargs_list]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout)
    return [int(p.exitcode) if p.exitcode is not None else -999 for p in processes]


def trace_points(op: str, kwargs: dict[str, Any], trace_file: Path) -> list[str]:
    """Run uninterrupted, recording every checkpoint; returns kill specs NAME:N in the order reached."""
    trace_file.unlink(missing_ok=True)
    code = run_child(op, kwargs, trace=trace_file)
    assert code == 0, f"uninterrupted {op} failed with exit code {code}"
    seen: Counter[str] = Counter()
    specs = []
    for name in trace_file.read_text(encoding="utf-8").split():
        seen[name] += 1
        specs.append(f"{name}:{seen[name]}")
    return specs


def start_child(op: str, kwargs: dict[str, Any]) -> Any:
    """Start one child (no faults armed) and return its Process without waiting."""
    process = _context().Process(target=_child, args=(op, kwargs, None, None))
    process.start()
    return process


# ---- prepared stores -----------------------------------------------------------------------------


def home_with_case(root: Path) -> Path:
    home = root / "home"
    op_init(home, CASE)
    return home


def ingest_batch(root: Path) -> Path:
    """Sidecar, manifest, a zip with a member, an exact duplicate and a note: every ingest path."""
    batch = root / "batch"
    (batch / "sub").mkdir(parents=True)
    write_wav(batch / "a.wav", tone(0.6, freq=310, seed=11))
    (batch / "a.wav.json").write_text(json.dumps({"channel": "radio", "frequency_mhz": 145.5}))
    write_wav(batch / "b.wav", tone(0.5, freq=420, seed=12))
    (batch / "manifest.json").write_text(json.dumps([{"file": "b.wav", "source": "Telegram repost"}]))
    (batch / "sub" / "a-copy.wav").write_bytes((batch / "a.wav").read_bytes())
    (batch / "notes.txt").write_text("Гранит 45-12\n")
    member = write_wav(root / "c.wav", tone(0.4, freq=530, seed=13))
    with zipfile.ZipFile(batch / "sub" / "pack.zip", "w") as archive:
        archive.write(member, "day1/c.wav")
    return batch


def process_home(root: Path) -> tuple[Path, str]:
    from speechfakes import RATE, radio_recording

    from audita.corpus.audio import write_wav as write_float_wav
    from audita.items import list_items

    home = home_with_case(root)
    audio, _ = radio_recording([(0.5, 1.2), (2.6, 1.3)], total=4.5)
    path = root / "intercept.wav"
    write_float_wav(path, audio, RATE)
    op_ingest(home, CASE, [str(path)])
    workspace = open_workspace(home)
    try:
        item_id = list_items(workspace, CASE)[0].id
    finally:
        workspace.close()
    return home, item_id


# ---- inspecting a store ------------------------------------------------------------------------


def copy_home(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def sqlite_checks(home: Path) -> None:
    """PRAGMA integrity_check and foreign_key_check straight on the file, before Audita opens it."""
    connection = sqlite3.connect(home / "audita.db")
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        connection.close()


@dataclass
class Inspection:
    report: VerifyReport
    orphans: list[str]
    temp_files: list[str]
    problems: list[str] = field(default_factory=list)


def inspect(workspace: Workspace) -> Inspection:
    """Every row's blob exists; every stored file has a row, or is an orphan that verify reports
    as the documented warning; the log verifies. Returns what is left over for the figures."""
    report = verify_store(workspace)
    assert report.ok, [f"{p.subject}: {p.message}" for p in report.errors]
    with workspace.reading() as connection:
        recorded = {r.sha256 for r in connection.execute(select(blobs.c.sha256)).all()}
        referenced = {r.blob_sha256 for r in connection.execute(select(items.c.blob_sha256)).all()}
        referenced |= {r.blob_sha256 for r in connection.execute(select(media_facts.c.blob_sha256)).all()}
        for row in connection.execute(select(acquisitions.c.metadata_sources_json)).all():
            referenced |= {source["sha256"] for source in json.loads(row.metadata_sources_json)}
        item_ids = {r.id for r in connection.execute(select(items.c.id)).all()}
        rows = connection.execute(select(derivations.c.id, derivations.c.item_id, derivations.c.parent_id)).all()
    stored = set(workspace.blobs.iter_stored())
    assert referenced <= recorded, f"rows refer to unrecorded blobs: {sorted(referenced - recorded)}"
    missing = sorted(sha for sha in recorded if not workspace.blobs.path_for(sha).is_file())
    assert not missing, f"blob rows without a stored file: {missing}"
    unreferenced = recorded - referenced
    assert not unreferenced, f"blob rows that nothing refers to: {sorted(unreferenced)}"
    derivation_ids = {r.id for r in rows}
    assert all(r.item_id in item_ids for r in rows)
    assert all(r.parent_id is None or r.parent_id in derivation_ids for r in rows)
    orphans = sorted(stored - recorded)
    warned = {p.subject.removeprefix("blob ") for p in report.problems
              if p.severity == "warning" and p.message == ORPHAN_WARNING}
    assert warned == set(orphans), (warned, orphans)
    other = [p for p in report.problems if p.severity == "warning" and p.message != ORPHAN_WARNING]
    assert not other, other
    temp = sorted(os.listdir(workspace.settings.tmp_dir))
    return Inspection(report, orphans, temp)


def state(workspace: Workspace) -> dict[str, Any]:
    """What the work produced, without ids and times, for comparing a resumed run with a clean one."""
    with workspace.reading() as connection:
        item_rows = connection.execute(select(items)).all()
        blob_of = {r.id: r.blob_sha256 for r in item_rows}
        derivation_rows = connection.execute(select(derivations)).all()
        stage_of = {r.id: r.stage for r in derivation_rows}
        actions = Counter(r.action for r in connection.execute(select(custody_entries.c.action)).all())
        return {
            "items": sorted((r.kind, r.display_name, r.blob_sha256, blob_of.get(r.parent_item_id)) for r in item_rows),
            "acquisitions": sorted(
                (blob_of[r.item_id], r.source_path, r.original_name, r.archive_member, blob_of.get(r.archive_item_id),
                 r.metadata_json, r.metadata_sources_json)
                for r in connection.execute(select(acquisitions)).all()
            ),
            "blobs": sorted((r.sha256, r.size) for r in connection.execute(select(blobs)).all()),
            "files": sorted(workspace.blobs.iter_stored()),
            "media_facts": sorted(r.blob_sha256 for r in connection.execute(select(media_facts)).all()),
            "derivations": sorted(
                (blob_of[r.item_id], r.stage, stage_of.get(r.parent_id), r.input_sha256, r.output_sha256)
                for r in derivation_rows
            ),
            "custody": sorted(actions.items()),
        }


def open_workspace(home: Path) -> Workspace:
    return Workspace.open(Settings(home=home))
