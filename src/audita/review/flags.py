"""The seam to flag review, which the analysis package owns (``audita.analysis.review``).

Deciding a flag is delegated to ``audita.analysis.review.decide_flag`` when that module is
installed; without it flags can still be read (``audita.review.reading``) but not decided."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Any

from audita.review.errors import ReviewError
from audita.workspace import Workspace

ANALYSIS_REVIEW = "audita.analysis.review"


class FlagReviewUnavailable(ReviewError):
    """audita.analysis is not installed, so flags cannot be decided here."""


def _module() -> ModuleType | None:
    try:
        if importlib.util.find_spec("audita.analysis") is None or importlib.util.find_spec(ANALYSIS_REVIEW) is None:
            return None
    except (ImportError, ValueError):
        return None
    return importlib.import_module(ANALYSIS_REVIEW)


def available() -> bool:
    module = _module()
    return module is not None and callable(getattr(module, "decide_flag", None))


def decide(workspace: Workspace, *, analysis_id: str, flag_id: str, decision: str, note: str, actor: str) -> Any:
    module = _module()
    decide_flag = getattr(module, "decide_flag", None) if module is not None else None
    if decide_flag is None:
        raise FlagReviewUnavailable("flag review is not installed (audita.analysis is missing)")
    return decide_flag(workspace, analysis_id=analysis_id, flag_id=flag_id, decision=decision, note=note, actor=actor)
