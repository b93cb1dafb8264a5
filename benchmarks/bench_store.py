"""Trial-record speed: randomisation latency and throughput, and the import rate.

Configuration: the CAIRO6 protocol (minimisation over four two-level factors), four centres, 400
patients screened and assessed beforehand so that only `enrolment.randomise` is timed: one
transaction that takes the write lock, reads the allocation history, allocates, and writes the
Participant, the Randomisation and their two audit records. Each setting starts from a fresh,
empty trial, on SQLite (a temporary file, WAL) and on PostgreSQL (a pgserver in a temporary
directory):

* 1 client randomising the 400 patients one after another;
* 16 clients, each a spawned process with its own `Database` (the realistic multi-user case: one
  process per user or per web worker), released together by a barrier, 25 patients each, no
  think time (the worst case). Latency is what a client waits for `randomise` to return, queueing
  for the write lock included; throughput is allocations over the time from release to the last
  client's finish. Percentiles are nearest-rank.

Every client (the single one too) makes its first randomisation before the release, timed
apart: a cold process compiles its statements, reads the definition and, on PostgreSQL, starts
a server backend, which a serving web worker has done long before. The figures are those of the
other 399 allocations; the cold calls are printed on their own line.

Target (issue 14): with 16 clients, throughput >= 0.8 x one client's and p99 <= 250 ms, on
both backends; `make bench` (run.py) prints the verdict. Import rate: `import_directory` of a
100,000-row screening.csv (plus centre.csv) on SQLite, end to end, and of every file of a
SYNTHETIC trial of FORM_PARTICIPANTS participants (the study forms). No pass/fail: the figures
are printed. Run: `python benchmarks/bench_store.py` (about 3 minutes on 2 cores; `--help` for
one backend only or no import).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import multiprocessing as mp
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cairo6.protocol import default_protocol, default_protocol_text
from cairo6.service import admin, enrolment
from cairo6.service.exchange import import_directory
from cairo6.service.setup import initialise, open_trial
from cairo6.service.trial import Trial, actor_for
from cairo6.store.audit import Actor
from cairo6.store.engine import Database, database_url
from cairo6.studies.cairo6.examples import ELIGIBLE_CHECKLIST

CENTRES = ("C01", "C02", "C03", "C04")
PATIENTS = 400
CLIENTS = 16
IMPORT_ROWS = 100_000
FORM_PARTICIPANTS = 400
"""SYNTHETIC participants of the study-form import (about 10,000 rows)."""
SCREENING_HEADER = (
    "screening_number",
    "centre",
    "screened_on",
    "approached",
    "not_approached_reason",
    "refused",
    "refusal_reason",
)
TARGET_P99_MS = 250.0
SEED = 20240601
SCREENED_ON = dt.date(2018, 1, 10)
ENROLLED_ON = dt.date(2018, 1, 20)

# Every criterion met; the minimisation factors are drawn per patient in `_record`.
ELIGIBLE: dict[str, Any] = dict(ELIGIBLE_CHECKLIST)


def _record(rng: random.Random) -> dict[str, Any]:
    record = {
        **ELIGIBLE,
        "pci_at_staging": rng.randint(0, 20),
        "onset": rng.choice(["synchronous", "metachronous"]),
        "planned_hipec": rng.choice(["mitomycin_c", "oxaliplatin"]),
    }
    if rng.random() < 0.4:
        record["previous_systemic_therapy"] = True
        record["months_since_systemic_therapy"] = rng.choice([6, 12, 24])
    return record


def _setup(db: Database) -> tuple[Trial, Actor, dict[str, Actor]]:
    trial = initialise(db, default_protocol(), default_protocol_text())
    admin.bootstrap_admin(trial, "admin")
    with db.read() as session:
        boss = actor_for(session, "admin")
    for code in CENTRES:
        admin.add_centre(trial, boss, code, f"Centre {code}", dt.date(2017, 6, 1))
        admin.add_user(trial, boss, f"inv_{code}", "investigator", centre_code=code)
    admin.add_user(trial, boss, "dm", "data_manager")
    with db.read() as session:
        investigators = {code: actor_for(session, f"inv_{code}") for code in CENTRES}
        return trial, actor_for(session, "dm"), investigators


def _prepare(trial: Trial, dm: Actor, count: int, rng: random.Random) -> dict[str, list[str]]:
    numbers: dict[str, list[str]] = {code: [] for code in CENTRES}
    screening = {"screened_on": SCREENED_ON, "approached": True, "refused": False}
    with trial.db.write(dm) as session:
        for i in range(count):
            code = CENTRES[i % len(CENTRES)]
            number = enrolment.add_screening_in(session, dm, code, screening)
            enrolment.assess_eligibility_in(session, trial, dm, number, _record(rng), SCREENED_ON)
            numbers[code].append(number)
    return numbers


def _randomise_timed(trial: Trial, actors: dict[str, Actor], numbers: Sequence[str]) -> list[float]:
    latencies = []
    for number in numbers:
        actor = actors[number.split("-", 1)[0]]  # the investigator of the patient's centre
        began = time.perf_counter()
        enrolment.randomise(trial, actor, number, ENROLLED_ON, past_target=True)
        latencies.append(time.perf_counter() - began)
    return latencies


def client(
    url: str, actors: dict[str, Actor], numbers: Sequence[str], start: Any, out: Any
) -> None:
    """One spawned client: connect, randomise its first patient (the cold call, timed apart),
    wait for the others, randomise the rest."""
    db = Database(url)
    try:
        trial = open_trial(db)
        first = _randomise_timed(trial, actors, numbers[:1])
        start.wait(timeout=300)
        out.put((first, _randomise_timed(trial, actors, numbers[1:])))
    except Exception as exc:
        # Reported rather than left to the parent's timeout: a failed client voids the figures.
        out.put(f"client failed: {exc!r}")
        raise
    finally:
        db.dispose()


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Row:
    """One measured setting."""

    backend: str
    clients: int
    latencies: list[float]
    seconds: float
    first_calls: list[float]
    """Each client's first call: a cold process (statements compiled, definition read)."""

    def ms(self, q: float, part: slice = slice(None)) -> float:
        """The q-quantile of (part of) the latencies, in milliseconds."""
        return 1000 * _percentile(self.latencies[part], q)

    def cold(self) -> str:
        """What the first call of each client (made before the release) costs."""
        return (
            f"{self.backend}, {self.clients} client(s): first call of each client (cold process, "
            f"before the release, not in the figures above) median "
            f"{1000 * _percentile(self.first_calls, 0.5):.0f} ms, max "
            f"{1000 * max(self.first_calls):.0f} ms"
        )

    def line(self) -> str:
        """The row as printed."""
        verdict = ""
        if self.clients > 1:
            verdict = "met" if self.ms(0.99) <= TARGET_P99_MS else "NOT met"
        return (
            f"{self.backend:<11}{self.clients:>8}{len(self.latencies):>6}"
            f"{self.ms(0.5):>9.1f}{self.ms(0.99):>9.1f}{self.ms(1.0):>9.1f}"
            f"{len(self.latencies) / self.seconds:>10.1f}  {verdict}"
        )


