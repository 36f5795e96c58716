"""`audita backup` and `audita restore`: a whole SQLite installation in one signed tar file.

A backup holds a consistent copy of the database (SQLite online backup API, taken while holding
the store's writer lock, so no transaction is half in it), every blob the database records, the
signing keys and the model registry (not the model weights), under a manifest listing the SHA-256
and size of every file, signed with the installation's Ed25519 key. Blobs are write-once and a row
is committed only after its blob is in place, so copying the recorded blobs after releasing the
lock still gives a consistent set. The live store records the backup in its custody log.

Restore refuses a non-empty target, checks the signature and then every file's hash against the
manifest before writing anything, writes into a staging folder (hashing again), checks the copy
with `verify_store`, records the restore in the copied custody log and only then moves the folder
into place. Only the file names the signed manifest lists, in the shapes a backup produces, are
ever written; links, devices and any other member refuse the whole archive.

PostgreSQL stores are backed up with pg_dump plus a copy of AUDITA_HOME (docs/reliability.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import stat
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import click
from sqlalchemy import select

from audita.config import Settings
from audita.custody.keys import PRIVATE_NAME, PUBLIC_NAME, key_id, verify_signature
from audita.errors import BadInput, IntegrityError
from audita.faults import checkpoint
from audita.provenance import canonical_json, code_version, sha256_hex, utc_now
from audita.store.db import write_transaction
from audita.store.schema import custody_entries, installation, tree_heads
from audita.workspace import Workspace

FORMAT = "audita-backup-v1"
SIGNATURE_CONTEXT = b"audita-backup-manifest-v1\n"
MANIFEST = "MANIFEST.json"
SIGNATURE = "MANIFEST.sig"
DATABASE = "audita.db"
REGISTRY = "models/registry.json"
MAX_MANIFEST_BYTES = 256 << 20
CHUNK = 1 << 20
_BLOB_PATH = re.compile(r"blobs/sha256/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_FIXED_PATHS = (DATABASE, f"keys/{PRIVATE_NAME}", f"keys/{PUBLIC_NAME}", REGISTRY)


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest_sha256: str
    files: int
    blobs: int
    bytes: int
    tree_size: int
    root_hash: str | None
    unrecorded_blobs: int  # blob files with no row (an interrupted ingest): not part of the backup


@dataclass(frozen=True)
class RestoreResult:
    home: Path
    manifest_sha256: str
    key_id: str
    files: int
    blobs: int
    tree_size: int
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _remove_abandoned(parent: Path, prefix: str) -> None:
    """Working folders named PREFIX<pid>-... whose process died (a killed backup or restore);
    they may hold a copy of the private key."""
    for folder in parent.glob(prefix + "*"):
        pid = folder.name[len(prefix):].partition("-")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            continue


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Hashing:
    """A read-only stream that hashes what passes through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


# ---- backup ------------------------------------------------------------------------------------


def _snapshot_database(workspace: Workspace, target: Path) -> None:
    """Copy the database with the online backup API while holding the writer lock."""
    source_path = workspace.engine.url.database
    if not source_path:
        raise BadInput("in-memory databases cannot be backed up")
    with write_transaction(workspace.engine):
        source = sqlite3.connect(source_path)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            checkpoint("backup.snapshot")  # still holding the writer lock
        except BaseException:
            copy.close()
            raise
        finally:
            source.close()
    try:
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        if copy.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise IntegrityError("the database copy fails PRAGMA integrity_check; run 'audita verify'")
    finally:
        copy.close()


def _snapshot_facts(database: Path) -> tuple[list[tuple[str, int]], int, str | None, str | None]:
    """(blob rows, tree size, root hash, schema revision) as the copy records them."""
    connection = sqlite3.connect(database)
    try:
        rows = [(str(sha), int(size)) for sha, size in connection.execute("SELECT sha256, size FROM blobs ORDER BY sha256")]
        head = connection.execute("SELECT tree_size, root_hash FROM tree_heads ORDER BY tree_size DESC LIMIT 1").fetchone()
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        connection.close()
    return rows, int(head[0]) if head else 0, str(head[1]) if head else None, str(revision[0]) if revision else None


