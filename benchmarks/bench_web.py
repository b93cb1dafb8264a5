"""Web speed: randomise and form-save requests from 32 concurrent users over loopback.

Configuration: the CAIRO6 protocol, four centres, 32 investigators (eight per centre), each
with patients screened and assessed beforehand. The server is `cairo6 serve --workers 2`
(uvicorn, JSON API, sessions in the database) as a separate process on 127.0.0.1; the load comes
from one asyncio process with one httpx client (one keep-alive connection) per user. All 32
users sign in and are released together; each then randomises its patients one after another
and records a toxicity form for every new participant. Three runs per backend:

* one user: a single investigator with no think time randomises the patients of its centre one
  after another (8 users' worth), recording the form after each. This is the throughput the
  system gives one client, the baseline of the saturated run (its throughput must hold at
  >= 0.8 x this, as the randomisation benchmark asks of 16 clients).

* saturated: no think time, so 32 requests are always in flight and every write queues for the
  trial's single write lock (randomisation reads the whole allocation history and extends the
  audit chain under it). Latency here is mostly queueing: by Little's law the mean is 32 divided
  by the throughput, so this run measures capacity.
* paced: each user pauses 0.5-1.5 s (seeded) before each request, like people at a keyboard;
  32 concurrent users then offer about 32 requests a second. This is the latency users see.

Measured on SQLite (a temporary file, WAL) and on PostgreSQL (a pgserver in a temporary
directory), each from an empty trial. Latency is what a user waits for an answer; throughput is
requests over the time from release to the last user's finish. Every answer must be a 2xx and
every allocation unique (sequence numbers 1..n without gaps, one participant per answer).
Target: p99 <= 100 ms. Bounded in time: a user stops starting requests after TIME_LIMIT seconds
of a run. Run: `python benchmarks/bench_web.py` (about 2 minutes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from cairo6.protocol import default_protocol, default_protocol_text
from cairo6.service import admin, enrolment
from cairo6.service.setup import initialise
from cairo6.service.trial import actor_for
from cairo6.store.engine import Database
from cairo6.store.schema import FormRecord, Participant, Randomisation
from cairo6.studies.cairo6.examples import ELIGIBLE_CHECKLIST
from cairo6.web.auth import hash_password

CENTRES = ("C01", "C02", "C03", "C04")
USERS = 32
PER_USER = 8
WORKERS = 2
TIME_LIMIT = 40.0
THINK = (0.5, 1.5)
TARGET_P99_MS = 100.0
PASSWORD = "benchmark password"
SEED = 20240601
SCREENED_ON = dt.date(2018, 1, 10)
ENROLLED_ON = "2018-01-20"
SERVE = "import typer; from cairo6.cli.web import serve_command; typer.run(serve_command)"
# Every criterion met; the minimisation factors are drawn per patient in `_record`.
ELIGIBLE: dict[str, Any] = dict(ELIGIBLE_CHECKLIST)


def _record(rng: random.Random) -> dict[str, Any]:
    return {
        **ELIGIBLE,
        "pci_at_staging": rng.randint(0, 20),
        "onset": rng.choice(["synchronous", "metachronous"]),
        "planned_hipec": rng.choice(["mitomycin_c", "oxaliplatin"]),
    }


def prepare(db: Database) -> dict[str, list[str]]:
    """A fresh trial: centres, 32 investigators with passwords, screened and assessed patients."""
    trial = initialise(db, default_protocol(), default_protocol_text())
    admin.bootstrap_admin(trial, "admin")
    with db.read() as session:
        boss = actor_for(session, "admin")
    hashed = hash_password(PASSWORD, "nobody")  # one slow hash, shared by every test account
    users: dict[str, str] = {}
    for code in CENTRES:
        admin.add_centre(trial, boss, code, f"Centre {code}", dt.date(2017, 6, 1))
    for i in range(USERS):  # investigators spread over the centres
        name, code = f"inv{i:02d}", CENTRES[i % len(CENTRES)]
        admin.add_user(trial, boss, name, "investigator", centre_code=code, password_hash=hashed)
        users[name] = code
    admin.add_user(trial, boss, "dm", "data_manager")
    with db.read() as session:
        dm = actor_for(session, "dm")
    rng = random.Random(SEED)
    numbers: dict[str, list[str]] = {name: [] for name in users}
    screening = {"screened_on": SCREENED_ON, "approached": True, "refused": False}
    with db.write(dm) as session:
        # A third each for the one-user, saturated and paced runs.
        for _ in range(3 * PER_USER):
            for name, code in users.items():
                number = enrolment.add_screening_in(session, dm, code, screening)
                enrolment.assess_eligibility_in(
                    session, trial, dm, number, _record(rng), SCREENED_ON
                )
                numbers[name].append(number)
    db.dispose()
    return numbers


@dataclass
class Results:
    """What the users saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {"randomise": [], "form": []})
    errors: list[str] = field(default_factory=list)
    study_numbers: list[str] = field(default_factory=list)


