"""Reliability of the trial record under concurrent clients and killed processes.

Sixteen clients randomising at once, as threads sharing one `Database` and as separate processes,
must produce one unbroken allocation sequence whose every diagnostic saw exactly the counts of the
allocations before it. A client killed with SIGKILL at any moment, even holding the write lock with
its rows flushed, must leave nothing half-written and must not block the next client; an import
killed half-way must leave nothing of itself. All of it on SQLite and on PostgreSQL.
(An audit row edited with SQL being caught is tested in tests/store/test_audit.py.)
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cairo6.randomization import Diagnostic, check_diagnostic, state_from_history
from cairo6.service import admin, enrolment
from cairo6.service.audit_view import verify_trail
from cairo6.service.exchange import import_directory
from cairo6.service.trial import Trial, actor_for
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.schema import (
    AuditRecord,
    Centre,
    EligibilityAssessment,
    Participant,
    Randomisation,
    Screening,
)
from tests.service.conftest import Site
from tests.service.reliability_worker import (
    ENROLLED_ON,
    Outcome,
    import_until_killed,
    prepare,
    randomise_each,
    randomise_in_process,
    randomise_until_killed,
    write_import,
)

pytestmark = pytest.mark.slow

CENTRES = ("C01", "C02", "C03", "C04")
CLIENTS = 16
PATIENTS = 400
# Generous: a worker that waits this long is stuck, not slow.
STUCK_S = 120


@dataclass
class Busy:
    """The service fixture's trial with four centres, each with its own investigator."""

    trial: Trial
    dm: Actor
    investigators: dict[str, Actor]


@pytest.fixture
def busy(site: Site) -> Busy:
    for code, name in (("C03", "Centre three"), ("C04", "Centre four")):
        admin.add_centre(site.trial, site.admin, code, name, dt.date(2018, 1, 1))
        admin.add_user(site.trial, site.admin, f"inv_{code}", "investigator", centre_code=code)
    with site.trial.db.read() as session:
        extra = {code: actor_for(session, f"inv_{code}") for code in ("C03", "C04")}
    investigators = {"C01": site.inv1, "C02": site.inv2, **extra}
    return Busy(site.trial, site.dm, investigators)


def _audit_count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditRecord)) or 0


