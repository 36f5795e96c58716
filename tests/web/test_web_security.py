"""Sessions, cookies, CSRF, timeouts, headers and error pages."""

from __future__ import annotations

import re

import pytest
from argon2 import Type
from sqlalchemy import select
from starlette.testclient import TestClient
from webseed import PASSWORD, csrf_of

from audita.custody.log import entries
from audita.store.schema import sessions, users
from audita.web.accounts import check_password, create_user, disable_user
from audita.web.options import COOKIE_NAME, LOGIN_COOKIE_NAME
from audita.web.sessions import token_hash

pytestmark = pytest.mark.both_backends  # the store-facing paths run on SQLite and PostgreSQL


def _set_cookie(reply, name: str) -> str:  # type: ignore[no-untyped-def]
    headers = [v for k, v in reply.headers.multi_items() if k == "set-cookie" and v.startswith(name + "=")]
    assert headers, f"no Set-Cookie for {name}"
    return headers[0]


def _login_reply(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "login_token": token},
                       follow_redirects=False)


def test_passwords_are_argon2id_and_never_stored_plain(workspace, seeded):
    import audita.web.accounts as accounts

    assert accounts.make_hasher().type is Type.ID  # what the module uses outside the tests
    assert accounts.make_hasher().memory_cost >= 19 * 1024  # OWASP's argon2id floor (19 MiB)
    with workspace.reading() as connection:
        stored = connection.execute(select(users.c.password_hash).where(users.c.username == "viewer-in")).scalar()
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        assert check_password(connection, "viewer-in", PASSWORD).username == "viewer-in"
        assert check_password(connection, "viewer-in", PASSWORD + "x") is None
        assert check_password(connection, "nobody", PASSWORD) is None
    with pytest.raises(Exception, match="at least 12"):
        create_user(workspace, "short", "abc", role="viewer", actor="t")


def test_session_cookie_attributes(client_for):
    client = client_for(None)
    reply = _login_reply(client, "analyst-in")
    assert reply.status_code == 303 and reply.headers["location"] == "/cases"
    cookie = _set_cookie(reply, COOKIE_NAME)
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes
    assert "domain" not in attributes  # a __Host- cookie must not name a domain
    assert re.search(r";\s*Path=/(;|$)", cookie) and re.search(r"(?i);\s*SameSite=strict", cookie)
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43  # 256 bits, url-safe base64


def test_session_fixation_a_preset_cookie_is_never_adopted(client_for, workspace):
    client = client_for(None)
    planted = "attacker-chosen-session-id-0000000000000000000"
    client.cookies.set(COOKIE_NAME, planted, domain="testserver.local")
    assert client.get("/cases", follow_redirects=False).status_code == 303  # not a session
    reply = _login_reply(client, "analyst-in")
    issued = _set_cookie(reply, COOKIE_NAME).split(";")[0].split("=", 1)[1]
    assert issued != planted
    with workspace.reading() as connection:
        stored = set(connection.execute(select(sessions.c.id_sha256)).scalars())
    assert token_hash(planted) not in stored and token_hash(issued) in stored
    assert issued not in stored  # only hashes are stored


def test_login_replaces_an_existing_session(client_for, workspace):
    client = client_for(None)
    first = _set_cookie(_login_reply(client, "viewer-in"), COOKIE_NAME).split(";")[0].split("=", 1)[1]
    second = _set_cookie(_login_reply(client, "analyst-in"), COOKIE_NAME).split(";")[0].split("=", 1)[1]
    assert first != second
    with TestClient(client.app, base_url="https://testserver") as other:
        other.cookies.set(COOKIE_NAME, first)
        assert other.get("/cases", follow_redirects=False).status_code == 303  # the old session ended
        other.cookies.set(COOKIE_NAME, second)
        assert other.get("/cases").status_code == 200


