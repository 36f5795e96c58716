"""Near-duplicate audio: republications, trims and excerpts with offsets; short clips never silent."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from audita.cli import cli
from audita.derived import history
from audita.ingest.service import ingest_paths
from audita.media.decode import decode_audio
from audita.search import fingerprint as chroma
from audita.search.duplicates import DUPLICATES_STAGE, FINGERPRINT_STAGE, compare_files, find_duplicates
from audita.store.schema import custody_entries
from audita.verify import verify_store

from testkit import ACTOR, write_encoded

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "dev"
AUDIO = CORPUS / "audio"
TRUTH = {json.loads((CORPUS / "truth" / f"{name}.json").read_text())["item_id"]:
         json.loads((CORPUS / "truth" / f"{name}.json").read_text())["near_duplicate_of"]
         for name in ("dup-dev-trim", "dup-dev-excerpt", "dup-dev-reencode-mp3")}

pytestmark = [pytest.mark.skipif(not AUDIO.is_dir(), reason="dev corpus not present"),
              pytest.mark.both_backends]  # the store-facing test runs on SQLite and PostgreSQL


def _clip(source: str, start: float, seconds: float, folder: Path, name: str) -> Path:
    samples = decode_audio(AUDIO / source, 16000)
    piece = samples[int(start * 16000): int((start + seconds) * 16000)]
    return write_encoded(folder / name, piece, 16000, "libmp3lame", "mp3", bit_rate=24000)


@pytest.fixture(scope="module")
def corpus_results():
    names = ["dlg-01-clean.ogg", "dup-dev-reencode-mp3.mp3", "dlg-01-phone.mp3", "dup-dev-trim.mp3",
             "long-dev-radio.mp3", "dup-dev-excerpt.mp3", "dlg-09-radio.mp3"]
    return compare_files({Path(n).stem: AUDIO / n for n in names})


def test_republications_trims_and_excerpts_with_offsets(corpus_results):
    found = {(key, m.other_id): m for key, r in corpus_results.items() for m in r.matches
             if m.confidence == "republication"}
    assert set(found) == {
        ("dlg-01-clean", "dup-dev-reencode-mp3"), ("dup-dev-reencode-mp3", "dlg-01-clean"),
        ("dlg-01-phone", "dup-dev-trim"), ("dup-dev-trim", "dlg-01-phone"),
        ("long-dev-radio", "dup-dev-excerpt"), ("dup-dev-excerpt", "long-dev-radio"),
    }
    for copy, link in TRUTH.items():
        match = found[(copy, link["source_item"])]
        assert match.offset == pytest.approx(link["offset"], abs=0.05)
        assert match.method == "chromaprint" and match.score >= 0.93
        assert found[(link["source_item"], copy)].offset == pytest.approx(-link["offset"], abs=0.05)
    assert found[("dup-dev-excerpt", "long-dev-radio")].relation == "excerpt_of"
    assert found[("long-dev-radio", "dup-dev-excerpt")].relation == "contains"
    assert found[("dup-dev-trim", "dlg-01-phone")].relation == "trimmed"
    assert found[("dup-dev-reencode-mp3", "dlg-01-clean")].relation == "same"
    assert not corpus_results["dlg-09-radio"].matches
    assert "no other recording" in corpus_results["dlg-09-radio"].unmatched_reason


def test_same_speech_on_another_channel_is_only_possible(corpus_results):
    """dlg-01's phone and clean renderings carry the same words, but are not the same recording."""
    pairs = {(key, m.other_id): m.confidence for key, r in corpus_results.items() for m in r.matches}
    assert pairs.get(("dlg-01-clean", "dlg-01-phone"), "possible") == "possible"


def test_short_clips_use_the_spectral_method_or_say_why_not(tmp_path):
    paths = {
        "long": AUDIO / "long-dev-radio.mp3",
        "other": AUDIO / "dlg-09-clean.ogg",
        "clip": _clip("long-dev-radio.mp3", 50.0, 6.0, tmp_path, "clip.mp3"),
        "stranger": _clip("dlg-12-phone.mp3", 3.0, 6.0, tmp_path, "stranger.mp3"),
        "blip": _clip("long-dev-radio.mp3", 10.0, 1.0, tmp_path, "blip.mp3"),
    }
    results = compare_files(paths)
    clip = results["clip"]
    assert clip.method == "spectral" and len(clip.matches) == 1
    match = clip.matches[0]
    assert (match.other_id, match.relation, match.confidence) == ("long", "excerpt_of", "republication")
    assert match.offset == pytest.approx(50.0, abs=0.05)
    assert any(m.other_id == "clip" and m.relation == "contains" for m in results["long"].matches)
    stranger = results["stranger"]
    assert not stranger.matches and stranger.method == "spectral"
    assert "too short for a chromaprint fingerprint" in stranger.unmatched_reason
    assert "closest" in stranger.unmatched_reason
    blip = results["blip"]
    assert not blip.matches and "too short to compare" in blip.unmatched_reason