def _add_file(archive: tarfile.TarFile, name: str, source: Path, sha256: str, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600 if name.startswith("keys/") else 0o444, 0
    with open(source, "rb") as handle:
        stream = _Hashing(handle)
        try:
            archive.addfile(info, stream)  # type: ignore[arg-type]
        except OSError as exc:
            if "unexpected end of data" not in str(exc):
                raise
            stream.size = -1  # shorter than recorded
    if stream.digest.hexdigest() != sha256 or stream.size != size:
        raise IntegrityError(f"{source} changed or is damaged while being backed up (run 'audita verify')")


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o444, 0
    archive.addfile(info, io.BytesIO(data))


def backup_store(workspace: Workspace, out: Path, *, actor: str) -> BackupResult:
    """Write a signed backup of the whole installation to `out` (a new file)."""
    if workspace.engine.dialect.name != "sqlite":
        raise BadInput("this store's database is PostgreSQL: back it up with pg_dump and copy AUDITA_HOME "
                       "(blobs, keys) beside the dump (see docs/reliability.md)")
    out = Path(out).resolve()
    if out.exists():
        adopted = _adopt_unrecorded(workspace, out, actor)
        if adopted is None:
            raise BadInput(f"{out} already exists; a backup never overwrites")
        return adopted
    out.parent.mkdir(parents=True, exist_ok=True)
    home = workspace.settings.home
    _remove_abandoned(out.parent, ".audita-backup-")
    with tempfile.TemporaryDirectory(prefix=f".audita-backup-{os.getpid()}-", dir=out.parent) as tmp:
        database = Path(tmp) / DATABASE
        _snapshot_database(workspace, database)
        blob_rows, tree_size, root_hash, revision = _snapshot_facts(database)
        sources: dict[str, Path] = {DATABASE: database}
        for name in (PRIVATE_NAME, PUBLIC_NAME):
            sources[f"keys/{name}"] = workspace.settings.key_dir / name
        registry = workspace.settings.model_dir / "registry.json"
        if registry.is_file():
            sources[REGISTRY] = registry
        files = [{"path": name, "sha256": _sha256_file(path), "size": path.stat().st_size} for name, path in sources.items()]
        for sha, size in blob_rows:
            files.append({"path": workspace.blobs.path_for(sha).relative_to(home).as_posix(), "sha256": sha, "size": size})
        manifest = {
            "format": FORMAT, "created_at": utc_now(), "created_by": actor, "audita_version": code_version(),
            "source_home": str(home), "schema_revision": revision, "tree_size": tree_size, "root_hash": root_hash,
            "key_id": workspace.key.key_id, "public_key": workspace.key.public_hex,
            "blobs": len(blob_rows), "files": files,
        }
        manifest_bytes = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"
        signature = workspace.key.sign(SIGNATURE_CONTEXT + manifest_bytes)
        partial = out.with_name(out.name + ".partial")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as raw:
                with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
                    _add_bytes(archive, MANIFEST, manifest_bytes)
                    _add_bytes(archive, SIGNATURE, (signature + "\n").encode("ascii"))
                    for entry in files:
                        path = sources.get(entry["path"]) or home / entry["path"]
                        _add_file(archive, entry["path"], path, entry["sha256"], entry["size"])
                raw.flush()
                os.fsync(raw.fileno())
            checkpoint("backup.written")
            os.replace(partial, out)
            _fsync_dir(out.parent)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    checkpoint("backup.renamed")
    recorded = {sha for sha, _ in blob_rows}
    unrecorded = sum(1 for sha in workspace.blobs.iter_stored() if sha not in recorded)
    return _record(workspace, out, actor, manifest_bytes, manifest, unrecorded)


def _record(workspace: Workspace, out: Path, actor: str, manifest_bytes: bytes, manifest: dict[str, Any],
            unrecorded: int) -> BackupResult:
    manifest_sha256 = sha256_hex(manifest_bytes)
    total = out.stat().st_size
    blobs = int(manifest["blobs"])
    with workspace.action() as connection:
        workspace.record(connection, "installation.backed_up", actor, details={
            "manifest_sha256": manifest_sha256, "file": str(out), "files": len(manifest["files"]), "blobs": blobs,
            "bytes": total, "tree_size": manifest["tree_size"], "root_hash": manifest["root_hash"],
        })
    return BackupResult(out, manifest_sha256, len(manifest["files"]), blobs, total, int(manifest["tree_size"]),
                        manifest["root_hash"], unrecorded)


def _adopt_unrecorded(workspace: Workspace, out: Path, actor: str) -> BackupResult | None:
    """A complete backup of this installation that its custody log does not record (the run that
    wrote it was killed before recording it): check it whole, then record it. None otherwise."""
    try:
        manifest_bytes, manifest, _ = _check_members(out, workspace.key.key_id)
    except BadInput:
        return None
    manifest_sha256 = sha256_hex(manifest_bytes)
    with workspace.reading() as connection:
        rows = connection.execute(
            select(custody_entries.c.entry_json).where(custody_entries.c.action == "installation.backed_up")
        ).all()
    if any(json.loads(row.entry_json)["details"].get("manifest_sha256") == manifest_sha256 for row in rows):
        return None
    return _record(workspace, out, actor, manifest_bytes, manifest, 0)


# ---- restore -----------------------------------------------------------------------------------


def _check_manifest_paths(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    files = manifest.get("files")
    if manifest.get("format") != FORMAT or not isinstance(files, list):
        raise BadInput(f"not an Audita backup (format {manifest.get('format')!r})")
    listed: dict[str, dict[str, Any]] = {}
    for entry in files:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise BadInput("backup manifest has a malformed file entry")
        path, sha, size = entry["path"], entry.get("sha256"), entry.get("size")
        blob = _BLOB_PATH.fullmatch(path)
        if path not in _FIXED_PATHS and blob is None:
            raise BadInput(f"backup lists an unexpected file {path!r}; refused")
        if blob is not None and (blob.group(3) != sha or blob.group(3)[:4] != blob.group(1) + blob.group(2)):
            raise BadInput(f"backup lists blob {path!r} under a name that is not its hash; refused")
        if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha) or not isinstance(size, int) or size < 0:
            raise BadInput(f"backup manifest entry {path!r} has no valid sha256 and size")
        if path in listed:
            raise BadInput(f"backup lists {path!r} twice; refused")
        listed[path] = entry
    for required in (DATABASE, f"keys/{PRIVATE_NAME}", f"keys/{PUBLIC_NAME}"):
        if required not in listed:
            raise BadInput(f"backup has no {required}")
    return listed


@contextmanager
def _open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        archive = tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError) as exc:
        raise BadInput(f"{path} is not a readable backup archive: {exc}") from None
    try:
        yield archive
    except tarfile.TarError as exc:
        raise BadInput(f"{path} is damaged: {exc}") from None
    finally:
        archive.close()


