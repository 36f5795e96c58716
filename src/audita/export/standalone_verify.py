#!/usr/bin/env python3
"""Verify an Audita evidence package using only the Python standard library.

Usage:  python3 verify_package.py [PACKAGE_DIR]

Checks, and names every failure:
  1. MANIFEST.sig is a valid Ed25519 signature over MANIFEST.json by the key in public_key.hex
     (compare that key's fingerprint with the one the exporting organisation gives you);
  2. every file listed in MANIFEST.json exists and has the listed SHA-256 and size;
  3. no file is present that the manifest does not list;
  4. every custody log entry in custody/entries.jsonl hashes to its leaf and its inclusion proof
     leads to the root of the signed tree head in custody/tree_head.json, whose signature verifies
     (an entry withheld for redaction is shown by its leaf hash only; its proof is checked the same);
  5. every derivation in derived/ that is not marked redacted or withheld hashes (as canonical JSON)
     to its recorded output SHA-256, and that hash is named by one of the custody entries.
Exit status 0 when everything holds, 1 otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

# ---- Ed25519 signature verification (RFC 8032, section 5.1.7), plain integer arithmetic ----------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = (-121665 * pow(121666, _P - 2, _P)) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _edwards_add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % _P
    bb = (y1 + x1) * (y2 + x2) % _P
    cc = 2 * t1 * t2 * _D % _P
    dd = 2 * z1 * z2 % _P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _scalar_mult(scalar, point):
    result = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _edwards_add(result, point)
        point = _edwards_add(point, point)
        scalar >>= 1
    return result


def _recover_x(y, sign):
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None
    if x & 1 != sign:
        x = _P - x
    return x


def _decode_point(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % _P)


def _same_point(a, b):
    x1, y1, z1, _ = a
    x2, y2, z2, _ = b
    return (x1 * z2 - x2 * z1) % _P == 0 and (y1 * z2 - y2 * z1) % _P == 0


_BASE_Y = 4 * pow(5, _P - 2, _P) % _P
_BASE = (_recover_x(_BASE_Y, 0), _BASE_Y, 1, _recover_x(_BASE_Y, 0) * _BASE_Y % _P)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a_point = _decode_point(public_key)
    r_point = _decode_point(signature[:32])
    if a_point is None or r_point is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    return _same_point(_scalar_mult(s, _BASE), _edwards_add(r_point, _scalar_mult(h, a_point)))


# ---- Merkle tree (RFC 9162) -----------------------------------------------------------------------


def _leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(leaf: bytes, index: int, tree_size: int, proof: list) -> bytes | None:
    if not 0 <= index < tree_size:
        return None
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = _node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


STH_CONTEXT = b"audita-signed-tree-head-v1\n"
SIGNED_FILES = ("MANIFEST.json", "MANIFEST.sig", "MANIFEST.tsr")  # the token covers the manifest, so it is outside it


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_package(root: str) -> list[str]:
    """Return a list of failures (empty when the package verifies)."""
    failures: list[str] = []
    try:
        manifest_bytes = open(os.path.join(root, "MANIFEST.json"), "rb").read()
        signature = open(os.path.join(root, "MANIFEST.sig"), "rb").read()
        manifest = json.loads(manifest_bytes)
        public_key = bytes.fromhex(manifest["public_key"])
    except (OSError, ValueError, KeyError) as exc:
        return [f"MANIFEST.json / MANIFEST.sig: unreadable ({exc})"]
    if not ed25519_verify(public_key, manifest_bytes, signature):
        failures.append("MANIFEST.json: signature does not verify (the manifest or its signature was changed)")
    listed = {}
    for entry in manifest.get("files", []):
        listed[entry["path"]] = entry
    for rel, entry in sorted(listed.items()):
        path = os.path.join(root, *rel.split("/"))
        if ".." in rel.split("/") or rel.startswith("/"):
            failures.append(f"{rel}: unsafe path in manifest")
            continue
        if not os.path.isfile(path):
            failures.append(f"{rel}: missing")
            continue
        if os.path.getsize(path) != entry["size"] or _sha256_file(path) != entry["sha256"]:
            failures.append(f"{rel}: content changed (SHA-256 differs from the manifest)")
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
            if rel not in listed and rel not in SIGNED_FILES:
                failures.append(f"{rel}: not listed in the manifest (added)")
    custody_failures, recorded = _verify_custody(root, public_key)
    failures.extend(custody_failures)
    failures.extend(_verify_derived(root, recorded))
    return failures


def _verify_custody(root: str, public_key: bytes) -> tuple[list[str], set]:
    failures: list[str] = []
    recorded: set = set()
    try:
        head = json.load(open(os.path.join(root, "custody", "tree_head.json"), encoding="utf-8"))
        # one entry per "\n" (not splitlines: U+2028 and friends inside an entry are not line ends)
        lines = [line for line in open(os.path.join(root, "custody", "entries.jsonl"), encoding="utf-8",
                                       newline="").read().split("\n") if line.strip()]
    except (OSError, ValueError) as exc:
        return [f"custody: unreadable ({exc})"], recorded
    message = STH_CONTEXT + _canonical({
        "tree_size": head["tree_size"], "root_hash": head["root_hash"], "timestamp": head["timestamp"],
        "key_id": head["key_id"],
    })
    if not ed25519_verify(public_key, message, bytes.fromhex(head["signature"])):
        failures.append("custody/tree_head.json: signature does not verify")
    root_hash = bytes.fromhex(head["root_hash"])
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            if "entry" in record:
                leaf = _leaf_hash(record["entry"].encode("utf-8"))
                details = json.loads(record["entry"]).get("details") or {}
                if isinstance(details, dict) and isinstance(details.get("output_sha256"), str):
                    recorded.add(details["output_sha256"])
            else:  # withheld for redaction: only the leaf hash is disclosed
                leaf = bytes.fromhex(record["leaf_hash"])
            proof = [bytes.fromhex(p) for p in record["inclusion_proof"]]
            computed = root_from_inclusion_proof(leaf, record["index"], head["tree_size"], proof)
        except (ValueError, KeyError, TypeError) as exc:
            failures.append(f"custody/entries.jsonl line {number}: malformed ({exc})")
            continue
        if computed != root_hash:
            failures.append(f"custody/entries.jsonl line {number} (entry {record.get('index')}): not included in the signed log")
    return failures, recorded


def _verify_derived(root: str, recorded: set) -> list[str]:
    failures: list[str] = []
    base = os.path.join(root, "derived")
    for dirpath, _dirs, files in sorted(os.walk(base)):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            try:
                record = json.load(open(path, encoding="utf-8"))
            except (OSError, ValueError) as exc:
                failures.append(f"{rel}: unreadable ({exc})")
                continue
            if not isinstance(record, dict) or "output_sha256" not in record or record.get("redaction"):
                continue
            if hashlib.sha256(_canonical(record.get("output"))).hexdigest() != record["output_sha256"]:
                failures.append(f"{rel}: output does not match its recorded SHA-256")
            elif record["output_sha256"] not in recorded:
                failures.append(f"{rel}: output SHA-256 is not named by any custody entry in this package")
    return failures


def main(argv: list[str]) -> int:
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    failures = verify_package(root)
    for failure in failures:
        sys.stdout.write(f"FAIL {failure}\n")
    if failures:
        sys.stdout.write(f"package NOT verified: {len(failures)} problem(s)\n")
        return 1
    manifest = json.load(open(os.path.join(root, "MANIFEST.json"), encoding="utf-8"))
    key = bytes.fromhex(manifest["public_key"])
    sys.stdout.write(
        f"package verified: {len(manifest['files'])} files, signed by key {hashlib.sha256(key).hexdigest()}\n"
        f"MANIFEST.json sha256 {_sha256_file(os.path.join(root, 'MANIFEST.json'))}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
