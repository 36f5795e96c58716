"""Request plumbing shared by the routes: the running workbench's state, who is asking, CSRF,
custody records for what they do, and rendering."""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from audita.errors import AuditaError
from audita.web.access import allowed
from audita.web.jobs import JobRunner
from audita.web.media import MediaCache
from audita.web.options import COOKIE_NAME, WebOptions
from audita.web.processing import Processor
from audita.web.sessions import Session, csrf_matches, resume_session
from audita.workspace import Workspace

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
PUBLIC_PATHS = frozenset({"/login"})
TEMPLATES = Path(__file__).resolve().parent / "templates"


class Unauthenticated(AuditaError):
    """No live session: pages redirect to the login form, everything else answers 401."""


class CsrfFailed(AuditaError):
    """An unsafe request without this session's CSRF token, or from another origin."""


class NotInstalled(AuditaError):
    """An optional package this request needs is not installed: answered 501."""


class LoginThrottle:
    """Counts failed logins per user name; after too many in the window, refuses without checking."""

    def __init__(self, limit: int, window: float) -> None:
        self._failures: dict[str, list[float]] = {}
        self._limit = limit
        self._window = window
        self._lock = threading.Lock()

    def blocked(self, name: str, now: float) -> bool:
        with self._lock:
            recent = [t for t in self._failures.get(name, []) if now - t < self._window]
            self._failures[name] = recent
            return len(recent) >= self._limit

    def failed(self, name: str, now: float) -> None:
        with self._lock:
            self._failures.setdefault(name, []).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)


@dataclass
class WebState:
    workspace: Workspace
    options: WebOptions
    templates: Jinja2Templates
    jobs: JobRunner
    processor: Processor | None
    media: MediaCache = field(default_factory=MediaCache)
    throttle: LoginThrottle | None = None

    @property
    def exports_dir(self) -> Path:
        return self.workspace.settings.home / "exports"

    @property
    def upload_dir(self) -> Path:
        return self.workspace.settings.tmp_dir


def state(request: Request) -> WebState:
    return request.app.state.audita


def session_of(request: Request) -> Session | None:
    """The live session of this request (looked up once, and touched)."""
    if "audita_session" not in request.scope:
        web = state(request)
        request.scope["audita_session"] = resume_session(web.workspace, request.cookies.get(COOKIE_NAME), web.options)
    return request.scope["audita_session"]


def user(request: Request) -> Session:
    """Dependency for every route that needs someone logged in."""
    found = session_of(request)
    if found is None:
        raise Unauthenticated("log in first")
    return found


def _same_origin(request: Request) -> bool:
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin != "null" and urlsplit(origin).netloc.lower() == host.lower()


async def guard(request: Request) -> None:
    """App-wide dependency: every unsafe request needs a live session (except the login form,
    which has its own token) and that session's CSRF token in the X-CSRF-Token header or the
    csrf_token form field, from this origin."""
    if request.method not in UNSAFE or request.url.path in PUBLIC_PATHS:
        return
    found = await run_in_threadpool(session_of, request)
    if found is None:
        raise Unauthenticated("log in first")
    if not _same_origin(request):
        raise CsrfFailed("cross-origin request refused")
    presented = request.headers.get("x-csrf-token")
    if presented is None and request.headers.get("content-type", "").split(";")[0].strip() in FORM_TYPES:
        value = (await request.form()).get("csrf_token")
        presented = value if isinstance(value, str) else None
    if not csrf_matches(found, presented):
        raise CsrfFailed("missing or wrong CSRF token")


def login_token_matches(cookie: str | None, presented: str | None) -> bool:
    return bool(cookie) and bool(presented) and hmac.compare_digest(str(cookie).encode(), str(presented).encode())


def audit(request: Request, session: Session | None, action: str, *, actor: str | None = None,
          case_id: str | None = None, item_id: str | None = None, details: dict[str, Any] | None = None) -> None:
    """One custody entry for something done through the workbench. User-supplied text only ever
    goes into ``details`` (canonical JSON), never into the action or actor."""
    web = state(request)
    who = actor or (session.actor if session is not None else "anonymous")
    with web.workspace.action() as connection:
        web.workspace.record(connection, action, who, case_id=case_id, item_id=item_id,
                             details={"via": "web", **(details or {})})


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    found = request.scope.get("audita_session")
    base = {"me": found, "csrf": found.csrf_token if found else "",
            "can": (lambda permission: found is not None and allowed(found, permission))}
    return state(request).templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "") or request.url.path.startswith("/api/")


def now(request: Request) -> float:
    return state(request).options.clock()
