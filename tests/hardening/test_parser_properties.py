"""Property-based tests (hypothesis) on the parsers that read untrusted bytes, and on the Merkle
proofs: arbitrary input either parses or raises BadInput, never anything else; what parses obeys
the documented rules; every proof verifies and every flipped bit makes it fail."""

from __future__ import annotations

import csv
import io
import json
import string
import tempfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from audita.custody.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_inclusion_proof,
    root_of,
    verify_consistency,
)
from audita.cases import create_case
from audita.config import Settings
from audita.errors import BadInput
from audita.ingest.archives import ArchiveLimits, safe_member_name, scan_archive
from audita.ingest.service import ingest_paths
from audita.ingest.metadata import CHANNELS, LANGUAGES, RecordingMetadata, parse_manifest, parse_sidecar
from audita.media.sniff import HEADER_BYTES, claims_audio, extension_matches, sniff_bytes
from audita.verify import verify_store
from audita.workspace import Workspace
from testkit import ACTOR, tone, write_wav

# Bounded, and no example database: nothing is written into the checkout.
BOUNDED = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = {"audio", "archive", "document", "image", "executable", "text", "unknown", "empty"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(["intercept_time", "channel", "frequency_mhz", "source", "source_url", "title",
                               "acquisition_notes", "receiver_location", "language", "file", "sha256", "colour"])
records = st.dictionaries(field_names, json_values | st.text(max_size=40), max_size=6)


def _check_metadata(metadata: RecordingMetadata) -> None:
    """Whatever parses satisfies the rules the README states."""
    if metadata.intercept_time is not None:
        assert metadata.intercept_time.endswith("Z")
    if metadata.channel is not None:
        assert metadata.channel in CHANNELS
    if metadata.language is not None:
        assert metadata.language in LANGUAGES
    if metadata.frequency_mhz is not None:
        assert 0 < metadata.frequency_mhz < 300_000
    if metadata.source_url is not None:
        assert metadata.source_url.startswith(("http://", "https://"))
    if metadata.receiver_location is not None:
        assert -90 <= metadata.receiver_location.lat <= 90 and -180 <= metadata.receiver_location.lon <= 180
    for text in (metadata.source, metadata.title, metadata.acquisition_notes):
        assert text is None or not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text)


# ---- manifests and sidecars ---------------------------------------------------------------------


@BOUNDED
@given(st.binary(max_size=300))
@example(b"[" * 20_000)
@example(b'{"frequency_mhz": ' + b"7" * 5000 + b"}")
def test_sidecar_bytes_parse_or_bad_input(data: bytes) -> None:
    try:
        _check_metadata(parse_sidecar(data, "x.wav.json"))
    except BadInput as exc:
        assert "\n" not in str(exc)


@BOUNDED
@given(records)
def test_sidecar_objects_parse_or_bad_input(record: dict[str, Any]) -> None:
    data = json.dumps(record, allow_nan=True).encode()
    try:
        metadata = parse_sidecar(data, "x.wav.json")
    except BadInput:
        return
    _check_metadata(metadata)
    assert "colour" not in record  # unknown fields never pass


@BOUNDED
@given(st.lists(records, max_size=4), st.booleans())
def test_json_manifests_parse_or_bad_input(entries: list[dict[str, Any]], wrapped: bool) -> None:
    document: Any = {"files": entries} if wrapped else entries
    try:
        manifest = parse_manifest(json.dumps(document, allow_nan=True).encode(), "manifest.json")
    except BadInput:
        return
    for metadata in list(manifest.by_path.values()) + list(manifest.by_sha256.values()):
        _check_metadata(metadata)
    assert all(len(key) == 64 for key in manifest.by_sha256)


@BOUNDED
@given(st.lists(st.lists(st.text(max_size=20), min_size=1, max_size=5), min_size=1, max_size=5),
       st.lists(st.sampled_from(["file", "sha256", "channel", "frequency_mhz", "receiver_lat", "receiver_lon",
                                 "receiver_description", "intercept_time", "colour"]), min_size=1, max_size=5,
                unique=True))
