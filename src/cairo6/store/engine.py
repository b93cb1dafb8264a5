"""Database connections: SQLite by default (a file path), PostgreSQL by URL.

Every change goes through `Database.write`, one transaction that first takes the trial's write
lock — `BEGIN IMMEDIATE` on SQLite, a transaction-level advisory lock on PostgreSQL — so that
reading minimisation counts, writing an allocation and appending to the audit chain can never
interleave with another client's.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cairo6.config import DEFAULT_WRITE_WAIT_SECONDS, Settings
from cairo6.errors import BusyError, InvalidValueError
from cairo6.store import audit, lock
from cairo6.store.anchor import AnchorLog, default_anchor_path, read_key
from cairo6.store.audit import Actor

# An arbitrary constant: the advisory-lock key that serialises writers of one database.
WRITE_LOCK_KEY = 0x0CA1_2060


class StoreSession(Session):
    """A session whose flushes are audited."""


audit.install(StoreSession)
lock.install(StoreSession)


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL from a file path (SQLite) or a postgresql:// URL."""
    raw = str(target)
    if raw.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        url = make_url(raw.replace("postgres://", "postgresql://", 1))
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if raw.startswith("sqlite"):
        return raw
    if "://" in raw:
        raise InvalidValueError(
            "database",
            raw,
            "a SQLite file path or a postgresql:// URL",
            "pass --db PATH for SQLite or --database-url postgresql://user@host/db",
        )
    return f"sqlite:///{Path(raw).expanduser().resolve()}"


def _sqlite_connect(wait_s: float) -> Any:
    def connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own transaction handling is switched off so that BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={round(wait_s * 1000)}")
        cur.close()

    return connect


def _sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()

# The queue file beside a SQLite database: bytes 0-7 hold the last ticket issued, bytes 8-15 the
# ticket now writing (a hint for how fast to look); byte 0 is locked while a ticket is issued,
# byte QUEUE_BASE + t is locked by the holder of ticket t from issue until its write ends.
_COUNTER = struct.Struct("<qq")
QUEUE_BASE = 64
# One descriptor per queue file per process, never closed: closing any descriptor of a file
# drops every record lock the process holds on it, including another thread's.
_QUEUE_FILES: dict[str, int] = {}


def _queue_file(path: str) -> int:
    with _THREAD_LOCKS_GUARD:
        fd = _QUEUE_FILES.get(path)
        if fd is None:
            fd = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
            _QUEUE_FILES[path] = fd
        return fd


def _take_ticket(fd: int) -> int:
    """Issue the next ticket and lock its byte, atomically with respect to other writers."""
    fcntl.lockf(fd, fcntl.LOCK_EX, 1, 0)
    try:
        raw = os.pread(fd, _COUNTER.size, 0)
        last, serving = _COUNTER.unpack(raw) if len(raw) == _COUNTER.size else (0, 0)
        ticket = int(last) + 1
        os.pwrite(fd, _COUNTER.pack(ticket, serving), 0)
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, QUEUE_BASE + ticket)
    finally:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, 0)
    return ticket


def _pass_when_free(fd: int, offset: int) -> bool:
    """Take and at once release the lock on one byte; False if it is held (nothing waited)."""
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        return False
    fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)
    return True


def _wait_for_predecessor(fd: int, ticket: int, wait_s: float) -> None:
    """Return once the writer holding ticket - 1 is done; raise BusyError after `wait_s`."""
    previous = QUEUE_BASE + ticket - 1
    if _pass_when_free(fd, previous):
        return
    # The kernel wakes exactly this waiter when the predecessor's byte is released, without
    # polling; the wait runs in a helper thread so that it can be given up after `wait_s`.
    turn = threading.Event()

    def wait() -> None:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX, 1, previous)
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, previous)
        except OSError:
            pass  # e.g. a reported deadlock: BEGIN IMMEDIATE still keeps writers apart
        finally:
            turn.set()

    threading.Thread(target=wait, name="cairo6-writer-queue", daemon=True).start()
    if not turn.wait(wait_s):
        raise BusyError(wait_s)


@contextmanager
def _sqlite_writer_turn(url: str, wait_s: float) -> Iterator[None]:
    """Queue SQLite writers first come, first served, waiting at most `wait_s` seconds.

    SQLite makes a waiting writer sleep and retry (up to 100 ms a time), and a plain file lock
    wakes every waiter at once, so under contention a writer could keep missing its turn for
    seconds. Here each writer takes a ticket and waits only for the one before it (a queue of
    byte-range locks in a file beside the database, released by the kernel if a process dies),
    so turns pass in arrival order. The queue orders writers; mutual exclusion stays with
    BEGIN IMMEDIATE, which also guards against writers that do not queue (a writer that gave up
    lets its successor on to BEGIN IMMEDIATE, where it waits for the real holder).
    """
    path = make_url(url).database
    if not path or path == ":memory:":
        yield
        return
    deadline = time.monotonic() + wait_s
    with _THREAD_LOCKS_GUARD:
        local = _THREAD_LOCKS.setdefault(path, threading.Lock())
    # POSIX record locks belong to the process, so threads of one process queue here first.
    if not local.acquire(timeout=wait_s):
        raise BusyError(wait_s)
    try:
        fd = _queue_file(path)
        ticket = _take_ticket(fd)
        try:
            _wait_for_predecessor(fd, ticket, max(0.0, deadline - time.monotonic()))
            os.pwrite(fd, struct.pack("<q", ticket), 8)  # the ticket now writing
            yield
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, QUEUE_BASE + ticket)
    finally:
        local.release()


