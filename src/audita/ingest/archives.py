"""Safe reading of zip archives: every member is checked before anything is stored.

Nothing is ever extracted to a path chosen by the archive. Member names are only labels, and a
name that would escape the archive root (`../`, absolute, drive letters), a link, a duplicate,
overlapping entries or implausible sizes (zip bombs) make the whole archive unacceptable.
"""

from __future__ import annotations

import stat
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from audita.errors import BadInput

LOCAL_HEADER = struct.Struct("<4s5H3I2H")
LOCAL_SIGNATURE = b"PK\x03\x04"
BOMB_MIN_BYTES = 1 << 20
READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 10_000
    max_member_bytes: int = 4 << 30
    max_total_bytes: int = 16 << 30
    max_compression_ratio: float = 200.0


@dataclass(frozen=True)
class Member:
    name: str  # normalised POSIX path inside the archive
    info: zipfile.ZipInfo


def safe_member_name(raw: str) -> str:
    """Normalise a member name or raise BadInput if it is hostile."""
    if "\x00" in raw:
        raise BadInput(f"member name {raw!r} contains a NUL byte")
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) >= 2 and name[1] == ":"):
        raise BadInput(f"member {raw!r} has an absolute path")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise BadInput(f"member {raw!r} escapes the archive root")
    if not parts:
        raise BadInput(f"member {raw!r} has an empty name")
    return "/".join(parts)


def _check_overlaps(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Reject archives whose entries share bytes (overlapping-entry zip bombs)."""
    size = path.stat().st_size
    spans: list[tuple[int, int, str]] = []
    with open(path, "rb") as handle:
        for info in infos:
            if not 0 <= info.header_offset < size:
                raise BadInput(f"member {info.filename!r} points outside the archive (damaged central directory)")
            handle.seek(info.header_offset)
            header = handle.read(LOCAL_HEADER.size)
            if len(header) < LOCAL_HEADER.size or header[:4] != LOCAL_SIGNATURE:
                raise BadInput(f"member {info.filename!r} has no valid local header")
            fields = LOCAL_HEADER.unpack(header)
            name_len, extra_len = fields[-2], fields[-1]
            end = info.header_offset + LOCAL_HEADER.size + name_len + extra_len + info.compress_size
            if end > size:
                raise BadInput(f"member {info.filename!r} extends past the end of the archive (truncated)")
            spans.append((info.header_offset, end, info.filename))
    spans.sort()
    for (start_a, end_a, name_a), (start_b, _, name_b) in zip(spans, spans[1:]):
        if start_b < end_a:
            raise BadInput(f"members {name_a!r} and {name_b!r} overlap (zip bomb)")


def scan_archive(path: Path, limits: ArchiveLimits) -> list[Member]:
    """Read the central directory and validate every entry; returns the file members in order."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadInput(f"not a readable zip archive: {exc}") from None
    with archive:
        infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise BadInput(f"archive has {len(infos)} entries, more than the limit of {limits.max_members}")
    members: list[Member] = []
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = safe_member_name(info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise BadInput(f"member {info.filename!r} is a symbolic link")
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise BadInput(f"member {name!r} is encrypted (password-protected archives are not read; extract the files first)")
        if info.compress_type not in READABLE_METHODS:
            raise BadInput(f"member {name!r} uses compression method {info.compress_type}, which cannot be read")
        if name in seen:
            raise BadInput(f"member {name!r} appears twice")
        seen.add(name)
        if info.file_size > limits.max_member_bytes:
            raise BadInput(f"member {name!r} expands to {info.file_size} bytes, over the limit")
        if info.file_size > BOMB_MIN_BYTES and info.file_size > limits.max_compression_ratio * max(1, info.compress_size):
            raise BadInput(f"member {name!r} compresses {info.file_size / max(1, info.compress_size):.0f}:1 (zip bomb)")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise BadInput(f"archive expands to more than {limits.max_total_bytes} bytes")
        members.append(Member(name=name, info=info))
    _check_overlaps(path, infos)
    return members
