"""Ingest files, folders and zip archives into a case.

Per file: stage the bytes (hashing as they stream), recognise and probe the content, then in one
write transaction store the blob, the item, the acquisition, the media facts and the custody
entry. Any failure leaves nothing behind. Re-running the same batch records nothing new; the same
content from another place is a second acquisition of the same item.
"""

from __future__ import annotations

import io
import json
import lzma
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Literal

import av
from sqlalchemy import Connection, insert, select

from audita.cases import get_case
from audita.errors import AuditaError, BadInput
from audita.faults import checkpoint
from audita.ingest.archives import ArchiveLimits, Member, scan_archive
from audita.ingest.metadata import (
    MANIFEST_NAMES,
    SIDECAR_SUFFIX,
    Manifest,
    RecordingMetadata,
    normalise_key,
    parse_manifest,
    parse_sidecar,
)
from audita.media.probe import AudioFacts, probe_audio
from audita.media.sniff import claims_audio, extension_matches, sniff_file
from audita.provenance import canonical_json, code_version, sha256_hex, utc_now
from audita.store.blobs import StagedBlob
from audita.store.schema import acquisitions, blobs, items, media_facts
from audita.workspace import Workspace, new_id

Status = Literal["ingested", "duplicate", "already", "rejected", "skipped", "warning"]
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class IngestOptions:
    max_file_bytes: int = 4 << 30
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    accept_damaged: bool = False
    shortfall_tolerance_seconds: float = 0.25


