"""The versions of the study definition kept in the database (`study_version`).

Version 1 is the definition bound when the trial was created (copied there by migration 0010,
or written by `db init`); each protocol amendment adds the next. A database migrated before
0010 has no such table: its one version is the definition bound in `trial_meta`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import BindParameter, ColumnElement, Connection, func, insert, inspect, select

from cairo6.store.audit import Actor, append, insert_changes, now_iso
from cairo6.store.schema import Meta, Screening, StudyVersion

FIRST = 1


@dataclass(frozen=True)
class VersionRow:
    """What the look-ups need of a version (its files are read only when used)."""

    number: int
    effective_on: dt.date
    sha256: str


def files_sha256(files: Mapping[str, str]) -> str:
    """The SHA-256 of a definition's files: of their names and texts, in name order."""
    body = json.dumps(dict(sorted(files.items())), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def in_force(rows: Sequence[VersionRow], day: dt.date) -> int:
    """The number of the version in force on `day`: the highest-numbered version effective on
    or before it, else the first (a day before the first version's date is still its day)."""
    numbers = [r.number for r in rows if r.effective_on <= day]
    return max(numbers) if numbers else min((r.number for r in rows), default=FIRST)


def in_force_number(day: BindParameter[dt.date]) -> ColumnElement[int]:
    """`in_force` as one SQL expression (for a query that must also learn other things in the
    same round trip); `day` is the bound parameter of the day."""
    effective = select(func.max(StudyVersion.number)).where(StudyVersion.effective_on <= day)
    first = select(func.min(StudyVersion.number))
    return func.coalesce(effective.scalar_subquery(), first.scalar_subquery(), FIRST)


def has_versions(conn: Connection) -> bool:
    """Whether the database has the versions table (migrated to 0010 or later)."""
    return inspect(conn).has_table(StudyVersion.__tablename__)


def version_rows(conn: Connection, *, table_known: bool = False) -> list[VersionRow]:
    """Every version, oldest first (none for a database without the table or a study);
    `table_known` skips asking the schema whether the table exists (a caller that saw it)."""
    if not table_known and not has_versions(conn):
        return []
    rows = conn.execute(
        select(StudyVersion.number, StudyVersion.effective_on, StudyVersion.sha256).order_by(
            StudyVersion.number
        )
    )
    return [VersionRow(int(n), _date(on), str(sha)) for n, on, sha in rows]


def version_files(conn: Connection, number: int) -> dict[str, str] | None:
    """The files of one version (None when there is no such version)."""
    if not has_versions(conn):
        if number != FIRST:
            return None
        text = conn.execute(select(Meta.value).where(Meta.key == "study_files")).scalar()
        return None if text is None else {str(k): str(v) for k, v in json.loads(text).items()}
    files = conn.execute(select(StudyVersion.files).where(StudyVersion.number == number)).scalar()
    return None if files is None else {str(k): str(v) for k, v in dict(files).items()}


def _date(value: object) -> dt.date:
    # SQLite hands back a date, a raw Core read on some drivers ISO text.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def first_effective_date(conn: Connection, accrual_start: dt.date | None) -> dt.date:
    """The date version 1 takes effect: the protocol's accrual start, else the first date the
    trial holds (a screening), else today."""
    if accrual_start is not None:
        return accrual_start
    first = conn.execute(select(func.min(Screening.screened_on))).scalar()
    return _date(first) if first is not None else dt.date.today()


def write_first_version(
    conn: Connection,
    files: Mapping[str, str],
    effective_on: dt.date,
    actor: Actor,
    reason: str,
) -> None:
    """Record version 1, with its audit record, in the caller's transaction (creation of a
    database, or migration 0010 for one bound before versions were kept); nothing when a
    version exists."""
    if conn.execute(select(func.count()).select_from(StudyVersion)).scalar():
        return
    values = {
        "number": FIRST,
        "files": dict(files),
        "sha256": files_sha256(files),
        "effective_on": effective_on,
        "reason": reason,
        "created_by": actor.username,
        "created_at": now_iso(),
    }
    conn.execute(insert(StudyVersion), values)
    append(
        conn,
        actor,
        "insert",
        StudyVersion.__tablename__,
        str(FIRST),
        insert_changes(values),
        reason=reason,
    )