@dataclass
class Gate:
    """Holds the users until all have signed in, then lets them go together."""

    start: asyncio.Event = field(default_factory=asyncio.Event)
    ready: int = 0
    stop_at: float = float("inf")


async def one_user(
    base: str, name: str, numbers: list[str], gate: Gate, out: Results, think: bool
) -> None:
    """Sign in, wait for the others, then randomise and record a form per patient."""
    rng = random.Random(f"{SEED}-{name}")

    async def pause() -> None:
        if think:
            await asyncio.sleep(rng.uniform(*THINK))

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        signed = await client.post("/api/login", json={"username": name, "password": PASSWORD})
        gate.ready += 1
        if signed.status_code != 200:
            out.errors.append(f"{name} sign-in: {signed.status_code}")
            return
        headers = {"X-CSRF-Token": signed.json()["csrf_token"]}
        await gate.start.wait()
        for number in numbers:
            if time.perf_counter() > gate.stop_at:
                return
            await pause()
            began = time.perf_counter()
            answer = await client.post(
                f"/api/screening/{number}/randomise",
                # Past the phase 2 accrual target of 80: the benchmark randomises 768 patients.
                json={"enrolled_on": ENROLLED_ON, "past_target": True},
                headers=headers,
            )
            out.latencies["randomise"].append(time.perf_counter() - began)
            if answer.status_code != 201:
                out.errors.append(f"randomise {number}: {answer.status_code} {answer.text[:200]}")
                continue
            study = answer.json()["study_number"]
            out.study_numbers.append(study)
            await pause()
            began = time.perf_counter()
            answer = await client.post(
                f"/api/participants/{study}/records/toxicity",
                json={
                    "term": "Neuropathy",
                    "ctcae_term": "Peripheral sensory neuropathy",
                    "grade": 2,
                    "phase": "neoadjuvant",
                },
                headers=headers,
            )
            out.latencies["form"].append(time.perf_counter() - began)
            if answer.status_code != 200:
                out.errors.append(f"form {study}: {answer.status_code} {answer.text[:200]}")


async def load(
    base: str, numbers: dict[str, list[str]], out: Results, think: bool
) -> tuple[Results, float]:
    """All users at once; returns what they saw and the wall time after release."""
    gate = Gate()
    tasks = [
        asyncio.create_task(one_user(base, name, mine, gate, out, think))
        for name, mine in numbers.items()
    ]
    while gate.ready < len(tasks):
        await asyncio.sleep(0.05)
    began = time.perf_counter()
    gate.stop_at = began + TIME_LIMIT
    gate.start.set()
    await asyncio.gather(*tasks)
    return out, time.perf_counter() - began


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(url: str, log: Path) -> Iterator[str]:
    """`cairo6 serve` on a loopback port, stopped (with its workers) afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["--database-url", url, "--port", str(port), "--workers", str(WORKERS)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, *args],
            # All 32 simulated users sign in from one loopback address within a minute, and
            # at once: an attempt counts against the address until its password is checked,
            # so 32 in flight would pass the per-address limit of 30 (real users have their
            # own addresses).
            env={
                **os.environ,
                "CAIRO6_LOGIN_RATE_PER_MINUTE": "1000",
                "CAIRO6_LOGIN_MAX_FAILURES_PER_CLIENT": "1000",
            },
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code in (200, 303):
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def check_allocations(url: str, results: Results) -> list[str]:
    """No duplicate or missing allocations, one form per participant."""
    db = Database(url)
    problems = []
    with db.read() as session:
        people = session.scalar(select(func.count()).select_from(Participant)) or 0
        sequences = session.scalars(select(Randomisation.sequence_number)).all()
        forms = (
            session.scalar(
                select(func.count()).select_from(FormRecord).where(FormRecord.form == "toxicity")
            )
            or 0
        )
    db.dispose()
    if len(set(results.study_numbers)) != len(results.study_numbers):
        problems.append("a study number was handed out twice")
    if people != len(results.study_numbers):
        problems.append(f"{people} participants stored, {len(results.study_numbers)} answered")
    if sorted(sequences) != list(range(1, len(sequences) + 1)):
        problems.append("allocation sequence numbers have gaps or duplicates")
    if forms != len(results.latencies["form"]):
        problems.append(f"{forms} forms stored, {len(results.latencies['form'])} sent")
    return problems


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Row:
    """One backend's figures."""

    backend: str
    run: str
    kind: str
    latencies: list[float]
    seconds: float

    def line(self) -> str:
        """The row as printed."""
        n = len(self.latencies)
        p99 = _ms(self.latencies, 0.99)
        verdict = "met" if p99 <= TARGET_P99_MS else "NOT met"
        return (
            f"{self.backend:<11}{self.run:<11}{self.kind:<11}{n:>6}{_ms(self.latencies, 0.5):>9.1f}"
            f"{p99:>9.1f}{1000 * max(self.latencies):>9.1f}"
            f"{1000 * statistics.fmean(self.latencies):>9.1f}{n / self.seconds:>9.1f}  {verdict}"
        )


