"""Ingest of files, folders and archives: facts, metadata, duplicates, re-runs."""

import json
import zipfile

import pytest
from sqlalchemy import func, select

from audita.cases import create_case
from audita.ingest.service import ingest_paths
from audita.items import item_detail, list_items
from audita.media.probe import probe_audio
from audita.store.schema import acquisitions, blobs, custody_entries, items, media_facts
from testkit import ACTOR, tone, write_amr, write_encoded, write_wav


def count(workspace, table):
    with workspace.reading() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_wav_mp3_ogg_amr_ingested_with_container_facts(workspace, case, tmp_path):
    samples = tone(2.0, rate=8000, seed=5)
    wav = write_wav(tmp_path / "radio.wav", samples)
    mp3 = write_encoded(tmp_path / "republished.mp3", samples, 8000, "mp3", "mp3")
    ogg = write_encoded(tmp_path / "telegram.ogg", tone(2.0, rate=48000, seed=6), 48000, "libopus", "ogg")
    amr = write_amr(tmp_path / "phone.amr", wav)
    report = ingest_paths(workspace, case.name, [wav, mp3, ogg, amr], actor=ACTOR)
    assert report.ok and report.count("ingested") == 4, report.outcomes
    by_name = {i.display_name: i for i in list_items(workspace, case.name)}
    assert by_name["radio.wav"].format == "wav" and by_name["radio.wav"].duration == pytest.approx(2.0)
    assert by_name["phone.amr"].format == "amr-nb" and by_name["phone.amr"].duration == pytest.approx(2.0, abs=0.03)
    assert by_name["telegram.ogg"].format == "ogg"
    facts = item_detail(workspace, by_name["phone.amr"].id)["media_facts"][0]["facts"]
    assert facts["decoder"] == "sox" and facts["sample_rate"] == 8000 and facts["channels"] == 1
    mp3_facts = item_detail(workspace, by_name["republished.mp3"].id)["media_facts"][0]
    assert mp3_facts["facts"]["codec"].startswith("mp3") and "pyav" in mp3_facts["tool"]
    # Originals are stored bit-identical.
    for path in (wav, mp3, ogg, amr):
        outcome = next(o for o in report.outcomes if o.source == str(path))
        assert workspace.blobs.path_for(outcome.sha256).read_bytes() == path.read_bytes()


def test_amr_with_dtx_frames_is_decoded_by_sox_and_the_ffmpeg_loss_recorded(tmp_path):
    wav = write_wav(tmp_path / "speech.wav", tone(3.0, seed=7))
    amr = write_amr(tmp_path / "speech.amr", wav).read_bytes()
    header, body = amr[:6], amr[6:]
    frame_size = 1 + (12, 13, 15, 17, 19, 20, 26, 31)[(body[0] >> 3) & 0x0F]
    frames = [body[i:i + frame_size] for i in range(0, len(body), frame_size)]
    comfort_noise = [bytes([0x44]) + bytes(5)] + [bytes([0x7C])] * 7  # one SID, seven NO_DATA
    dtx = tmp_path / "dtx.amr"
    dtx.write_bytes(header + b"".join(frames[:75]) + b"".join(comfort_noise * 12) + b"".join(frames[75:]))
    facts = probe_audio(dtx)
    expected = (len(frames) + 96) * 0.02
    assert facts.decoder == "sox"
    assert facts.declared_duration == pytest.approx(expected)
    assert facts.decoded_duration == pytest.approx(expected, abs=0.02)
    assert any("ffmpeg" in w for w in facts.warnings)


def test_exact_duplicate_is_a_second_acquisition_not_a_second_copy(workspace, case, tmp_path, wav_file):
    copy = tmp_path / "renamed-copy.wav"
    copy.write_bytes(wav_file.read_bytes())
    first = ingest_paths(workspace, case.name, [wav_file], actor=ACTOR)
    second = ingest_paths(workspace, case.name, [copy], actor=ACTOR)
    assert first.outcomes[0].status == "ingested"
    assert second.outcomes[0].status == "duplicate"
    assert second.outcomes[0].item_id == first.outcomes[0].item_id
    assert count(workspace, items) == 1 and count(workspace, blobs) == 1 and count(workspace, acquisitions) == 2
    assert len(list(workspace.blobs.iter_stored())) == 1
    with workspace.reading() as connection:
        actions = [r.action for r in connection.execute(select(custody_entries.c.action)).all()]
    assert actions.count("item.reacquired") == 1


def test_rerun_records_nothing_new(workspace, case, samples_dir):
    ingest_paths(workspace, case.name, [samples_dir], actor=ACTOR)
    before = (count(workspace, items), count(workspace, acquisitions), count(workspace, custody_entries))
    again = ingest_paths(workspace, case.name, [samples_dir], actor=ACTOR)
    assert [o.status for o in again.outcomes] == ["already", "already"]
    assert (count(workspace, items), count(workspace, acquisitions), count(workspace, custody_entries)) == before


