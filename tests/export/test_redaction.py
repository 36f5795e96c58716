"""Redaction: a tone over each span in the audio, the same words gone from transcripts, translations,
analysis and report, terms replaced everywhere, originals withheld, and the package still verifies."""

import json
import math
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

from audita.cases import create_case
from audita.config import Settings
from audita.custody.log import entries
from audita.errors import BadInput
from audita.export.audio import read_wav
from audita.export.package import ExportOptions, export_case
from audita.export.redact import RedactionSpec, SpanRule, TermMatcher, TermRule, load_spec, parse_spec
from audita.export.verify_package import verify_package_path
from audita.ingest.service import ingest_paths
from audita.items import list_items
from audita.media.decode import decode_audio
from audita.workspace import Workspace
from conftest import ACTOR, write_wav
from exportcase import FLAG_QUOTE, docx_text, ingest_intercept, intercept_samples, pdf_text, record_evidence, squash

EXPORTER = "exporter:l.shevchenko"
NAME_SPAN = (4.5, 5.0)  # " Петренко"
CALLSIGN_SPAN = (0.95, 1.35)  # " Сокал," (machine) / "Сокол" (analyst's correction)


def spec_for(item_id):
    return parse_spec({
        "spans": [{"item_id": item_id, "start": 1.0, "end": 1.3, "reason": "witness call sign"}],
        "terms": [{"text": "Петренк", "reason": "personal name", "match": "prefix"},
                  {"text": "Petrenko", "reason": "personal name"}],
    }, "e" * 64)


@pytest.fixture(scope="module")
def redacted_env(tmp_path_factory):
    """One redacted export shared by the read-only tests below (tests that change it work on a copy)."""
    tmp_path = tmp_path_factory.mktemp("redacted")
    workspace = Workspace.open(Settings(home=tmp_path / "home"))
    case = create_case(workspace, "Popasna 2022", actor=ACTOR)
    item = ingest_intercept(workspace, case, tmp_path / "incoming")
    other = ingest_intercept(workspace, case, tmp_path / "incoming2", name="kherson-0920.wav", seed=8)
    record_evidence(workspace, case, item)
    result = export_case(workspace, case.name, tmp_path / "pkg", actor=EXPORTER,
                         options=ExportOptions(redaction=spec_for(item.item_id)))
    yield workspace, (item, other, result)
    workspace.close()


@pytest.fixture
def redacted(redacted_env):
    return redacted_env[1]


def band_energy(samples, rate, low, high):
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size))) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    return float(spectrum[(freqs >= low) & (freqs <= high)].sum()), float(spectrum.sum())


def all_text(directory):
    parts = []
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".jsonl", ".txt", ".srt", ".vtt"):
            parts.append(path.read_text(encoding="utf-8"))
    parts.append(pdf_text(directory / "report" / "report.pdf"))
    parts.append(docx_text(directory / "report" / "report.docx"))
    return "\n".join(parts)


def test_tone_over_each_span_and_nothing_else_changed(redacted):
    item, _, result = redacted
    (working,) = [p for p in (result.directory / "working").iterdir() if item.item_id[:8] in p.name]
    assert working.name.endswith(".redacted.16k-mono.wav")
    samples, rate = read_wav(working)
    original = decode_audio(item.source, rate)
    assert samples.size == original.size
    mask = np.zeros(samples.size, dtype=bool)
    for start, end in (CALLSIGN_SPAN, NAME_SPAN):
        a, b = int(start * rate) + 1, int(end * rate) - 1
        mask[int(math.floor(start * rate)) - int(0.16 * rate):int(math.ceil(end * rate)) + int(0.16 * rate)] = True
        tone_band, total = band_energy(samples[a:b], rate, 950, 1050)
        assert tone_band / total > 0.95  # the tone dominates
        speech_before, _ = band_energy(original[a:b], rate, 100, 4000)
        speech_after, _ = band_energy(samples[a:b], rate, 100, 900)
        assert speech_after < 1e-3 * speech_before  # the voice below the tone is gone
    # outside the spans (and their padding) the working copy is the decoded original
    assert np.max(np.abs(samples[~mask] - original[~mask])) < 2 / 32767


