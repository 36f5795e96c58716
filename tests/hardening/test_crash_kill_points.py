"""SIGKILL at every checkpoint an uninterrupted run passes (every occurrence), for first start,
ingest, speech processing and export. After each kill: SQLite integrity, no row without its blob,
no blob without its row except the documented "interrupted ingest" orphan warning, the custody log
verifies; then the work is finished and must equal what an uninterrupted run produced."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from audita.backup import restore_store
from audita.errors import BadInput
from audita.export.verify_package import verify_package_path
from audita.store.schema import custody_entries

import crashkit
from crashkit import (
    ACTOR, CASE, copy_home, home_with_case, ingest_batch, inspect, open_workspace, process_home, run_child,
    sqlite_checks, state, trace_points,
)


def _exports(workspace: Any) -> list[dict[str, Any]]:
    with workspace.reading() as connection:
        rows = connection.execute(
            select(custody_entries.c.entry_json).where(custody_entries.c.action == "case.exported")
        ).all()
    return [json.loads(r.entry_json)["details"] for r in rows]


class Scenario:
    """One operation on a prepared home: traced once, then killed at each point and finished."""

    def __init__(self, name: str, base: Path, kwargs: Callable[[Path], dict[str, Any]], work: Path) -> None:
        self.name, self.base, self.kwargs, self.work = name, base, kwargs, work

    def home(self, label: str) -> Path:
        target = self.work / label
        if self.base.exists():
            return copy_home(self.base, target / "home")
        return target / "home"

    def baseline(self) -> tuple[list[str], dict[str, Any]]:
        home = self.home("baseline")
        specs = trace_points(self.name, {"home": home, **self.kwargs(home)}, self.work / "trace.txt")
        workspace = open_workspace(home)
        try:
            inspect(workspace)
            return specs, self.normal(workspace, state(workspace))
        finally:
            workspace.close()

    def normal(self, workspace: Any, found: dict[str, Any]) -> dict[str, Any]:
        return found


def _kill_everywhere(scenario: Scenario, finish: Callable[[Path, str], None], figures: dict[str, Any],
                     required: set[str]) -> None:
    specs, expected = scenario.baseline()
    names = {spec.rsplit(":", 1)[0] for spec in specs}
    assert required <= names, f"checkpoints not reached: {sorted(required - names)}"
    survived = orphans = temp_left = 0
    for index, spec in enumerate(specs):
        home = scenario.home(f"kill-{index}")
        code = run_child(scenario.name, {"home": home, **scenario.kwargs(home)}, kill_at=spec)
        assert code == -9, f"{spec}: expected SIGKILL, exit code {code}"
        sqlite_checks(home)
        temp_left += len(list((home / "tmp").glob("stage-*")))
        workspace = open_workspace(home)
        try:
            after_kill = inspect(workspace)
            assert not after_kill.temp_files, f"{spec}: staged files of the killed process not removed on open"
            orphans += len(after_kill.orphans)
            finish(home, spec)
            after_rerun = inspect(workspace)
            assert not after_rerun.orphans, f"{spec}: orphans not adopted on re-run: {after_rerun.orphans}"
            assert scenario.normal(workspace, state(workspace)) == expected, f"{spec}: resumed state differs"
        finally:
            workspace.close()
        survived += 1
    figures["kill_points"][scenario.name] = {
        "kill_points": len(specs), "distinct_checkpoints": len(names), "survived": survived,
        "orphan_blobs_after_kill": orphans, "temp_files_removed_on_open": temp_left,
    }


def test_kill_during_first_start(tmp_path: Path, crash_figures: dict[str, Any]) -> None:
    scenario = Scenario("init", tmp_path / "no-base", lambda home: {"case": CASE}, tmp_path)

    def finish(home: Path, spec: str) -> None:
        from audita.cases import create_case
        from audita.errors import BadInput as Exists

        workspace = open_workspace(home)
        try:
            create_case(workspace, CASE, actor=ACTOR)
        except Exists:
            pass  # the killed run had committed it
        finally:
            workspace.close()

    _kill_everywhere(scenario, finish, crash_figures,
                     {"custody.appended", "custody.head_signed", "action.committed"})


def test_kill_during_ingest(tmp_path: Path, crash_figures: dict[str, Any]) -> None:
    base = home_with_case(tmp_path / "base")
    batch = ingest_batch(tmp_path)
    scenario = Scenario("ingest", base, lambda home: {"case": CASE, "paths": [str(batch)]}, tmp_path)

    def finish(home: Path, spec: str) -> None:
        crashkit.op_ingest(home, CASE, [str(batch)])

    _kill_everywhere(scenario, finish, crash_figures, {
        "ingest.file", "blob.stage.opened", "blob.stage.written", "blob.stage.synced", "blob.commit.before_rename",
        "blob.commit.renamed", "blob.commit.synced", "custody.appended", "custody.head_signed", "action.committed",
    })


def test_kill_during_processing(tmp_path: Path, crash_figures: dict[str, Any]) -> None:
    base, item_id = process_home(tmp_path / "base")
    scenario = Scenario("process", base, lambda home: {"item_ids": [item_id]}, tmp_path)

    def finish(home: Path, spec: str) -> None:
        crashkit.op_process(home, [item_id])

    stages = ("segment", "transcribe", "translate", "speakers", "transcript")
    _kill_everywhere(scenario, finish, crash_figures,
                     {f"process.{s}.{when}" for s in stages for when in ("computed", "recorded")})


class _ExportScenario(Scenario):
    def normal(self, workspace: Any, found: dict[str, Any]) -> dict[str, Any]:
        # one export recorded, and the package it names verifies; paths differ between homes
        recorded = _exports(workspace)
        assert len(recorded) == 1, recorded
        assert verify_package_path(Path(recorded[0]["directory"])) == []
        assert verify_package_path(Path(recorded[0]["directory"]).with_suffix(".zip")) == []
        return found


def test_kill_during_export(tmp_path: Path, crash_figures: dict[str, Any]) -> None:
    """An export killed after its package was renamed into place but before its custody entry is
    adopted by the re-run to the same --out (checked whole, zipped if needed, then recorded); one
    killed earlier is simply built again."""
    base, item_id = process_home(tmp_path / "base")
    crashkit.op_process(base, [item_id])
    scenario = _ExportScenario("export", base, lambda home: {"case": CASE, "out": str(home.parent / "pkg")}, tmp_path)
    adopted: list[str] = []

    def finish(home: Path, spec: str) -> None:
        out = home.parent / "pkg"
        left = out.is_dir()
        workspace = open_workspace(home)
        try:
            recorded_before = any(e["directory"] == str(out) for e in _exports(workspace))
        finally:
            workspace.close()
        try:
            crashkit.op_export(home, CASE, str(out))
        except BadInput as exc:  # only when the killed run had recorded it: the work was complete
            assert "never overwrites" in str(exc) and recorded_before, spec
        workspace = open_workspace(home)
        try:
            recorded = _exports(workspace)
        finally:
            workspace.close()
        assert [e["directory"] for e in recorded] == [str(out)], spec
        if left and not recorded_before:
            assert recorded[0].get("adopted"), spec
            adopted.append(spec)
        assert not out.with_name("pkg.partial").exists() and not out.with_suffix(".zip.partial").exists(), spec

    _kill_everywhere(scenario, finish, crash_figures,
                     {"export.before_rename", "export.before_zip", "export.zipped", "custody.appended"})
    assert adopted, "no kill point left an unrecorded package"
    crash_figures["kill_points"]["export"]["unrecorded_package_adopted"] = adopted


def test_export_adoption_refuses_what_this_run_would_not_have_written(tmp_path: Path) -> None:
    """Only an unrecorded, intact package of this installation, case and options is adopted."""
    base, item_id = process_home(tmp_path / "base")
    crashkit.op_process(base, [item_id])
    out = tmp_path / "pkg"
    assert run_child("export", {"home": base, "case": CASE, "out": str(out)}, kill_at="export.zipped:1") == -9
    from audita.cases import create_case
    from audita.export.package import ExportOptions, export_case

    workspace = open_workspace(base)
    try:
        assert _exports(workspace) == []
        create_case(workspace, "Other", actor=ACTOR)
        with pytest.raises(BadInput, match="never overwrites"):  # another case
            export_case(workspace, "Other", out, actor=ACTOR, options=ExportOptions(report=False))
        with pytest.raises(BadInput, match="never overwrites"):  # other options
            export_case(workspace, CASE, out, actor=ACTOR, options=ExportOptions(report=False, working_copies=True))
        victim = next((out / "recordings").rglob("transcript.current.txt"))
        original = victim.read_bytes()
        victim.chmod(0o644)
        victim.write_bytes(original + b"tampered\n")
        with pytest.raises(BadInput, match="never overwrites"):  # changed since
            export_case(workspace, CASE, out, actor=ACTOR, options=ExportOptions(report=False))
        victim.write_bytes(original)
        assert _exports(workspace) == []
        result = export_case(workspace, CASE, out, actor=ACTOR, options=ExportOptions(report=False))
        assert "interrupted export" in result.warnings[0]
        recorded = _exports(workspace)
        assert len(recorded) == 1 and recorded[0]["manifest_sha256"] == result.manifest_sha256
        assert recorded[0]["zip_sha256"] == _sha256_of(result.zip_path)
        with pytest.raises(BadInput, match="never overwrites"):  # now recorded: complete, never redone
            export_case(workspace, CASE, out, actor=ACTOR, options=ExportOptions(report=False))
    finally:
        workspace.close()


def _sha256_of(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _backups(workspace: Any) -> list[dict[str, Any]]:
    with workspace.reading() as connection:
        rows = connection.execute(
            select(custody_entries.c.entry_json).where(custody_entries.c.action == "installation.backed_up")
        ).all()
    return [json.loads(r.entry_json)["details"] for r in rows]


class _BackupScenario(Scenario):
    def normal(self, workspace: Any, found: dict[str, Any]) -> dict[str, Any]:
        recorded = _backups(workspace)
        assert len(recorded) == 1, recorded
        target = Path(recorded[0]["file"]).with_name("check-restore")
        restore_store(Path(recorded[0]["file"]), target, actor=ACTOR)  # verifies, or raises
        shutil.rmtree(target)
        return found


def test_kill_during_backup(tmp_path: Path, crash_figures: dict[str, Any]) -> None:
    """A backup killed after its file was complete is adopted (checked whole, then recorded) by the
    re-run to the same path; one killed earlier is simply written again."""
    base = home_with_case(tmp_path / "base")
    crashkit.op_ingest(base, CASE, [str(ingest_batch(tmp_path))])
    scenario = _BackupScenario("backup", base, lambda home: {"out": str(home.parent / "store.tar")}, tmp_path)

    def finish(home: Path, spec: str) -> None:
        out = home.parent / "store.tar"
        try:
            crashkit.op_backup(home, str(out))
        except BadInput as exc:  # only when the killed run had recorded it: the work was complete
            assert "never overwrites" in str(exc)
            workspace = open_workspace(home)
            try:
                assert [b["file"] for b in _backups(workspace)] == [str(out)], spec
            finally:
                workspace.close()
        assert not [p.name for p in home.parent.iterdir() if p.name.startswith(".audita-backup-")], spec

    _kill_everywhere(scenario, finish, crash_figures, {"backup.snapshot", "backup.written", "backup.renamed"})


def test_kill_during_restore(tmp_path: Path, crash_figures: dict[str, Any]) -> None:
    base = home_with_case(tmp_path / "base")
    crashkit.op_ingest(base, CASE, [str(ingest_batch(tmp_path))])
    backup = tmp_path / "store.tar"
    crashkit.op_backup(base, str(backup))
    specs = trace_points("restore", {"backup": str(backup), "target": str(tmp_path / "traced")}, tmp_path / "trace.txt")
    names = {spec.rsplit(":", 1)[0] for spec in specs}
    assert {"restore.extracted", "restore.verified", "custody.appended"} <= names
    expected = _restored_state(tmp_path / "traced")
    for index, spec in enumerate(specs):
        root = tmp_path / f"kill-{index}"
        root.mkdir()
        target = root / "restored"
        assert run_child("restore", {"backup": str(backup), "target": str(target)}, kill_at=spec) == -9
        assert not target.exists(), f"{spec}: a killed restore left a half-restored store in place"
        crashkit.op_restore(str(backup), str(target))
        assert _restored_state(target) == expected, spec
        leftovers = [p.name for p in root.iterdir() if p.name != "restored"]
        assert not leftovers, f"{spec}: {leftovers}"
    crash_figures["kill_points"]["restore"] = {"kill_points": len(specs), "distinct_checkpoints": len(names),
                                               "survived": len(specs)}


def _restored_state(home: Path) -> dict[str, Any]:
    sqlite_checks(home)
    workspace = open_workspace(home)
    try:
        inspect(workspace)
        return state(workspace)
    finally:
        workspace.close()


@pytest.fixture
def crash_figures(reliability_figures: dict[str, Any]) -> dict[str, Any]:
    reliability_figures.setdefault("kill_points", {})
    return reliability_figures