def randomisation(backend: str, url: str, clients: int) -> Row:
    """Randomise `PATIENTS` patients of a fresh trial with `clients` clients (1: this process;
    more: spawned processes, released together)."""
    db = Database(url)
    trial, dm, actors = _setup(db)
    per_centre = _prepare(trial, dm, PATIENTS, random.Random(SEED))
    # Interleaved, so that every client randomises patients of all four centres.
    numbers = [n for group in zip(*per_centre.values(), strict=True) for n in group]
    # Each client's first call is a cold process's (statements compiled, the definition read,
    # on PostgreSQL a new server backend): it is made before the clients are released and
    # timed apart, so that the run measures what a serving web worker does under contention,
    # and the cold start is reported on its own line.
    if clients == 1:
        first_calls = _randomise_timed(trial, actors, numbers[:1])
        began = time.perf_counter()
        latencies = _randomise_timed(trial, actors, numbers[1:])
        seconds = time.perf_counter() - began
    else:
        ctx = mp.get_context("spawn")
        start = ctx.Barrier(clients + 1)
        out = ctx.Queue()
        procs = [
            ctx.Process(target=client, args=(db.url, actors, numbers[i::clients], start, out))
            for i in range(clients)
        ]
        for proc in procs:
            proc.start()
        start.wait(timeout=300)
        began = time.perf_counter()
        reports = [out.get(timeout=600) for _ in procs]
        seconds = time.perf_counter() - began
        failed = [r for r in reports if isinstance(r, str)]
        if failed:
            raise RuntimeError(failed[0])
        latencies = [x for _, timed in reports for x in timed]
        first_calls = [x for first, _ in reports for x in first]
        for proc in procs:
            proc.join(timeout=60)
    db.dispose()
    return Row(backend, clients, latencies, seconds, first_calls)


