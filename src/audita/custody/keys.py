"""The installation's Ed25519 signing key, created once and kept beside the store (mode 0600)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audita.errors import IntegrityError

PRIVATE_NAME = "custody-ed25519.pem"
PUBLIC_NAME = "custody-ed25519.pub"


def public_key_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def key_id(public_hex: str) -> str:
    """Key identifier: SHA-256 of the raw public key, hex."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    public_hex: str

    @property
    def key_id(self) -> str:
        return key_id(self.public_hex)

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


def verify_signature(public_hex: str, message: bytes, signature_hex: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(bytes.fromhex(signature_hex), message)
        return True
    except (InvalidSignature, ValueError):
        return False


def _create_exclusively(path: Path, data: bytes, mode: int) -> bool:
    """Write `path` only if it does not exist, never leaving it partly written: the bytes go to a
    fresh temporary file, are fsynced, then hard-linked into place (which fails if another
    process got there first). Returns False when `path` already existed."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        tmp.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return True


def load_or_create(key_dir: Path) -> SigningKey:
    key_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(key_dir, 0o700)
    private_path = key_dir / PRIVATE_NAME
    if not private_path.exists():
        # Two first starts at once, or one killed half way, must still end with exactly one key.
        generated = Ed25519PrivateKey.generate()
        pem = generated.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _create_exclusively(private_path, pem, 0o600)
    loaded = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise IntegrityError(f"{private_path} is not an Ed25519 private key")
    private = loaded
    public_hex = public_key_hex(private.public_key())
    public_path = key_dir / PUBLIC_NAME
    if not public_path.exists():
        _create_exclusively(public_path, (public_hex + "\n").encode("ascii"), 0o644)
    return SigningKey(private=private, public_hex=public_hex)
