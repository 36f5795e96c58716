"""Every class of bad input gets a clear one-line error and leaves nothing behind."""

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from audita.errors import BadInput
from audita.ingest.archives import safe_member_name
from audita.ingest.metadata import parse_manifest, parse_sidecar
from audita.ingest.service import IngestOptions, ingest_paths
from audita.store.schema import acquisitions, blobs, custody_entries, items
from testkit import ACTOR, tone, write_encoded, write_wav


def snapshot(workspace):
    with workspace.reading() as connection:
        counts = tuple(
            connection.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (items, acquisitions, blobs, custody_entries)
        )
    return counts, sorted(workspace.blobs.iter_stored()), sorted(os.listdir(workspace.settings.tmp_dir))


def rejected(workspace, case, paths, **kwargs):
    before = snapshot(workspace)
    report = ingest_paths(workspace, case.name, [Path(p) for p in paths], actor=ACTOR, **kwargs)
    assert not report.ok
    assert snapshot(workspace) == before, "a rejected input left something behind"
    bad = [o for o in report.outcomes if o.status == "rejected"]
    assert bad and all("\n" not in o.message for o in bad)
    return bad


def test_empty_file(workspace, case, tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert "empty file" in rejected(workspace, case, [empty])[0].message


def test_truncated_wav_and_mp3(workspace, case, tmp_path):
    wav = write_wav(tmp_path / "full.wav", tone(3.0))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(wav.read_bytes()[: 20000])
    mp3 = write_encoded(tmp_path / "full.mp3", tone(3.0), 8000, "mp3", "mp3")
    cut_mp3 = tmp_path / "cut.mp3"
    cut_mp3.write_bytes(mp3.read_bytes()[: len(mp3.read_bytes()) // 3])
    messages = [o.message for o in rejected(workspace, case, [cut, cut_mp3])]
    assert all("truncated" in m for m in messages), messages


def test_truncated_file_can_be_kept_when_asked(workspace, case, tmp_path):
    wav = write_wav(tmp_path / "full.wav", tone(3.0))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(wav.read_bytes()[: 20000])
    report = ingest_paths(workspace, case.name, [cut], actor=ACTOR, options=IngestOptions(accept_damaged=True))
    assert report.outcomes[0].status == "ingested"
    assert "truncated" in report.outcomes[0].message


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notes.wav", "Позывной Гранит, квадрат 45-12\n".encode(), "plain text"),
        ("intercept.mp3", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
        ("call.amr", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "Windows executable"),
        ("radio.ogg", b"\x7fELF\x02\x01\x01\x00" + bytes(40), "ELF executable"),
        ("photo.m4a", b"\x89PNG\r\n\x1a\n" + bytes(40), "PNG image"),
        ("noise.wav", bytes(range(256)) * 4, "not decodable"),
    ],
)
def test_disguised_and_non_audio_files(workspace, case, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    message = rejected(workspace, case, [path])[0].message
    assert expected in message


def test_corrupt_header_with_valid_magic(workspace, case, tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF\xff\xff\xff\xffWAVEfmt " + bytes(8) + b"data" + b"\x00\x00\x00\x00")
    assert rejected(workspace, case, [path])


def test_file_over_the_size_limit(workspace, case, wav_file):
    message = rejected(workspace, case, [wav_file], options=IngestOptions(max_file_bytes=1000))[0].message
    assert "limit" in message


def test_missing_path_and_broken_link(workspace, case, tmp_path):
    link = tmp_path / "dangling.wav"
    link.symlink_to(tmp_path / "gone.wav")
    messages = [o.message for o in rejected(workspace, case, [tmp_path / "nope.wav", link])]
    assert messages == ["no such file or folder", "broken symbolic link"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_unreadable_file(workspace, case, wav_file):
    os.chmod(wav_file, 0)
    assert "permission" in rejected(workspace, case, [wav_file])[0].message


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return path


@pytest.mark.parametrize("member", ["../../etc/cron.d/evil.wav", "/etc/passwd", "C:\\Windows\\evil.wav", "a/../../b.wav"])
def test_hostile_archive_paths_refuse_the_whole_archive(workspace, case, tmp_path, member, wav_file):
    archive = _zip(tmp_path / "evil.zip", {"good.wav": wav_file.read_bytes(), member: wav_file.read_bytes()})
    message = rejected(workspace, case, [archive])[0].message
    assert "archive refused, nothing stored" in message
    assert not (tmp_path.parent / "etc").exists()


def test_zip_bomb_refused(workspace, case, tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("huge.wav", b"\x00" * (50 << 20))
    assert "zip bomb" in rejected(workspace, case, [archive])[0].message


def test_symlink_member_refused(workspace, case, tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("passwd.wav")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    assert "symbolic link" in rejected(workspace, case, [archive])[0].message


def test_truncated_archive_refused(workspace, case, tmp_path, wav_file):
    archive = _zip(tmp_path / "ok.zip", {"a.wav": wav_file.read_bytes()})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[:-40])
    assert "archive refused" in rejected(workspace, case, [cut])[0].message


def test_nested_archive_member_is_reported(workspace, case, tmp_path, wav_file):
    inner = _zip(tmp_path / "inner.zip", {"a.wav": wav_file.read_bytes()})
    outer = _zip(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes()})
    report = ingest_paths(workspace, case.name, [outer], actor=ACTOR)
    assert [o.status for o in report.outcomes] == ["rejected"]
    assert "nested archive" in report.outcomes[0].message


def test_member_with_bad_crc_is_rejected(workspace, case, tmp_path, wav_file):
    archive = tmp_path / "crc.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.wav", wav_file.read_bytes())
    data = bytearray(archive.read_bytes())
    data[200] ^= 0xFF  # inside the stored member's bytes
    archive.write_bytes(bytes(data))
    report = ingest_paths(workspace, case.name, [archive], actor=ACTOR)
    member = [o for o in report.outcomes if o.source.endswith("a.wav")]
    assert member and member[0].status == "rejected" and "cannot read" in member[0].message


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"intercept_tme": "2022-03-30T14:00:00Z"}, "unknown field 'intercept_tme'"),
        ({"intercept_time": "yesterday"}, "not an ISO 8601"),
        ({"intercept_time": "2022-03-30T14:00:00"}, "no UTC offset"),
        ({"source_url": "javascript:alert(1)"}, "not an http(s) URL"),
        ({"receiver_location": "95,200"}, "out of range"),
        ({"frequency_mhz": "145,5"}, "not a number"),
        ({"channel": "satellite"}, "not one of"),
        ({"source": "line\x00break"}, "control characters"),
    ],
)
def test_invalid_sidecar_fields(record, expected):
    with pytest.raises(BadInput, match=expected.replace("(", r"\(").replace(")", r"\)")):
        parse_sidecar(json.dumps(record).encode(), "x.wav.json")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("m.json", b"{not json", "invalid JSON"),
        ("m.json", b'{"a": 1}', "list of entries"),
        ("m.json", b'[{"channel": "radio"}]', "needs 'file' or 'sha256'"),
        ("m.json", b'[{"file": "a.wav"}, {"file": "./a.wav"}]', "listed twice"),
        ("m.csv", b"file,colour\na.wav,red\n", "unknown column 'colour'"),
        ("m.csv", b"file,channel\na.wav,radio,extra\n", "more values than columns"),
        ("m.csv", b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_invalid_manifests(name, content, expected):
    with pytest.raises(BadInput, match=expected):
        parse_manifest(content, name)


def test_invalid_manifest_in_folder_stores_nothing(workspace, case, samples_dir):
    (samples_dir / "manifest.json").write_text('[{"file": "a.wav", "intercept_time": "soon"}]')
    message = rejected(workspace, case, [samples_dir])[0].message
    assert "folder refused, nothing stored" in message and "intercept_time" in message


def test_invalid_sidecar_rejects_only_its_file(workspace, case, samples_dir):
    (samples_dir / "a.wav.json").write_text('{"channel": "carrier pigeon"}')
    report = ingest_paths(workspace, case.name, [samples_dir], actor=ACTOR)
    statuses = {Path(o.source).name: o.status for o in report.outcomes}
    assert statuses == {"a.wav": "rejected", "b.wav": "ingested"}


@pytest.mark.parametrize("name", ["../x", "/abs", "a/../../x", "", "x\x00y"])
def test_safe_member_name_rejects(name):
    with pytest.raises(BadInput):
        safe_member_name(name)


def test_safe_member_name_normalises():
    assert safe_member_name("./day1//a.wav") == "day1/a.wav"
    assert safe_member_name("day1\\a.wav") == "day1/a.wav"


def test_notes_in_a_folder_are_skipped_but_disguised_files_rejected(workspace, case, samples_dir):
    (samples_dir / "notes.txt").write_text("Позывной Гранит")
    (samples_dir / "report.pdf").write_bytes(b"%PDF-1.4\n")
    (samples_dir / "fake.wav").write_bytes(b"%PDF-1.4\n")
    report = ingest_paths(workspace, case.name, [samples_dir], actor=ACTOR)
    statuses = {Path(o.source).name: o.status for o in report.outcomes}
    assert statuses == {"a.wav": "ingested", "b.wav": "ingested", "fake.wav": "rejected",
                        "notes.txt": "skipped", "report.pdf": "skipped"}
    assert len(list(workspace.blobs.iter_stored())) == 2
