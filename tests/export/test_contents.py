"""Package contents for a processed, analysed and reviewed intercept: transcripts in every format,
labelled translations, speakers, flags with decisions, history, working copies and the report."""

import json
import shutil
import wave

import numpy as np
import pytest
from docx import Document

from audita.cases import create_case
from audita.config import Settings
from audita.export.audio import read_wav
from audita.export.package import ExportOptions, export_case
from audita.export.transcripts import result_from_dict
from audita.export.verify_package import verify_package_path
from audita.media.decode import decode_audio
from audita.speech.formats import to_json
from audita.workspace import Workspace
from conftest import ACTOR
from exportcase import (
    ARTICLE, EDITOR, FLAG_QUOTE, REVIEWER, docx_text, ingest_intercept, pdf_text, record_evidence, speech_doc, squash,
)

EXPORTER = "exporter:l.shevchenko"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One export shared by the read-only tests below (a test that changes it works on a copy)."""
    tmp_path = tmp_path_factory.mktemp("contents")
    workspace = Workspace.open(Settings(home=tmp_path / "home"))
    case = create_case(workspace, "Popasna 2022", actor=ACTOR)
    item = ingest_intercept(workspace, case, tmp_path / "incoming")
    ids = record_evidence(workspace, case, item)
    result = export_case(workspace, case.name, tmp_path / "pkg", actor=EXPORTER,
                         options=ExportOptions(working_copies=True))
    yield item, ids, result
    workspace.close()


def folder(result, name="recordings"):
    (only,) = (result.directory / name).iterdir()
    return only


def test_transcripts_current_and_machine_in_every_format(exported):
    item, ids, result = exported
    rec = folder(result)
    names = sorted(p.name for p in rec.iterdir())
    for version in ("current", "machine"):
        for ext in ("json", "srt", "vtt", "txt"):
            assert f"transcript.{version}.{ext}" in names
    current = json.loads((rec / "transcript.current.json").read_text())
    machine = json.loads((rec / "transcript.machine.json").read_text())
    assert current["edit"] == {"note": "call sign misheard: Сокол", "changed": [0]}
    assert current["transmissions"][0]["text"] == "Гранит, я Сокол, приём."
    assert machine["transmissions"][0]["text"] == "Гранит, я Сокал, приём."
    # the JSON is the stored output; the adapter reproduces the speech library's own serialisation
    assert to_json(result_from_dict(machine)) == (rec / "transcript.machine.json").read_text()
    srt = (rec / "transcript.current.srt").read_text()
    assert "00:00:02,100 --> 00:00:04,100\n[S2] Пленных не брать, всех в расход." in srt
    assert (rec / "transcript.current.vtt").read_text().startswith("WEBVTT\n\n00:00:00.200 --> 00:00:02.000\n[S1] Гранит, я Сокол")
    assert "Сокал" in (rec / "transcript.machine.txt").read_text()


def test_translations_are_labelled_unverified(exported):
    _, _, result = exported
    rec = folder(result)
    text = (rec / "translation.current.unverified-mt.txt").read_text()
    assert text.startswith("UNVERIFIED MACHINE TRANSLATION")
    assert "(whisper-translate, unverified machine translation): Take no prisoners, finish them all." in text
    vtt = (rec / "translation.current.unverified-mt.vtt").read_text()
    assert "NOTE\nUNVERIFIED MACHINE TRANSLATION" in vtt
    srt = (rec / "translation.current.unverified-mt.srt").read_text()
    assert all(line.startswith("[unverified machine translation]") for line in srt.splitlines()
               if line and not line[0].isdigit())


def test_speakers_flags_decisions_and_history(exported):
    _, ids, result = exported
    rec = folder(result)
    speakers = json.loads((rec / "speakers.json").read_text())
    assert speakers["clusters"] == {"S1": [0, 2], "S2": [1]}
    assert speakers["analyst_labels"][0]["name"] == "Sokol" and speakers["analyst_labels"][0]["by"] == EDITOR
    analysis = json.loads((rec / "analysis.json").read_text())
    (flag,) = analysis["flags"]
    assert flag["quote"] == FLAG_QUOTE and flag["article"] == ARTICLE
    assert flag["standing_decision"] == "confirmed" and flag["analyst_decisions"][0]["by"] == EDITOR
    assert analysis["analysis"]["of_transcript_version"] == ids["edit"]
    assert {e["type"] for e in analysis["entities"]} == {"callsign", "place"}
    history = json.loads((rec / "history.json").read_text())
    assert [v["derivation_id"] for v in history["versions"]] == [ids["machine"], ids["edit"]]
    assert history["versions"][1]["by"] == EDITOR and history["versions"][1]["edit_note"] == "call sign misheard: Сокол"
    assert history["signoffs"][0]["by"] == REVIEWER and history["signoffs"][0]["of"] == ids["edit"]
    # every stored derivation is in derived/ and matches the custody record of its output
    assert len(list((result.directory / "derived").rglob("*.json"))) == len(ids)
    assert verify_package_path(result.directory) == []


def test_working_copy_is_labelled_derived_and_faithful(exported):
    item, _, result = exported
    (path,) = (result.directory / "working").iterdir()
    with wave.open(str(path)) as handle:
        assert (handle.getframerate(), handle.getnchannels(), handle.getsampwidth()) == (16000, 1, 2)
    samples, _ = read_wav(path)
    reference = decode_audio(item.source, 16000)
    assert samples.size == reference.size and np.max(np.abs(samples - reference)) < 2 / 32767
    manifest = json.loads((result.directory / "MANIFEST.json").read_text())
    (described,) = manifest["derived_files"]
    assert described["path"] == f"working/{path.name}" and described["kind"] == "working-copy"
    assert described["derived_from_sha256"] == item.sha256 and not described["redacted"]
    assert described["decoder"]["version"] and "-ar 16000" in described["decoder"]["equivalent"]
    methodology = json.loads((result.directory / "methodology.json").read_text())
    (working,) = methodology["working_copies"]
    assert working["decoder"]["tool"].startswith("PyAV") and "ffmpeg" in working["decoder"]["equivalent"]
    assert working["made_by"] == EXPORTER
    # the original is there too, bit-identical
    (original,) = (result.directory / "originals").iterdir()
    assert original.read_bytes() == item.source.read_bytes()


def test_pdf_report_has_cyrillic_transcript_flag_and_hashes(exported):
    item, _, result = exported
    text = pdf_text(result.directory / "report" / "report.pdf")
    flat = squash(text)
    assert "Пленных не брать, всех в расход." in flat  # transcript row
    assert f"«{FLAG_QUOTE}»" in flat and ARTICLE in flat
    assert "confirmed by analyst:m.koval" in flat
    assert "English (unverified machine translation)" in flat and "Take no prisoners, finish them all." in flat
    assert "machine: Гранит, я Сокал, приём." in flat  # the correction shows the machine text beside it
    assert "Попасна (48.6333, 38.3833)" in flat
    assert item.sha256 in "".join(text.split())
    manifest = json.loads((result.directory / "MANIFEST.json").read_text())
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert "report/report.pdf" in listed and "report/report.docx" in listed
    (working,) = (result.directory / "working").iterdir()
    assert listed[f"working/{working.name}"] in "".join(text.split())
    assert result.directory.joinpath("report", "figures").is_dir()
    assert len(list((result.directory / "report" / "figures").glob("*.png"))) == 2  # signal and map


def test_docx_report_has_the_same_content(exported):
    item, _, result = exported
    text = docx_text(result.directory / "report" / "report.docx")
    flat = squash(text)
    assert "Пленных не брать, всех в расход." in flat
    assert f"«{FLAG_QUOTE}»" in flat and ARTICLE in flat
    assert item.sha256 in flat
    assert "English (unverified machine translation)" in flat
    assert len(Document(str(result.directory / "report" / "report.docx")).inline_shapes) == 2


def test_report_tamper_is_named(exported, tmp_path):
    _, _, result = exported
    directory = tmp_path / "copy"
    shutil.copytree(result.directory, directory)
    pdf = directory / "report" / "report.pdf"
    pdf.write_bytes(pdf.read_bytes().replace(b"Evidence", b"Evidencf", 1))
    assert verify_package_path(directory) == ["report/report.pdf: content changed (SHA-256 differs from the manifest)"]


def test_report_and_figures_are_deterministic(workspace, case, tmp_path):
    item = ingest_intercept(workspace, case, tmp_path / "incoming")
    record_evidence(workspace, case, item)
    first = export_case(workspace, case.name, tmp_path / "one", actor=EXPORTER)
    second = export_case(workspace, case.name, tmp_path / "two", actor=EXPORTER)
    for relative in [p.relative_to(first.directory) for p in (first.directory / "report" / "figures").iterdir()]:
        assert (first.directory / relative).read_bytes() == (second.directory / relative).read_bytes()
    for relative in [p.relative_to(first.directory) for p in (first.directory / "recordings").rglob("*") if p.is_file()]:
        assert (first.directory / relative).read_bytes() == (second.directory / relative).read_bytes()


def test_no_report_and_no_transcript(workspace, case, samples_dir, tmp_path):
    from audita.ingest.service import ingest_paths

    ingest_paths(workspace, case.name, [samples_dir], actor=ACTOR)
    bare = export_case(workspace, case.name, tmp_path / "bare", actor=ACTOR, options=ExportOptions(report=False))
    assert not (bare.directory / "report").exists() and verify_package_path(bare.directory) == []
    full = export_case(workspace, case.name, tmp_path / "full", actor=ACTOR)
    assert "none recorded for this item" in squash(pdf_text(full.directory / "report" / "report.pdf"))


def test_adapter_tolerates_an_edit_without_machine_fields():
    doc = speech_doc("a" * 64)
    for t in doc["transmissions"]:
        for key in ("snr_db", "avg_logprob", "no_speech_prob", "language_probability", "quality_reason"):
            t.pop(key)
    result = result_from_dict(doc)
    assert result.transmissions[1].text == "Пленных не брать, всех в расход." and result.transmissions[1].snr_db == 0.0
