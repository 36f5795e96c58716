"""Disk full (ENOSPC) and I/O errors (EIO) while the blob store writes: the file being ingested
rolls back completely (no row, no blob, no temporary file, no custody entry), the error names the
cause in one line, and the same ingest succeeds once the fault is gone."""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from audita.cases import create_case
from audita.config import Settings
from audita.errors import AuditaError
from audita.ingest.service import ingest_paths
from audita.store.blobs import BlobWriteError
from audita.store.schema import acquisitions, blobs, custody_entries, items, media_facts, tree_heads
from audita.verify import verify_store
from audita.workspace import Workspace
from testkit import ACTOR, tone, write_wav


def snapshot(workspace: Workspace) -> tuple[Any, ...]:
    with workspace.reading() as connection:
        counts = tuple(connection.execute(select(func.count()).select_from(t)).scalar_one()
                       for t in (items, acquisitions, blobs, media_facts, custody_entries, tree_heads))
    return counts, sorted(workspace.blobs.iter_stored()), sorted(os.listdir(workspace.settings.tmp_dir))


class Fault:
    """Raise OSError(code) from the n-th call of one low-level operation, counting only the calls
    that `applies` accepts; every other call goes through."""

    def __init__(self, code: int, nth: int, applies: Callable[..., bool] = lambda *a, **k: True) -> None:
        self.code, self.nth, self.applies, self.calls, self.fired = code, nth, applies, 0, False

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self.applies(*args, **kwargs):
                self.calls += 1
                if self.calls == self.nth:
                    self.fired = True
                    raise OSError(self.code, os.strerror(self.code))
            return real(*args, **kwargs)
        return wrapper


class _FailingWrites:
    """A writable file whose write() raises, as a full or failing disk does."""

    def __init__(self, handle: Any, fault: Fault) -> None:
        self.handle, self.fault = handle, fault

    def write(self, data: bytes) -> int:
        self.fault.fired = True
        raise OSError(self.fault.code, os.strerror(self.fault.code))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)

    def __enter__(self) -> "_FailingWrites":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.handle.close()


def _is_file(fd: int) -> bool:
    return stat.S_ISREG(os.fstat(fd).st_mode)


def _is_dir(fd: int) -> bool:
    return stat.S_ISDIR(os.fstat(fd).st_mode)


def install(monkeypatch: pytest.MonkeyPatch, where: str, code: int, nth: int) -> Fault:
    """Arm one fault: `where` names the operation, `nth` which of its calls fails."""
    if where == "write":
        fault = Fault(code, nth, lambda fd, mode="r", *a, **k: "w" in mode)
        real_fdopen = os.fdopen

        def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = real_fdopen(fd, mode, *args, **kwargs)
            if "w" in mode:
                fault.calls += 1
                if fault.calls == nth:
                    return _FailingWrites(handle, fault)
            return handle

        monkeypatch.setattr(os, "fdopen", fdopen)
        return fault
    if where == "fsync-file":
        fault = Fault(code, nth, _is_file)
        monkeypatch.setattr(os, "fsync", fault.wrap(os.fsync))
    elif where == "fsync-dir":
        fault = Fault(code, nth, _is_dir)
        monkeypatch.setattr(os, "fsync", fault.wrap(os.fsync))
    elif where == "rename":
        fault = Fault(code, nth)
        monkeypatch.setattr(os, "replace", fault.wrap(os.replace))
    elif where == "mkstemp":
        fault = Fault(code, nth)
        monkeypatch.setattr(tempfile, "mkstemp", fault.wrap(tempfile.mkstemp))
    else:
        raise ValueError(where)
    return fault


# (operation, which call, input): the recording is the first blob written, its sidecar the second
# (inside the transaction, after the recording's blob is already in place). A zip is committed as
# its own item before its members, so a fault in a member (call 2) keeps the archive item: each
# file is atomic, not the batch.
CASES = [
    ("write", 1, "recording"), ("fsync-file", 1, "recording"), ("mkstemp", 1, "recording"),
    ("rename", 1, "recording"), ("fsync-dir", 1, "recording"),
    ("write", 2, "recording"), ("fsync-file", 2, "recording"), ("rename", 2, "recording"),
    ("fsync-dir", 2, "recording"),
    ("write", 1, "archive"), ("fsync-dir", 1, "archive"), ("write", 2, "archive"), ("fsync-dir", 2, "archive"),
]


@pytest.fixture
def sources(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    write_wav(folder / "a.wav", tone(0.6, freq=330, seed=21))
    (folder / "a.wav.json").write_text(json.dumps({"channel": "phone", "language": "ru"}))
    archive = tmp_path / "release.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / "a.wav", "a.wav")
    return {"recording": folder, "archive": archive}


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO], ids=["ENOSPC", "EIO"])
@pytest.mark.parametrize(("where", "nth", "source"), CASES, ids=[f"{w}#{n}-{s}" for w, n, s in CASES])
def test_blob_store_write_failure_rolls_back(tmp_path: Path, sources: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                             where: str, nth: int, source: str, code: int,
                                             reliability_figures: dict[str, Any]) -> None:
    workspace = Workspace.open(Settings(home=tmp_path / "home"))
    try:
        case = create_case(workspace, "IO", actor=ACTOR)
        before = snapshot(workspace)
        with monkeypatch.context() as patch:
            fault = install(patch, where, code, nth)
            with pytest.raises(BlobWriteError) as caught:
                ingest_paths(workspace, case.name, [sources[source]], actor=ACTOR)
        assert fault.fired
        message = str(caught.value)
        assert isinstance(caught.value, AuditaError) and "\n" not in message
        assert "blob store" in message and os.strerror(code) in message, message
        counts, stored, temp = snapshot(workspace)
        kept = 1 if source == "archive" and nth == 2 else 0  # the archive item, committed before its member
        assert temp == [], "a temporary file was left behind"
        assert len(stored) == len(before[1]) + kept, "the failed file left a blob behind"
        # items, acquisitions, blobs, media facts, custody entries, tree heads
        assert counts == tuple(b + d * kept for b, d in zip(before[0], (1, 0, 1, 0, 1, 1))), counts
        report = verify_store(workspace)
        assert report.ok and not report.problems, report.problems
        # the fault gone, the same ingest goes through
        retry = ingest_paths(workspace, case.name, [sources[source]], actor=ACTOR)
        assert retry.ok and retry.count("ingested") >= 1, retry.outcomes
        assert verify_store(workspace).ok
    finally:
        workspace.close()
    reliability_figures.setdefault("io_errors", []).append(f"{where}#{nth} {source} {errno.errorcode[code]}")


def test_unreadable_source_is_still_reported_as_the_input(tmp_path: Path, workspace: Workspace, case: Any) -> None:
    """A read error on the source is the input's problem (that file rejected, batch goes on),
    not the store's: only write-side errors become BlobWriteError."""

    class BrokenSource:
        def read(self, size: int = -1) -> bytes:
            raise OSError(errno.EIO, os.strerror(errno.EIO))

    with pytest.raises(OSError) as caught:
        workspace.blobs.stage(BrokenSource(), max_bytes=1 << 20)  # type: ignore[arg-type]
    assert not isinstance(caught.value, BlobWriteError)
    assert os.listdir(workspace.settings.tmp_dir) == []