def test_same_content_in_another_case_is_stored_once(workspace, case, wav_file):
    create_case(workspace, "Second case", actor=ACTOR)
    ingest_paths(workspace, case.name, [wav_file], actor=ACTOR)
    other = ingest_paths(workspace, "Second case", [wav_file], actor=ACTOR)
    assert other.outcomes[0].status == "ingested"
    assert count(workspace, items) == 2 and count(workspace, blobs) == 1


def test_folder_with_csv_manifest_and_sidecar(workspace, case, samples_dir):
    (samples_dir / "manifest.csv").write_text(
        "file,intercept_time,channel,frequency_mhz,source,source_url,receiver_lat,receiver_lon\n"
        "a.wav,2022-03-30T14:05:00+03:00,radio,145.5,SBU,https://example.org/post/1,48.63,38.37\n"
        "b.wav,2022-04-01T09:00:00Z,phone,,Newspaper,,,\n",
        encoding="utf-8",
    )
    (samples_dir / "b.wav.json").write_text(json.dumps({"acquisition_notes": "copied from USB", "channel": "radio"}))
    report = ingest_paths(workspace, case.name, [samples_dir], actor=ACTOR)
    assert report.count("ingested") == 2, report.outcomes
    details = {d["name"]: d for d in (item_detail(workspace, o.item_id) for o in report.outcomes)}
    a = details["a.wav"]["acquisitions"][0]
    assert a["metadata"]["intercept_time"] == "2022-03-30T11:05:00Z"
    assert a["metadata"]["receiver_location"] == {"lat": 48.63, "lon": 38.37, "description": None}
    assert a["metadata"]["frequency_mhz"] == 145.5
    b = details["b.wav"]["acquisitions"][0]
    assert b["metadata"]["channel"] == "radio"  # the sidecar overrides the manifest
    assert b["metadata"]["acquisition_notes"] == "copied from USB"
    assert {s["kind"] for s in b["metadata_sources"]} == {"manifest", "sidecar"}
    # Manifest and sidecar are kept as evidence too.
    for source in b["metadata_sources"]:
        assert workspace.blobs.exists(source["sha256"])


def test_zip_archive_is_kept_and_members_ingested(workspace, case, tmp_path):
    wav_a = write_wav(tmp_path / "a.wav", tone(1.0, seed=8))
    wav_b = write_wav(tmp_path / "b.wav", tone(1.0, seed=9))
    archive = tmp_path / "release.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(wav_a, "day1/a.wav")
        zf.write(wav_b, "day2/b.wav")
        zf.writestr("manifest.json", json.dumps([{"file": "day1/a.wav", "source": "Telegram channel"}]))
        zf.writestr("day2/b.wav.json", json.dumps({"title": "second"}))
    report = ingest_paths(workspace, case.name, [archive], actor=ACTOR)
    assert report.ok and report.count("ingested") == 2, report.outcomes
    kinds = {i.display_name: i.kind for i in list_items(workspace, case.name)}
    assert kinds == {"release.zip": "archive", "a.wav": "recording", "b.wav": "recording"}
    detail_a = item_detail(workspace, next(o.item_id for o in report.outcomes if o.source.endswith("a.wav")))
    assert detail_a["acquisitions"][0]["archive_member"] == "day1/a.wav"
    assert detail_a["acquisitions"][0]["metadata"]["source"] == "Telegram channel"
    assert detail_a["parent_item_id"] is not None
    assert workspace.blobs.path_for(detail_a["sha256"]).read_bytes() == wav_a.read_bytes()


def test_explicit_json_manifest_by_sha256(workspace, case, wav_file, tmp_path):
    import hashlib

    sha = hashlib.sha256(wav_file.read_bytes()).hexdigest()
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"files": [{"sha256": sha, "language": "ru", "receiver_location": {"lat": 47.1, "lon": 37.5}}]}))
    report = ingest_paths(workspace, case.name, [wav_file], actor=ACTOR, manifest_path=manifest)
    detail = item_detail(workspace, report.outcomes[0].item_id)
    assert detail["acquisitions"][0]["metadata"]["language"] == "ru"


def test_audio_with_a_misleading_name_is_accepted_with_a_warning(workspace, case, tmp_path):
    mp3 = write_encoded(tmp_path / "x.mp3", tone(1.0, seed=10), 8000, "mp3", "mp3")
    misnamed = tmp_path / "call.wav"
    misnamed.write_bytes(mp3.read_bytes())
    report = ingest_paths(workspace, case.name, [misnamed], actor=ACTOR)
    assert report.outcomes[0].status == "ingested"
    assert "does not match content" in report.outcomes[0].message


def test_media_facts_carry_provenance(workspace, case, wav_file):
    ingest_paths(workspace, case.name, [wav_file], actor=ACTOR)
    with workspace.reading() as connection:
        row = connection.execute(select(media_facts)).first()
    assert row.code_version and row.created_at.endswith("Z") and "pyav" in row.tool
    assert json.loads(row.facts_json)["decoded_duration"] == pytest.approx(1.5)
