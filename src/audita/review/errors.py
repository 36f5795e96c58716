"""Errors a reviewer or analyst can cause; each is one line for the user."""

from __future__ import annotations

from audita.errors import AuditaError


class ReviewError(AuditaError):
    """A correction or sign-off that cannot be recorded as asked."""


class StaleVersion(ReviewError):
    """The edit was made against a version that is no longer the current one."""


class SignOffRefused(ReviewError):
    """The sign-off breaks the two-person rule or names something that cannot be signed off."""