def _fresh_postgres(server_url: str) -> str:
    """A new, empty database on the server, so that each run starts from an empty trial."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(database_url(server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(database_url(server_url)).set(database=name).render_as_string(False)


def _write_import(directory: Path) -> int:
    """An exchange directory: two new centres and `IMPORT_ROWS` screening-log rows over them,
    a third each not approached, refusing and consenting; returns the rows in it."""
    directory.mkdir()
    centres = ("C05", "C06")
    with (directory / "centre.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "started_recruiting"])
        writer.writerows([code, f"Centre {code}", "2019-01-01"] for code in centres)
    kinds = (
        ["false", "unknown", "", ""],
        ["true", "", "true", "logistical"],
        ["true", "", "false", ""],
    )
    with (directory / "screening.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(SCREENING_HEADER)
        for i in range(IMPORT_ROWS):
            code = centres[i % len(centres)]
            writer.writerow([f"{code}-I{i:06d}", code, "2019-02-01", *kinds[i % len(kinds)]])
    return len(centres) + IMPORT_ROWS


def import_rate(tmp: Path) -> tuple[int, float]:
    """Rows and seconds for `import_directory` of the directory on SQLite, end to end (read,
    check every row, write the screening log in bulk with its audit records, commit)."""
    db = Database(tmp / "import.db")
    trial, dm, _ = _setup(db)
    directory = tmp / "import"
    rows = _write_import(directory)
    began = time.perf_counter()
    summary = import_directory(trial, dm, directory)
    seconds = time.perf_counter() - began
    db.dispose()
    if summary.total != rows:
        raise RuntimeError(f"imported {summary.total} of {rows} rows")
    return rows, seconds


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


def form_import_rate(tmp: Path, participants: int = FORM_PARTICIPANTS) -> tuple[int, float]:
    """Rows and seconds for `import_directory` on SQLite of a SYNTHETIC trial's exchange files
    (every file: the trial's own, then every study form, checked as `record_in` checks them)."""
    from cairo6.studies.cairo6.synthetic_large import generate, write_exchange

    directory = tmp / "forms"
    write_exchange(generate(participants, seed=SEED), directory)
    db = Database(tmp / "forms.db")
    trial, dm, _ = _setup(db)
    began = time.perf_counter()
    summary = import_directory(trial, dm, directory)
    seconds = time.perf_counter() - began
    db.dispose()
    return summary.total, seconds


def _server_version(url: str) -> str:
    db = Database(url)
    with db.engine.connect() as conn:
        version = str(conn.execute(text("SHOW server_version")).scalar())
    db.dispose()
    return version


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="which backend(s) to randomise on (default: both)",
    )
    parser.add_argument(
        "--no-import", action="store_true", help="skip the 100,000-row import measurement"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the measurements asked for and print the table; returns 0."""
    args = _arguments(argv)
    rows: list[Row] = []
    pg_version = "not run"
    imported, import_seconds = 0, 0.0
    form_rows, form_seconds = 0, 0.0
    with tempfile.TemporaryDirectory(prefix="cairo6-bench-") as tmp:
        if args.backend in ("sqlite", "both"):
            for clients in (1, CLIENTS):
                _progress(f"SQLite, {clients} client(s)")
                url = str(Path(tmp) / f"trial{clients}.db")
                rows.append(randomisation("SQLite", url, clients))
        if args.backend in ("postgresql", "both"):
            with postgres() as server:
                pg_version = _server_version(server)
                for clients in (1, CLIENTS):
                    _progress(f"PostgreSQL, {clients} client(s)")
                    rows.append(randomisation("PostgreSQL", _fresh_postgres(server), clients))
        if not args.no_import:
            _progress(f"importing {IMPORT_ROWS:,} rows (about 10 seconds)")
            imported, import_seconds = import_rate(Path(tmp))
            _progress(f"importing the forms of {FORM_PARTICIPANTS} SYNTHETIC participants")
            form_rows, form_seconds = form_import_rate(Path(tmp))
    print(
        f"Settings: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version} (temp file, WAL), PostgreSQL {pg_version} (pgserver, "
        f"Unix socket). CAIRO6 protocol, {len(CENTRES)} centres. Each row: a fresh trial, "
        f"{PATIENTS} randomisations from an empty history; {CLIENTS} clients = {CLIENTS} "
        f"spawned processes x {PATIENTS // CLIENTS}, each first making one (cold) randomisation, "
        f"then released together, no think time."
    )
    print(
        f"{'backend':<11}{'clients':>8}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'alloc/s':>10}  p99 <= {TARGET_P99_MS:g} ms"
    )
    for row in rows:
        print(row.line())
    for row in rows:
        print(row.cold())
    for row in rows:
        if row.clients == 1:
            first, last = row.ms(0.5, slice(0, 100)), row.ms(0.5, slice(-100, None))
            print(
                f"{row.backend}, 1 client: p50 {first:.1f} ms for allocations 1-100, "
                f"{last:.1f} ms for {PATIENTS - 99}-{PATIENTS} (counts kept)"
            )
    if imported:
        print(
            f"Import (SQLite, import_directory, one transaction): centre.csv + screening.csv, "
            f"{imported:,} rows in {import_seconds:.1f} s = {imported / import_seconds:,.0f} "
            "rows/s"
        )
    if form_rows:
        print(
            f"Import (SQLite, import_directory): every file of {FORM_PARTICIPANTS} SYNTHETIC "
            f"participants, {form_rows:,} rows in {form_seconds:.1f} s = "
            f"{form_rows / form_seconds:,.0f} rows/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
