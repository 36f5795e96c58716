"""A corpus of hostile inputs, generated deterministically at test time.

Each case is files written under a folder and how they are handed to ingest (as explicit files,
as a folder, or with --manifest), with the status every input must get and a pattern its one-line
message must match. Nothing here is valid evidence: every case must leave the store unchanged.
"""

from __future__ import annotations

import os
import struct
import subprocess
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from testkit import tone, write_encoded, write_wav

CLASSES = (
    "zero-length", "wrong magic", "truncated audio", "corrupt audio", "enormous header", "zip bomb",
    "zip slip", "damaged archive", "odd file name", "malformed manifest", "malformed sidecar", "malformed document",
)


@dataclass(frozen=True)
class Hostile:
    id: str
    klass: str
    paths: tuple[Path, ...]  # handed to ingest as given (files, folders, archives)
    expect: str  # regular expression the message of each rejected/skipped input must match
    status: str = "rejected"  # or "skipped" (a non-recording found in a folder)
    manifest: Path | None = None  # an explicit --manifest, refused before anything is read
    keeps_archive: bool = False  # a zip whose member is refused: the zip itself is kept as an item


class _Audio:
    """Valid recordings in several containers, made once per corpus and then broken."""

    def __init__(self, root: Path) -> None:
        self.root = root / "_valid"
        self.root.mkdir(parents=True)
        self.samples = tone(3.0, rate=16000, freq=350, seed=99)
        self._made: dict[str, bytes] = {}

    def get(self, kind: str) -> bytes:
        if kind not in self._made:
            path = self.root / f"valid.{kind}"
            if kind == "wav":
                write_wav(path, self.samples, 16000)
            elif kind == "amr":
                wav = write_wav(self.root / "for-amr.wav", tone(3.0, rate=8000, seed=98), 8000)
                subprocess.run(["sox", str(wav), "-t", "amr-nb", str(path)], check=True, capture_output=True)
            else:
                codec, fmt, rate = {"flac": ("flac", "flac", 16000), "opus": ("libopus", "ogg", 48000),
                                    "mp3": ("mp3", "mp3", 16000), "m4a": ("aac", "mp4", 16000),
                                    "webm": ("libopus", "webm", 48000), "aiff": ("pcm_s16be", "aiff", 16000)}[kind]
                samples = tone(3.0, rate=rate, freq=350, seed=97)
                write_encoded(path, samples, rate, codec, fmt)
            self._made[kind] = path.read_bytes()
        return self._made[kind]


def _wav_header(*, channels: int = 1, rate: int = 8000, bits: int = 16, fmt_size: int = 16,
                data_size: int = 0, riff_size: int | None = None, audio_format: int = 1) -> bytes:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", audio_format, channels, rate, rate * block, block, bits)
    fmt = fmt + bytes(max(0, fmt_size - 16)) if fmt_size <= 64 else fmt
    body = b"WAVE" + b"fmt " + struct.pack("<I", fmt_size) + fmt + b"data" + struct.pack("<I", data_size)
    return b"RIFF" + struct.pack("<I", riff_size if riff_size is not None else len(body) + data_size) + body


def _zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are one of the cases
        for name, data in entries:
            info = name if isinstance(name, zipfile.ZipInfo) else zipfile.ZipInfo(name)
            info.compress_type = method
            archive.writestr(info, data)
    return path


def _overlapping_zip(path: Path, wav: bytes) -> Path:
    """Two central-directory entries pointing at the same local header (the overlap bomb)."""
    _zip(path, [("a.wav", wav)], zipfile.ZIP_STORED)
    data = path.read_bytes()
    eocd = data.rindex(b"PK\x05\x06")
    cd_offset = struct.unpack_from("<I", data, eocd + 16)[0]
    central = data[cd_offset:eocd]
    second = central.replace(b"a.wav", b"b.wav")
    end = bytearray(data[eocd:])
    struct.pack_into("<HHI", end, 8, 2, 2, len(central) * 2)
    path.write_bytes(data[:cd_offset] + central + second + bytes(end))
    return path


