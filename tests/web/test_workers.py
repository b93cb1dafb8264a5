"""`cairo6 serve --workers 2` on PostgreSQL: a session opened on one worker works on the other.

The server is started as a real process on loopback with the command's own code; requests go
over fresh connections until both workers have answered, reads and CSRF-checked writes alike.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import Site

SERVE = "import typer; from cairo6.cli.web import serve_command; typer.run(serve_command)"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll the sign-in page until the server answers (or fail with its log)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {log.read_text()}")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code in (200, 303):
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"server did not start: {log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers (a process group this test started)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_workers_serve_one_session(web_site: Site, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = {**os.environ, "CAIRO6_WEB_WORKER_HEADER": "1"}
    args = ["--database-url", web_site.trial.db.url, "--port", str(port), "--workers", "2"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(base, proc, log)
        signed = httpx.post(
            f"{base}/api/login", json={"username": "inv1", "password": "a long test password"}
        )
        assert signed.status_code == 200, signed.text
        cookies = {"cairo6_session": signed.cookies["cairo6_session"]}
        headers = {"X-CSRF-Token": signed.json()["csrf_token"]}

        def read(_: int) -> tuple[int, str, str]:
            # A new client is a new connection, which either worker may accept.
            with httpx.Client(base_url=base, cookies=cookies) as client:
                answer = client.get("/api/session")
                return (
                    answer.status_code,
                    answer.json().get("username", ""),
                    answer.headers["x-cairo6-worker"],
                )

        def write(i: int) -> tuple[int, str]:
            body = {
                "centre": "C01",
                "screened_on": "2018-02-01",
                "approached": False,
                "not_approached_reason": f"load {i}",
            }
            with httpx.Client(base_url=base, cookies=cookies, headers=headers) as client:
                answer = client.post("/api/screening", json=body)
                return answer.status_code, answer.headers["x-cairo6-worker"]

        reads: list[tuple[int, str, str]] = []
        writes: list[tuple[int, str]] = []
        with ThreadPoolExecutor(max_workers=8) as pool:
            # Which worker accepts a connection is the kernel's choice: ask until both have.
            for batch in range(10):
                reads += pool.map(read, range(32))
                writes += pool.map(write, range(batch * 16, batch * 16 + 16))
                if len({w for *_, w in reads}) == 2 and len({w for _, w in writes}) == 2:
                    break
        assert {(status, user) for status, user, _ in reads} == {(200, "inv1")}
        assert {status for status, _ in writes} == {201}
        assert len({worker for *_, worker in reads}) == 2, reads
        assert len({worker for _, worker in writes}) == 2, writes
        numbers = httpx.get(f"{base}/api/screening", cookies=cookies).json()
        assert len({row["number"] for row in numbers}) == len(writes)  # none handed out twice
    finally:
        stop(proc)
