"""Evidence packages: clean round trip, and every tamper case fails naming the file."""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from audita import derived
from audita.derived import Provenance
from audita.export.package import export_case
from audita.export.standalone_verify import ed25519_verify
from audita.export.verify_package import verify_package_path
from audita.ingest.service import ingest_paths
from testkit import ACTOR


@pytest.fixture
def package(workspace, case, samples_dir, tmp_path):
    report = ingest_paths(workspace, case.name, [samples_dir], actor=ACTOR)
    with workspace.action() as connection:
        derived.record(workspace, connection, item_id=report.outcomes[0].item_id, case_id=case.id,
                       provenance=Provenance("transcribe", report.outcomes[0].sha256, "fake-asr", {"beam_size": 5},
                                             "fake-model", "c" * 64),
                       output={"transmissions": [{"start": 0.1, "end": 0.9, "text": "Гранит, я Сокол"}]}, actor=ACTOR)
    return export_case(workspace, case.name, tmp_path / "pkg", actor=ACTOR)


def standalone(directory):
    return subprocess.run([sys.executable, str(directory / "verify_package.py"), str(directory)],
                          capture_output=True, text=True, env={"PATH": os.environ["PATH"]})


def test_clean_package_verifies_with_the_standalone_script(package, samples_dir):
    result = standalone(package.directory)
    assert result.returncode == 0, result.stdout
    assert "package verified" in result.stdout
    originals = sorted(p.name.split("-", 1)[1] for p in (package.directory / "originals").iterdir())
    assert originals == ["a.wav", "b.wav"]
    for path in (package.directory / "originals").iterdir():
        assert path.read_bytes() == (samples_dir / path.name.split("-", 1)[1]).read_bytes()
    methodology = json.loads((package.directory / "methodology.json").read_text())
    assert methodology["derivations"][0]["model_sha256"] == "c" * 64
    assert verify_package_path(package.directory) == []
    assert verify_package_path(package.zip_path) == []


def test_sha256sums_and_openssl_routes_work(package):
    sums = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=package.directory, capture_output=True, text=True)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    if shutil.which("openssl"):
        signed = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public_key.pem", "-rawin",
             "-in", "MANIFEST.json", "-sigfile", "MANIFEST.sig"], cwd=package.directory, capture_output=True, text=True)
        assert signed.returncode == 0 and "Success" in signed.stdout


def test_changed_file_is_named(package):
    target = next((package.directory / "originals").iterdir())
    data = bytearray(target.read_bytes())
    data[60] ^= 1
    target.write_bytes(bytes(data))
    result = standalone(package.directory)
    assert result.returncode == 1
    assert f"FAIL originals/{target.name}: content changed" in result.stdout


def test_added_file_is_named(package):
    (package.directory / "derived" / "extra.json").write_text("{}")
    assert verify_package_path(package.directory) == ["derived/extra.json: not listed in the manifest (added)"]


def test_removed_file_is_named(package):
    (package.directory / "items.json").unlink()
    assert verify_package_path(package.directory) == ["items.json: missing"]


def test_manifest_edit_breaks_the_signature(package):
    manifest = package.directory / "MANIFEST.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"name":"Test case"', b'"name":"Other case"'))
    failures = verify_package_path(package.directory)
    assert failures and failures[0].startswith("MANIFEST.json: signature does not verify")


def test_custody_entry_not_in_signed_log_is_named(package):
    # Even a consistent rewrite (file and manifest) fails: the manifest signature and the Merkle proof both break.
    entries = package.directory / "custody" / "entries.jsonl"
    lines = entries.read_text().splitlines()
    number = next(i for i, line in enumerate(lines) if "b.wav" in line)
    record = json.loads(lines[number])
    record["entry"] = record["entry"].replace("b.wav", "c.wav")
    lines[number] = json.dumps(record, ensure_ascii=False)
    entries.write_text("\n".join(lines) + "\n")
    failures = verify_package_path(package.directory)
    assert any("custody/entries.jsonl: content changed" in f for f in failures)
    assert any(f.startswith(f"custody/entries.jsonl line {number + 1} ") and "not included" in f for f in failures)


def test_export_is_logged_and_never_overwrites(workspace, case, package, tmp_path):
    from audita.custody.log import entries
    from audita.errors import BadInput

    with workspace.reading() as connection:
        assert entries(connection)[-1].action == "case.exported"
    with pytest.raises(BadInput, match="never overwrites"):
        export_case(workspace, case.name, package.directory, actor=ACTOR)


def test_hostile_zip_is_refused_by_verify_package(tmp_path):
    from audita.errors import BadInput

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../escape.txt", "x")
    with pytest.raises(BadInput):
        verify_package_path(evil)


def test_pure_python_ed25519_against_rfc8032_vector():
    # RFC 8032 section 7.1, TEST 1 (empty message).
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    assert ed25519_verify(public, b"", signature)
    assert not ed25519_verify(public, b"x", signature)
