"""Content-addressed, write-once storage of originals, named by SHA-256.

A blob is written to a temporary file, flushed and fsynced, made read-only and renamed into
place; an existing blob is never opened for writing again. Reading back always re-hashes.
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from audita.errors import AuditaError, BadInput, IntegrityError
from audita.faults import checkpoint

CHUNK = 1 << 20
# Staged files are named stage-PID@HOST-XXXX so that a later process can tell when their owner died.
_HOST_TAG = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


class BlobWriteError(AuditaError):
    """The store itself could not be written (disk full, I/O error): not the input's fault."""


@dataclass(frozen=True)
class StagedBlob:
    """Bytes written to a temporary file with their hash, not yet part of the store."""

    path: Path
    sha256: str
    size: int


@contextmanager
def _writing(where: Path) -> Iterator[None]:
    """Report an OSError raised while writing the store as a BlobWriteError naming the cause."""
    try:
        yield
    except OSError as exc:
        raise BlobWriteError(f"cannot write to the blob store in {where}: {exc.strerror or exc}") from exc


class _ReadFailed(Exception):
    """Carries an OSError from the source stream past `_writing`."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _read(source: BinaryIO) -> bytes:
    try:
        return source.read(CHUNK)
    except OSError as exc:
        raise _ReadFailed(exc) from exc


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    def __init__(self, root: Path, tmp_dir: Path) -> None:
        self.root = root
        self.tmp_dir = tmp_dir

    def ensure(self) -> None:
        (self.root / "sha256").mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def stage(self, source: BinaryIO, *, max_bytes: int) -> StagedBlob:
        """Copy a stream into a temporary file while hashing it; refuse more than max_bytes."""
        self.ensure()
        digest = hashlib.sha256()
        size = 0
        with _writing(self.tmp_dir):
            fd, name = tempfile.mkstemp(prefix=f"stage-{os.getpid()}@{_HOST_TAG}-", dir=self.tmp_dir)
        path = Path(name)
        try:
            # Errors reading the source stay OSErrors (the caller reports the input as unreadable);
            # errors writing, flushing or closing the temporary file are the store's.
            with _writing(self.tmp_dir), os.fdopen(fd, "wb") as out:
                checkpoint("blob.stage.opened")
                while True:
                    chunk = _read(source)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise BadInput(f"larger than the {max_bytes} byte limit")
                    digest.update(chunk)
                    out.write(chunk)
                checkpoint("blob.stage.written")
                out.flush()
                os.fsync(out.fileno())
                checkpoint("blob.stage.synced")
        except _ReadFailed as failed:
            path.unlink(missing_ok=True)
            raise failed.error from None
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return StagedBlob(path=path, sha256=digest.hexdigest(), size=size)

    def commit(self, staged: StagedBlob) -> bool:
        """Move a staged file into place. Returns False when the blob was already stored
        (the staged copy is discarded after confirming the stored one is intact).

        Callers hold the store's writer lock (an open write transaction), so a blob this call
        renamed into place is referenced by nobody else yet: if making it durable fails, it is
        removed again, and the staged copy is discarded, before BlobWriteError is raised."""
        target = self.path_for(staged.sha256)
        if target.exists():
            actual = self.hash_file(target)
            staged.path.unlink(missing_ok=True)
            if actual != staged.sha256:
                raise IntegrityError(f"stored blob {staged.sha256} is damaged (hashes to {actual}); run 'audita verify'")
            return False
        try:
            with _writing(self.root):
                target.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(staged.path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
                checkpoint("blob.commit.before_rename")
                os.replace(staged.path, target)
        except BaseException:
            self.discard(staged)
            raise
        checkpoint("blob.commit.renamed")
        try:
            with _writing(self.root):
                _fsync_dir(target.parent)
        except BaseException:
            self.remove_unreferenced(staged.sha256)
            raise
        checkpoint("blob.commit.synced")
        return True

    def discard(self, staged: StagedBlob) -> None:
        staged.path.unlink(missing_ok=True)

    def remove_abandoned_temp(self) -> list[str]:
        """Delete staged files whose process died before committing or discarding them (killed,
        power cut). Only files staged on this host by a process that no longer exists are removed."""
        removed: list[str] = []
        if not self.tmp_dir.is_dir():
            return removed
        for entry in os.scandir(self.tmp_dir):
            owner, _, rest = entry.name.removeprefix("stage-").partition("-")
            pid, _, host = owner.partition("@")
            if not entry.name.startswith("stage-") or not rest or host != _HOST_TAG or not pid.isdigit():
                continue
            if int(pid) == os.getpid() or _process_exists(int(pid)):
                continue
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                continue
            removed.append(entry.name)
        return removed

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path_for(sha256), "rb")

    @staticmethod
    def hash_file(path: Path) -> str:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest()

    def iter_stored(self) -> Iterator[str]:
        base = self.root / "sha256"
        if not base.exists():
            return
        for path in sorted(base.glob("*/*/*")):
            if path.is_file():
                yield path.name

    def remove_unreferenced(self, sha256: str) -> None:
        """Only for blobs this process created in a transaction that then failed."""
        path = self.path_for(sha256)
        if path.exists():
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
            path.unlink()