def test_transcripts_translations_analysis_and_report_lose_the_words(redacted):
    item, _, result = redacted
    text = all_text(result.directory)
    lowered = text.casefold()
    for gone in ("петренк", "petrenko", "сокал", "сокол", "petrenko is taking them"):
        assert gone not in lowered, gone
    assert "[REDACTED: personal name]" in text and "[REDACTED: witness call sign]" in text
    # words outside the spans survive, with their translation
    assert "Пленных не брать, всех в расход." in squash(text) and "Take no prisoners, finish them all." in text
    assert "везёт их в Попасную." in text  # the neighbouring words of the name are kept
    rec = next((result.directory / "recordings").glob(f"{item.item_id[:8]}-*"))
    machine = json.loads((rec / "transcript.machine.json").read_text())
    t0, t2 = machine["transmissions"][0], machine["transmissions"][2]
    assert t0["text"] == "Гранит, я [REDACTED: witness call sign] приём."
    assert t0["translations"][0]["text"] == "[REDACTED: witness call sign]"
    assert t2["text"] == "[REDACTED: personal name] везёт их в Попасную."
    assert t2["translations"][0]["text"] == "[REDACTED: personal name]"
    assert {"start": 4.5, "end": 5.0, "word": " [REDACTED: personal name]", "probability": 0.0} in t2["words"]
    current = json.loads((rec / "transcript.current.json").read_text())
    # the analyst's text no longer matches the machine words, so the touched transmission goes whole
    assert current["transmissions"][0]["text"] == "[REDACTED: witness call sign]"
    analysis = json.loads((rec / "analysis.json").read_text())
    assert analysis["flags"][0]["quote"] == FLAG_QUOTE  # outside every span
    assert [e["place"]["name"] for e in analysis["entities"] if e["place"]] == ["Попасна"]
    report = squash(pdf_text(result.directory / "report" / "report.pdf"))
    assert f"«{FLAG_QUOTE}»" in report and "Redacted by exporter:l.shevchenko" in report


