"""The workbench application: security headers, body limits, sessions, CSRF, generic errors."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from audita.errors import AuditaError, BadInput, NotFound
from audita.logsafe import kv
from audita.review.errors import ReviewError, SignOffRefused, StaleVersion
from audita.review.flags import FlagReviewUnavailable
from audita.web.access import Forbidden, Hidden
from audita.web.deps import (
    TEMPLATES,
    CsrfFailed,
    LoginThrottle,
    NotInstalled,
    Unauthenticated,
    WebState,
    guard,
    render,
    wants_json,
)
from audita.web.jobs import JobRunner
from audita.web.options import WebOptions
from audita.web.processing import Processor, default_processor
from audita.workspace import Workspace

log = logging.getLogger("audita.web")
STATIC = Path(__file__).resolve().parent / "static"

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
       "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; "
       "object-src 'none'")
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make Chromium send "Origin: null" on form posts
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"strict-transport-security", b"max-age=31536000"),
)
UPLOAD_PATH = re.compile(r"^/cases/[^/]+/(upload|documents)$")  # the recording upload, the document form

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]


class SecurityHeaders:
    """Adds the security headers to every response (evidence pages are never cached) and turns
    an unhandled error into a generic 500 page: no stack trace ever reaches the client."""

    def __init__(self, app: ASGI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name for name, _ in SECURITY_HEADERS} | {b"server", b"cache-control"}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                headers.extend(SECURITY_HEADERS)
                headers.append((b"cache-control", b"no-cache" if static else b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            log.exception("unhandled error %s", kv(method=scope.get("method", ""), path=scope.get("path", "")))
            if not started:
                await _plain(sending, 500, GENERIC[500])


class BodyLimit:
    """Refuses request bodies over the limit with 413, by Content-Length before reading and by
    counting while reading (chunked uploads). Uploads have their own, larger limit."""

    def __init__(self, app: ASGI, options: WebOptions) -> None:
        self.app = app
        self.options = options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = bool(UPLOAD_PATH.match(scope.get("path", "")))
        # an upload may carry multipart framing around its one file
        limit = self.options.max_upload_bytes + 64 * 1024 if upload else self.options.max_form_bytes
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _plain(send, 413, GENERIC[413])
            return
        seen = 0
        exceeded = False
        replaced = False

        async def receiving() -> Message:
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _TooLarge()
            return message

        async def sending(message: Message) -> None:
            nonlocal replaced
            if exceeded:  # whatever the app made of the cut-off body, the answer is 413
                if not replaced:
                    replaced = True
                    await _plain(send, 413, GENERIC[413])
                return
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        except _TooLarge:
            pass
        if exceeded and not replaced:
            await _plain(send, 413, GENERIC[413])


class _TooLarge(Exception):
    pass


async def _plain(send: Send, status: int, text: str) -> None:
    body = json.dumps({"error": text}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


GENERIC = {400: "The request could not be processed.", 401: "Please log in.", 403: "You may not do this.",
           404: "Not found.", 405: "Not allowed.", 409: "This changed meanwhile.", 413: "Too large.",
           500: "Something went wrong. The error was logged.", 501: "Not installed."}


def _error(request: Request, status: int, message: str | None = None) -> Response:
    text = message or GENERIC.get(status, "Error.")
    if wants_json(request) or request.method != "GET" and "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"error": text}, status_code=status)
    return render(request, "error.html", {"status": status, "message": text}, status_code=status)


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(Unauthenticated)
    async def unauthenticated(request: Request, exc: Unauthenticated) -> Response:
        if request.method == "GET" and not request.url.path.startswith("/api/"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
        return JSONResponse({"error": "log in first"}, status_code=401)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return _error(request, 403, "The form expired or came from elsewhere; reload the page and try again.")

    @app.exception_handler(Hidden)
    async def hidden(request: Request, exc: Hidden) -> Response:
        return _error(request, 404)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _error(request, 403)

    @app.exception_handler(SignOffRefused)
    async def refused(request: Request, exc: SignOffRefused) -> Response:
        return _error(request, 403, str(exc))

    @app.exception_handler(StaleVersion)
    async def stale(request: Request, exc: StaleVersion) -> Response:
        return _error(request, 409, str(exc))

    @app.exception_handler(FlagReviewUnavailable)
    async def unavailable(request: Request, exc: FlagReviewUnavailable) -> Response:
        return _error(request, 501, str(exc))

    @app.exception_handler(NotInstalled)
    async def not_installed(request: Request, exc: NotInstalled) -> Response:
        return _error(request, 501, str(exc))

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(ReviewError)
    async def review_error(request: Request, exc: ReviewError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(AuditaError)
    async def other_user_error(request: Request, exc: AuditaError) -> Response:
        return _error(request, 400, str(exc))  # e.g. another package's one-line refusal

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code if exc.status_code in GENERIC else 400)


def create_app(workspace: Workspace, options: WebOptions | None = None, *, processor: Processor | None | str = "default",
               jobs: JobRunner | None = None) -> FastAPI:
    """The workbench over an open workspace. ``processor`` runs speech processing in the
    background ("default": the speech pipeline when installed; None: processing unavailable)."""
    from audita.web.routes import admin, auth, cases, documents, items, review

    options = options or WebOptions()
    app = FastAPI(title="Audita", docs_url=None, redoc_url=None, openapi_url=None, debug=False,
                  dependencies=[Depends(guard)])
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals["MT_LABEL"] = "unverified machine translation"
    app.state.audita = WebState(
        workspace=workspace, options=options, templates=templates, jobs=jobs or JobRunner(),
        processor=default_processor() if processor == "default" else processor,  # type: ignore[arg-type]
        throttle=LoginThrottle(options.login_failures_before_lockout, options.login_failure_window_s),
    )
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for module in (auth, cases, documents, items, review, admin):
        app.include_router(module.router)
    _install_errors(app)
    app.add_middleware(BodyLimit, options=options)
    app.add_middleware(SecurityHeaders)
    return app
