"""Accounts under attack: password audit, own-password changes, policy, usernames, throttling."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cairo6.errors import InvalidValueError, StateError
from cairo6.service import admin, passwords, web_support
from cairo6.store.schema import AuditRecord
from cairo6.web import create_app
from cairo6.web.settings import WebSettings
from tests.service.conftest import Site
from tests.web.conftest import PASSWORD, login
from tests.web.test_security import _events, _sign_in

NEW = "correct horse battery staple"


def test_password_changes_and_resets_are_audited_without_the_hash(
    app: FastAPI, web_site: Site
) -> None:
    boss, csrf = login(app, "admin")
    reset = boss.post("/admin/users/monitor/password", data={"csrf_token": csrf, "password": NEW})
    assert reset.status_code == 200
    own, own_csrf = login(app, "inv1")
    changed = own.post(
        "/account/password",
        data={"csrf_token": own_csrf, "current": PASSWORD, "password": NEW, "password2": NEW},
    )
    assert changed.status_code == 200
    records = _events(web_site.trial.db, "password_reset", "password_change")[-2:]
    assert [(r.action, r.username, json.loads(r.changes)["account"][1]) for r in records] == [
        ("password_reset", "admin", "monitor"),
        ("password_change", "inv1", "inv1"),
    ]
    everything = " ".join(r.changes for r in _events(web_site.trial.db, *_all_actions(web_site)))
    assert "$argon2" not in everything


def _all_actions(site: Site) -> list[str]:
    with site.trial.db.read() as session:
        return list(session.scalars(select(AuditRecord.action).distinct()))


def test_own_password_needs_the_current_one_on_every_route(app: FastAPI, web_site: Site) -> None:
    boss, csrf = login(app, "admin")
    answer = boss.post("/admin/users/admin/password", data={"csrf_token": csrf, "password": NEW})
    assert answer.status_code == 422
    assert _sign_in(TestClient(app), "admin", NEW) == 401
    answer = boss.post(
        "/admin/users/admin/password",
        data={"csrf_token": csrf, "password": NEW, "current": PASSWORD},
    )
    assert answer.status_code == 200
    assert _sign_in(TestClient(app), "admin", NEW) == 303
    with pytest.raises(InvalidValueError, match="current"):
        web_support.set_password(web_site.trial, web_site.dm, "dm", "x", current_password="wrong")


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaa", "1234567890", "password12", "aaaaaaaaaaaa", "password1234", "Qwertyuiop12"],
)
def test_short_common_and_breached_passwords_are_refused(password: str) -> None:
    with pytest.raises(InvalidValueError, match="password"):
        passwords.check_password_rules(password, "someone")


def test_a_long_uncommon_password_is_accepted() -> None:
    passwords.check_password_rules(NEW, "someone")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_usernames_are_normalised_and_look_alikes_refused(web_site: Site) -> None:
    trial, boss = web_site.trial, web_site.admin
    for clash in ("\u0430dmin", "DM", "\uff44\uff4d", "Inv1"):
        with pytest.raises(StateError, match="already exists or looks like"):
            admin.add_user(trial, boss, clash, "monitor")
    created = admin.add_user(trial, boss, "Nurse.Two", "monitor")
    assert created.username == "nurse.two"
    app = create_app(trial.db, WebSettings())
    assert _sign_in(TestClient(app), "DM", PASSWORD) == 303  # the same account as dm


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_refusal_costs_one_password_check(web_site: Site) -> None:
    app = create_app(web_site.trial.db, WebSettings())
    client = TestClient(app)
    for _ in range(5):
        _sign_in(client, "inv1", "wrong password")  # inv1 is now locked for this client
    for username in ("inv1", "nobody-at-all", "dm"):
        before = passwords.hashes_done()
        assert _sign_in(client, username, "wrong password") == 401
        assert passwords.hashes_done() - before == 1, username


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_locking_others_out_costs_the_attacker_more_than_the_victim(web_site: Site) -> None:
    settings = WebSettings(max_failed_logins_per_client=8)
    app = create_app(web_site.trial.db, settings)
    attacker = TestClient(app, client=("203.0.113.9", 5000))
    victim = TestClient(app, client=("198.51.100.7", 5000))
    for _ in range(6):
        assert _sign_in(attacker, "inv1", "wrong password") == 401
    assert _sign_in(victim, "inv1", PASSWORD) == 303  # locked for the attacker only
    for _ in range(3):
        _sign_in(attacker, "dm", "wrong password")
    assert _sign_in(attacker, "stat", PASSWORD) == 401  # the attacker's address is shut out
    assert _sign_in(TestClient(app, client=("198.51.100.7", 5000)), "stat", PASSWORD) == 303


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sign_in_attempts_are_rate_limited_per_client(web_site: Site) -> None:
    app = create_app(web_site.trial.db, WebSettings(login_rate_per_minute=3))
    client = TestClient(app, client=("203.0.113.10", 5000))
    codes = [
        client.post("/api/login", json={"username": "x", "password": "y" * 12}).status_code
        for _ in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429]
    other = TestClient(app, client=("203.0.113.11", 5000))
    assert (
        other.post("/api/login", json={"username": "dm", "password": PASSWORD}).status_code == 200
    )


def test_password_hashing_is_bounded_however_many_ask_at_once() -> None:
    passwords.set_concurrency(2)
    try:
        passwords.hashing_peak(reset=True)
        with ThreadPoolExecutor(max_workers=12) as pool:
            results = list(pool.map(lambda _: passwords.verify_password(None, NEW), range(12)))
        assert results == [False] * 12
        assert passwords.hashing_peak() == 2
    finally:
        passwords.set_concurrency(passwords.DEFAULT_SLOTS)
