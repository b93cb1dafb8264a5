"""Against a real server process: the lockout cannot be raced, and X-Forwarded-For is believed
only from the proxies the settings name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import httpx
import pytest
from sqlalchemy import select

from cairo6.store.schema import AuditRecord
from tests.service.conftest import Site
from tests.web.conftest import PASSWORD
from tests.web.test_workers import SERVE, free_port, stop, wait_until_up


def _serve(site: Site, tmp_path: Path, **env: str) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, "--database-url", site.trial.db.url, "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(base, proc, log)
        yield base
    finally:
        stop(proc)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_forty_parallel_logins_cannot_race_the_lockout(web_site: Site, tmp_path: Path) -> None:
    attempts = ["wrong password"] * 39
    attempts.insert(20, PASSWORD)
    start = Barrier(len(attempts))

    def attempt(password: str) -> int:
        with httpx.Client(base_url=base, timeout=120) as client:
            start.wait()
            body = {"username": "inv1", "password": password}
            return client.post("/api/login", json=body).status_code

    for base in _serve(web_site, tmp_path, CAIRO6_LOGIN_RATE_PER_MINUTE="1000"):
        with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
            codes = list(pool.map(attempt, attempts))
        assert codes == [401] * 40, codes  # the right password too: the account is locked
        later = httpx.post(f"{base}/api/login", json={"username": "inv1", "password": PASSWORD})
        assert later.status_code == 401
    with web_site.trial.db.read() as session:
        failed = [
            json.loads(c)
            for c in session.scalars(
                select(AuditRecord.changes).where(AuditRecord.action == "login_failed")
            )
        ]
    checked = [f for f in failed if "why" not in f]  # refused after checking the password
    assert len(failed) == 41
    assert len(checked) <= 5, checked


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_forwarded_for_is_believed_only_from_named_proxies(
    web_site: Site, tmp_path: Path, trusted: str
) -> None:
    for base in _serve(web_site, tmp_path, CAIRO6_TRUSTED_PROXIES=trusted):
        answer = httpx.post(
            f"{base}/api/login",
            json={"username": "dm", "password": PASSWORD},
            headers={"X-Forwarded-For": "192.0.2.44"},
        )
        assert answer.status_code == 200
    with web_site.trial.db.read() as session:
        login = session.scalars(select(AuditRecord).where(AuditRecord.action == "login")).one()
    client = json.loads(login.changes)["client"]
    assert client == ("192.0.2.44" if trusted else "127.0.0.1")
