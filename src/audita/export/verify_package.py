"""`audita verify-package`: the same checks as the standalone script shipped in every package."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from audita.errors import BadInput
from audita.export.standalone_verify import verify_package
from audita.ingest.archives import ArchiveLimits, scan_archive


def verify_package_path(path: Path) -> list[str]:
    """Verify a package directory or its zip; returns the failures (empty when it verifies)."""
    if path.is_dir():
        return verify_package(str(path))
    if not zipfile.is_zipfile(path):
        raise BadInput(f"{path} is neither a package directory nor a zip")
    members = scan_archive(path, ArchiveLimits())  # refuses hostile names and bombs
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as archive:
        for member in members:
            target = Path(tmp) / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member.info) as source, open(target, "wb") as out:
                out.write(source.read())
        root = Path(tmp)
        tops = {m.name.split("/", 1)[0] for m in members}
        if len(tops) == 1 and (root / next(iter(tops))).is_dir():
            root = root / next(iter(tops))
        return verify_package(str(root))
