"""The command line end to end, in a subprocess as a user runs it."""

import os
import subprocess
import sys

from testkit import tone, write_wav


def run(home, *args, check=False):
    env = {**os.environ, "AUDITA_HOME": str(home), "AUDITA_ACTOR": "cli:tester", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "audita", *args], env=env, capture_output=True, text=True, check=check)


def test_case_ingest_verify_round_trip(tmp_path):
    home = tmp_path / "home"
    wav = write_wav(tmp_path / "a.wav", tone(1.0))
    assert run(home, "case", "create", "Mariupol").returncode == 0
    listed = run(home, "case", "list")
    assert "Mariupol" in listed.stdout
    ingested = run(home, "ingest", "--case", "Mariupol", str(wav))
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    assert "1 ingested" in ingested.stdout
    verified = run(home, "verify")
    assert verified.returncode == 0 and "verify OK" in verified.stdout
    log = run(home, "log", "--case", "Mariupol")
    assert "item.ingested" in log.stdout and "cli:tester" in log.stdout


def test_bad_input_exits_non_zero_with_one_line(tmp_path):
    home = tmp_path / "home"
    run(home, "case", "create", "C", check=True)
    bogus = tmp_path / "a.wav"
    bogus.write_text("hello")
    result = run(home, "ingest", "--case", "C", str(bogus))
    assert result.returncode == 1
    assert "rejected" in result.stdout and "not audio" in result.stdout
    missing_case = run(home, "ingest", "--case", "Nope", str(bogus))
    assert missing_case.returncode == 2
    assert missing_case.stderr.strip().count("\n") == 0 and "no case named 'Nope'" in missing_case.stderr


def test_verify_fails_and_names_the_item_after_tampering(tmp_path):
    home = tmp_path / "home"
    wav = write_wav(tmp_path / "evidence.wav", tone(1.0))
    run(home, "case", "create", "C", check=True)
    run(home, "ingest", "--case", "C", str(wav), check=True)
    blob = next((home / "blobs" / "sha256").glob("*/*/*"))
    os.chmod(blob, 0o600)
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1
    blob.write_bytes(bytes(data))
    result = run(home, "verify")
    assert result.returncode == 1
    assert "evidence.wav" in result.stdout and "FAILED" in result.stdout


def test_show_records_a_view(tmp_path):
    home = tmp_path / "home"
    wav = write_wav(tmp_path / "a.wav", tone(1.0))
    run(home, "case", "create", "C", check=True)
    run(home, "ingest", "--case", "C", str(wav), check=True)
    items = run(home, "items", "--case", "C").stdout
    item_id = next(line.split("│")[1].strip() for line in items.splitlines() if "a.wav" in line)
    shown = run(home, "show", item_id, "--json")
    assert shown.returncode == 0 and '"sha256"' in shown.stdout
    assert "item.viewed" in run(home, "log").stdout
