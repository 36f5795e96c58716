"""Build an evidence package for a case (or some of its items).

Layout:
  originals/             recordings and archives, bit-identical to what was ingested
  items.json             per item: hashes, acquisitions and their metadata, media facts
  derived/ITEM/*.json    every derivation (transcripts, translations, speakers, flags, edits) with provenance
  custody/entries.jsonl  the custody entries for these items, each with an RFC 9162 inclusion proof
  custody/tree_head.json the signed tree head the proofs lead to
  methodology.json       tools, versions, models and their hashes, options, who ran what when
  public_key.hex/.pem    the installation's Ed25519 public key
  SHA256SUMS             for `sha256sum -c`
  verify_package.py      standard-library verifier;  VERIFY.txt  plain instructions
  MANIFEST.json          SHA-256 and size of every other file;  MANIFEST.sig  its Ed25519 signature
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from audita import __version__
from audita.cases import get_case
from audita.custody import log as custody
from audita.custody.merkle import inclusion_proof
from audita.errors import AuditaError, BadInput
from audita.items import item_detail
from audita.derived import history
from audita.export.timestamp import TimestampAuthority, request_token
from audita.provenance import canonical_json, code_version, utc_now
from audita.store.schema import custody_entries, items
from audita.workspace import Workspace

STANDALONE = Path(__file__).with_name("standalone_verify.py")
UNSIGNED = ("MANIFEST.json", "MANIFEST.sig", "MANIFEST.tsr")


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    zip_path: Path
    manifest_sha256: str
    file_count: int
    item_ids: tuple[str, ...]


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("._") or "file"
    return cleaned[:120]


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


VERIFY_TEXT = """\
How to verify this evidence package without Audita
===================================================

The package was exported by Audita {version} on {created_at} by {actor}.
It is signed with the Ed25519 key whose SHA-256 fingerprint is:

    {key_id}

Confirm that fingerprint with the exporting organisation through a separate channel.

1. Everything at once (Python 3.8 or newer, standard library only):

       python3 verify_package.py .

   It checks the manifest signature, every file's SHA-256, that no file was added or removed,
   and that every custody log entry is included in the signed custody log head.

2. By hand, with common tools:

       sha256sum -c SHA256SUMS
       openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in MANIFEST.json -sigfile MANIFEST.sig
       sha256sum public_key.hex-derived-raw-key   # see below

   The fingerprint is SHA-256 over the 32 raw key bytes in public_key.hex:
       python3 -c "import hashlib;print(hashlib.sha256(bytes.fromhex(open('public_key.hex').read())).hexdigest())"

3. If MANIFEST.tsr is present, it is an RFC 3161 timestamp token over MANIFEST.json:

       openssl ts -verify -data MANIFEST.json -in MANIFEST.tsr -CAfile tsa_ca.pem
       openssl ts -reply -in MANIFEST.tsr -text        # shows the time it certifies