def test_originals_withheld_and_recorded_and_package_verifies(redacted):
    item, other, result = redacted
    originals = sorted(p.name for p in (result.directory / "originals").iterdir())
    assert originals == [f"{other.item_id[:8]}-kherson-0920.wav"]
    manifest = json.loads((result.directory / "MANIFEST.json").read_text())
    described = {i["id"]: i for i in manifest["items"]}
    assert described[item.item_id]["original"] is None and described[item.item_id]["original_withheld"]
    assert described[item.item_id]["audio_redacted"] and described[other.item_id]["original"]
    assert result.originals_withheld == (item.item_id,)
    # the other item's notes named the family too: its text is redacted, its audio is not
    assert set(result.redacted_items) == {item.item_id, other.item_id}
    assert not described[other.item_id]["audio_redacted"]
    checked = subprocess.run([sys.executable, str(result.directory / "verify_package.py"), str(result.directory)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    assert verify_package_path(result.zip_path) == []


def test_redaction_recorded_in_methodology_and_custody(redacted_env):
    workspace, (item, _, result) = redacted_env
    methodology = json.loads((result.directory / "methodology.json").read_text())
    record = methodology["redaction"]
    assert record["performed_by"] == EXPORTER and record["spec_sha256"] == "e" * 64
    assert record["spans_requested"] == [{"item_id": item.item_id, "start": 1.0, "end": 1.3, "reason": "witness call sign"}]
    spans = record["items"][item.item_id]["audio_spans"]
    assert {"start": 0.95, "end": 1.35, "reason": "witness call sign", "origin": "spec"} in spans  # widened to the word
    assert any(s["origin"] == "term 1" and s["start"] <= 4.5 and s["end"] >= 5.0 for s in spans)
    assert record["terms"][0] == {"rule": 1, "reason": "personal name", "match": "prefix", "occurrences_in_transcripts": 2}
    assert record["items"][item.item_id]["records_withheld"]  # the transcribe stage's raw output
    with workspace.reading() as connection:
        exported = entries(connection)[-1]
    assert exported.action == "case.exported" and exported.actor == EXPORTER
    assert exported.details["redaction"]["spec_sha256"] == "e" * 64
    assert exported.details["redaction"]["originals_withheld"] == [item.item_id]
    assert exported.details["manifest_sha256"] == result.manifest_sha256


def test_custody_entries_naming_a_term_are_withheld_but_still_proven(redacted, tmp_path):
    _, _, result = redacted
    directory = tmp_path / "copy"
    shutil.copytree(result.directory, directory)
    lines = [json.loads(line) for line in (directory / "custody" / "entries.jsonl").read_text().splitlines()]
    withheld = [r for r in lines if "entry" not in r]
    assert len(withheld) == 2  # both ingest entries carried the acquisition notes
    assert all(r["withheld"] == "contains a redacted term" and r["inclusion_proof"] for r in withheld)
    assert result.warnings and "leaf hash only" in result.warnings[0]
    # a withheld entry's leaf hash cannot be swapped: its proof no longer leads to the signed root
    target = directory / "custody" / "entries.jsonl"
    text = target.read_text()
    target.write_text(text.replace(withheld[0]["leaf_hash"], "0" * 64))
    failures = verify_package_path(directory)
    assert any("not included in the signed log" in f for f in failures)
    assert "custody/entries.jsonl: content changed (SHA-256 differs from the manifest)" in failures


def test_include_originals_explicitly(workspace, case, tmp_path):
    item = ingest_intercept(workspace, case, tmp_path / "incoming")
    record_evidence(workspace, case, item)
    result = export_case(workspace, case.name, tmp_path / "pkg", actor=EXPORTER,
                         options=ExportOptions(redaction=spec_for(item.item_id), include_originals=True))
    (original,) = (result.directory / "originals").iterdir()
    assert original.read_bytes() == item.source.read_bytes()
    manifest = json.loads((result.directory / "MANIFEST.json").read_text())
    assert manifest["items"][0]["original"] and manifest["items"][0]["audio_redacted"]
    assert verify_package_path(result.directory) == []


@pytest.mark.parametrize("spec, message", [
    ({"spans": [{"item_id": "x", "start": 2, "end": 1, "reason": "r"}]}, "start < end"),
    ({"spans": [{"item_id": "x", "start": 0, "end": 1, "reason": "r", "extra": 1}]}, "unknown field 'extra'"),
    ({"spans": [{"item_id": "x", "start": 0, "end": 1}]}, "missing field 'reason'"),
    ({"terms": [{"text": "a", "reason": "r"}]}, "at least 2 characters"),
    ({"terms": [{"text": "Ivan", "reason": "name of Ivan"}]}, "reason contains a redacted term"),
    ({"terms": [{"text": "Ivan", "reason": "r", "match": "fuzzy"}]}, "'match' must be"),
    ({}, "nothing to redact"),
    ([], "must be a JSON object"),
])
def test_invalid_specs_are_refused(spec, message):
    with pytest.raises(BadInput, match=message):
        parse_spec(spec)


def test_unreadable_spec_file(tmp_path):
    broken = tmp_path / "spec.json"
    broken.write_text("{not json")
    with pytest.raises(BadInput, match="not valid UTF-8 JSON"):
        load_spec(broken)


@pytest.mark.parametrize("rule, message", [
    (SpanRule("0" * 32, 0.0, 1.0, "r"), "not in this export"),
    (None, "outside item"),
])
def test_bad_spans_leave_nothing_behind(workspace, case, tmp_path, rule, message):
    item = ingest_intercept(workspace, case, tmp_path / "incoming")
    rule = rule or SpanRule(item.item_id, 5.5, 9.0, "r")
    with pytest.raises(BadInput, match=message):
        export_case(workspace, case.name, tmp_path / "pkg", actor=EXPORTER,
                    options=ExportOptions(redaction=RedactionSpec(spans=(rule,))))
    assert not (tmp_path / "pkg").exists() and not (tmp_path / "pkg.partial").exists()
    assert not (tmp_path / "pkg.zip").exists()
    with workspace.reading() as connection:
        assert entries(connection)[-1].action != "case.exported"


def test_term_matching_rules():
    matcher = TermMatcher([TermRule("Петренк", "name", "prefix"), TermRule("Алёша", "name"), TermRule("Ivan Petrov", "n2")])
    assert matcher.sub("Петренку и ПЕТРЕНКО; Алеша; ivan  petrov; Ivanov") == \
        "[REDACTED: name] и [REDACTED: name]; [REDACTED: name]; [REDACTED: n2]; Ivanov"
    assert matcher.sub("[REDACTED: name]") == "[REDACTED: name]"  # placeholders are never rescanned


def test_cli_export_with_redaction(workspace, case, tmp_path, settings):
    from audita.cli import cli

    item = ingest_intercept(workspace, case, tmp_path / "incoming")
    record_evidence(workspace, case, item)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"spans": [{"item_id": item.item_id[:10], "start": 1.0, "end": 1.3, "reason": "witness"}]}))
    out = tmp_path / "cli-pkg"
    run = CliRunner().invoke(cli, ["--home", str(settings.home), "--actor", EXPORTER, "export", "--case", case.name,
                                   "--out", str(out), "--redact", str(spec), "--working-copies", "--no-report"])
    assert run.exit_code == 0, run.output
    assert "originals withheld: " + item.item_id in squash(run.output)
    assert not (out / "report").exists() and not (out / "originals").exists()
    assert len(list((out / "working").iterdir())) == 1
    check = CliRunner().invoke(cli, ["verify-package", str(out)])
    assert check.exit_code == 0 and "package verified" in check.output


def test_archive_holding_a_redacted_recording_is_withheld_too(workspace, case, tmp_path):
    wav = write_wav(tmp_path / "member.wav", intercept_samples(), rate=16000)
    archive = tmp_path / "release.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(wav, "calls/member.wav")
    ingest_paths(workspace, case.name, [archive], actor=ACTOR)
    kinds = {i.kind: i.id for i in list_items(workspace, case.name)}
    spec = RedactionSpec(spans=(SpanRule(kinds["recording"], 2.0, 3.0, "witness"),))
    result = export_case(workspace, case.name, tmp_path / "pkg", actor=EXPORTER, options=ExportOptions(redaction=spec))
    assert not (result.directory / "originals").exists()
    assert set(result.originals_withheld) == {kinds["recording"], kinds["archive"]}
    assert verify_package_path(result.directory) == []
