"""Hardening tests: figures collected across the session, written out when asked.

Set AUDITA_RELIABILITY_FIGURES=FILE to get the counts behind docs/reliability.md as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SPEECH_TESTS = Path(__file__).resolve().parent.parent / "speech"
if str(SPEECH_TESTS) not in sys.path:
    sys.path.insert(0, str(SPEECH_TESTS))


@pytest.fixture(scope="session")
def reliability_figures() -> Iterator[dict[str, Any]]:
    figures: dict[str, Any] = {}
    yield figures
    target = os.environ.get("AUDITA_RELIABILITY_FIGURES")
    if target:
        Path(target).write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