Files in originals/ are bit-identical to what Audita ingested. Everything in derived/ is machine
output or analyst work recorded beside it; English translations are unverified machine translation
unless a reviewer's sign-off is recorded with them.
"""


def export_case(
    workspace: Workspace, case: str, out: Path, *, actor: str, item_ids: list[str] | None = None,
    tsa: TimestampAuthority | None = None,
) -> ExportResult:
    out = out.resolve()
    if out.exists():
        raise BadInput(f"{out} already exists; an export never overwrites")
    staging = out.with_name(out.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        result = _build(workspace, case, staging, actor=actor, item_ids=item_ids, tsa=tsa)
        if tsa is not None:
            # The token covers the signed manifest, so it is added after signing and is not listed in it.
            (staging / "MANIFEST.tsr").write_bytes(request_token(staging / "MANIFEST.json", tsa))
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    zip_path = out.with_suffix(".zip")
    _zip(out, zip_path)
    with workspace.action() as connection:
        workspace.record(connection, "case.exported", actor, case_id=result["case_id"], details={
            "manifest_sha256": result["manifest_sha256"], "items": result["item_ids"],
            "files": result["file_count"], "directory": str(out), "zip_sha256": _sha256(zip_path),
        })
    return ExportResult(out, zip_path, result["manifest_sha256"], result["file_count"], tuple(result["item_ids"]))


def _zip(directory: Path, zip_path: Path) -> None:
    tmp = zip_path.with_suffix(".zip.partial")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, f"{directory.name}/{path.relative_to(directory).as_posix()}")
    os.replace(tmp, zip_path)


def _build(
    workspace: Workspace, case: str, root: Path, *, actor: str, item_ids: list[str] | None,
    tsa: TimestampAuthority | None = None,
) -> dict[str, Any]:
    created_at = utc_now()
    with workspace.reading() as connection:
        case_row = get_case(connection, case)
        rows = connection.execute(select(items.c.id).where(items.c.case_id == case_row.id).order_by(items.c.created_at)).all()
        all_ids = [r.id for r in rows]
        if item_ids:
            unknown = [i for i in item_ids if i not in all_ids]
            if unknown:
                raise BadInput(f"item {unknown[0]} is not in case {case_row.name!r}")
            chosen = [i for i in all_ids if i in item_ids]
        else:
            chosen = all_ids
        details = [item_detail(workspace, item_id) for item_id in chosen]
        derivations = {item_id: history(connection, item_id) for item_id in chosen}
        head = custody.latest_head(connection)
        log_rows = connection.execute(select(custody_entries).order_by(custody_entries.c.seq)).all()
    if head is None:
        raise AuditaError("the custody log has no signed head")

    items_out = []
    for detail in details:
        original = workspace.blobs.path_for(detail["sha256"])
        relative = f"originals/{detail['id'][:8]}-{_safe_name(detail['name'])}"
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, target)
        if _sha256(target) != detail["sha256"]:
            raise AuditaError(f"stored original of item {detail['id']} does not match its hash; run 'audita verify'")
        items_out.append({**detail, "package_path": relative})
    _write_json(root / "items.json", {"case": {"id": case_row.id, "name": case_row.name}, "items": items_out})

    methodology_runs = []
    for item_id, rows_for_item in derivations.items():
        for d in rows_for_item:
            record = {
                "id": d.id, "item_id": item_id, "stage": d.provenance.stage, "parent_id": d.provenance.parent_id,
                "input_sha256": d.provenance.input_sha256, "engine": d.provenance.engine,
                "model_name": d.provenance.model_name, "model_sha256": d.provenance.model_sha256,
                "options": d.provenance.options, "code_version": d.code_version,
                "created_at": d.created_at, "created_by": d.created_by, "output_sha256": d.output_sha256,
            }
            _write_json(root / "derived" / item_id / f"{d.provenance.stage}-{d.id}.json", {**record, "output": d.output})
            methodology_runs.append(record)
    media_tools = sorted({f["tool"] for d in details for f in d["media_facts"]})
    _write_json(root / "methodology.json", {
        "audita_version": __version__, "code_version": code_version(), "exported_at": created_at,
        "exported_by": actor, "hash_algorithm": "SHA-256", "signature_algorithm": "Ed25519",
        "custody_log": "RFC 9162 Merkle tree; leaf = SHA-256(0x00 || entry JSON), node = SHA-256(0x01 || left || right)",
        "media_tools": media_tools, "derivations": methodology_runs,
    })

    chosen_set = set(chosen)
    leaves = [bytes.fromhex(r.leaf_hash) for r in log_rows[: head.tree_size]]
    lines = []
    for row in log_rows[: head.tree_size]:
        relevant = row.item_id in chosen_set or (row.case_id == case_row.id and row.item_id is None) or row.seq == 0
        if not relevant:
            continue
        proof = inclusion_proof(leaves, int(row.seq))
        lines.append(json.dumps({"index": int(row.seq), "leaf_hash": row.leaf_hash, "entry": row.entry_json,
                                 "inclusion_proof": [p.hex() for p in proof]}, ensure_ascii=False))
    (root / "custody").mkdir(exist_ok=True)
    (root / "custody" / "entries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_json(root / "custody" / "tree_head.json", {
        "tree_size": head.tree_size, "root_hash": head.root_hash, "timestamp": head.created_at,
        "key_id": head.key_id, "signature": head.signature,
    })

    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(workspace.key.public_hex))
    (root / "public_key.hex").write_text(workspace.key.public_hex, encoding="ascii")
    (root / "public_key.pem").write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    shutil.copyfile(STANDALONE, root / "verify_package.py")
    if tsa is not None and tsa.ca_file is not None:
        shutil.copyfile(tsa.ca_file, root / "tsa_ca.pem")
    (root / "VERIFY.txt").write_text(VERIFY_TEXT.format(
        version=__version__, created_at=created_at, actor=actor, key_id=workspace.key.key_id), encoding="utf-8")

    files = sorted(p for p in root.rglob("*") if p.is_file())
    sums = [f"{_sha256(p)}  {p.relative_to(root).as_posix()}" for p in files]
    (root / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name not in UNSIGNED)
    manifest = {
        "format": "audita-evidence-package-v1",
        "case": {"id": case_row.id, "name": case_row.name},
        "created_at": created_at, "created_by": actor, "audita_version": code_version(),
        "public_key": workspace.key.public_hex, "key_id": workspace.key.key_id,
        "files": [{"path": p.relative_to(root).as_posix(), "sha256": _sha256(p), "size": p.stat().st_size} for p in files],
    }
    manifest_bytes = canonical_json(manifest)
    (root / "MANIFEST.json").write_bytes(manifest_bytes)
    (root / "MANIFEST.sig").write_bytes(bytes.fromhex(workspace.key.sign(manifest_bytes)))
    return {"case_id": case_row.id, "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
            "file_count": len(files) + 2, "item_ids": chosen}
