"""Exception types. Every error a user can cause is an AuditaError with a one-line message."""

from __future__ import annotations


class AuditaError(Exception):
    """Base class for errors reported to the user as one line."""


class BadInput(AuditaError):
    """An input file, archive or metadata record that cannot be accepted as evidence."""


class NotFound(AuditaError):
    """A case, item or other named object does not exist."""


class IntegrityError(AuditaError):
    """Stored evidence or the custody log does not match what was recorded."""
