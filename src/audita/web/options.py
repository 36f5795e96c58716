"""Settings of one running workbench (frozen; tests shorten the timeouts and limits)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

COOKIE_NAME = "__Host-audita"
LOGIN_COOKIE_NAME = "__Host-audita-login"


@dataclass(frozen=True)
class WebOptions:
    inactivity_timeout_s: float = 30 * 60
    absolute_timeout_s: float = 12 * 60 * 60
    max_upload_bytes: int = 2 << 30  # one uploaded file
    max_form_bytes: int = 1 << 20  # any other request body
    login_failures_before_lockout: int = 5  # per user name: further attempts refused for the window
    login_failure_window_s: float = 15 * 60
    clock: Callable[[], float] = time.time
