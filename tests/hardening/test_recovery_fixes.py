"""Leftovers of a crash that must not block or clutter the next start: the signing key's temporary
file (first start killed), staged blob files of a killed process, and two first starts at once."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import select

from audita.config import Settings
from audita.custody.keys import PRIVATE_NAME, PUBLIC_NAME
from audita.store.blobs import _HOST_TAG
from audita.store.schema import custody_entries, installation
from audita.verify import verify_store
from audita.workspace import Workspace

import crashkit


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_first_start_killed_while_writing_the_key_does_not_block_the_next(tmp_path: Path) -> None:
    home = tmp_path / "home"
    keys = home / "keys"
    keys.mkdir(parents=True)
    # what a killed first start leaves: the old fixed-name temporary file, or a half-written one
    (keys / "custody-ed25519.tmp").write_bytes(b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2Vw")
    (keys / f".{PRIVATE_NAME}.abc123.tmp").write_bytes(b"")
    workspace = Workspace.open(Settings(home=home))
    try:
        assert (keys / PRIVATE_NAME).stat().st_mode & 0o777 == 0o600
        assert (keys / PUBLIC_NAME).read_text().strip() == workspace.key.public_hex
        report = verify_store(workspace)
        assert report.ok and not report.problems, report.problems
    finally:
        workspace.close()


def test_simultaneous_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    codes = crashkit.run_together("init", [{"home": home, "case": f"C{i}"} for i in range(4)])
    assert codes == [0, 0, 0, 0]
    workspace = Workspace.open(Settings(home=home))
    try:
        with workspace.reading() as connection:
            stored_key = connection.execute(select(installation.c.public_key)).scalar_one()
            created = connection.execute(
                select(custody_entries.c.seq).where(custody_entries.c.action == "installation.created")
            ).all()
        assert stored_key == workspace.key.public_hex == (home / "keys" / PUBLIC_NAME).read_text().strip()
        assert len(created) == 1
        assert not [p for p in (home / "keys").iterdir() if p.name.endswith(".tmp")]
        report = verify_store(workspace)
        assert report.ok and not report.problems, report.problems
    finally:
        workspace.close()


def test_staged_files_of_dead_processes_are_removed_on_open(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Workspace.open(Settings(home=home)).close()
    tmp = home / "tmp"
    dead = tmp / f"stage-{_dead_pid()}@{_HOST_TAG}-x1y2z3"
    alive = tmp / f"stage-{os.getppid()}@{_HOST_TAG}-a1b2c3"  # a live process: perhaps still writing
    elsewhere = tmp / f"stage-{_dead_pid()}@00000000-d4e5f6"  # another host sharing the home
    unrelated = tmp / "notes.txt"
    for path in (dead, alive, elsewhere, unrelated):
        path.write_bytes(b"partial")
    Workspace.open(Settings(home=home)).close()
    assert sorted(p.name for p in tmp.iterdir()) == sorted(p.name for p in (alive, elsewhere, unrelated))
