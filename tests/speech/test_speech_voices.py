"""Named voices of one recording are suggested (never asserted) for transmissions of others."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from audita.cli import cli
from audita.corpus.audio import write_wav
from audita.derived import Provenance, record
from audita.ingest.service import ingest_paths
from audita.items import list_items
from audita.speech.service import process_item
from audita.speech.voices import case_voice_suggestions
from speechfakes import RATE, FakeVoices, radio_recording
from test_speech_service import ACTOR, fake_engine


def _recording(folder: Path, name: str, seed: int) -> Path:
    audio, _ = radio_recording([(1.0, 1.5), (4.0, 2.0), (7.5, 1.6)], total=10.0, seed=seed)
    path = folder / name
    write_wav(path, audio, RATE)
    return path


def test_a_named_voice_is_suggested_in_another_recording(tmp_path, settings, workspace, case):
    ingest_paths(workspace, case.name, [_recording(tmp_path, "a.wav", 1), _recording(tmp_path, "b.wav", 2)],
                 actor=ACTOR)
    first, second = (i.id for i in list_items(workspace, case.name))
    results = {i: process_item(workspace, i, actor=ACTOR, engine=fake_engine(), speaker_backend=FakeVoices())
               for i in (first, second)}
    assert case_voice_suggestions(workspace, case.name) == []  # nobody named yet
    transcript = results[first].transcript
    with workspace.action() as connection:
        record(workspace, connection, item_id=first, case_id=case.id, actor=ACTOR, action="item.edited",
               provenance=Provenance(stage="speaker.label", input_sha256=transcript.output_sha256, engine="analyst",
                                     options={}, parent_id=transcript.id),
               output={"label": "S2", "name": "Сокол", "transmissions": [1]})
    found = case_voice_suggestions(workspace, case.name)
    by_span = {(s.item_id, s.transmission): s for s in found}
    # transmission 1 of the other recording has the same (fake) voice
    match = by_span[(second, 1)]
    assert (match.name, match.rank, match.kind) == ("Сокол", 1, "suggestion") and match.score > 0.99
    assert match.start is not None and match.end > match.start
    assert (first, 1) not in by_span  # the named reference itself is not a candidate
    assert (second, 2) not in by_span  # a different voice stays below the score floor
    assert all(s.score >= 0.75 and s.kind == "suggestion" for s in found)
    out = CliRunner().invoke(cli, ["--home", str(settings.home), "speakers", "suggest", "--case", case.name])
    assert out.exit_code == 0 and "Сокол" in out.output and "suggestions only" in out.output
