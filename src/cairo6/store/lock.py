"""The database lock, enforced where every change passes: the flush of a store session.

Once the data manager locks the database for the final analysis, no row of the trial record
may be inserted, changed or deleted, whichever path writes it (a form, an enrolment, a
randomisation, a query, an import). Checking at the flush covers every ORM writer at once, so
no service can forget it. Accounts and centres stay manageable (people join and leave while
the analysis runs) and the lock table itself is written to lock and unlock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from cairo6.errors import DatabaseLockedError
from cairo6.store.audit import is_audited
from cairo6.store.schema import Base, Centre, DatabaseLock, User

OPEN_WHILE_LOCKED = frozenset({User.__tablename__, Centre.__tablename__, "database_lock"})
"""Audited tables that may change while the database is locked."""

_CHECKED = "cairo6_database_lock"
_LATEST = (
    select(DatabaseLock.action, DatabaseLock.at, DatabaseLock.username)
    .order_by(DatabaseLock.id.desc())
    .limit(1)
)


def latest_lock(session: Session) -> DatabaseLock | None:
    """The lock or unlock in force (the latest), or None when the database was never locked."""
    return session.scalars(select(DatabaseLock).order_by(DatabaseLock.id.desc()).limit(1)).first()


def _touches_trial_data(session: Session) -> bool:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, Base):
            continue
        audited = is_audited(obj.__table__)  # type: ignore[arg-type]
        if audited and obj.__tablename__ not in OPEN_WHILE_LOCKED:
            return True
    return False


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if not _touches_trial_data(session):
        return
    # Read once per transaction: the lock cannot change under a writer, who holds the write
    # lock, so a transaction of many flushes (an import) pays for one query.
    if _CHECKED not in session.info:
        # Columns, not an ORM object: this runs inside the write lock of every change.
        row = session.execute(_LATEST).first()
        session.info[_CHECKED] = (row.at, row.username) if row and row.action == "lock" else None
    held = session.info[_CHECKED]
    if held is not None:
        raise DatabaseLockedError(*held)


def install(session_class: type[Session]) -> None:
    """Refuse changes to the trial record in sessions of this class while the database is
    locked."""
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)
