"""Backup and restore.

SQLite: the online backup API copies a live database page by page under its own lock, so a
backup taken while sites are entering data is consistent. PostgreSQL: use the server's own
tools, `pg_dump --format=custom DBNAME > trial.dump` and `pg_restore --clean -d DBNAME
trial.dump`; the audit triggers and chain travel with the dump, and `cairo6 audit verify
--data --db postgresql://...` checks the restored copy.

A copy is checked twice before it is used: its hash chain against the anchors signed when it
was taken (kept in `COPY.anchors` beside it), which shows a shortened or rewritten trail, and
a replay of the trail against its tables, which shows a value changed behind the trail's back.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from cairo6.errors import InvalidValueError, StateError
from cairo6.service.permissions import Action, require
from cairo6.service.trial import Trial
from cairo6.store.anchor import Anchor, AnchorLog
from cairo6.store.audit import GENESIS, Actor, verify
from cairo6.store.engine import Database
from cairo6.store.replay import replay
from cairo6.store.schema import AuditRecord

MAX_SHOWN = 10


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


def backup_anchors(db: Database, copy: Path) -> AnchorLog | None:
    """The anchor file kept beside a backup copy, signed with the database's key."""
    if db.anchors is None:
        return None
    return AnchorLog(Path(f"{copy}.anchors"), db.anchors.key_path)


def _checked_copy(
    path: Path, anchors: list[Anchor] | None, *, taken_from_live: bool = False
) -> tuple[int, str]:
    """Check a copy's chain (against `anchors`, when given) and replay its data.

    Returns the head (records, hash); raises naming the first problem found.
    """
    copy = Database(path)
    try:
        with copy.engine.connect() as conn:
            head = conn.execute(
                select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc())
            ).first()
            if anchors is not None and taken_from_live:
                # The live trail may have moved on since the copy: only earlier anchors apply.
                anchors = [a for a in anchors if a.seq <= (head[0] if head else 0)]
            result = verify(conn, anchors)
            differences = replay(conn) if result.ok else []
    finally:
        copy.dispose()
    if not result.ok:
        where = f" at record {result.broken_at}" if result.broken_at else ""
        raise StateError(
            f"the audit trail in {path} is broken{where}: {result.problem}",
            "do not use this copy; take another backup from a verified database",
        )
    if differences:
        shown = "; ".join(str(d) for d in differences[:MAX_SHOWN])
        more = f"; and {len(differences) - MAX_SHOWN} more" if len(differences) > MAX_SHOWN else ""
        raise StateError(
            f"{len(differences)} value(s) in {path} do not follow from its audit trail: "
            f"{shown}{more}",
            "do not use this copy; take another backup from a verified database",
        )
    return (head[0], head[1]) if head else (0, GENESIS)


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
    log = backup_anchors(trial.db, out)
    live = trial.db.anchors.read() if trial.db.anchors is not None else None
    records, head = _checked_copy(out, live, taken_from_live=True)
    if log is not None:
        log.append(records, head, "backup")
    return records


def restore(source: Path, target: Database, *, force: bool = False) -> int:
    """Replace the target SQLite database by a verified backup."""
    path = _sqlite_path(target)
    if not source.is_file():
        raise InvalidValueError("backup", str(source), "an existing backup file", "check the path")
    log = backup_anchors(target, source)
    anchors = None
    if log is not None:
        anchors = log.read()
        if not anchors:
            raise StateError(
                f"no anchors beside the backup ({log.path}), so a shortened or rewritten trail "
                "could not be noticed",
                "restore a backup made by `cairo6 backup`, with its .anchors file beside it",
            )
    records, head = _checked_copy(source, anchors)
    if path.exists() and not force:
        raise StateError(f"{path} exists", "pass --force to replace it")
    target.dispose()
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        staged = Path(tmp) / "restore.db"
        shutil.copyfile(source, staged)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        staged.replace(path)
    if target.anchors is not None:
        # The restored trail is the trail from now on: earlier anchors no longer apply to it.
        target.anchors.append(records, head, "restore")
    return records