def sqlite_writers_queued(url: str) -> tuple[int, int]:
    """The last ticket issued and the ticket now writing, in a SQLite database's writer queue."""
    path = make_url(url).database
    try:
        with open(f"{path}.writer-lock", "rb") as handle:
            raw = handle.read(_COUNTER.size)
    except FileNotFoundError:
        return 0, 0
    issued, serving = _COUNTER.unpack(raw) if len(raw) == _COUNTER.size else (0, 0)
    return issued, serving


def _busy_translated(is_sqlite: bool, exc: DBAPIError) -> bool:
    """Whether a driver error means the write lock could not be had in time."""
    if is_sqlite:
        return "database is locked" in str(exc.orig)
    return getattr(exc.orig, "sqlstate", None) == "55P03"  # lock_not_available


class Database:
    """One trial database. Cheap to construct; connects lazily on first use."""

    def __init__(
        self,
        target: str | Path,
        *,
        echo: bool = False,
        anchors: AnchorLog | None = None,
        write_wait_seconds: float = DEFAULT_WRITE_WAIT_SECONDS,
    ) -> None:
        self.url = database_url(target)
        self.write_wait_seconds = write_wait_seconds
        self._echo = echo
        self._engine: Engine | None = None
        self.anchors = anchors
        """Where the head of the audit trail is anchored after each commit (None: nowhere)."""

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, created on first use."""
        if self._engine is None:
            url = make_url(self.url)
            if url.get_backend_name() == "sqlite":
                engine = create_engine(
                    self.url,
                    echo=self._echo,
                    connect_args={"timeout": self.write_wait_seconds},
                )
                event.listen(engine, "connect", _sqlite_connect(self.write_wait_seconds))
                event.listen(engine, "begin", _sqlite_begin)
            else:
                engine = create_engine(self.url, echo=self._echo, pool_pre_ping=True)
            self._engine = engine
        return self._engine

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite backend."""
        return make_url(self.url).get_backend_name() == "sqlite"

    @contextmanager
    def write(
        self, actor: Actor, *, reason: str | None = None, insert_reason: str | None = None
    ) -> Iterator[StoreSession]:
        """One serialised, audited transaction: commits on success, rolls back on any error.

        Waits at most `write_wait_seconds` for the write lock, then raises BusyError.
        """
        try:
            if self.is_sqlite:
                with _sqlite_writer_turn(self.url, self.write_wait_seconds):
                    yield from self._write(actor, reason, insert_reason)
            else:
                yield from self._write(actor, reason, insert_reason)
        except DBAPIError as exc:
            if _busy_translated(self.is_sqlite, exc):
                raise BusyError(self.write_wait_seconds) from exc
            raise

    def _write(
        self, actor: Actor, reason: str | None, insert_reason: str | None
    ) -> Iterator[StoreSession]:
        if self.anchors is not None:
            read_key(self.anchors.key_path)  # no key, no write: a change must be anchorable
        engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        with StoreSession(engine, expire_on_commit=False) as session:
            session.info["actor"] = actor
            session.info["reason"] = reason
            session.info["insert_reason"] = insert_reason
            with session.begin():
                if not self.is_sqlite:
                    # Advisory-lock waiters are served in arrival order; lock_timeout bounds it.
                    timeout_ms = max(1, round(self.write_wait_seconds * 1000))
                    # One round trip: the bound is set (left to right) before the lock waits.
                    session.execute(
                        text(
                            "SELECT set_config('lock_timeout', :ms, true), "
                            "pg_advisory_xact_lock(:key)"
                        ),
                        {"ms": str(timeout_ms), "key": WRITE_LOCK_KEY},
                    )
                # `info` outlives the transaction on a pooled connection: start clean.
                session.connection().info.pop(audit.HEAD_KEY, None)
                yield session
                head = session.connection().info.pop(audit.HEAD_KEY, None)
            # Anchored only once committed: an anchor ahead of the trail would read as a
            # truncation. Still inside the SQLite writer's turn, so anchors follow commit order.
            if head is not None and self.anchors is not None:
                self.anchors.append(*head)

    @contextmanager
    def read(self) -> Iterator[StoreSession]:
        """A read-only transaction (anything it tries to write is rolled back)."""
        with StoreSession(self.engine, expire_on_commit=False) as session:
            session.info["read_only"] = True
            try:
                yield session
            finally:
                # close() ends the transaction without expiring what was read, so the
                # returned objects stay usable after the block.
                session.close()

    def dispose(self) -> None:
        """Close pooled connections (before a fork, or at exit)."""
        if self._engine is not None:
            self._engine.dispose()


def anchored_database(target: str | Path, settings: Settings) -> Database:
    """A database whose audit head is anchored where the settings say (see `store.anchor`)."""
    url = database_url(target)
    path = settings.audit_anchors or default_anchor_path(url, settings.state_dir)
    return Database(
        url,
        anchors=AnchorLog(path, settings.audit_key),
        write_wait_seconds=settings.write_wait_seconds,
    )
