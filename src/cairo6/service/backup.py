"""Backup and restore.

SQLite: the online backup API copies a live database page by page under its own lock, so a
backup taken while sites are entering data is consistent. PostgreSQL: use the server's own
tools, `pg_dump --format=custom DBNAME > trial.dump` and `pg_restore --clean -d DBNAME
trial.dump`; the audit triggers and chain travel with the dump, and `cairo6 audit verify
--db postgresql://...` checks the restored copy.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from cairo6.errors import InvalidValueError, StateError
from cairo6.service.permissions import Action, require
from cairo6.service.trial import Trial
from cairo6.store.audit import Actor, verify
from cairo6.store.engine import Database


def _sqlite_path(db: Database) -> Path:
    if not db.is_sqlite:
        raise InvalidValueError(
            "database",
            db.url,
            "a SQLite database",
            "for PostgreSQL use pg_dump/pg_restore (see `cairo6 backup --help`)",
        )
    database = make_url(db.url).database
    assert database is not None
    return Path(database)


def _verified_records(path: Path) -> int:
    copy = Database(path)
    try:
        with copy.engine.connect() as conn:
            result = verify(conn)
    finally:
        copy.dispose()
    if not result.ok:
        raise StateError(
            f"the audit trail in {path} is broken at record {result.broken_at}: {result.problem}",
            "do not use this copy; take another backup from a verified database",
        )
    return result.records


def backup(trial: Trial, actor: Actor, out: Path) -> int:
    """Write a consistent copy of the SQLite database; returns the audit records verified."""
    require(actor, Action.BACKUP)
    source = _sqlite_path(trial.db)
    if out.exists():
        raise StateError(f"{out} already exists", "choose a new file name for the backup")
    out.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(out) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    return _verified_records(out)


def restore(source: Path, target: Database, *, force: bool = False) -> int:
    """Replace the target SQLite database by a verified backup."""
    path = _sqlite_path(target)
    if not source.is_file():
        raise InvalidValueError("backup", str(source), "an existing backup file", "check the path")
    records = _verified_records(source)
    if path.exists() and not force:
        raise StateError(f"{path} exists", "pass --force to replace it")
    target.dispose()
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        staged = Path(tmp) / "restore.db"
        shutil.copyfile(source, staged)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        staged.replace(path)
    return records
