"""The write lock: writers wait a bounded time, then are told "busy, retry", on both backends;
on SQLite they are served in the order they arrived."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cairo6.errors import BusyError
from cairo6.store.engine import Database, sqlite_writers_queued
from cairo6.store.migrate import upgrade
from cairo6.store.schema import AuditRecord, Centre
from tests.store.locking import ADMIN, write_lock_held

# Long enough that a writer which got the lock holds it while the other one times out.
SHORT_WAIT_S = 0.3


def _add_centre(db: Database, code: str) -> None:
    with db.write(ADMIN) as session:
        session.add(
            Centre(code=code, name=f"Centre {code}", started_recruiting=dt.date(2020, 1, 1))
        )


def _count(db: Database, model: type[Centre] | type[AuditRecord]) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_writer_that_waits_too_long_is_told_busy_and_changes_nothing(db: Database) -> None:
    impatient = Database(db.url, write_wait_seconds=SHORT_WAIT_S)
    audit_before = _count(db, AuditRecord)
    with write_lock_held(db), pytest.raises(BusyError, match="busy, retry") as raised:
        _add_centre(impatient, "C09")
    assert "CAIRO6_WRITE_WAIT_SECONDS" in str(raised.value)
    # Only the holder's centre and its audit record were written; the refused one left nothing.
    assert _count(db, Centre) == 1
    assert _count(db, AuditRecord) == audit_before + 1
    _add_centre(impatient, "C09")  # once the lock is free, the same request goes through
    assert _count(db, Centre) == 2
    impatient.dispose()


def _queue_and_write(url: str, code: str, queued: object, done: object) -> None:
    # Patient: the holder keeps the lock until every process (slow to spawn) has queued.
    db = Database(url, write_wait_seconds=600)
    queued.set()  # type: ignore[attr-defined]
    _add_centre(db, code)
    done.put(code)  # type: ignore[attr-defined]
    db.dispose()


@pytest.mark.slow
def test_sqlite_writers_are_served_in_arrival_order(tmp_path: Path) -> None:
    db = Database(tmp_path / "trial.db")
    upgrade(db)
    ctx = mp.get_context("spawn")
    done = ctx.Queue()
    codes = [f"Q{i}" for i in range(6)]
    procs = []
    with write_lock_held(db):
        holder, _ = sqlite_writers_queued(db.url)
        for code in codes:
            queued = ctx.Event()
            proc = ctx.Process(target=_queue_and_write, args=(db.url, code, queued, done))
            proc.start()
            procs.append(proc)
            assert queued.wait(timeout=60)
            # The next process starts only once this one holds its ticket: arrival order is known.
            while sqlite_writers_queued(db.url)[0] < holder + len(procs):
                time.sleep(0.01)
    served = [done.get(timeout=60) for _ in codes]
    for proc in procs:
        proc.join(timeout=60)
    assert served == codes
    db.dispose()