def _plan(busy: Busy, numbers: dict[str, list[str]]) -> list[tuple[Actor, list[str]]]:
    """Client i works for centre i mod 4 as that centre's investigator, with every fourth of its
    patients, so that clients of one centre also race for that centre's study numbers."""
    per_centre = CLIENTS // len(CENTRES)
    plan = []
    for i in range(CLIENTS):
        code = CENTRES[i % len(CENTRES)]
        plan.append((busy.investigators[code], numbers[code][i // len(CENTRES) :: per_centre]))
    return plan


def check_record(trial: Trial, audit_before: int, expected: int) -> list[Randomisation]:
    """The allocations are one gapless sequence, one per participant, each diagnostic saw the
    counts of the allocations before it, and every row has its audit record in a sound chain."""
    with trial.db.read() as session:
        allocations = list(
            session.scalars(select(Randomisation).order_by(Randomisation.sequence_number))
        )
        people = list(session.scalars(select(Participant)))
        audited = Counter(
            session.execute(
                select(AuditRecord.table_name).where(AuditRecord.seq > audit_before)
            ).scalars()
        )
    assert len(allocations) == expected
    assert [a.sequence_number for a in allocations] == list(range(1, expected + 1))
    assert sorted(a.participant_id for a in allocations) == sorted(p.id for p in people)
    assert len({p.study_number for p in people}) == len(people)
    # Within a centre the study numbers count up from 001 with no gap or repeat.
    by_centre: dict[int, list[int]] = {}
    for person in people:
        by_centre.setdefault(person.centre_id, []).append(int(person.study_number[-3:]))
    for serials in by_centre.values():
        assert sorted(serials) == list(range(1, len(serials) + 1))

    protocol = trial.protocol
    history: list[tuple[dict[str, str], str]] = []
    for row in allocations:
        diagnostic = Diagnostic.from_dict(row.diagnostic)
        assert (diagnostic.sequence, diagnostic.arm) == (row.sequence_number, row.arm)
        assert dict(diagnostic.levels) == row.levels
        seen_before = state_from_history(protocol, history)
        # Spelled out as well as replayed: the counts the allocator saw are the history's.
        arms = seen_before.arms
        assert diagnostic.phase == "minimization"
        assert dict(diagnostic.totals) == dict(zip(arms, seen_before.totals, strict=True))
        assert {
            factor: tuple(per_arm[arm] for arm in arms)
            for factor, per_arm in diagnostic.counts.items()
        } == {factor: seen_before.counts_at(factor, level) for factor, level in row.levels.items()}
        assert check_diagnostic(diagnostic, protocol, seen_before) == [], row.sequence_number
        history.append((row.levels, row.arm))

    # Nothing but the two insert records per enrolment was audited since `audit_before`.
    assert audited == {"participant": expected, "randomisation": expected}
    trail = verify_trail(trial.db)
    assert trail.ok, trail.problem
    assert trail.records == audit_before + 2 * expected
    return allocations


def _outcomes_match(outcomes: Sequence[Outcome], allocations: Sequence[Randomisation]) -> None:
    assert len(outcomes) == PATIENTS
    assert sorted(o.sequence_number for o in outcomes) == list(range(1, PATIENTS + 1))
    stored = {a.sequence_number: a.arm for a in allocations}
    assert all(stored[o.sequence_number] == o.arm for o in outcomes)


def test_sixteen_threads_randomise_400_patients(busy: Busy) -> None:
    setup = _audit_count(busy.trial.db)
    numbers = prepare(busy.trial, busy.dm, CENTRES, PATIENTS, seed=16)
    before = _audit_count(busy.trial.db)
    assert before == setup + 2 * PATIENTS  # a screening and an eligibility record each
    # The threads share one Database, as a web server's request handlers would.
    start = threading.Barrier(CLIENTS)

    def client(actor: Actor, mine: list[str]) -> list[Outcome]:
        start.wait(timeout=STUCK_S)
        return randomise_each(busy.trial, actor, mine)

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(client, actor, mine) for actor, mine in _plan(busy, numbers)]
        outcomes = [o for f in futures for o in f.result(timeout=STUCK_S)]
    _outcomes_match(outcomes, check_record(busy.trial, before, PATIENTS))


def test_sixteen_processes_randomise_400_patients(busy: Busy) -> None:
    numbers = prepare(busy.trial, busy.dm, CENTRES, PATIENTS, seed=61)
    before = _audit_count(busy.trial.db)
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(CLIENTS + 1)
    results = ctx.Queue()
    url = busy.trial.db.url
    workers = [
        ctx.Process(target=randomise_in_process, args=(i, url, actor, mine, start, results))
        for i, (actor, mine) in enumerate(_plan(busy, numbers))
    ]
    for worker in workers:
        worker.start()
    try:
        # Every child has imported, connected and read the protocol before any randomises.
        start.wait(timeout=STUCK_S)
        reports = [results.get(timeout=STUCK_S) for _ in workers]
    finally:
        deadline = time.monotonic() + STUCK_S
        for worker in workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))
        for worker in workers:
            _reap(worker)
    errors = [error for _, _, error in reports if error]
    assert not errors, errors[0]
    assert [w.exitcode for w in workers] == [0] * CLIENTS
    outcomes = [o for _, done, _ in reports for o in done]
    _outcomes_match(outcomes, check_record(busy.trial, before, PATIENTS))


def _reap(process: BaseProcess) -> None:
    """Wait for a child; one still running after a failed step is killed, not left behind."""
    if process.is_alive():
        process.kill()
    process.join(timeout=STUCK_S)


def _bounded(url: str) -> Database:
    """A Database whose write lock wait fails instead of hanging if a dead client still held it:
    SQLite gives up after its 30 s busy timeout; PostgreSQL is told to after 20 s."""
    if url.startswith("sqlite"):
        return Database(url)
    options = {"options": "-c lock_timeout=20000"}
    return Database(make_url(url).update_query_dict(options).render_as_string(False))


