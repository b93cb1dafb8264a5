"""Failed sign-ins, counted atomically in the database before any password is checked.

Three counters per attempt, each with its own limit and lock:

- the account from this client (`pair:`): the usual lockout (CAIRO6_LOGIN_MAX_FAILURES);
- the account from any client (`account:`): a higher limit, against attacks spread over many
  addresses (CAIRO6_LOGIN_MAX_FAILURES_ANY_CLIENT);
- the client across all accounts (`client:`): a client that keeps failing is shut out
  (CAIRO6_LOGIN_MAX_FAILURES_PER_CLIENT).

So someone guessing from one address locks the account for that address only, and then
themselves; locking a user out everywhere takes many addresses, each of which ends up locked.
An attempt counts as a failure from the moment it starts: parallel attempts cannot all slip
under the limit, and one that turns out right takes its count back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, case, delete, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cairo6.store.engine import Database
from cairo6.store.schema import LoginThrottle

_T = cast(Table, LoginThrottle.__table__)
STALE_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    """A counter's key, how many failures it allows in its window, and how long it locks."""

    key: str
    limit: int
    lockout: dt.timedelta


@dataclass(frozen=True)
class Count:
    """A counter after this attempt was added to it."""

    limit: Limit
    failures: int
    locked: bool


def iso(moment: dt.datetime) -> str:
    """Fixed-width UTC text, so that text order is time order."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def pair_key(username: str, client: str) -> str:
    """The counter of one account from one client."""
    return f"pair:{username}|{client}"


def account_key(username: str) -> str:
    """The counter of one account from any client."""
    return f"account:{username}"


def client_key(client: str) -> str:
    """The counter of one client across all accounts."""
    return f"client:{client}"


@contextmanager
def _short_write(db: Database) -> Iterator[Connection]:
    # IMMEDIATE on SQLite: the upsert and its read-back are one atomic step under the file lock.
    engine = db.engine.execution_options(sqlite_begin="IMMEDIATE") if db.is_sqlite else db.engine
    with engine.begin() as conn:
        yield conn


def _upsert(conn: Connection, db: Database, limit: Limit, now: dt.datetime) -> Count:
    stamp = iso(now)
    window_start = iso(now - limit.lockout)
    insert = sqlite_insert(_T) if db.is_sqlite else pg_insert(_T)
    expired = or_(
        _T.c.locked_until <= stamp,
        (_T.c.locked_until.is_(None)) & (_T.c.since <= window_start),
    )
    upsert = insert.values(key=limit.key, failures=1, since=stamp, locked_until=None)
    stmt = upsert.on_conflict_do_update(
        index_elements=[_T.c.key],
        set_={
            "failures": case((expired, literal(1)), else_=_T.c.failures + 1),
            "since": case((expired, literal(stamp)), else_=_T.c.since),
            "locked_until": case((expired, literal(None)), else_=_T.c.locked_until),
        },
    ).returning(_T.c.failures, _T.c.locked_until)
    failures, locked_until = conn.execute(stmt).one()
    locked = locked_until is not None and locked_until > stamp
    if not locked and failures > limit.limit:
        # More attempts under way than the limit allows: lock now, before any is checked.
        _lock(conn, limit, now)
        locked = True
    return Count(limit, failures, locked)


def _lock(conn: Connection, limit: Limit, now: dt.datetime) -> str:
    until = iso(now + limit.lockout)
    conn.execute(update(_T).where(_T.c.key == limit.key).values(locked_until=until))
    return until


def count_attempt(db: Database, limits: list[Limit], now: dt.datetime) -> list[Count]:
    """Add this attempt to every counter, in one transaction, before the password is checked."""
    with _short_write(db) as conn:
        return [_upsert(conn, db, limit, now) for limit in limits]


def record_failure(db: Database, counts: list[Count], now: dt.datetime) -> dict[str, str]:
    """The attempt failed: lock each counter it brought to its limit. Returns key -> until."""
    reached = [c for c in counts if not c.locked and c.failures >= c.limit.limit]
    if not reached:
        return {}
    with _short_write(db) as conn:
        return {c.limit.key: _lock(conn, c.limit, now) for c in reached}


def record_success(db: Database, counts: list[Count], now: dt.datetime) -> bool:
    """The password was right: unless a counter locked meanwhile, clear the account's counters
    and take this attempt back from the client's. False if the account is locked now."""
    stamp = iso(now)
    with _short_write(db) as conn:
        keys = [c.limit.key for c in counts]
        locked = conn.execute(
            select(_T.c.key).where(_T.c.key.in_(keys), _T.c.locked_until > stamp)
        ).first()
        if locked is not None:
            return False
        for c in counts:
            if c.limit.key.startswith("client:"):
                conn.execute(
                    update(_T)
                    .where(_T.c.key == c.limit.key, _T.c.failures > 0)
                    .values(failures=_T.c.failures - 1)
                )
            else:
                conn.execute(delete(_T).where(_T.c.key == c.limit.key))
        # Housekeeping rides on successful sign-ins: counters idle for a day are forgotten, so
        # guesses at made-up usernames do not pile up.
        stale = iso(now - max(STALE_AFTER, *(c.limit.lockout for c in counts)))
        conn.execute(
            delete(_T).where(
                _T.c.since < stale, or_(_T.c.locked_until.is_(None), _T.c.locked_until < stamp)
            )
        )
    return True


def clear_account(conn: Connection, username: str) -> None:
    """Unlock an account everywhere (its password was just set by someone entitled to)."""
    conn.execute(
        delete(_T).where(
            or_(
                _T.c.key == account_key(username),
                _T.c.key.startswith(pair_key(username, ""), autoescape=True),
            )
        )
    )
