"""Flag decisions, which the analysis package owns (``audita.analysis.review.decide_flag``): a
``flag.review`` derivation, child of the analysis row, with who, when and why. Reading them back
is ``audita.review.reading.flag_decisions``."""

from __future__ import annotations

from typing import Any

from audita.analysis.review import decide_flag
from audita.review.errors import ReviewError
from audita.workspace import Workspace


class FlagReviewUnavailable(ReviewError):
    """Kept for callers that still handle it: flag review is part of every installation now."""


def available() -> bool:
    """Always true: ``audita.analysis`` is part of the project (kept for older callers)."""
    return True


def decide(workspace: Workspace, *, analysis_id: str, flag_id: str, decision: str, note: str, actor: str) -> Any:
    return decide_flag(workspace, analysis_id=analysis_id, flag_id=flag_id, decision=decision, note=note, actor=actor)