def test_a_client_killed_while_randomising_leaves_a_sound_record(busy: Busy) -> None:
    numbers = prepare(busy.trial, busy.dm, ("C01",), 200, seed=9)["C01"]
    before = _audit_count(busy.trial.db)
    actor = busy.investigators["C01"]
    url = busy.trial.db.url
    ctx = mp.get_context("spawn")
    rng = random.Random(20240601)
    made = 0
    # Two kills at a random moment of a busy loop (almost always inside a transaction), then one
    # placed exactly: rows and audit records flushed, write lock held, commit not yet done.
    for stall in (False, False, True):
        done = ctx.RawValue("i", 0)
        in_commit = ctx.Event() if stall else None
        todo = numbers[made:]
        child = ctx.Process(target=randomise_until_killed, args=(url, actor, todo, done, in_commit))
        child.start()
        try:
            if in_commit is not None:
                assert in_commit.wait(timeout=STUCK_S)
            else:
                deadline = time.monotonic() + STUCK_S
                while done.value < 2 and child.is_alive() and time.monotonic() < deadline:
                    time.sleep(0.005)
                assert done.value >= 2, "the child made no allocations"
                assert child.is_alive()
                time.sleep(rng.uniform(0.0, 0.1))
            child.kill()
        finally:
            _reap(child)
        assert child.exitcode == -signal.SIGKILL
        # The allocation in flight at the kill either committed whole or left no trace.
        allocations = check_record(busy.trial, before, _randomised(busy.trial))
        assert done.value <= len(allocations) - made <= done.value + 1
        if stall:
            assert len(allocations) == made, "the stalled transaction must not have committed"
        made = len(allocations)
        assert not set(numbers[:made]) ^ set(_randomised_numbers(busy.trial))

    fresh = _bounded(url)
    try:
        trial = Trial(fresh, busy.trial.protocol)
        began = time.monotonic()
        result = enrolment.randomise(trial, actor, numbers[made], ENROLLED_ON, past_target=True)
        assert time.monotonic() - began < 10
    finally:
        fresh.dispose()
    assert result.sequence_number == made + 1
    check_record(busy.trial, before, made + 1)


IMPORTED_CENTRES = ("C05", "C06")
IMPORTED_ROWS = 2500


def _snapshot(trial: Trial) -> dict[str, int]:
    with trial.db.read() as session:
        return {
            table.__tablename__: session.scalar(select(func.count()).select_from(table)) or 0
            for table in (Centre, Screening, EligibilityAssessment, Participant, Randomisation)
        }


def test_a_client_killed_while_importing_leaves_nothing_of_the_import(
    busy: Busy, tmp_path: Path
) -> None:
    numbers = prepare(busy.trial, busy.dm, ("C01",), 3, seed=3)["C01"]
    before = _audit_count(busy.trial.db)
    randomise_each(busy.trial, busy.investigators["C01"], numbers[:2])
    directory = tmp_path / "import"
    total = write_import(directory, IMPORTED_CENTRES, IMPORTED_ROWS)
    tables, audit = _snapshot(busy.trial), _audit_count(busy.trial.db)

    ctx = mp.get_context("spawn")
    applied = ctx.RawValue("i", 0)
    # Well inside the one import transaction: rows applied, none committed.
    kill_at = random.Random(7).randint(total // 5, total * 3 // 5)
    url = busy.trial.db.url
    child = ctx.Process(target=import_until_killed, args=(url, busy.dm, str(directory), applied))
    child.start()
    try:
        deadline = time.monotonic() + STUCK_S
        while applied.value < kill_at and child.is_alive() and time.monotonic() < deadline:
            time.sleep(0.002)
        assert applied.value >= kill_at, "the import did not get under way"
        child.kill()
    finally:
        _reap(child)
    assert child.exitcode == -signal.SIGKILL
    assert applied.value < total, "the import finished before the kill"

    assert _snapshot(busy.trial) == tables
    assert _audit_count(busy.trial.db) == audit
    with busy.trial.db.read() as session:
        assert not session.scalars(select(Centre).where(Centre.code.in_(IMPORTED_CENTRES))).all()
    check_record(busy.trial, before, 2)

    fresh = _bounded(url)
    try:
        trial = Trial(fresh, busy.trial.protocol)
        result = enrolment.randomise(
            trial, busy.investigators["C01"], numbers[2], ENROLLED_ON, past_target=True
        )
        assert result.sequence_number == 3
        check_record(busy.trial, before, 3)
        # Nothing half-done is in the way: the same directory imports whole.
        assert import_directory(trial, busy.dm, directory).total == total
    finally:
        fresh.dispose()
    trail = verify_trail(busy.trial.db)
    assert trail.ok, trail.problem
    assert trail.records == audit + 2 + total


def _randomised(trial: Trial) -> int:
    with trial.db.read() as session:
        return session.scalar(select(func.count()).select_from(Randomisation)) or 0


def _randomised_numbers(trial: Trial) -> list[str]:
    with trial.db.read() as session:
        return list(
            session.scalars(
                select(Screening.screening_number).join(
                    Participant, Participant.screening_id == Screening.id
                )
            )
        )