def _fake_fpcalc(folder: Path, body: str) -> None:
    script = folder / "fpcalc"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_fpcalc_exit_status_3_with_a_fingerprint_is_success(tmp_path, monkeypatch):
    _fake_fpcalc(tmp_path, 'cat > /dev/null\necho \'{"duration": 3.0, "fingerprint": [1, 4294967295, 7]}\'\n'
                           'echo "ERROR: Error decoding audio frame (End of file)" >&2\nexit 3\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    values = chroma.fingerprint_samples(np.zeros(3 * chroma.SAMPLE_RATE, dtype=np.float32))
    assert values.tolist() == [1, 4294967295, 7] and values.dtype == np.uint32


def test_fpcalc_failure_is_reported(tmp_path, monkeypatch):
    _fake_fpcalc(tmp_path, 'cat > /dev/null\necho "ERROR: Could not open the input file" >&2\nexit 2\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(chroma.FingerprintError, match="Could not open"):
        chroma.fingerprint_samples(np.zeros(3 * chroma.SAMPLE_RATE, dtype=np.float32))


def test_agreement_curve_finds_the_offset_of_a_random_excerpt():
    rng = np.random.default_rng(7)
    long = rng.integers(0, 2**32, 400, dtype=np.uint64).astype(np.uint32)
    excerpt = long[120:200].copy()
    excerpt ^= (rng.random(80) < 0.05).astype(np.uint32) << 3  # a few flipped bits
    curve = chroma.agreement_curve(chroma.bit_planes(excerpt), chroma.bit_planes(long))
    peak = chroma.best_peak(curve, min_overlap=40)
    assert peak.offset == 120 and peak.overlap == 80 and peak.agreement > 0.99


def test_store_records_fingerprints_and_results_once(workspace, case, settings):
    sources = [AUDIO / "dlg-01-phone.mp3", AUDIO / "dup-dev-trim.mp3", AUDIO / "dlg-09-radio.mp3"]
    report = ingest_paths(workspace, case.name, sources, actor=ACTOR)
    ids = {Path(o.source).stem: o.item_id for o in report.outcomes}
    result = find_duplicates(workspace, case.name, actor=ACTOR)
    by_item = {r.item_id: r for r in result.results}
    trim = by_item[ids["dup-dev-trim"]]
    assert [(m.other_id, m.relation) for m in trim.matches] == [(ids["dlg-01-phone"], "trimmed")]
    assert trim.matches[0].offset == pytest.approx(1.182, abs=0.05)
    assert not by_item[ids["dlg-09-radio"]].matches
    with workspace.reading() as connection:
        stages = sorted(d.provenance.stage for i in ids.values() for d in history(connection, i))
        entries = connection.execute(select(func.count()).select_from(custody_entries)).scalar_one()
    assert stages == sorted([FINGERPRINT_STAGE] * 3 + [DUPLICATES_STAGE] * 3)
    again = find_duplicates(workspace, case.name, [ids["dup-dev-trim"]], actor=ACTOR)
    assert again.results[0].matches == trim.matches
    with workspace.reading() as connection:
        assert connection.execute(select(func.count()).select_from(custody_entries)).scalar_one() == entries
    assert verify_store(workspace).ok

    runner = CliRunner()
    output = runner.invoke(cli, ["--home", str(settings.home), "duplicates", "--case", case.name, "--all"])
    assert output.exit_code == 0, output.output
    assert "trimmed" in output.output and "unmatched" in output.output
    as_json = runner.invoke(cli, ["--home", str(settings.home), "duplicates", "--case", case.name, "--json"])
    assert {r["item_id"] for r in json.loads(as_json.output)["results"]} == set(ids.values())
