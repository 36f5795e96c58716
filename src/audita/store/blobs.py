"""Content-addressed, write-once storage of originals, named by SHA-256.

A blob is written to a temporary file, flushed and fsynced, made read-only and renamed into
place; an existing blob is never opened for writing again. Reading back always re-hashes.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from audita.errors import BadInput, IntegrityError

CHUNK = 1 << 20


@dataclass(frozen=True)
class StagedBlob:
    """Bytes written to a temporary file with their hash, not yet part of the store."""

    path: Path
    sha256: str
    size: int


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
        fd, name = tempfile.mkstemp(prefix="stage-", dir=self.tmp_dir)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = source.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise BadInput(f"larger than the {max_bytes} byte limit")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return StagedBlob(path=path, sha256=digest.hexdigest(), size=size)

    def commit(self, staged: StagedBlob) -> bool:
        """Move a staged file into place. Returns False when the blob was already stored
        (the staged copy is discarded after confirming the stored one is intact)."""
        target = self.path_for(staged.sha256)
        if target.exists():
            actual = self.hash_file(target)
            staged.path.unlink(missing_ok=True)
            if actual != staged.sha256:
                raise IntegrityError(f"stored blob {staged.sha256} is damaged (hashes to {actual}); run 'audita verify'")
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staged.path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(staged.path, target)
        _fsync_dir(target.parent)
        return True

    def discard(self, staged: StagedBlob) -> None:
        staged.path.unlink(missing_ok=True)

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
