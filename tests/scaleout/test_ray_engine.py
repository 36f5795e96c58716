"""`--engine ray`: the same derivations as the local engine, stage for stage, on a local Ray
instance; reuse and resume across engines; a failing item does not stop the others; the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from audita.cases import create_case
from audita.config import Settings
from audita.derived import history
from audita.distributed import RayOptions, process_items
from audita.speech.service import NotProcessable, process_item
from audita.verify import verify_store
from audita.workspace import Workspace
from scaleoutkit import (
    ACTOR,
    FAKE_MODEL,
    FakeEngineFactory,
    FakeVoices,
    FakeVoicesFactory,
    RefusingEngineFactory,
    RefusingVoicesFactory,
    StatelessFakeEngine,
    ingest_recordings,
    stateless_engine,
)

STAGES = ["segment", "transcribe", "translate", "speakers", "transcript"]


def _rows(workspace: Workspace, item_id: str) -> dict[str, tuple]:
    """Per stage, everything about a derivation that must not depend on the engine."""
    with workspace.reading() as connection:
        rows = history(connection, item_id)
    by_id = {d.id: d.provenance.stage for d in rows}
    return {d.provenance.stage: (d.output_sha256, d.provenance.input_sha256, d.provenance.options_sha256,
                                 d.provenance.engine, d.provenance.model_name, d.provenance.model_sha256,
                                 by_id.get(d.provenance.parent_id)) for d in rows}


@pytest.fixture
def local_store(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A second installation, processed by the local engine, to compare against."""
    workspace = Workspace.open(Settings(home=tmp_path / "local-home"))
    create_case(workspace, "Local", actor=ACTOR)
    yield workspace
    workspace.close()


def test_ray_records_what_the_local_engine_records(local_ray, workspace, case, local_store, tmp_path):
    ray_items = ingest_recordings(workspace, case.name, tmp_path / "audio", 3)
    local_items = ingest_recordings(local_store, "Local", tmp_path / "audio", 3)
    local = [process_item(local_store, item, actor=ACTOR, engine=stateless_engine(), speaker_backend=FakeVoices())
             for item in local_items]
    seen: list[str] = []
    distributed = process_items(workspace, ray_items, actor=ACTOR, engine=FakeEngineFactory(),
                                speakers=FakeVoicesFactory(), on_item_done=lambda item, _r: seen.append(item))
    assert sorted(seen) == sorted(ray_items)
    assert [r.item_id for r in distributed] == ray_items
    for mine, theirs, ray_item, local_item in zip(distributed, local, ray_items, local_items):
        assert [s.stage for s in mine.stages] == [s.stage for s in theirs.stages] == STAGES
        assert not any(s.reused for s in mine.stages)
        assert _rows(workspace, ray_item) == _rows(local_store, local_item)
        assert mine.transcript.output == theirs.transcript.output
        assert mine.transcript.output_sha256 == theirs.transcript.output_sha256
    assert verify_store(workspace).ok

    # a second run reuses every stage and builds no model anywhere
    again = process_items(workspace, ray_items, actor=ACTOR, engine=RefusingEngineFactory(),
                          speakers=RefusingVoicesFactory())
    assert all(r.reused_all for r in again)
    assert [r.transcript.id for r in again] == [r.transcript.id for r in distributed]


class _DiesInTranslation(StatelessFakeEngine):
    def decode(self, audio, request):  # type: ignore[no-untyped-def]
        if request.task == "translate":
            raise RuntimeError("killed during translation")
        return super().decode(audio, request)


def test_a_local_run_that_died_is_finished_by_ray_with_the_same_result(local_ray, workspace, case, local_store,
                                                                       tmp_path):
    [item] = ingest_recordings(workspace, case.name, tmp_path / "audio", 1)
    broken = _DiesInTranslation()
    broken.model_info = FAKE_MODEL
    with pytest.raises(RuntimeError, match="killed during translation"):
        process_item(workspace, item, actor=ACTOR, engine=broken, speaker_backend=FakeVoices())
    [resumed] = process_items(workspace, [item], actor=ACTOR, engine=FakeEngineFactory(),
                              speakers=FakeVoicesFactory())
    assert {s.stage: s.reused for s in resumed.stages} == {
        "segment": True, "transcribe": True, "translate": False, "speakers": False, "transcript": False}
    [clean_item] = ingest_recordings(local_store, "Local", tmp_path / "audio", 1)
    clean = process_item(local_store, clean_item, actor=ACTOR, engine=stateless_engine(), speaker_backend=FakeVoices())
    assert resumed.transcript.output_sha256 == clean.transcript.output_sha256
    assert _rows(workspace, item) == _rows(local_store, clean_item)


def test_an_unreadable_original_fails_its_item_only(local_ray, workspace, case, tmp_path):
    import os

    items = ingest_recordings(workspace, case.name, tmp_path / "audio", 2)
    with workspace.reading() as connection:
        from sqlalchemy import select

        from audita.store.schema import items as items_table

        sha = connection.execute(select(items_table.c.blob_sha256).where(items_table.c.id == items[0])).scalar_one()
    blob = workspace.blobs.path_for(sha)
    os.chmod(blob, 0o600)
    blob.unlink()
    with pytest.raises(NotProcessable, match="not readable"):
        process_items(workspace, items, actor=ACTOR, engine=FakeEngineFactory(), speakers=FakeVoicesFactory(),
                      ray_options=RayOptions(items_in_flight=2))
    with workspace.reading() as connection:
        assert history(connection, items[0]) == []
        assert {d.provenance.stage for d in history(connection, items[1])} == set(STAGES)


def test_cli_process_with_the_ray_engine(local_ray, monkeypatch, settings, workspace, case, tmp_path):
    from audita.cli import cli

    items = ingest_recordings(workspace, case.name, tmp_path / "audio", 2)
    monkeypatch.setattr("audita.distributed.driver.resolve_model", lambda name, home: FAKE_MODEL)
    monkeypatch.setattr("audita.distributed.driver.WhisperEngineFactory",
                        lambda model, cpu_threads=2: FakeEngineFactory())
    monkeypatch.setattr("audita.distributed.driver.ResemblyzerFactory", lambda cpu_threads=2: FakeVoicesFactory())
    runner = CliRunner()
    base = ["--home", str(settings.home), "--actor", ACTOR]
    out = runner.invoke(cli, [*base, "process", "--case", case.name, "--no-analysis", "--engine", "ray"])
    assert out.exit_code == 0, out.output
    assert out.output.count("computed") == 2
    with workspace.reading() as connection:
        assert all({d.provenance.stage for d in history(connection, i)} == set(STAGES) for i in items)
    again = runner.invoke(cli, [*base, "process", "--case", case.name, "--no-analysis", "--engine", "ray"])
    assert again.exit_code == 0 and again.output.count("reused") == 2
    refused = runner.invoke(cli, [*base, "process", "--case", case.name, "--address", "auto"])
    assert refused.exit_code != 0 and "--address" in refused.output