def _lying_size_zip(path: Path, declared: int) -> Path:
    """A member whose central directory claims `declared` bytes uncompressed (over the limit)."""
    _zip(path, [("big.wav", b"\x00" * 1000)])
    data = bytearray(path.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    if declared >= 0xFFFFFFFF:
        raise ValueError("use a 32-bit size")
    struct.pack_into("<I", data, central + 24, declared)
    path.write_bytes(bytes(data))
    return path


def _patched_zip(path: Path, wav: bytes, patch: Callable[[bytearray, int, int], None],
                 method: int = zipfile.ZIP_STORED) -> Path:
    """A one-member zip, then `patch(data, local_header_offset, central_header_offset)`."""
    _zip(path, [("a.wav", wav)], method)
    data = bytearray(path.read_bytes())
    patch(data, 0, data.rindex(b"PK\x01\x02"))
    path.write_bytes(bytes(data))
    return path


def _encrypted(data: bytearray, local: int, central: int) -> None:
    data[local + 6] |= 1
    data[central + 8] |= 1


def _method(number: int) -> Callable[[bytearray, int, int], None]:
    def patch(data: bytearray, local: int, central: int) -> None:
        struct.pack_into("<H", data, local + 8, number)
        struct.pack_into("<H", data, central + 10, number)
    return patch


def _offset_past_end(data: bytearray, local: int, central: int) -> None:
    struct.pack_into("<I", data, central + 42, len(data) + 1000)


def _corrupt_deflate(data: bytearray, local: int, central: int) -> None:
    start = local + 30 + struct.unpack_from("<H", data, local + 26)[0]
    for offset in range(start + 2, start + 40):
        data[offset] = 0xFF


def _cp437_name_zip(path: Path, payload: bytes) -> Path:
    """A member name in a legacy code page (no UTF-8 flag): bytes 0x80-0xFF in the name."""
    _zip(path, [("XXXX.wav", payload)])
    data = path.read_bytes().replace(b"XXXX.wav", "Граніт".encode("cp1251")[:4] + b".wav")
    path.write_bytes(data)
    return path


def build(root: Path) -> list[Hostile]:
    """Write every case under `root` and return them (about 60, across CLASSES)."""
    audio = _Audio(root)
    cases: list[Hostile] = []

    def folder(case_id: str) -> Path:
        path = root / case_id
        path.mkdir(parents=True)
        return path

    def add(case_id: str, klass: str, files: dict[str, bytes] | Callable[[Path], list[Path]], expect: str,
            status: str = "rejected", as_folder: bool = False, keeps_archive: bool = False) -> None:
        base = folder(case_id)
        if callable(files):
            paths = files(base)
        else:
            paths = []
            for name, data in files.items():
                path = base / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                paths.append(path)
        cases.append(Hostile(case_id, klass, (base,) if as_folder else tuple(paths), expect, status,
                             keeps_archive=keeps_archive))

    wav = audio.get("wav")

    # -- zero-length ------------------------------------------------------------------------------
    add("empty-wav", "zero-length", {"empty.wav": b""}, r"empty file")
    add("empty-amr-in-folder", "zero-length", {"call.amr": b""}, r"empty file", as_folder=True)
    add("empty-no-name", "zero-length", {"noextension": b""}, r"empty file")
    add("empty-zip-member", "zero-length", lambda d: [_zip(d / "r.zip", [("e.wav", b"")])], r"empty file",
        keeps_archive=True)

    # -- wrong magic: another format's leading bytes under an audio name --------------------------
    disguised = {
        "jpeg.wav": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(60), "JPEG image"),
        "gif.flac": (b"GIF89a\x01\x00\x01\x00" + bytes(60), "GIF image"),
        "ole.amr": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(60), "MS Office"),
        "sevenzip.opus": (b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(60), "7-Zip archive"),
        "rar.wav": (b"Rar!\x1a\x07\x01\x00" + bytes(60), "RAR archive"),
        "gzip.m4a": (b"\x1f\x8b\x08\x00" + bytes(60), "gzip data"),
        "json.mp3": (b'{"intercept": "not audio"}', "JSON text"),
        "html.ogg": (b"<!DOCTYPE html><html><body>intercept</body></html>", "HTML document"),
        "shell.aac": (b"#!/bin/sh\nrm -rf /\n", "plain text"),
        "pe.webm": (b"MZ\x90\x00" + bytes(60), "Windows executable"),
    }
    for name, (data, description) in disguised.items():
        add(f"magic-{name}", "wrong magic", {name: data}, rf"not audio: content is {description}")

    # -- truncated audio: valid recordings cut short --------------------------------------------
    short = r"truncated or damaged: decodes \d+\.\d+ s of 3\.\d+ s declared"
    for kind, keep, expect in (
        ("wav", 0.3, short), ("flac", 0.3, short), ("webm", 0.3, short), ("aiff", 0.3, short),
        ("opus", 0.3, r"not decodable as Ogg audio: End of file"),
        ("m4a", 0.5, r"not decodable as MPEG-4/3GPP container: Invalid data"),
        ("mp3", 0.02, r"not decodable as MPEG audio with ID3 tag: Invalid data"),
    ):
        data = audio.get(kind)
        add(f"truncated-{kind}", "truncated audio", {f"cut.{kind}": data[: int(len(data) * keep)]}, expect)
    add("truncated-wav-header-only", "truncated audio", {"header.wav": wav[:44]}, r"WAVE audio holds no decodable audio")
    add("truncated-flac-streaminfo-only", "truncated audio", {"head.flac": audio.get("flac")[:42]},
        r"not decodable as FLAC audio: End of file")
    add("truncated-amr-one-byte", "truncated audio", {"b.amr": b"#!AMR\n\x3c"}, r"AMR-NB audio holds no frames")
    add("truncated-amr-wb-magic-only", "truncated audio", {"w.awb": b"#!AMR-WB\n"}, r"AMR-WB audio holds no frames")

    # -- corrupt audio: right magic, wrong insides ------------------------------------------------
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    flac = audio.get("flac")
    invalid = "Invalid data found when processing input"
    corrupt = {
        "riff-noise.wav": (b"RIFF\x00\x10\x00\x00WAVE" + noise, rf"not decodable as WAVE audio: {invalid}"),
        "zero-channels.wav": (_wav_header(channels=0, data_size=1000) + bytes(1000), r"WAVE audio holds no decodable audio"),
        "zero-rate.wav": (_wav_header(rate=0, data_size=1000) + bytes(1000), rf"not decodable as WAVE audio: {invalid}"),
        "format-tag-99.wav": (_wav_header(audio_format=99, data_size=1000) + bytes(1000),
                              r"WAVE audio uses an audio codec that cannot be decoded here"),
        "flac-noise.flac": (b"fLaC" + noise, rf"not decodable as FLAC audio: {invalid}"),
        "ogg-noise.ogg": (b"OggS" + noise, rf"not decodable as Ogg audio: {invalid}"),
        "id3-noise.mp3": (b"ID3\x04\x00\x00\x00\x00\x00\x10" + noise, rf"not decodable as MPEG audio with ID3 tag: {invalid}"),
        "ftyp-noise.m4a": (b"\x00\x00\x00\x18ftypM4A " + noise, rf"not decodable as MPEG-4/3GPP container: {invalid}"),
        "mpeg-sync-noise.mp3": (b"\xff\xfb\x90\x00" * 500, rf"not decodable as MPEG audio: {invalid}"),
        "flipped-bits.flac": (flac[:42] + bytes(b ^ 0xFF for b in flac[42:]), r"FLAC audio holds no decodable audio"),
        "caf-noise.caf": (b"caff\x00\x01\x00\x00" + bytes(100), rf"not decodable as Core Audio file: {invalid}"),
        "aiff-empty-comm.aiff": (b"FORM\x00\x00\x00\x40AIFFCOMM\x00\x00\x00\x12" + bytes(18) + b"SSND\x00\x00\x00\x08"
                                 + bytes(8), rf"not decodable as AIFF audio: {invalid}"),
    }
    for name, (data, expect) in corrupt.items():
        add(f"corrupt-{name}", "corrupt audio", {name: data}, expect)

    # -- enormous headers: sizes that promise gigabytes ------------------------------------------
    enormous = {
        "fmt-4g.wav": (b"RIFF\xff\xff\xff\xffWAVEfmt \xf0\xff\xff\xff" + bytes(64), rf"not decodable as WAVE audio: {invalid}"),
        "data-4g.wav": (_wav_header(data_size=0xFFFFFFF0, riff_size=0xFFFFFFFF) + bytes(2000),
                        r"truncated or damaged: decodes 0\.\d+ s of 268435\.\d+ s declared"),
        "id3-256m.mp3": (b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + bytes(2000), rf"not decodable as MPEG audio with ID3 tag: {invalid}"),
        "mp4-largesize.m4a": (struct.pack(">I4sQ", 1, b"ftyp", 0xFFFFFFFFFFFFFFF0) + b"M4A " + bytes(2000),
                              rf"not decodable as MPEG-4/3GPP container: {invalid}"),
        "flac-16m-block.flac": (b"fLaC" + bytes([0x04]) + b"\xff\xff\xff" + bytes(2000), rf"not decodable as FLAC audio: {invalid}"),
        "ebml-huge.webm": (b"\x1a\x45\xdf\xa3\x01\xff\xff\xff\xff\xff\xff\xff" + bytes(2000),
                           rf"not decodable as Matroska/WebM container: {invalid}"),
    }
    for name, (data, expect) in enormous.items():
        add(f"enormous-{name}", "enormous header", {name: data}, expect)

    # -- zip bombs --------------------------------------------------------------------------------
    add("bomb-ratio", "zip bomb", lambda d: [_zip(d / "ratio.zip", [("zeros.wav", bytes(8 << 20))])], r"zip bomb")
    add("bomb-overlap", "zip bomb", lambda d: [_overlapping_zip(d / "overlap.zip", wav)], r"overlap|zip bomb|twice")
    add("bomb-declared-size", "zip bomb", lambda d: [_lying_size_zip(d / "lying.zip", 0xFFFFFF00)],
        r"over the limit|zip bomb")
    add("bomb-many-members", "zip bomb",
        lambda d: [_zip(d / "many.zip", [(f"m{i:05d}.wav", b"") for i in range(10_001)], zipfile.ZIP_STORED)],
        r"more than the limit")
    add("bomb-ratio-in-folder", "zip bomb",
        lambda d: [_zip(d / "release.zip", [("a.wav", wav), ("b.wav", bytes(4 << 20))])], r"zip bomb", as_folder=True)

    # -- zip slip: names that would land outside the extraction root ------------------------------
    for case_id, member in (("backslash-dotdot", "..\\..\\evil.wav"), ("deep-dotdot", "day1/../../../evil.wav"),
                            ("unc-path", "\\\\server\\share\\evil.wav"), ("drive-relative", "d:evil.wav"),
                            ("duplicate-name", "good.wav"), ("dot-only", "./.")):
        add(f"slip-{case_id}", "zip slip", lambda d, m=member: [_zip(d / "slip.zip", [("good.wav", wav), (m, wav)])],
            r"archive refused, nothing stored: .*(escapes|absolute|twice|empty name)")

    # -- damaged archives: refused before anything is stored (or, when only a member's compressed
    # data is bad, that member refused and the zip kept as received) -----------------------------
    add("archive-encrypted", "damaged archive", lambda d: [_patched_zip(d / "locked.zip", wav, _encrypted)],
        r"archive refused, nothing stored: member 'a.wav' is encrypted")
    add("archive-aes-method", "damaged archive", lambda d: [_patched_zip(d / "aes.zip", wav, _method(99))],
        r"archive refused, nothing stored: member 'a.wav' uses compression method 99")
    add("archive-implode-method", "damaged archive", lambda d: [_patched_zip(d / "old.zip", wav, _method(6))],
        r"archive refused, nothing stored: member 'a.wav' uses compression method 6")
    add("archive-offset-past-end", "damaged archive", lambda d: [_patched_zip(d / "far.zip", wav, _offset_past_end)],
        r"archive refused, nothing stored: .*(points outside the archive|not a readable zip)")
    add("archive-truncated-directory", "damaged archive", {"cut.zip": _zip(root / "_valid" / "whole.zip", [("a.wav", wav)])
                                                           .read_bytes()[:-30]}, r"archive refused, nothing stored")
    add("archive-corrupt-deflate", "damaged archive",
        lambda d: [_patched_zip(d / "bad.zip", wav, _corrupt_deflate, zipfile.ZIP_DEFLATED)],
        r"cannot read: (Error -3 while decompressing|Bad CRC)", keeps_archive=True)

    # -- odd file names (bytes that are not UTF-8, controls, bidi overrides) ----------------------
    def raw_name(name: bytes, data: bytes) -> Callable[[Path], list[Path]]:
        def write(d: Path) -> list[Path]:
            path = os.fsencode(d) + b"/" + name
            with open(path, "wb") as handle:
                handle.write(data)
            return [Path(os.fsdecode(path))]
        return write

    add("name-cp1251-bytes", "odd file name", raw_name("Перехват.wav".encode("cp1251"), wav),
        r"file name is not valid UTF-8")
    add("name-latin1-in-folder", "odd file name", raw_name("écoute.wav".encode("latin-1"), wav),
        r"file name is not valid UTF-8", as_folder=True)
    add("name-newline", "odd file name", {"line\nbreak.wav": b"%PDF-1.4\n" + bytes(60)}, r"not audio: content is PDF")
    add("name-escape-seq", "odd file name", {"\x1b[31mred.wav": b"\x7fELF" + bytes(60)}, r"not audio: content is ELF")
    add("name-bidi-override", "odd file name", {"\u202egnp.wav": b"\x89PNG\r\n\x1a\n" + bytes(60)}, r"not audio: content is PNG")
    add("name-cp437-member", "odd file name", lambda d: [_cp437_name_zip(d / "legacy.zip", b"%PDF-1.4\n" + bytes(60))],
        r"not audio: content is PDF document", keeps_archive=True)

    # -- malformed manifests ----------------------------------------------------------------------
    manifests = {
        "nested": ("manifest.json", b"[" * 50_000 + b"]" * 50_000, r"invalid JSON"),
        "huge-int": ("manifest.json", b'[{"file": "a.wav", "frequency_mhz": ' + b"9" * 5000 + b"}]", r"invalid JSON"),
        "nan": ("manifest.json", b'[{"file": "a.wav", "frequency_mhz": NaN}]', r"finite"),
        "utf16": ("manifest.json", '[{"file": "a.wav"}]'.encode("utf-16"), r"not UTF-8"),
        "csv-nul": ("manifest.csv", b"file,source\na.wav,x\x00y\n", r"control characters|malformed CSV"),
        "csv-huge-field": ("manifest.csv", b"file,source\na.wav," + b"x" * 200_000 + b"\n", r"malformed CSV|longer than"),
        "csv-both-locations": ("manifest.csv", b"file,receiver_location,receiver_lat,receiver_lon\na.wav,\"1,2\",3,4\n",
                               r"both receiver_location and receiver_lat"),
        "year-1": ("manifest.json", b'[{"file": "a.wav", "intercept_time": "0001-01-01T00:00:00+00:00"}]', r"out of range"),
        "location-list": ("manifest.json", b'[{"file": "a.wav", "receiver_location": [48.5, 38.0]}]', r"receiver_location"),
        "oversize": ("manifest.json", b"[" + b" " * (10 << 20) + b"]", r"larger than"),
    }
    for case_id, (name, data, expect) in manifests.items():
        add(f"manifest-{case_id}", "malformed manifest", {name: data, "a.wav": wav},
            rf"folder refused, nothing stored: .*{expect}", as_folder=True)
    base = folder("manifest-explicit")
    (base / "a.wav").write_bytes(wav)
    (base / "list.json").write_bytes(b'{"files": {"a.wav": {}}}')
    cases.append(Hostile("manifest-explicit", "malformed manifest", (base / "a.wav",), r"list of entries",
                         manifest=base / "list.json"))

    # -- malformed sidecars: only their recording is refused --------------------------------------
    sidecars = {
        "nested": (b"{" + b'"a":{' * 30_000 + b"}" * 30_001, r"invalid JSON"),
        "huge-int": (b'{"frequency_mhz": ' + b"1" * 6000 + b"}", r"invalid JSON"),
        "list": (b"[1, 2, 3]", r"must be a JSON object"),
        "bad-utf8": (b'{"source": "\xff\xfe"}', r"not UTF-8"),
        "oversize": (b'{"title": "' + b"x" * (10 << 20) + b'"}', r"larger than"),
    }
    for case_id, (data, expect) in sidecars.items():
        folder_expect = rf"folder refused, nothing stored: .*{expect}" if case_id == "oversize" else expect
        add(f"sidecar-{case_id}", "malformed sidecar", {"a.wav": wav, "a.wav.json": data}, folder_expect, as_folder=True)

    # -- malformed documents (HTML/PDF): not recordings ------------------------------------------
    documents = {
        "truncated.pdf": b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R",
        "bad-xref.pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\nxref\n0 99999999\ntrailer<</Size -1/Root 7 0 R>>\nstartxref\n-5\n%%EOF",
        "encrypted.pdf": b"%PDF-1.6\ntrailer<</Encrypt<</Filter/Standard/V 99>>>>\n%%EOF",
        "unclosed.html": b"<!DOCTYPE html><html><head><title>" + b"<div>" * 20_000,
        "script-only.html": b"<html><script>while(true){}</script>",
        "bad-utf8.html": b"<!doctype html><html><body>\xff\xfe\xc0\xaf</body></html>",
    }
    for name, data in documents.items():
        kind = "PDF" if name.endswith(".pdf") else "HTML"
        add(f"document-{name}", "malformed document", {name: data}, rf"not audio: content is {kind} document")
        add(f"document-folder-{name}", "malformed document", {name: data},
            rf"not a recording \({kind} document\)", status="skipped", as_folder=True)
    return cases


def summary(cases: list[Hostile]) -> dict[str, int]:
    counts = {klass: 0 for klass in CLASSES}
    for case in cases:
        counts[case.klass] += 1
    return counts
