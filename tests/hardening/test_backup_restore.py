"""`audita backup` / `audita restore`: a round trip verified by `audita verify`; every damaged,
altered or hostile backup refused before anything is written."""

from __future__ import annotations

import io
import json
import os
import tarfile
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import crashkit
from audita.backup import SIGNATURE_CONTEXT, backup_store, restore_store
from audita.cli import cli
from audita.config import Settings
from audita.custody.merkle import consistency_proof, root_of, verify_consistency
from audita.errors import BadInput, IntegrityError
from audita.store.schema import custody_entries
from audita.verify import verify_store
from audita.workspace import Workspace
from crashkit import ACTOR, CASE, state
from testkit import tone, write_wav


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installation with a bit of everything: ingest (sidecar, manifest, zip), speech stages, an export."""
    root = tmp_path_factory.mktemp("backup-source")
    home, item_id = crashkit.process_home(root)
    crashkit.op_ingest(home, CASE, [str(crashkit.ingest_batch(root))])
    crashkit.op_process(home, [item_id])
    crashkit.op_export(home, CASE, str(root / "package"))
    models = home / "models"
    models.mkdir(exist_ok=True)
    (models / "registry.json").write_text(json.dumps({"version": 1, "models": {
        "large-v3": {"name": "large-v3", "path": str(root / "weights" / "large-v3"), "sha256": "a" * 64,
                     "files": {"model.bin": "a" * 64}, "source": "local:/models/large-v3"}}}))
    return home


@pytest.fixture(scope="module")
def backup_file(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("backups") / "store.tar"
    workspace = Workspace.open(Settings(home=source))
    try:
        backup_store(workspace, out, actor=ACTOR)
    finally:
        workspace.close()
    return out


def _entries(home: Path) -> list[tuple[int, str, str]]:
    workspace = Workspace.open(Settings(home=home))
    try:
        with workspace.reading() as connection:
            rows = connection.execute(select(custody_entries).order_by(custody_entries.c.seq)).all()
        return [(int(r.seq), r.entry_json, r.leaf_hash) for r in rows]
    finally:
        workspace.close()


def _nothing_written(target: Path) -> None:
    assert not target.exists()
    assert not [p.name for p in target.parent.iterdir() if ".restoring-" in p.name]


def test_round_trip_verifies_and_keeps_everything(source: Path, backup_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "restored"
    result = restore_store(backup_file, target, actor=ACTOR)
    assert oct(backup_file.stat().st_mode & 0o777) == "0o600"  # it holds the private key
    assert any("large-v3" in w and "audita models add" in w for w in result.warnings)
    source_ws, restored_ws = Workspace.open(Settings(home=source)), Workspace.open(Settings(home=target))
    try:
        report = verify_store(restored_ws)
        assert report.ok and not report.problems, report.problems
        before, after = state(source_ws), state(restored_ws)
        assert {k: v for k, v in before.items() if k != "custody"} == {k: v for k, v in after.items() if k != "custody"}
        assert dict(after["custody"])["installation.restored"] == 1
        assert dict(before["custody"])["installation.backed_up"] >= 1
        for sha in after["files"]:
            assert restored_ws.blobs.path_for(sha).read_bytes() == source_ws.blobs.path_for(sha).read_bytes()
            assert restored_ws.blobs.path_for(sha).stat().st_mode & 0o222 == 0  # read-only, as stored
        assert restored_ws.key.public_hex == source_ws.key.public_hex
        assert (target / "keys" / "custody-ed25519.pem").stat().st_mode & 0o777 == 0o600
    finally:
        source_ws.close()
        restored_ws.close()
    # the restored log is the backed-up log plus the restore entry: same entries, provably consistent
    old, new = _entries(source), _entries(target)
    size = result.tree_size
    assert new[:size] == old[:size] and new[size][1].find('"installation.restored"') > 0
    leaves = [bytes.fromhex(leaf) for _, _, leaf in new]
    assert verify_consistency(size, len(leaves), root_of(leaves[:size]), root_of(leaves), consistency_proof(leaves, size))


def test_cli_backup_restore_and_verify(source: Path, tmp_path: Path, reliability_figures: dict[str, Any]) -> None:
    runner = CliRunner()
    out, target = tmp_path / "cli.tar", tmp_path / "cli-restored"
    done = runner.invoke(cli, ["--home", str(source), "--actor", ACTOR, "backup", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "manifest sha256" in done.output
    done = runner.invoke(cli, ["--actor", ACTOR, "restore", str(out), "--home", str(target)])
    assert done.exit_code == 0, done.output
    done = runner.invoke(cli, ["--home", str(target), "verify"])
    assert done.exit_code == 0 and "verify OK" in done.output, done.output
    reliability_figures["backup"] = {"round_trip_files": sum(1 for _ in tarfile.open(out)) - 2}


def test_restore_refuses_a_non_empty_target(backup_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(BadInput, match="not empty"):
        restore_store(backup_file, target, actor=ACTOR)
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def _members(backup: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(backup) as archive:
        return [(m, archive.extractfile(m).read()) for m in archive]  # type: ignore[union-attr]


def _write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        for info, data in members:
            info = tarfile.TarInfo(info.name) if info.isreg() else info
            if info.isreg():
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return path


def _resigned(source: Path, manifest: dict[str, Any]) -> tuple[bytes, bytes]:
    """A manifest signed with the real key (what an insider, not an attacker, could produce)."""
    data = json.dumps(manifest, indent=1, sort_keys=True).encode() + b"\n"
    workspace = Workspace.open(Settings(home=source))
    try:
        return data, (workspace.key.sign(SIGNATURE_CONTEXT + data) + "\n").encode()
    finally:
        workspace.close()


def _tamper(kind: str, source: Path, scratch: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> tuple[list[Any], str]:
    (m_info, m_data), (s_info, s_data), rest = members[0], members[1], members[2:]
    manifest = json.loads(m_data)
    blob = next(i for i, (info, _) in enumerate(rest) if info.name.startswith("blobs/"))

    def link(name: str, target: str, kind_: bytes) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.linkname = kind_, target
        return info

    if kind == "flipped blob byte":
        info, data = rest[blob]
        rest[blob] = (info, bytes([data[0] ^ 1]) + data[1:])
        return [members[0], members[1], *rest], "does not match its manifest hash"
    if kind == "altered manifest":
        altered = m_data.replace(b'"created_by": "', b'"created_by": "x')
        return [(m_info, altered), members[1], *rest], "signature does not verify"
    if kind == "manifest signed by another key":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        from audita.custody.keys import key_id

        other = Ed25519PrivateKey.generate()
        manifest["public_key"] = other.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        manifest["key_id"] = key_id(manifest["public_key"])
        data = json.dumps(manifest).encode()
        signature = (other.sign(SIGNATURE_CONTEXT + data).hex() + "\n").encode()
        return [(m_info, data), (s_info, signature), *rest], "public key file differs"
    if kind == "extra member":
        return [*members, (tarfile.TarInfo("blobs/sha256/00/00/" + "0" * 64), b"x")], "not in its manifest"
    if kind == "missing member":
        return [members[0], members[1], *rest[:-1]], "incomplete"
    if kind == "dot-dot member":
        return [*members, (tarfile.TarInfo("../../evil.sh"), b"#!/bin/sh\n")], "not in its manifest"
    if kind == "absolute member":
        return [members[0], members[1], (tarfile.TarInfo(str(scratch / "evil-abs")), b"x"), *rest],\
            "not in its manifest"
    if kind == "symlink in place of the key":
        rest = [(link(i.name, "/etc/passwd", tarfile.SYMTYPE), b"") if i.name.endswith(".pem") else (i, d)
                for i, d in rest]
        return [members[0], members[1], *rest], "not a regular file"
    if kind == "hardlink in place of the database":
        rest = [(link(i.name, "/etc/shadow", tarfile.LNKTYPE), b"") if i.name == "audita.db" else (i, d)
                for i, d in rest]
        return [members[0], members[1], *rest], "not a regular file"
    if kind == "signed manifest listing ../":
        manifest["files"].append({"path": "../evil.sh", "sha256": "0" * 64, "size": 1})
        data, signature = _resigned(source, manifest)
        return [(m_info, data), (s_info, signature), *rest], "unexpected file"
    if kind == "signed manifest blob under a wrong name":
        entry = next(e for e in manifest["files"] if e["path"].startswith("blobs/"))
        entry["sha256"] = "f" * 64
        data, signature = _resigned(source, manifest)
        return [(m_info, data), (s_info, signature), *rest], "not its hash"
    if kind == "manifest not first":
        return [*rest[:1], members[0], members[1], *rest[1:]], "does not start with MANIFEST"
    raise ValueError(kind)


TAMPERING = ["flipped blob byte", "altered manifest", "manifest signed by another key", "extra member",
             "missing member", "dot-dot member", "absolute member", "symlink in place of the key",
             "hardlink in place of the database", "signed manifest listing ../", "signed manifest blob under a wrong name",
             "manifest not first"]


@pytest.mark.parametrize("kind", TAMPERING)
def test_altered_or_hostile_backups_are_refused_before_writing(kind: str, source: Path, backup_file: Path,
                                                               tmp_path: Path, reliability_figures: dict[str, Any]) -> None:
    members, expected = _tamper(kind, source, tmp_path, _members(backup_file))
    bad = _write_tar(tmp_path / "bad.tar", members)
    target = tmp_path / "target"
    with pytest.raises(BadInput, match=expected):
        restore_store(bad, target, actor=ACTOR)
    _nothing_written(target)
    assert not (tmp_path / "evil-abs").exists() and not (tmp_path.parent / "evil.sh").exists()
    reliability_figures.setdefault("restore_refusals", []).append(kind)


def test_pinned_key_id_and_garbage_files(backup_file: Path, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not the expected"):
        restore_store(backup_file, tmp_path / "t1", actor=ACTOR, expect_key_id="00ff")
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(os.urandom(4096))
    with pytest.raises(BadInput, match="not a readable backup|does not start with MANIFEST"):
        restore_store(garbage, tmp_path / "t2", actor=ACTOR)
    cut = tmp_path / "cut.tar"
    cut.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size // 2])
    with pytest.raises(BadInput):
        restore_store(cut, tmp_path / "t3", actor=ACTOR)
    for name in ("t1", "t2", "t3"):
        _nothing_written(tmp_path / name)


def test_backup_refusals(source: Path, backup_file: Path, tmp_path: Path) -> None:
    workspace = Workspace.open(Settings(home=source))
    try:
        existing = tmp_path / "exists.tar"
        existing.write_bytes(b"")
        with pytest.raises(BadInput, match="never overwrites"):
            backup_store(workspace, existing, actor=ACTOR)
        with pytest.raises(BadInput, match="never overwrites"):  # complete, but already recorded
            backup_store(workspace, backup_file, actor=ACTOR)
    finally:
        workspace.close()
    other = Workspace.open(Settings(home=tmp_path / "other"))
    try:  # another installation's backup is never adopted as this one's
        with pytest.raises(BadInput, match="never overwrites"):
            backup_store(other, backup_file, actor=ACTOR)
    finally:
        other.close()
    workspace = Workspace.open(Settings(home=source))
    try:
        postgres = SimpleNamespace(engine=SimpleNamespace(dialect=SimpleNamespace(name="postgresql")))
        with pytest.raises(BadInput, match="pg_dump"):
            backup_store(postgres, tmp_path / "pg.tar", actor=ACTOR)  # type: ignore[arg-type]
    finally:
        workspace.close()


def test_damaged_store_is_not_backed_up_and_orphans_are_left_out(tmp_path: Path) -> None:
    home = tmp_path / "home"
    crashkit.op_init(home, CASE)
    wav = write_wav(tmp_path / "a.wav", tone(0.5, seed=31))
    crashkit.op_ingest(home, CASE, [str(wav)])
    workspace = Workspace.open(Settings(home=home))
    try:
        orphan = workspace.blobs.stage(io.BytesIO(b"left by a killed ingest"), max_bytes=100)
        target = workspace.blobs.path_for(orphan.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(orphan.path, target)
        result = backup_store(workspace, tmp_path / "ok.tar", actor=ACTOR)
        assert result.unrecorded_blobs == 1 and result.blobs == 1
        restored = restore_store(tmp_path / "ok.tar", tmp_path / "restored", actor=ACTOR)
        assert not restored.warnings
        stored = workspace.blobs.path_for(next(s for s in workspace.blobs.iter_stored() if s != orphan.sha256))
        os.chmod(stored, 0o644)
        stored.write_bytes(stored.read_bytes()[:-1] + b"\x00")
        with pytest.raises(IntegrityError, match="damaged"):
            backup_store(workspace, tmp_path / "bad.tar", actor=ACTOR)
        stored.write_bytes(stored.read_bytes()[:-10])  # shorter than recorded
        with pytest.raises(IntegrityError, match="damaged"):
            backup_store(workspace, tmp_path / "bad.tar", actor=ACTOR)
        assert not (tmp_path / "bad.tar").exists() and not (tmp_path / "bad.tar.partial").exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".audita-backup-")]
    finally:
        workspace.close()


def test_backups_taken_during_an_ingest_restore_and_verify(tmp_path: Path, reliability_figures: dict[str, Any]) -> None:
    """Writers keep going while backups are taken; each backup is a consistent snapshot."""
    home = tmp_path / "home"
    crashkit.op_init(home, CASE)
    batch = tmp_path / "batch"
    batch.mkdir()
    for i in range(30):
        write_wav(batch / f"r{i:02d}.wav", tone(0.4, freq=200 + 13 * i, seed=40 + i))
    writer = crashkit.start_child("ingest", {"home": home, "case": CASE, "paths": [str(batch)]})
    backups = []
    workspace = Workspace.open(Settings(home=home))
    try:
        while writer.is_alive() or not backups:
            backups.append(backup_store(workspace, tmp_path / f"b{len(backups)}.tar", actor=ACTOR))
    finally:
        workspace.close()
        writer.join(120)
    assert writer.exitcode == 0
    sizes = []
    for index, taken in enumerate(backups):
        restored = restore_store(taken.path, tmp_path / f"r{index}", actor=ACTOR)
        sizes.append(restored.blobs)
    assert sizes == sorted(sizes)
    reliability_figures["backup_under_load"] = {"backups": len(backups), "blobs_per_backup": sizes}


def test_threads_do_not_interleave_a_backup_with_a_commit(tmp_path: Path) -> None:
    """The snapshot is taken under the writer lock: a commit waits for it, never splits it."""
    home = tmp_path / "home"
    crashkit.op_init(home, CASE)
    workspace = Workspace.open(Settings(home=home))
    errors: list[BaseException] = []

    def create_cases() -> None:
        from audita.cases import create_case

        try:
            for i in range(15):
                create_case(workspace, f"parallel {i}", actor=ACTOR)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=create_cases)
    thread.start()
    try:
        taken = [backup_store(workspace, tmp_path / f"t{i}.tar", actor=ACTOR) for i in range(3)]
    finally:
        thread.join()
        workspace.close()
    assert not errors
    for index, backup in enumerate(taken):
        restore_store(backup.path, tmp_path / f"tr{index}", actor=ACTOR)


def test_postgresql_store_is_refused_with_the_pg_dump_advice(pg_database: str, tmp_path: Path) -> None:
    """Runs where ./scripts/test.sh provides a PostgreSQL server; skipped otherwise."""
    workspace = Workspace.open(Settings(home=tmp_path / "home", database_url=pg_database))
    try:
        with pytest.raises(BadInput, match="pg_dump"):
            backup_store(workspace, tmp_path / "pg.tar", actor=ACTOR)
        assert not (tmp_path / "pg.tar").exists()
    finally:
        workspace.close()
