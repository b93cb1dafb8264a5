"""Database connections: SQLite by default (a file path), PostgreSQL by URL.

Every change goes through `Database.write`, one transaction that first takes the trial's write
lock — `BEGIN IMMEDIATE` on SQLite, a transaction-level advisory lock on PostgreSQL — so that
reading minimisation counts, writing an allocation and appending to the audit chain can never
interleave with another client's.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from cairo6.config import Settings
from cairo6.errors import InvalidValueError
from cairo6.store import audit
from cairo6.store.anchor import AnchorLog, default_anchor_path, read_key
from cairo6.store.audit import Actor

# An arbitrary constant: the advisory-lock key that serialises writers of one database.
WRITE_LOCK_KEY = 0x0CA1_2060
SQLITE_BUSY_TIMEOUT_MS = 30_000


class StoreSession(Session):
    """A session whose flushes are audited."""


audit.install(StoreSession)


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


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # The driver's own transaction handling is switched off so that BEGIN is ours to issue.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


@contextmanager
def _sqlite_writer_turn(url: str) -> Iterator[None]:
    """Queue SQLite writers in the kernel instead of in SQLite's busy handler.

    SQLite makes a waiting writer sleep and retry (up to 100 ms a time), so under contention a
    waiter can keep missing its turn for seconds. A blocking lock on a file beside the database
    (and a thread lock for writers in this process) hands the turn over as soon as it is free.
    BEGIN IMMEDIATE still guards against writers that do not take this lock.
    """
    path = make_url(url).database
    if not path or path == ":memory:":
        yield
        return
    with _THREAD_LOCKS_GUARD:
        local = _THREAD_LOCKS.setdefault(path, threading.Lock())
    with local, open(f"{path}.writer-lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Database:
    """One trial database. Cheap to construct; connects lazily on first use."""

    def __init__(
        self, target: str | Path, *, echo: bool = False, anchors: AnchorLog | None = None
    ) -> None:
        self.url = database_url(target)
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
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                )
                event.listen(engine, "connect", _sqlite_connect)
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
        """One serialised, audited transaction: commits on success, rolls back on any error."""
        if self.is_sqlite:
            with _sqlite_writer_turn(self.url):
                yield from self._write(actor, reason, insert_reason)
        else:
            yield from self._write(actor, reason, insert_reason)

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
                    session.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY}
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
    return Database(url, anchors=AnchorLog(path, settings.audit_key))
