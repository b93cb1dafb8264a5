"""A writer holding the trial's write lock, for tests of what other writers then see."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.schema import Centre

ADMIN = Actor("admin", "administrator")


@contextmanager
def write_lock_held(db: Database) -> Iterator[None]:
    """Another writer (a thread with its own connection) holding the write lock meanwhile."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.write(ADMIN) as session:
            session.add(Centre(code="HOLD", name="Holder", started_recruiting=dt.date(2020, 1, 1)))
            session.flush()
            taken.set()
            release.wait(timeout=60)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(timeout=60)
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=60)
