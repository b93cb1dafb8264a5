"""Sign-in, sessions, CSRF, lockout, the first-run administrator and the error pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from cairo6.cli.web import user_password_command
from cairo6.errors import StateError
from cairo6.protocol import Protocol, default_protocol_text
from cairo6.service import admin, web_support
from cairo6.service.audit_view import verify_trail
from cairo6.service.setup import initialise
from cairo6.service.throttle import pair_key
from cairo6.service.trial import actor_for
from cairo6.store.engine import Database
from cairo6.store.schema import AuditRecord, LoginThrottle, WebSession
from cairo6.web import create_app
from cairo6.web.settings import WebSettings
from tests.service.conftest import Site
from tests.web.conftest import PASSWORD, World, login


def _pre_token(client: TestClient, path: str = "/login") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def _sign_in(client: TestClient, username: str, password: str) -> int:
    token = _pre_token(client)
    answer = client.post(
        "/login",
        data={"csrf_token": token, "username": username, "password": password},
        follow_redirects=False,
    )
    return answer.status_code


def _events(db: Database, *actions: str) -> list[AuditRecord]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditRecord).where(AuditRecord.action.in_(actions)).order_by(AuditRecord.seq)
            )
        )


def test_session_cookie_is_httponly_lax_and_only_its_hash_is_stored(
    app: FastAPI, web_site: Site
) -> None:
    client = TestClient(app)
    token = _pre_token(client)
    answer = client.post(
        "/login",
        data={"csrf_token": token, "username": "inv1", "password": PASSWORD},
        follow_redirects=False,
    )
    cookie = answer.headers["set-cookie"]
    assert "cairo6_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here
    value = client.cookies["cairo6_session"]
    with web_site.trial.db.read() as session:
        stored = session.scalars(select(WebSession.token_hash)).all()
    assert stored == [hashlib.sha256(value.encode()).hexdigest()]
    assert value not in stored


def test_cookie_is_secure_over_https(app: FastAPI) -> None:
    client = TestClient(app, base_url="https://testserver")
    token = _pre_token(client)
    answer = client.post(
        "/login",
        data={"csrf_token": token, "username": "inv1", "password": PASSWORD},
        follow_redirects=False,
    )
    assert "Secure" in answer.headers["set-cookie"]
    assert "strict-transport-security" in answer.headers


def test_csrf_is_required_on_every_form_and_api_write(app: FastAPI, world: World) -> None:
    client, csrf = login(app, "inv1")
    form = {"centre": "C01", "screened_on": "2018-02-01", "approached": "true"}
    other, other_csrf = login(app, "dm")
    before = _last_seq(world)
    assert client.post("/screening", data=form, follow_redirects=False).status_code == 403
    bad = {**form, "csrf_token": "x" * 43}
    assert client.post("/screening", data=bad, follow_redirects=False).status_code == 403
    stolen = {**form, "csrf_token": other_csrf}  # another session's token is no good either
    assert client.post("/screening", data=stolen, follow_redirects=False).status_code == 403
    body = {"centre": "C01", "screened_on": "2018-02-01", "approached": True}
    assert client.post("/api/screening", json=body).status_code == 403
    assert (
        client.post("/api/screening", json=body, headers={"X-CSRF-Token": "no"}).status_code == 403
    )
    assert _last_seq(world) == before  # nothing refused was written
    good = client.post("/api/screening", json=body, headers={"X-CSRF-Token": csrf})
    assert good.status_code == 201
    ok = client.post("/screening", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert ok.status_code == 303
    other.close()


def _last_seq(world: World) -> int:
    with world.site.trial.db.read() as session:
        return int(session.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc())) or 0)


def test_api_sign_in_takes_json_only(app: FastAPI) -> None:
    client = TestClient(app)
    credentials = json.dumps({"username": "inv1", "password": PASSWORD})
    for kind in (None, "text/plain", "application/x-www-form-urlencoded"):
        headers = {"content-type": kind} if kind else {}
        answer = client.post("/api/login", content=credentials, headers=headers)
        assert answer.status_code in (415, 422), kind  # refused before any password check
    answer = client.post(
        "/api/login", content=credentials, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 200


def test_sign_in_form_needs_its_own_token(app: FastAPI) -> None:
    client = TestClient(app)
    client.get("/login")
    answer = client.post(
        "/login", data={"username": "inv1", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert "cairo6_session" not in client.cookies


def test_idle_and_absolute_expiry_end_the_session(app: FastAPI, web_site: Site) -> None:
    db = web_site.trial.db
    client, _ = login(app, "inv1")
    assert client.get("/", follow_redirects=False).status_code == 200
    settings = WebSettings()
    idle = dt.datetime.now(dt.UTC) - settings.idle_timeout - dt.timedelta(minutes=1)
    with db.engine.begin() as conn:
        conn.execute(update(WebSession).values(last_seen_at=idle.isoformat()))
    answer = client.get("/participants", follow_redirects=False)
    assert answer.status_code == 303
    assert "msg=expired" in answer.headers["location"]
    assert client.get("/api/session").status_code == 401
    with db.read() as session:
        assert session.scalars(select(WebSession)).all() == []
    client, _ = login(app, "inv1")
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    with db.engine.begin() as conn:
        conn.execute(update(WebSession).values(expires_at=past))
    assert client.get("/api/session").status_code == 401


def test_a_busy_session_is_kept_alive(app: FastAPI, web_site: Site) -> None:
    db = web_site.trial.db
    client, _ = login(app, "inv1")
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    with db.engine.begin() as conn:
        conn.execute(update(WebSession).values(last_seen_at=recent.isoformat()))
    assert client.get("/api/session").status_code == 200
    with db.read() as session:
        seen = session.scalar(select(WebSession.last_seen_at))
    assert seen is not None
    assert dt.datetime.fromisoformat(seen) > recent + dt.timedelta(minutes=9)


def test_logout_ends_the_session_and_is_audited(app: FastAPI, web_site: Site) -> None:
    client, csrf = login(app, "dm")
    old_cookie = client.cookies["cairo6_session"]
    answer = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    replay = TestClient(app, cookies={"cairo6_session": old_cookie})
    assert replay.get("/api/session").status_code == 401
    events = _events(web_site.trial.db, "login", "logout")
    assert [(e.action, e.username) for e in events] == [("login", "dm"), ("logout", "dm")]


def test_lockout_after_repeated_failures_and_the_audit_of_each(
    app: FastAPI, web_site: Site
) -> None:
    db = web_site.trial.db
    client = TestClient(app)
    for _ in range(4):
        assert _sign_in(client, "inv1", "wrong password") == 401
    token = _pre_token(client)
    fifth = client.post(
        "/login", data={"csrf_token": token, "username": "inv1", "password": "wrong password"}
    )
    assert fifth.status_code == 401
    assert "locked after 5 failed attempts" in fifth.text
    with db.read() as session:
        pair = session.get_one(LoginThrottle, pair_key("inv1", "testclient"))
    assert pair.locked_until is not None
    assert pair.failures == 5
    assert _sign_in(client, "inv1", PASSWORD) == 401  # the right password, yet locked
    assert _sign_in(client, "nobody", PASSWORD) == 401
    failures = _events(db, "login_failed")
    reasons = [json.loads(e.changes) for e in failures]
    assert [r.get("failures") for r in reasons[:5]] == [1, 2, 3, 4, 5]
    assert "locked_until" in reasons[4]
    assert reasons[5]["why"] == "account locked"
    assert (failures[6].username, reasons[6]["why"]) == ("nobody", "unknown or inactive account")
    with db.engine.begin() as conn:
        past = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
        conn.execute(update(LoginThrottle).values(locked_until=past))
    assert _sign_in(client, "inv1", PASSWORD) == 303
    assert [e.username for e in _events(db, "login")] == ["inv1"]
    assert verify_trail(db).ok


def test_an_administrator_can_unlock_by_setting_a_password(app: FastAPI) -> None:
    client = TestClient(app)
    for _ in range(5):
        _sign_in(client, "monitor", "wrong password")
    boss, csrf = login(app, "admin")
    boss.post(
        "/admin/users/monitor/password",
        data={"csrf_token": csrf, "password": "a fresh password"},
        follow_redirects=False,
    )
    assert _sign_in(client, "monitor", "a fresh password") == 303


def test_first_run_creates_the_administrator_once(db: Database, cairo6: Protocol) -> None:
    trial = initialise(db, cairo6, default_protocol_text())
    admin.bootstrap_admin(trial, "boss")  # `cairo6 db init --admin boss`, no password yet
    app = create_app(db)
    client = TestClient(app)
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert client.get("/login", follow_redirects=False).headers["location"] == "/setup"
    token = _pre_token(client, "/setup")
    mismatch = {"csrf_token": token, "username": "boss", "password": "long enough pw"}
    answer = client.post("/setup", data={**mismatch, "password2": "different"})
    assert answer.status_code == 422
    assert "same password twice" in answer.text
    answer = client.post(
        "/setup", data={**mismatch, "password2": "long enough pw"}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert client.get("/setup").status_code == 404
    again = client.post(
        "/setup",
        data={"csrf_token": token, "username": "eve", "password": "x" * 12, "password2": "x" * 12},
        follow_redirects=False,
    )
    assert again.headers["location"] == "/login"
    with trial.db.read() as session:
        boss = actor_for(session, "boss")
    assert [u.username for u in admin.list_users(trial, boss)] == ["boss"]
    assert _sign_in(client, "boss", "long enough pw") == 303
    with pytest.raises(StateError, match="already set up"):
        web_support.first_admin(trial, "eve", "", "hash")


def test_an_internal_error_shows_a_generic_page(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = login(app, "dm")

    def broken(*_args: object) -> None:
        raise RuntimeError('SELECT secret FROM app_user; File "/srv/cairo6/secret.py", line 1')

    monkeypatch.setattr(web_support, "accrual", broken)
    for path in ("/", "/api/dashboard"):
        answer = client.get(path)
        assert answer.status_code == 500
        for leak in ("SELECT", "secret", "Traceback", "/srv", "RuntimeError", "line 1"):
            assert leak not in answer.text
        assert "reference" in answer.text


def test_unknown_addresses_and_unavailable_databases_stay_generic(
    app: FastAPI, tmp_path: Path
) -> None:
    client, _ = login(app, "dm")
    answer = client.get("/no/such/page")
    assert answer.status_code == 404
    assert "There is no page at this address" in answer.text
    assert client.get("/api/nothing").json()["error"] == "Not found"
    empty = create_app(f"{tmp_path}/not-a-trial.db")
    answer = TestClient(empty).get("/login")
    assert answer.status_code == 503
    assert "not-a-trial" not in answer.text
    assert "sqlite" not in answer.text


def test_security_headers_and_no_open_redirect(app: FastAPI) -> None:
    client = TestClient(app)
    page = client.get("/login?next=//evil.example/x")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    answer = client.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "username": "inv1",
            "password": PASSWORD,
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_nul_characters_and_huge_bodies_are_refused(app: FastAPI) -> None:
    client, csrf = login(app, "dm")
    body = {
        "centre": "C01",
        "screened_on": "2018-02-01",
        "approached": True,
        "not_approached_reason": "a\u0000b",
    }
    answer = client.post("/api/screening", json=body, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 400
    big = client.post("/api/screening", content=b"x" * 2_000_000, headers={"X-CSRF-Token": csrf})
    assert big.status_code == 413


def test_user_password_command_sets_a_hidden_password_twice(web_site: Site) -> None:
    app = typer.Typer()
    app.command()(user_password_command)
    result = CliRunner().invoke(
        app,
        ["stat", "--db", web_site.trial.db.url, "--user", "admin"],
        input="new stat password\nnew stat password\n",
    )
    assert result.exit_code == 0, result.output
    assert "new stat password" not in result.output
    client = TestClient(create_app(web_site.trial.db))
    assert _sign_in(client, "stat", "new stat password") == 303