def _member_stream(archive: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    if not member.isreg():
        raise BadInput(f"backup member {member.name!r} is not a regular file (link or device); refused")
    stream = archive.extractfile(member)
    if stream is None:
        raise BadInput(f"backup member {member.name!r} cannot be read")
    return stream


def _read_manifest(archive: tarfile.TarFile, expect_key_id: str | None) -> tuple[bytes, dict[str, Any]]:
    """The first two members: MANIFEST.json and its signature, checked before anything else."""
    first, second = archive.next(), archive.next()
    if first is None or second is None or first.name != MANIFEST or second.name != SIGNATURE:
        raise BadInput("not an Audita backup: it does not start with MANIFEST.json and MANIFEST.sig")
    if first.size > MAX_MANIFEST_BYTES or second.size > 1024:
        raise BadInput("backup manifest or signature is implausibly large; refused")
    manifest_bytes = _member_stream(archive, first).read()
    signature = _member_stream(archive, second).read().decode("ascii", "replace").strip()
    try:
        manifest = json.loads(manifest_bytes)
    except (ValueError, RecursionError):
        raise BadInput("backup manifest is not valid JSON") from None
    if not isinstance(manifest, dict):
        raise BadInput("backup manifest is not a JSON object")
    public = manifest.get("public_key")
    if not isinstance(public, str) or not re.fullmatch(r"[0-9a-f]{64}", public):
        raise BadInput("backup manifest names no Ed25519 public key")
    if manifest.get("key_id") != key_id(public):
        raise BadInput("backup manifest key id does not match its public key")
    if expect_key_id is not None and not key_id(public).startswith(expect_key_id.lower()):
        raise BadInput(f"backup is signed by key {key_id(public)}, not the expected {expect_key_id}")
    if not verify_signature(public, SIGNATURE_CONTEXT + manifest_bytes, signature):
        raise BadInput("backup manifest signature does not verify: the manifest was altered or not made by Audita")
    return manifest_bytes, manifest


def _copy_checked(stream: IO[bytes], entry: dict[str, Any], out: IO[bytes] | None) -> None:
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    if digest.hexdigest() != entry["sha256"] or size != entry["size"]:
        raise BadInput(f"backup file {entry['path']!r} does not match its manifest hash (damaged or altered); refused")


def _check_members(path: Path, expect_key_id: str | None) -> tuple[bytes, dict[str, Any], dict[str, dict[str, Any]]]:
    """First pass: signature, then every member against the manifest; writes nothing."""
    with _open_archive(path) as archive:
        manifest_bytes, manifest = _read_manifest(archive, expect_key_id)
        listed = _check_manifest_paths(manifest)
        seen: set[str] = set()
        while (member := archive.next()) is not None:
            entry = listed.get(member.name)
            if entry is None or member.name in seen:
                raise BadInput(f"backup member {member.name!r} is not in its manifest (or appears twice); refused")
            seen.add(member.name)
            stream = _member_stream(archive, member)
            if member.name == f"keys/{PUBLIC_NAME}":
                data = stream.read(1024)
                if data.decode("ascii", "replace").strip() != manifest["public_key"]:
                    raise BadInput("backup's public key file differs from the key that signed its manifest")
                stream = io.BytesIO(data)
            _copy_checked(stream, entry, None)
    missing = sorted(set(listed) - seen)
    if missing:
        raise BadInput(f"backup is incomplete: {len(missing)} listed files missing (first {missing[0]!r})")
    return manifest_bytes, manifest, listed


def _extract(path: Path, staging: Path, listed: dict[str, dict[str, Any]]) -> None:
    """Second pass: write each listed file under `staging`, hashing again as it is written."""
    (staging / "keys").mkdir(mode=0o700, parents=True)
    with _open_archive(path) as archive:
        archive.next()
        archive.next()
        while (member := archive.next()) is not None:
            entry = listed[member.name]  # names were checked against the manifest in the first pass
            target = staging.joinpath(*member.name.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = 0o600 if member.name.startswith("keys/") else 0o644
            with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as out:
                _copy_checked(_member_stream(archive, member), entry, out)
                out.flush()
                os.fsync(out.fileno())
            if _BLOB_PATH.fullmatch(member.name):
                os.chmod(target, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    os.chmod(staging / "keys", 0o700)
    if (staging / "keys" / PUBLIC_NAME).exists():
        os.chmod(staging / "keys" / PUBLIC_NAME, 0o644)


def _check_restored(settings: Settings, manifest: dict[str, Any], actor: str, manifest_sha256: str) -> list[str]:
    """verify_store on the copy, the same log head as backed up, then record the restore."""
    from audita.verify import verify_store

    connection = sqlite3.connect(settings.home / DATABASE)
    try:
        if connection.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            raise IntegrityError("restored database fails PRAGMA integrity_check")
    finally:
        connection.close()
    workspace = Workspace.open(settings)
    try:
        report = verify_store(workspace)
        if not report.ok:
            first = report.errors[0]
            raise IntegrityError(f"restored store does not verify ({len(report.errors)} problems; first: "
                                 f"{first.subject}: {first.message})")
        with workspace.reading() as reading:
            stored_key = reading.execute(select(installation.c.public_key)).scalar_one()
            head = reading.execute(
                select(tree_heads.c.tree_size, tree_heads.c.root_hash).order_by(tree_heads.c.tree_size.desc()).limit(1)
            ).first()
        if stored_key != manifest["public_key"] or workspace.key.public_hex != manifest["public_key"]:
            raise IntegrityError("restored installation key differs from the key that signed the backup")
        if (head.tree_size if head else 0) != manifest["tree_size"] or (head.root_hash if head else None) != manifest["root_hash"]:
            raise IntegrityError("restored custody log head differs from the one the backup manifest records")
        warnings = [f"{p.subject}: {p.message}" for p in report.problems]
        with workspace.action() as writing:
            workspace.record(writing, "installation.restored", actor, details={
                "manifest_sha256": manifest_sha256, "backup_created_at": manifest.get("created_at"),
                "source_home": manifest.get("source_home"), "tree_size": manifest["tree_size"],
                "root_hash": manifest["root_hash"],
            })
    finally:
        workspace.close()
    return warnings


def _model_warnings(home: Path) -> list[str]:
    registry = home / REGISTRY
    if not registry.is_file():
        return []
    try:
        models = json.loads(registry.read_text(encoding="utf-8")).get("models", {})
    except (OSError, ValueError, AttributeError):
        return ["models/registry.json is unreadable"]
    return [f"model {name!r}: weights are not part of a backup and {entry.get('path')} is absent; "
            f"register it again with 'audita models add'" for name, entry in sorted(models.items())
            if isinstance(entry, dict) and not Path(str(entry.get("path", ""))).is_dir()]


def restore_store(path: Path, home: Path, *, actor: str, expect_key_id: str | None = None) -> RestoreResult:
    """Restore a backup into `home` (absent or an empty folder); see the module docstring."""
    path, home = Path(path), Path(home).resolve()
    if os.environ.get("AUDITA_DATABASE_URL"):
        raise BadInput("AUDITA_DATABASE_URL is set: restore writes a SQLite store; restore PostgreSQL with pg_restore")
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise BadInput(f"{home} is not empty; restore only into a new or empty folder")
    if not path.is_file():
        raise BadInput(f"{path}: no such backup file")
    manifest_bytes, manifest, listed = _check_members(path, expect_key_id)
    manifest_sha256 = sha256_hex(manifest_bytes)
    home.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(home.parent, f".{home.name}.restoring-")
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}.restoring-{os.getpid()}-", dir=home.parent))
    try:
        _extract(path, staging, listed)
        checkpoint("restore.extracted")
        warnings = _check_restored(Settings(home=staging), manifest, actor, manifest_sha256)
        checkpoint("restore.verified")
        for leftover in ("audita.db-wal", "audita.db-shm"):
            if (staging / leftover).exists():
                raise IntegrityError(f"restored database still has {leftover} open")
        if home.exists():
            home.rmdir()  # empty, checked above
        os.replace(staging, home)
        _fsync_dir(home.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    blobs = sum(1 for name in listed if _BLOB_PATH.fullmatch(name))
    return RestoreResult(home, manifest_sha256, str(manifest["key_id"]), len(listed), blobs,
                         int(manifest["tree_size"]), tuple(warnings + _model_warnings(home)))


# ---- command line ------------------------------------------------------------------------------


# The commands take the CLI's Context through click's ctx.obj, so that importing this module never
# imports audita.cli (which imports this module while it registers commands).


@click.command("backup")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Backup file to create (tar).")
@click.pass_obj
def backup_command(ctx: Any, out: Path) -> None:
    """Write a signed backup of this installation (database, blobs, keys, model registry)."""
    from audita.cli import console, err_console

    result = backup_store(ctx.workspace, out, actor=ctx.actor)
    console.print(f"backup: {result.path} ({result.files} files, {result.blobs} blobs, {result.bytes} bytes)", highlight=False)
    console.print(f"manifest sha256: {result.manifest_sha256}; custody log size {result.tree_size}; "
                  f"signing key {ctx.workspace.key.key_id}", highlight=False)
    console.print("it holds the private signing key: keep it as safe as the installation itself")
    if result.unrecorded_blobs:
        err_console.print(f"[yellow]warning:[/] {result.unrecorded_blobs} blob files with no record "
                          "(left by an interrupted ingest) are not in the backup", highlight=False)


@click.command("restore")
@click.argument("backup_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--home", "target", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="New installation folder (must not exist or be empty).")
@click.option("--key-id", default=None, help="Refuse unless the backup is signed by this key id (or a prefix of it).")
@click.pass_obj
def restore_command(ctx: Any, backup_file: Path, target: Path, key_id: str | None) -> None:
    """Check a backup's signature and every hash, restore it into a new folder, then verify it."""
    from audita.cli import console, err_console

    result = restore_store(backup_file, target, actor=ctx.actor, expect_key_id=key_id)
    console.print(f"restored {result.files} files ({result.blobs} blobs) into {result.home}", highlight=False)
    console.print(f"signed by key {result.key_id}; custody log size {result.tree_size} at backup; verify OK", highlight=False)
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)
