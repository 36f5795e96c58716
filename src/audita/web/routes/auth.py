"""Login and logout. A login always starts a new session with a new random id (whatever cookie
came with the request is ended, never adopted), and every attempt is in the custody log."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from audita.web.accounts import User, check_password
from audita.web.deps import audit, login_token_matches, render, session_of, state, user
from audita.web.options import COOKIE_NAME, LOGIN_COOKIE_NAME
from audita.web.sessions import Session, end_session, start_session, token_hash

router = APIRouter()
COOKIE = {"path": "/", "secure": True, "httponly": True, "samesite": "strict"}


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no backslashes) is followed after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or any(
            ord(ch) < 32 for ch in target):
        return "/cases"
    return target


def _login_page(request: Request, next_path: str, error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", {"login_token": token, "next": next_path, "error": error},
                      status_code=status)
    response.set_cookie(LOGIN_COOKIE_NAME, token, max_age=3600, **COOKIE)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/cases") -> Response:
    session_of(request)  # shows who is logged in; logging in again ends that session
    return _login_page(request, safe_next(next))


def _log_in(request: Request, username: str, password: str) -> tuple[User | None, str]:
    web = state(request)
    now = web.options.clock()
    key = username.strip().lower()[:100]
    throttle = web.throttle
    if throttle is not None and throttle.blocked(key, now):
        return None, "throttled"
    with web.workspace.reading() as connection:
        found = check_password(connection, username, password)
    if found is None:
        if throttle is not None:
            throttle.failed(key, now)
        return None, "bad credentials"
    if throttle is not None:
        throttle.succeeded(key)
    return found, ""


@router.post("/login")
async def login(request: Request, username: str = Form(""), password: str = Form(""), login_token: str = Form(""),
                next: str = Form("/cases")) -> Response:
    target = safe_next(next)
    if not login_token_matches(request.cookies.get(LOGIN_COOKIE_NAME), login_token):
        return _login_page(request, target, "The login form expired; please try again.", status=403)
    found, reason = await run_in_threadpool(_log_in, request, username, password)
    if found is None:
        await run_in_threadpool(audit, request, None, "web.login_failed", actor="anonymous",
                                details={"username": username[:100], "reason": reason,
                                         "user_agent": _user_agent(request)})
        return _login_page(request, target, "Wrong user name or password.", status=401)
    token = await run_in_threadpool(_start, request, found)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE_NAME, token, **COOKIE)
    response.delete_cookie(LOGIN_COOKIE_NAME, **COOKIE)
    return response


def _user_agent(request: Request) -> str:
    """The client's User-Agent as sent (cut to 300 characters): it only ever goes into the JSON
    details of a custody entry, where every character is kept and encoded."""
    return request.headers.get("user-agent", "")[:300]


def _start(request: Request, found: User) -> str:
    web = state(request)
    now = web.options.clock()
    presented = request.cookies.get(COOKIE_NAME)
    with web.workspace.action() as connection:
        replaced = bool(presented) and end_session(connection, token_hash(presented), now)
        token, _ = start_session(connection, found, now)
        web.workspace.record(connection, "web.login", found.actor, details={
            "via": "web", "user_id": found.id, "role": found.role, "replaced_session": replaced,
            "user_agent": _user_agent(request)})
    request.scope["audita_session"] = None
    return token


@router.post("/logout")
def logout(request: Request, me: Session = Depends(user)) -> Response:
    web = state(request)
    with web.workspace.action() as connection:
        end_session(connection, me.id_sha256, web.options.clock())
        web.workspace.record(connection, "web.logout", me.actor, details={"via": "web"})
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, **COOKIE)
    return response