@dataclass(frozen=True)
class FileOutcome:
    source: str
    status: Status
    message: str
    item_id: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class IngestReport:
    case_name: str
    outcomes: tuple[FileOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(o.status != "rejected" for o in self.outcomes)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


@dataclass(frozen=True)
class _Candidate:
    display: str
    relative: str
    original_name: str
    source_path: str
    opener: Callable[[], BinaryIO]
    sidecar: tuple[str, bytes] | None
    manifest: tuple[str, bytes, Manifest] | None
    archive_member: str | None = None
    explicit: bool = False  # named on the command line rather than found in a folder or archive


class _NotARecording(Exception):
    """A file found in a folder or archive that is plainly not audio and does not claim to be."""


@dataclass(frozen=True)
class _Archive:
    path: Path
    display: str
    members: list[Member]


def _not_utf8(text: str) -> bool:
    """A path from the file system whose bytes are not UTF-8 (Python keeps them as surrogates)."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _readable(outcome: FileOutcome) -> FileOutcome:
    """Show undecodable bytes in a source path as \\xNN escapes, so reports can be printed."""
    if not _not_utf8(outcome.source):
        return outcome
    return replace(outcome, source=outcome.source.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))


NOT_UTF8 = "file name is not valid UTF-8 (rename it, e.g. with convmv, and ingest again)"


def _tool_versions() -> str:
    return f"pyav {av.__version__}; libav {'.'.join(str(x) for x in av.library_versions['libavformat'])}; sox"


class _Ingestor:
    def __init__(
        self, workspace: Workspace, case_id: str, case_name: str, actor: str, options: IngestOptions,
        manifest: tuple[str, bytes, Manifest] | None,
    ) -> None:
        self.workspace = workspace
        self.case_id = case_id
        self.case_name = case_name
        self.actor = actor
        self.options = options
        self.explicit_manifest = manifest
        self.used_manifest_keys: set[str] = set()

    # ---- one file ---------------------------------------------------------------------------

    def ingest(self, candidate: _Candidate, *, archive_item_id: str | None = None) -> FileOutcome:
        checkpoint("ingest.file")
        if _not_utf8(candidate.display):
            return FileOutcome(candidate.display, "rejected", NOT_UTF8)
        try:
            with candidate.opener() as stream:
                staged = self.workspace.blobs.stage(stream, max_bytes=self.options.max_file_bytes)
        except BadInput as exc:
            return FileOutcome(candidate.display, "rejected", str(exc))
        except (OSError, zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError) as exc:
            return FileOutcome(candidate.display, "rejected", f"cannot read: {exc}")
        try:
            return self._ingest_staged(candidate, staged, archive_item_id)
        except _NotARecording as exc:
            return FileOutcome(candidate.display, "skipped", str(exc), sha256=staged.sha256)
        except BadInput as exc:
            return FileOutcome(candidate.display, "rejected", str(exc), sha256=staged.sha256)
        finally:
            self.workspace.blobs.discard(staged)

    def _metadata(self, candidate: _Candidate, sha256: str) -> tuple[RecordingMetadata, list[tuple[dict[str, str], bytes]]]:
        """Merge manifest rows and the sidecar (sidecar wins); return each source with its bytes."""
        metadata = RecordingMetadata()
        sources: list[tuple[dict[str, str], bytes]] = []
        for scope in (candidate.manifest, self.explicit_manifest):
            if scope is None:
                continue
            name, data, manifest = scope
            found = manifest.lookup(candidate.relative, sha256)
            if found is not None:
                metadata = metadata.merged(found)
                sources.append(({"kind": "manifest", "name": name, "sha256": sha256_hex(data)}, data))
                if scope is self.explicit_manifest:
                    self.used_manifest_keys.update({normalise_key(candidate.relative), sha256})
        if candidate.sidecar is not None:
            name, data = candidate.sidecar
            metadata = metadata.merged(parse_sidecar(data, name))
            sources.append(({"kind": "sidecar", "name": name, "sha256": sha256_hex(data)}, data))
        return metadata, sources

    def _ingest_staged(self, candidate: _Candidate, staged: StagedBlob, archive_item_id: str | None) -> FileOutcome:
        if staged.size == 0:
            raise BadInput("empty file")
        metadata, metadata_sources = self._metadata(candidate, staged.sha256)
        fingerprint = sha256_hex(canonical_json({
            "case": self.case_id,
            "sha256": staged.sha256,
            "source": candidate.source_path,
            "member": candidate.archive_member,
            "metadata": metadata.as_dict(),
        }))
        with self.workspace.reading() as connection:
            existing = connection.execute(
                select(acquisitions.c.item_id).where(acquisitions.c.fingerprint == fingerprint)
            ).first()
        if existing is not None:
            return FileOutcome(candidate.display, "already", "already ingested from this source", existing.item_id, staged.sha256)

        sniffed = sniff_file(staged.path)
        if sniffed.kind == "archive" and candidate.archive_member is not None:
            raise BadInput(f"nested archive ({sniffed.description}) is not expanded; extract it and ingest the contents")
        if sniffed.kind not in ("audio", "unknown"):
            if not candidate.explicit and not claims_audio(candidate.original_name):
                raise _NotARecording(f"not a recording ({sniffed.description}); not ingested")
            hint = "; documents go in with 'audita documents add'" if sniffed.kind in ("document", "text") else ""
            raise BadInput(f"not audio: content is {sniffed.description} (named {Path(candidate.original_name).suffix or 'without extension'}){hint}")
        facts = probe_audio(staged.path, sniffed)
        warnings = list(facts.warnings)
        if sniffed.kind == "audio" and not extension_matches(sniffed.format, candidate.original_name):
            warnings.append(f"name {candidate.original_name!r} does not match content ({sniffed.description})")
        damaged = facts.shortfall_seconds > self.options.shortfall_tolerance_seconds
        if damaged and not self.options.accept_damaged:
            raise BadInput(
                f"truncated or damaged: decodes {facts.decoded_duration:.2f} s of "
                f"{facts.declared_duration:.2f} s declared (use --accept-damaged to keep it as damaged evidence)"
            )
        return self._commit(candidate, staged, facts, warnings, damaged, metadata, metadata_sources, fingerprint, archive_item_id)

    def _store_bytes(self, connection: Connection, data: bytes, created: list[str]) -> str:
        staged = self.workspace.blobs.stage(io.BytesIO(data), max_bytes=len(data) + 1)
        self._commit_blob(connection, staged, created)
        return staged.sha256

    def _commit_blob(self, connection: Connection, staged: StagedBlob, created: list[str]) -> None:
        if connection.execute(select(blobs.c.sha256).where(blobs.c.sha256 == staged.sha256)).first() is None:
            connection.execute(insert(blobs).values(sha256=staged.sha256, size=staged.size, stored_at=utc_now()))
        if self.workspace.blobs.commit(staged):
            created.append(staged.sha256)

    def _commit(
        self, candidate: _Candidate, staged: StagedBlob, facts: AudioFacts, warnings: list[str], damaged: bool,
        metadata: RecordingMetadata, metadata_sources: list[tuple[dict[str, str], bytes]], fingerprint: str,
        archive_item_id: str | None,
    ) -> FileOutcome:
        created: list[str] = []
        try:
            with self.workspace.action() as connection:
                self._commit_blob(connection, staged, created)
                for _, data in metadata_sources:
                    self._store_bytes(connection, data, created)
                source_records = [record for record, _ in metadata_sources]
                item = connection.execute(
                    select(items.c.id).where(items.c.case_id == self.case_id, items.c.blob_sha256 == staged.sha256)
                ).first()
                now = utc_now()
                duplicate = item is not None
                item_id = item.id if item is not None else new_id()
                if not duplicate:
                    connection.execute(insert(items).values(
                        id=item_id, case_id=self.case_id, blob_sha256=staged.sha256, kind="recording",
                        display_name=candidate.original_name, parent_item_id=archive_item_id,
                        created_at=now, created_by=self.actor,
                    ))
                acquisition_id = new_id()
                connection.execute(insert(acquisitions).values(
                    id=acquisition_id, item_id=item_id, fingerprint=fingerprint,
                    source_path=candidate.source_path, original_name=candidate.original_name,
                    archive_item_id=archive_item_id, archive_member=candidate.archive_member,
                    metadata_json=json.dumps(metadata.as_dict(), ensure_ascii=False, sort_keys=True),
                    metadata_sources_json=json.dumps(source_records, sort_keys=True),
                    acquired_at=now, acquired_by=self.actor, code_version=code_version(),
                ))
                has_facts = connection.execute(
                    select(media_facts.c.id).where(media_facts.c.blob_sha256 == staged.sha256)
                ).first()
                facts_record = {**facts.as_dict(), "warnings": warnings, "damaged": damaged}
                if has_facts is None:
                    connection.execute(insert(media_facts).values(
                        blob_sha256=staged.sha256, facts_json=json.dumps(facts_record, sort_keys=True),
                        tool=_tool_versions(), options_json=json.dumps({"decoder": facts.decoder}),
                        code_version=code_version(), created_at=now,
                    ))
                self.workspace.record(
                    connection, "item.reacquired" if duplicate else "item.ingested", self.actor,
                    case_id=self.case_id, item_id=item_id,
                    details={
                        "sha256": staged.sha256, "size": staged.size, "original_name": candidate.original_name,
                        "source_path": candidate.source_path, "archive_member": candidate.archive_member,
                        "archive_item_id": archive_item_id, "acquisition_id": acquisition_id,
                        "metadata": metadata.as_dict(), "metadata_sources": source_records,
                        "duration": facts.decoded_duration, "format": facts.format, "damaged": damaged,
                    },
                )
        except BaseException:
            for sha in created:
                self.workspace.blobs.remove_unreferenced(sha)
            raise
        message = "; ".join(warnings) if warnings else ""
        if duplicate:
            return FileOutcome(candidate.display, "duplicate", message or "same content as an item already in the case; recorded as a second acquisition", item_id, staged.sha256)
        return FileOutcome(candidate.display, "ingested", message, item_id, staged.sha256)

    # ---- archives ---------------------------------------------------------------------------

    def ingest_archive(self, archive: _Archive, members: list[_Candidate], progress: Callable[[str], None]) -> list[FileOutcome]:
        """Store the archive itself as an item, then each member as its own item."""
        with open(archive.path, "rb") as handle:
            staged = self.workspace.blobs.stage(handle, max_bytes=self.options.archive_limits.max_total_bytes)
        created: list[str] = []
        try:
            with self.workspace.action() as connection:
                existing = connection.execute(
                    select(items.c.id).where(items.c.case_id == self.case_id, items.c.blob_sha256 == staged.sha256)
                ).first()
                if existing is not None:
                    archive_item_id = existing.id
                else:
                    self._commit_blob(connection, staged, created)
                    archive_item_id = new_id()
                    connection.execute(insert(items).values(
                        id=archive_item_id, case_id=self.case_id, blob_sha256=staged.sha256, kind="archive",
                        display_name=archive.path.name, parent_item_id=None, created_at=utc_now(), created_by=self.actor,
                    ))
                    self.workspace.record(
                        connection, "item.ingested", self.actor, case_id=self.case_id, item_id=archive_item_id,
                        details={"sha256": staged.sha256, "size": staged.size, "original_name": archive.path.name,
                                 "source_path": str(archive.path), "kind": "archive", "members": len(archive.members)},
                    )
        except BaseException:
            for sha in created:
                self.workspace.blobs.remove_unreferenced(sha)
            raise
        finally:
            self.workspace.blobs.discard(staged)
        outcomes = []
        for candidate in members:
            progress(candidate.display)
            outcomes.append(self.ingest(candidate, archive_item_id=archive_item_id))
        return outcomes


# ---- enumeration ----------------------------------------------------------------------------


def _read_limited(path: Path, limit: int = 10 << 20) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise BadInput(f"{path.name}: metadata file larger than {limit} bytes")
    return data


def _is_zip(path: Path) -> bool:
    try:
        return sniff_file(path).format == "zip"
    except OSError:
        return False


def _folder_candidates(root: Path, rejected: list[FileOutcome]) -> Iterator[_Candidate | _Archive]:
    manifest: tuple[str, bytes, Manifest] | None = None
    for name in MANIFEST_NAMES:
        path = root / name
        if path.is_file():
            data = _read_limited(path)
            manifest = (str(path), data, parse_manifest(data, name))
            break
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            files.append(Path(dirpath) / name)
        for name in dirnames:
            if (Path(dirpath) / name).is_symlink():
                rejected.append(FileOutcome(str(Path(dirpath) / name), "rejected", "symbolic link not followed"))
    present = {str(p) for p in files}
    for path in files:
        relative = path.relative_to(root).as_posix()
        if manifest and str(path) == manifest[0]:
            continue
        if path.suffix == SIDECAR_SUFFIX and str(path)[: -len(SIDECAR_SUFFIX)] in present:
            continue
        if path.is_symlink():
            rejected.append(FileOutcome(str(path), "rejected", "symbolic link not followed"))
            continue
        if _is_zip(path):
            yield from _archive_entry(path, rejected)
            continue
        yield _file_candidate(path, relative, manifest)


def _file_candidate(path: Path, relative: str, manifest: tuple[str, bytes, Manifest] | None) -> _Candidate:
    sidecar_path = path.with_name(path.name + SIDECAR_SUFFIX)
    sidecar = (str(sidecar_path), _read_limited(sidecar_path)) if sidecar_path.is_file() else None
    return _Candidate(
        display=str(path), relative=relative, original_name=path.name, source_path=str(path.resolve()),
        opener=lambda: open(path, "rb"), sidecar=sidecar, manifest=manifest,
    )


def _archive_entry(path: Path, rejected: list[FileOutcome]) -> Iterator[_Archive]:
    if _not_utf8(str(path)):
        rejected.append(FileOutcome(str(path), "rejected", f"archive refused, nothing stored: {NOT_UTF8}"))
        return
    try:
        members = scan_archive(path, ArchiveLimits())
    except BadInput as exc:
        rejected.append(FileOutcome(str(path), "rejected", f"archive refused, nothing stored: {exc}"))
        return
    yield _Archive(path=path, display=str(path), members=members)


def _archive_candidates(archive: _Archive, stack: ExitStack) -> list[_Candidate]:
    zf = stack.enter_context(zipfile.ZipFile(archive.path))
    by_name = {m.name: m for m in archive.members}
    manifest = None
    for name in MANIFEST_NAMES:
        if name in by_name:
            data = zf.read(by_name[name].info)
            manifest = (f"{archive.path}!{name}", data, parse_manifest(data, f"{archive.path.name}!{name}"))
            break
    candidates = []
    for member in archive.members:
        if member.name in MANIFEST_NAMES:
            continue
        if member.name.endswith(SIDECAR_SUFFIX) and member.name[: -len(SIDECAR_SUFFIX)] in by_name:
            continue
        sidecar_member = by_name.get(member.name + SIDECAR_SUFFIX)
        sidecar = (f"{archive.path.name}!{sidecar_member.name}", zf.read(sidecar_member.info)) if sidecar_member else None
        info = member.info
        candidates.append(_Candidate(
            display=f"{archive.path}!{member.name}", relative=member.name,
            original_name=member.name.rsplit("/", 1)[-1], source_path=str(archive.path.resolve()),
            opener=lambda info=info: zf.open(info), sidecar=sidecar, manifest=manifest, archive_member=member.name,
        ))
    return candidates


def ingest_paths(
    workspace: Workspace,
    case: str,
    paths: list[Path],
    *,
    actor: str,
    options: IngestOptions | None = None,
    manifest_path: Path | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest files, folders and zip archives into a case; see the module docstring."""
    options = options or IngestOptions()
    with workspace.reading() as connection:
        case_row = get_case(connection, case)
    explicit = None
    if manifest_path is not None:
        if _not_utf8(str(manifest_path)):
            raise BadInput(f"manifest {NOT_UTF8}")
        data = _read_limited(manifest_path)
        explicit = (str(manifest_path), data, parse_manifest(data, manifest_path.name))

    outcomes: list[FileOutcome] = []
    units: list[_Candidate | _Archive] = []
    for path in paths:
        if path.is_symlink() and not path.exists():
            outcomes.append(FileOutcome(str(path), "rejected", "broken symbolic link"))
        elif not path.exists():
            outcomes.append(FileOutcome(str(path), "rejected", "no such file or folder"))
        elif path.is_dir():
            try:
                units.extend(_folder_candidates(path, outcomes))
            except BadInput as exc:
                outcomes.append(FileOutcome(str(path), "rejected", f"folder refused, nothing stored: {exc}"))
        elif not os.access(path, os.R_OK):
            outcomes.append(FileOutcome(str(path), "rejected", "permission denied"))
        elif _is_zip(path):
            units.extend(_archive_entry(path, outcomes))
        else:
            try:
                units.append(replace(_file_candidate(path, path.name, None), explicit=True))
            except (BadInput, OSError) as exc:
                outcomes.append(FileOutcome(str(path), "rejected", str(exc)))

    total = sum(len(u.members) if isinstance(u, _Archive) else 1 for u in units)
    done = 0

    def tick(label: str) -> None:
        nonlocal done
        if progress is not None:
            progress(done, total, label)
        done += 1

    ingestor = _Ingestor(workspace, case_row.id, case_row.name, actor, options, explicit)
    for unit in units:
        if isinstance(unit, _Archive):
            with ExitStack() as stack:
                try:
                    candidates = _archive_candidates(unit, stack)
                except (BadInput, zipfile.BadZipFile, OSError) as exc:
                    outcomes.append(FileOutcome(unit.display, "rejected", f"archive refused, nothing stored: {exc}"))
                    continue
                outcomes.extend(ingestor.ingest_archive(unit, candidates, tick))
        else:
            tick(unit.display)
            outcomes.append(ingestor.ingest(unit))
    if progress is not None:
        progress(total, total, "done")
    if explicit is not None:
        unused = explicit[2].keys - ingestor.used_manifest_keys
        for key in sorted(unused):
            outcomes.append(FileOutcome(f"{manifest_path}:{key}", "warning", "manifest entry matches no file in this batch"))
    return IngestReport(case_name=case_row.name, outcomes=tuple(_readable(o) for o in outcomes))


__all__ = ["AuditaError", "FileOutcome", "IngestOptions", "IngestReport", "ingest_paths"]