def test_csrf_is_required_on_every_unsafe_request(client_for, seeded):
    client = client_for("analyst-in")
    token = client.headers.pop("X-CSRF-Token")
    url = f"/items/{seeded.item_id}/speakers/rename"
    assert client.post(url, data={"label": "S1", "name": "x"}, follow_redirects=False).status_code == 403
    assert client.post(url, data={"label": "S1", "name": "x", "csrf_token": "wrong"},
                       follow_redirects=False).status_code == 403
    assert client.post(url, data={"label": "S1", "name": "x"}, headers={"X-CSRF-Token": "wrong"},
                       follow_redirects=False).status_code == 403
    other = client_for("admin-in")  # another session's token is no good either
    assert client.post(url, data={"label": "S1", "name": "x", "csrf_token": other.headers["X-CSRF-Token"]},
                       follow_redirects=False).status_code == 403
    assert client.post(url, data={"label": "S1", "name": "x", "csrf_token": token},
                       headers={"Origin": "https://evil.example"}, follow_redirects=False).status_code == 403
    assert client.post(url, data={"label": "S1", "name": "x", "csrf_token": token},
                       headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False).status_code == 403
    assert client.post(url, data={"label": "S1", "name": "x", "csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert client.post(url, data={"label": "S1", "name": "y"}, headers={"X-CSRF-Token": token,
                       "Origin": "https://testserver"}, follow_redirects=False).status_code == 303
    assert client.post("/logout", follow_redirects=False).status_code == 403


def test_login_form_has_its_own_csrf_token(client_for):
    client = client_for(None)
    client.get("/login")
    reply = client.post("/login", data={"username": "analyst-in", "password": PASSWORD, "login_token": "forged"},
                        follow_redirects=False)
    assert reply.status_code == 403
    assert not [v for k, v in reply.headers.multi_items() if k == "set-cookie" and v.startswith(COOKIE_NAME + "=")]
    login_cookie = _set_cookie(client.get("/login"), LOGIN_COOKIE_NAME)
    assert "secure" in login_cookie.lower() and "httponly" in login_cookie.lower()