def test_csv_manifests_parse_or_bad_input(rows: list[list[str]], header: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    try:
        manifest = parse_manifest(buffer.getvalue().encode("utf-8"), "manifest.csv")
    except BadInput:
        return
    assert "colour" not in header
    for metadata in manifest.by_path.values():
        _check_metadata(metadata)


@BOUNDED
@given(st.binary(max_size=300), st.sampled_from(["manifest.json", "manifest.csv"]))
@example(b"\r\x00", "manifest.csv")  # found by this test: csv.Error escaped from the header read
@example(b"file,source\ra.wav,x\r\n", "manifest.csv")
def test_manifest_bytes_parse_or_bad_input(data: bytes, name: str) -> None:
    try:
        parse_manifest(data, name)
    except BadInput as exc:
        assert "\n" not in str(exc)


# ---- archives -----------------------------------------------------------------------------------

member_names = st.text(alphabet=string.ascii_letters + string.digits + "./\\:_- \u0416\u00e9", min_size=1, max_size=24)


def _is_contained(name: str) -> bool:
    root = Path("/extract/root")
    return (root / name).resolve().is_relative_to(root) and name == PurePosixPath(name).as_posix()


@BOUNDED
@given(st.text(max_size=40))
@example("..\\..\\x")
@example("C:x")
def test_safe_member_name_is_contained_or_refused(raw: str) -> None:
    try:
        name = safe_member_name(raw)
    except BadInput:
        return
    parts = name.split("/")
    assert "\\" not in name and not name.startswith("/") and ".." not in parts and "" not in parts and "." not in parts
    assert _is_contained(name)


@BOUNDED
@given(st.lists(st.tuples(member_names, st.binary(max_size=64)), min_size=1, max_size=5))
def test_scanned_archives_only_list_contained_unique_members(entries: list[tuple[str, bytes]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.zip"
        with zipfile.ZipFile(path, "w") as archive, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate names are allowed in: the scanner must refuse them
            for name, data in entries:
                archive.writestr(zipfile.ZipInfo(name), data)
        try:
            members = scan_archive(path, ArchiveLimits())
        except BadInput:
            return
    names = [m.name for m in members]
    assert len(names) == len(set(names))
    assert all(_is_contained(name) for name in names)


WAV = write_wav(Path(tempfile.mkdtemp()) / "m.wav", tone(0.2, seed=5)).read_bytes()


@st.composite
def damaged_zips(draw: st.DrawFn) -> bytes:
    """A small valid zip (random bytes or a real recording per member), then bits flipped, bytes
    cut or garbage spliced in."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))) as archive:
        for index in range(draw(st.integers(1, 3))):
            archive.writestr(f"dir/m{index}.wav", draw(st.just(WAV) | st.binary(min_size=1, max_size=200)))
    data = bytearray(buffer.getvalue())
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "cut", "splice"]))
        position = draw(st.integers(0, len(data) - 1))
        if action == "flip":
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "cut":
            del data[position:]
            if not data:
                data = bytearray(b"PK")
        else:
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


@BOUNDED
@given(damaged_zips())
def test_damaged_archives_scan_or_bad_input(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.zip"
        path.write_bytes(data)
        try:
            members = scan_archive(path, ArchiveLimits())
        except BadInput as exc:
            assert "\n" not in str(exc)
            return
        assert all(_is_contained(m.name) for m in members)


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    workspace = Workspace.open(Settings(home=tmp_path_factory.mktemp("fuzz") / "home"))
    create_case(workspace, "Fuzz", actor=ACTOR)
    yield workspace
    workspace.close()


@settings(BOUNDED, max_examples=60)
@given(damaged_zips())
def test_damaged_archives_never_break_ingest(fuzz_store: Workspace, data: bytes) -> None:
    """Whole ingest path: scan, store the zip, read each member: outcomes only, no exception."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "release.zip"
        path.write_bytes(data)
        report = ingest_paths(fuzz_store, "Fuzz", [path], actor=ACTOR)
    for outcome in report.outcomes:
        assert outcome.status in ("ingested", "duplicate", "already", "rejected", "skipped")
        assert "\n" not in outcome.message
    assert not list(fuzz_store.settings.tmp_dir.iterdir())


def test_fuzzed_store_verifies(fuzz_store: Workspace) -> None:
    report = verify_store(fuzz_store)
    assert report.ok and not report.problems, report.problems


# ---- sniffing -----------------------------------------------------------------------------------

MAGIC = {
    b"fLaC": "flac", b"OggS": "ogg", b"ID3": "mp3", b"#!AMR\n": "amr-nb", b"#!AMR-WB\n": "amr-wb",
    b"PK\x03\x04": "zip", b"%PDF": "pdf", b"\x7fELF": "elf", b"\x89PNG": "png", b"\x1a\x45\xdf\xa3": "webm",
}


@BOUNDED
@given(st.binary(max_size=HEADER_BYTES + 16))
def test_sniffing_never_fails_and_is_stable(head: bytes) -> None:
    sniffed = sniff_bytes(head)
    assert sniffed.kind in KINDS and sniffed.format and sniffed.description
    assert sniff_bytes(head) == sniffed
    assert (sniffed.kind == "empty") == (head == b"")


@BOUNDED
@given(st.sampled_from(sorted(MAGIC)), st.binary(max_size=HEADER_BYTES))
def test_leading_magic_decides_whatever_follows(magic: bytes, rest: bytes) -> None:
    # "ftyp" at offset 4 is checked before most leading magics (MPEG-4 has no magic at offset 0);
    # no real file of these formats has it there, and what is sniffed as audio is still decoded.
    assume((magic + rest)[4:8] != b"ftyp")
    assert sniff_bytes(magic + rest).format == MAGIC[magic]


@BOUNDED
@given(st.text(max_size=40), st.sampled_from(["wav", "mp3", "ogg", "flac", "mp4", "amr-nb", "zip", "nonsense"]))
def test_name_checks_never_fail(name: str, fmt: str) -> None:
    matches = extension_matches(fmt, name)
    assert isinstance(matches, bool) and isinstance(claims_audio(name), bool)
    if matches:
        assert claims_audio(name)


# ---- Merkle proofs ------------------------------------------------------------------------------

leaves_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70).map(lambda xs: [leaf_hash(x) for x in xs])


def _flip(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[(bit // 8) % len(data)] ^= 1 << (bit % 8)
    return bytes(data)


@BOUNDED
@given(leaves_lists, st.data())
def test_inclusion_proofs_verify_and_any_flipped_bit_fails(leaves: list[bytes], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    root = root_of(leaves)
    proof = inclusion_proof(leaves, index)
    assert root_from_inclusion_proof(leaves[index], index, len(leaves), proof) == root
    bit = data.draw(st.integers(0, 255))
    target = data.draw(st.integers(-1, len(proof) - 1))  # -1: the leaf itself
    leaf = _flip(leaves[index], bit) if target == -1 else leaves[index]
    tampered = [(_flip(p, bit) if i == target else p) for i, p in enumerate(proof)]
    assert root_from_inclusion_proof(leaf, index, len(leaves), tampered) != root


@BOUNDED
@given(leaves_lists, st.data())
def test_consistency_proofs_verify_and_any_flipped_bit_fails(leaves: list[bytes], data: st.DataObject) -> None:
    new_size = len(leaves)
    old_size = data.draw(st.integers(1, new_size))
    old_root, new_root = root_of(leaves[:old_size]), root_of(leaves)
    proof = consistency_proof(leaves, old_size)
    assert verify_consistency(old_size, new_size, old_root, new_root, proof)
    bit = data.draw(st.integers(0, 255))
    target = data.draw(st.integers(-2, len(proof) - 1))  # -2: old root, -1: new root
    tampered = [(_flip(p, bit) if i == target else p) for i, p in enumerate(proof)]
    old = _flip(old_root, bit) if target == -2 else old_root
    new = _flip(new_root, bit) if target == -1 else new_root
    assert not verify_consistency(old_size, new_size, old, new, tampered)


@BOUNDED
@given(leaves_lists, st.data())
def test_proofs_do_not_transfer_to_other_sizes_or_indices(leaves: list[bytes], data: st.DataObject) -> None:
    assume(len(set(leaves)) == len(leaves) and len(leaves) >= 2)
    index = data.draw(st.integers(0, len(leaves) - 1))
    other = data.draw(st.integers(0, len(leaves) - 1).filter(lambda i: i != index))
    proof = inclusion_proof(leaves, index)
    try:
        assert root_from_inclusion_proof(leaves[index], other, len(leaves), proof) != root_of(leaves)
    except ValueError:
        pass  # a proof of the wrong length for that position is refused outright
    old_size = data.draw(st.integers(1, len(leaves) - 1))
    proof = consistency_proof(leaves, old_size)
    wrong_old = data.draw(st.integers(1, len(leaves) - 1).filter(lambda m: m != old_size))
    assert not verify_consistency(wrong_old, len(leaves), root_of(leaves[:old_size]), root_of(leaves), proof)
