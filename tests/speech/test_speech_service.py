"""process_item: stage rows with provenance, reuse, resume after a failure, custody, CLI."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from audita.cli import cli
from audita.config import Settings
from audita.corpus.audio import write_wav
from audita.derived import history
from audita.ingest.service import ingest_paths
from audita.items import list_items
from audita.speech.models import ResolvedModel
from audita.speech.pipeline import PipelineOptions
from audita.speech.service import NotProcessable, process_item
from audita.store.schema import custody_entries, derivations
from audita.transcripts import current_transcript
from audita.verify import verify_store
from audita.workspace import Workspace
from speechfakes import RATE, FakeEngine, FakeVoices, radio_recording

ACTOR = "test:analyst"
FAKE_MODEL = ResolvedModel(name="fake-whisper", path=Path("/nonexistent"), sha256="f" * 64,
                           files={"model.bin": "f" * 64}, source="test")


def fake_engine(**kwargs: object) -> FakeEngine:
    engine = FakeEngine(**kwargs)  # type: ignore[arg-type]
    engine.model_info = FAKE_MODEL
    return engine


class BrokenTranslateEngine(FakeEngine):
    """Transcribes, then fails on the translate task: a run that dies half way."""

    def decode(self, audio, request):  # type: ignore[no-untyped-def]
        if request.task == "translate":
            raise RuntimeError("killed during translation")
        return super().decode(audio, request)


@pytest.fixture
def recording(tmp_path: Path, workspace: Workspace, case) -> str:  # type: ignore[no-untyped-def]
    audio, _ = radio_recording([(1.0, 1.5), (4.0, 2.0), (7.5, 1.6)], total=10.0)
    path = tmp_path / "intercept.wav"
    write_wav(path, audio, RATE)
    ingest_paths(workspace, case.name, [path], actor=ACTOR)
    return list_items(workspace, case.name)[0].id


def _count(workspace: Workspace, table) -> int:  # type: ignore[no-untyped-def]
    with workspace.reading() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_each_stage_is_a_row_with_provenance_and_custody(workspace, recording):
    result = process_item(workspace, recording, actor=ACTOR, engine=fake_engine(), speaker_backend=FakeVoices())
    assert [s.stage for s in result.stages] == ["segment", "transcribe", "translate", "speakers", "transcript"]
    assert not any(s.reused for s in result.stages)
    with workspace.reading() as connection:
        rows = {d.provenance.stage: d for d in history(connection, recording)}
        entries = connection.execute(select(custody_entries).where(custody_entries.c.action == "item.processed")).all()
    assert len(entries) == 5
    seg, asr, mt, spk, doc = (rows[s] for s in ("segment", "transcribe", "translate", "speakers", "transcript"))
    assert asr.provenance.parent_id == seg.id and mt.provenance.parent_id == asr.id
    assert spk.provenance.parent_id == seg.id and doc.provenance.parent_id == asr.id
    assert asr.provenance.model_name == "fake-whisper" and asr.provenance.model_sha256 == "f" * 64
    assert seg.provenance.model_sha256 is None
    assert asr.provenance.options["language"] is None and asr.provenance.options["temperatures"] == [0.0, 0.2, 0.4]
    assert all(d.code_version and d.created_at.endswith("Z") and d.created_by == ACTOR for d in rows.values())
    transcript = doc.output
    assert transcript["schema"] == "audita.speech/1"
    assert len(transcript["transmissions"]) == 3
    assert transcript["transmissions"][0]["translations"][0]["label"] == "unverified machine translation"
    assert transcript["provenance"]["model_sha256"] == "f" * 64
    assert result.transcript.id == doc.id
    assert verify_store(workspace).ok


def test_rerun_reuses_every_stage_and_other_options_add_rows(workspace, recording):
    first = process_item(workspace, recording, actor=ACTOR, engine=fake_engine(), speaker_backend=FakeVoices())
    before = _count(workspace, derivations)
    again = process_item(workspace, recording, actor=ACTOR, engine=fake_engine(), speaker_backend=FakeVoices())
    assert again.reused_all and again.transcript.id == first.transcript.id
    assert _count(workspace, derivations) == before
    forced = PipelineOptions()
    forced = replace(forced, asr=replace(forced.asr, language="uk"))
    other = process_item(workspace, recording, actor=ACTOR, options=forced, engine=fake_engine(),
                         speaker_backend=FakeVoices())
    reused = {s.stage for s in other.stages if s.reused}
    assert reused == {"segment", "speakers"}  # the forced language changes transcription onward only
    assert _count(workspace, derivations) == before + 3
    with workspace.reading() as connection:
        assert len(history(connection, recording, "transcript")) == 2  # the first is still there
        assert current_transcript(connection, recording).id == other.transcript.id
    assert {t["language"] for t in other.transcript.output["transmissions"]} == {"uk"}


def test_a_run_that_dies_resumes_without_redoing_finished_stages(workspace, recording):
    broken = BrokenTranslateEngine()
    broken.model_info = FAKE_MODEL
    with pytest.raises(RuntimeError, match="killed during translation"):
        process_item(workspace, recording, actor=ACTOR, engine=broken, speaker_backend=FakeVoices())
    with workspace.reading() as connection:
        assert {d.provenance.stage for d in history(connection, recording)} == {"segment", "transcribe"}
    assert verify_store(workspace).ok
    engine = fake_engine()
    resumed = process_item(workspace, recording, actor=ACTOR, engine=engine, speaker_backend=FakeVoices())
    assert {s.stage: s.reused for s in resumed.stages} == {
        "segment": True, "transcribe": True, "translate": False, "speakers": False, "transcript": False}
    assert {request.task for _, request in engine.calls} == {"translate"}  # nothing was transcribed again


def test_identical_inputs_give_identical_output_in_another_installation(tmp_path, workspace, recording):
    first = process_item(workspace, recording, actor=ACTOR, engine=fake_engine(), speaker_backend=FakeVoices())
    other = Workspace.open(Settings(home=tmp_path / "other"))
    try:
        from audita.cases import create_case

        create_case(other, "Other", actor=ACTOR)
        path = workspace.blobs.path_for(first.transcript.output["provenance"]["input_sha256"])
        ingest_paths(other, "Other", [path], actor=ACTOR)
        item = list_items(other, "Other")[0].id
        second = process_item(other, item, actor=ACTOR, engine=fake_engine(), speaker_backend=FakeVoices())
    finally:
        other.close()
    assert second.transcript.output_sha256 == first.transcript.output_sha256


def test_non_recordings_and_unknown_items_are_refused(workspace, recording):
    with pytest.raises(NotProcessable, match="no item"):
        process_item(workspace, "0" * 32, actor=ACTOR, engine=fake_engine(), speaker_backend=FakeVoices())


def test_cli_process_and_transcript_formats(monkeypatch, tmp_path, settings, workspace, recording):
    monkeypatch.setattr("audita.speech.engine.FasterWhisperEngine", lambda model, cpu_threads=2: fake_engine())
    monkeypatch.setattr("audita.speech.speakers.ResemblyzerBackend", lambda cpu_threads=2: FakeVoices())
    monkeypatch.setattr("audita.speech.service.resolve_model", lambda name, home: FAKE_MODEL)
    runner = CliRunner()
    base = ["--home", str(settings.home), "--actor", ACTOR]
    out = runner.invoke(cli, [*base, "process", "--case", "Test case", "--no-analysis", "--language", "ru",
                              "--hotword", "Попасная"])
    assert out.exit_code == 0, out.output
    assert "computed" in out.output
    with workspace.reading() as connection:
        asr = history(connection, recording, "transcribe")[-1]
    assert asr.provenance.options["language"] == "ru" and asr.provenance.options["vocabulary"] == ["Попасная"]
    srt = runner.invoke(cli, [*base, "transcript", recording[:10], "--format", "srt"])
    assert srt.exit_code == 0 and srt.output.startswith("1\n00:00:0") and "Гранит, я Сокол" in srt.output
    vtt = runner.invoke(cli, [*base, "transcript", recording, "--format", "vtt"])
    assert vtt.output.startswith("WEBVTT")
    text = runner.invoke(cli, [*base, "transcript", recording, "--format", "text"])
    assert "unverified machine translation" in text.output
    js = runner.invoke(cli, [*base, "transcript", recording, "--format", "json"])
    assert '"schema": "audita.speech/1"' in js.output
    with workspace.reading() as connection:
        views = connection.execute(select(custody_entries).where(custody_entries.c.action == "transcript.viewed")).all()
    assert len(views) == 4
    missing = runner.invoke(cli, [*base, "transcript", "0" * 32])
    assert missing.exit_code != 0