def _one_user(numbers: dict[str, list[str]]) -> dict[str, list[str]]:
    """The first user alone, given the patients of every user of its centre."""
    first = next(iter(numbers))
    mine = [
        n for i, patients in enumerate(numbers.values()) if i % len(CENTRES) == 0 for n in patients
    ]
    return {first: mine}


def measure(backend: str, url: str, tmp: Path) -> tuple[list[Row], list[str]]:
    """Prepare a trial, serve it, load it saturated and then paced, check it."""
    numbers = prepare(Database(url))
    rows: list[Row] = []
    seen = Results()  # both runs, for the allocation check
    problems: list[str] = []
    with serving(url, tmp / f"{backend}.log") as base:
        for run, think, part in (
            ("one user", False, slice(0, PER_USER)),
            ("saturated", False, slice(PER_USER, 2 * PER_USER)),
            ("paced", True, slice(2 * PER_USER, 3 * PER_USER)),
        ):
            out = Results()
            users = {k: v[part] for k, v in numbers.items()}
            if run == "one user":
                users = _one_user(users)
            _, seconds = asyncio.run(load(base, users, out, think))
            problems += [f"{run}: {e}" for e in out.errors[:5]]
            seen.study_numbers += out.study_numbers
            for kind in ("randomise", "form"):
                seen.latencies[kind] += out.latencies[kind]
            both = out.latencies["randomise"] + out.latencies["form"]
            rows += [
                Row(backend, run, "randomise", out.latencies["randomise"], seconds),
                Row(backend, run, "form save", out.latencies["form"], seconds),
                Row(backend, run, "both", both, seconds),
            ]
    return rows, problems + check_allocations(url, seen)


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server from the pgserver wheel."""
    # pgserver asks platformdirs for a runtime directory, which warns when none is set.
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.mkdtemp(prefix="cairo6-xdg-"))
    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="cairo6-pg-"), cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


def _fresh_postgres(server_url: str, name: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from cairo6.store.engine import database_url

    engine = create_engine(database_url(server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return (
        make_url(database_url(server_url)).set(database=name).render_as_string(hide_password=False)
    )


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def main() -> int:
    """Run both backends and print the table; non-zero if any request failed or allocations
    are not unique (a missed latency target is reported, not failed)."""
    rows: list[Row] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cairo6-bench-web-") as tmp:
        _progress("SQLite")
        found, trouble = measure("SQLite", str(Path(tmp) / "trial.db"), Path(tmp))
        rows += found
        problems += [f"SQLite: {p}" for p in trouble]
        with postgres() as server:
            _progress("PostgreSQL")
            found, trouble = measure("PostgreSQL", _fresh_postgres(server, "bench_web"), Path(tmp))
            rows += found
            problems += [f"PostgreSQL: {p}" for p in trouble]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"Settings: {os.cpu_count()} CPUs (load average {load} at the end), Python "
        f"{platform.python_version()}; `cairo6 serve "
        f"--workers {WORKERS}` on 127.0.0.1, JSON API; {USERS} users (httpx, one connection "
        f"each) released together, {PER_USER} patients each per run: randomise, then record "
        f"a toxicity form; one user = inv00 alone with its centre's {USERS // len(CENTRES)} "
        f"users' patients, no think time; saturated = no think time, "
        f"paced = {THINK[0]:g}-{THINK[1]:g} s before each request; "
        f"at most {TIME_LIMIT:g} s per run."
    )
    print(
        f"{'backend':<11}{'run':<11}{'requests':<11}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'mean ms':>9}{'req/s':>9}  p99 <= {TARGET_P99_MS:g} ms"
    )
    for row in rows:
        print(row.line())
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("errors: none; allocations unique" if not problems else "FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