def test_inactivity_timeout(client_for, clock, workspace):
    client = client_for("viewer-in")
    clock.now += 500
    assert client.get("/cases").status_code == 200  # activity moves the window
    clock.now += 500
    assert client.get("/cases").status_code == 200
    clock.now += 601
    reply = client.get("/cases", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"].startswith("/login")
    with workspace.reading() as connection:
        assert connection.execute(select(sessions.c.ended_at).where(sessions.c.ended_at.is_not(None))).first()


def test_absolute_timeout(client_for, clock):
    client = client_for("viewer-in")
    for _ in range(7):  # active every 9 minutes, for over an hour
        clock.now += 540
        if clock.now - 1_800_000_000.0 <= 3600:
            assert client.get("/cases").status_code == 200
    assert client.get("/cases", follow_redirects=False).status_code == 303
    assert client.get("/api/items/" + "0" * 32 + "/peaks").status_code == 401


def test_logout_ends_the_session(client_for):
    client = client_for("viewer-in")
    token = client.cookies.get(COOKIE_NAME)
    reply = client.post("/logout", follow_redirects=False)
    assert reply.status_code == 303
    with TestClient(client.app, base_url="https://testserver") as replay:
        replay.cookies.set(COOKIE_NAME, token)
        assert replay.get("/cases", follow_redirects=False).status_code == 303


def test_disabled_user_is_logged_out_and_cannot_log_in(client_for, workspace):
    client = client_for("viewer-in")
    disable_user(workspace, "viewer-in", actor="admin:test")
    assert client.get("/cases", follow_redirects=False).status_code == 303
    assert _login_reply(client_for(None), "viewer-in").status_code == 401


def test_logins_are_logged_with_escaped_user_input(client_for, workspace):
    hostile = 'x"}\n{"forged": true, "action": "user.created'
    assert _login_reply(client_for(None), hostile, "wrong password!").status_code == 401
    assert _login_reply(client_for(None), "analyst-in").status_code == 303
    with workspace.reading() as connection:
        logged = entries(connection)
    failed = [e for e in logged if e.action == "web.login_failed"]
    assert failed[-1].details["username"] == hostile[:100] and failed[-1].actor == "anonymous"
    ok = [e for e in logged if e.action == "web.login"]
    assert ok[-1].actor == "user:analyst-in"
    assert all("forged" not in e.action for e in logged)


def test_repeated_failures_are_throttled(client_for, workspace):
    client = client_for(None)
    for _ in range(5):
        assert _login_reply(client, "reviewer-in", "not the password").status_code == 401
    assert _login_reply(client, "reviewer-in").status_code == 401  # right password, but throttled
    with workspace.reading() as connection:
        assert entries(connection)[-1].details["reason"] == "throttled"


def test_security_headers_on_pages_errors_and_static(client_for, seeded):
    client = client_for("viewer-in")
    for reply in (client.get("/cases"), client.get("/nope"), client.get("/static/app.js"),
                  client_for(None).get("/login")):
        csp = reply.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "same-origin"  # never sent to other sites
        assert reply.headers["x-frame-options"] == "DENY"
        assert "server" not in reply.headers
    assert client.get(f"/items/{seeded.item_id}").headers["cache-control"] == "no-store"


def test_pages_have_no_inline_script_or_handlers(client_for, seeded):
    client = client_for("admin-in")
    for path in ("/cases", f"/cases/{seeded.case_id}", f"/items/{seeded.item_id}", f"/items/{seeded.item_id}/edit",
                 f"/items/{seeded.item_id}/history", f"/cases/{seeded.case_id}/upload", "/admin/users", "/search"):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert " style=" not in html, path


def test_errors_are_generic(client_for, app, monkeypatch):
    client = client_for("viewer-in")
    import audita.web.routes.cases as cases_routes

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internal detail /etc/shadow")

    monkeypatch.setattr(cases_routes, "build_overview", broken)
    case_id = client.get("/cases").text.split("/cases/")[1][:32]
    reply = client.get(f"/cases/{case_id}")
    assert reply.status_code == 500
    assert "secret" not in reply.text and "Traceback" not in reply.text and "RuntimeError" not in reply.text
    assert reply.headers["content-security-policy"]
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Not found" in missing.text


def test_no_open_redirect_after_login(client_for):
    client = client_for(None)
    page = client.get("/login?next=//evil.example/x")
    assert 'value="/cases"' in page.text
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    reply = client.post("/login", data={"username": "viewer-in", "password": PASSWORD, "login_token": token,
                                        "next": "https://evil.example/"}, follow_redirects=False)
    assert reply.headers["location"] == "/cases"


def test_html_escaping_of_stored_text(client_for, seeded, workspace):
    from audita.review import label_speaker

    label_speaker(workspace, seeded.item_id, label="S1", name="<script>alert(1)</script>", actor="user:analyst-in")
    html = client_for("viewer-in").get(f"/items/{seeded.item_id}").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_csrf_token_is_per_session(client_for):
    a, b = client_for("viewer-in"), client_for("viewer-in")
    assert csrf_of(a) != csrf_of(b)


def test_login_page_does_not_log_in_with_get(client_for):
    client = client_for(None)
    reply = client.get(f"/login?username=viewer-in&password={PASSWORD}", follow_redirects=False)
    assert reply.status_code == 200 and COOKIE_NAME + "=" not in reply.headers.get("set-cookie", "")


def test_disabled_accounts_exist_but_login_fails_generic(client_for, workspace):
    disable_user(workspace, "reviewer-out", actor="admin:test")
    wrong = _login_reply(client_for(None), "nobody-at-all")
    disabled = _login_reply(client_for(None), "reviewer-out")
    assert wrong.status_code == disabled.status_code == 401
    assert "Wrong user name or password." in wrong.text and "Wrong user name or password." in disabled.text
