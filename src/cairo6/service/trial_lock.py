"""The database lock before the final analysis: lock and unlock with a reason, and the label
every report carries (INTERIM while the database is open, FINAL with the lock time after).

The lock itself is enforced where every change passes (`store.lock`); this module decides who
may lock, whether the study's data management plan allows it (open queries), and keeps each
lock and unlock, audited, with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from cairo6.errors import DatabaseLockedError, InvalidValueError, StateError
from cairo6.service.permissions import Action, require
from cairo6.service.trial import Trial
from cairo6.store.audit import Actor, now_iso
from cairo6.store.engine import Database, StoreSession
from cairo6.store.lock import latest_lock
from cairo6.store.schema import DatabaseLock, Query


@dataclass(frozen=True)
class LockState:
    """The database lock in force: when, by whom and why."""

    at: str
    username: str
    role: str
    reason: str


def database_lock(session: StoreSession) -> LockState | None:
    """The database lock in force, or None while the database is open."""
    lock = latest_lock(session)
    if lock is None or lock.action != "lock":
        return None
    return LockState(lock.at, lock.username, lock.role, lock.reason)


def reason_for(reason: str | None, what: str) -> str:
    """The reason given, stripped; refused when empty (unlocking and unfreezing need one)."""
    text = (reason or "").strip()
    if not text:
        raise InvalidValueError("reason", reason, f"a reason to {what}", f"say why you {what}")
    return text


def open_query_count(session: StoreSession) -> int:
    """Queries not yet closed, over the whole trial."""
    return int(
        session.scalar(select(func.count()).select_from(Query).where(Query.status != "closed")) or 0
    )


def lock_database(trial: Trial, actor: Actor, reason: str) -> LockState:
    """Lock the database for the final analysis: nothing of the trial record can change until
    it is unlocked. Refused while queries are open when the study's plan says so."""
    text = reason_for(reason, "lock the database")
    require(actor, Action.LOCK_DATABASE)
    rule = trial.definition().manifest.data_management.lock_requires_no_open_queries
    with trial.db.write(actor, insert_reason=text) as session:
        held = database_lock(session)
        if held is not None:
            raise StateError(
                f"the database is already locked (since {held.at}, by {held.username}); "
                "nothing was changed",
                "nothing to do",
            )
        count = open_query_count(session)
        if rule and count:
            raise StateError(
                f"the database cannot be locked while {count} quer"
                f"{'y is' if count == 1 else 'ies are'} not closed (the study's data management "
                "plan: lock_requires_no_open_queries); nothing was changed",
                "answer and close every query (see the query list), then lock",
            )
        row = DatabaseLock(
            action="lock", username=actor.username, role=actor.role, at=now_iso(), reason=text
        )
        session.add(row)
        session.flush()
        return LockState(row.at, row.username, row.role, row.reason)


def unlock_database(trial: Trial, actor: Actor, reason: str) -> None:
    """Unlock the database, with the reason (kept with the unlock and in the audit trail)."""
    text = reason_for(reason, "unlock the database")
    require(actor, Action.LOCK_DATABASE)
    with trial.db.write(actor, insert_reason=text) as session:
        if database_lock(session) is None:
            raise StateError("the database is not locked; nothing was changed", "nothing to do")
        session.add(
            DatabaseLock(
                action="unlock",
                username=actor.username,
                role=actor.role,
                at=now_iso(),
                reason=text,
            )
        )


@dataclass(frozen=True)
class LockEvent:
    """One lock or unlock of the database."""

    action: str
    at: str
    username: str
    role: str
    reason: str


def lock_history(session: StoreSession) -> list[LockEvent]:
    """Every lock and unlock of the database, latest first."""
    rows = session.scalars(select(DatabaseLock).order_by(DatabaseLock.id.desc())).all()
    return [LockEvent(r.action, r.at, r.username, r.role, r.reason) for r in rows]


def ensure_unlocked(db: Database) -> None:
    """Refuse at once, before reading anything, a bulk write (an import) to a locked database;
    the flush would refuse it too, but only row by row."""
    held = lock_state(db)
    if held is not None:
        raise DatabaseLockedError(held.at, held.username)


def lock_state(db: Database) -> LockState | None:
    """The database lock in force (for labelling a report), read in its own transaction."""
    with db.read() as session:
        return database_lock(session)


def report_status(db: Database) -> str:
    """How a report of this database is labelled: FINAL with the lock time, else INTERIM."""
    held = lock_state(db)
    if held is None:
        return "INTERIM: the database is not locked; the data may still change"
    return f"FINAL: database locked on {held.at[:16].replace('T', ' ')} UTC by {held.username}"
