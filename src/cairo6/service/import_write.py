"""Writing checked import rows in bulk: one COPY or executemany per table, then their audit.

The rows arrive checked (every check a single save would make has passed); they are inserted
with the ids the store would give them one by one (taken under the writer lock), by COPY on
PostgreSQL and the driver's executemany on SQLite (elsewhere SQLAlchemy's multi-row INSERTs
with RETURNING); their audit records are then built in bulk, with the same content and hash
chain as one flush per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text

from cairo6.store.audit import Actor
from cairo6.store.audit_bulk import audit_inserts, insert_plain
from cairo6.store.engine import StoreSession
from cairo6.store.schema import Base


def _as_flushed(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """Every column of the row as a flush of the ORM object would write it (unset columns
    take their scalar default, else None)."""
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.key in values:
            row[column.key] = values[column.key]
        elif column.default is not None and column.default.is_scalar:
            row[column.key] = column.default.arg  # type: ignore[attr-defined]
        elif not column.primary_key:
            row[column.key] = None
    return row


def _new_ids(session: StoreSession, table: Table, count: int) -> list[int] | None:
    """The ids the store would give `count` new rows one by one, taken now (the writer lock is
    held, so nothing else takes them): SQLite's highest id plus one each, PostgreSQL's next
    values of the column's sequence. None when neither applies."""
    conn = session.connection()
    if conn.dialect.name == "sqlite" and not table.kwargs.get("sqlite_autoincrement"):
        first = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        return list(range(first, first + count))
    if conn.dialect.name == "postgresql":
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        ).scalar()
        if sequence is None:
            return None
        taken = conn.execute(
            text("SELECT nextval(:seq) FROM generate_series(1, :n)"),
            {"seq": sequence, "n": count},
        ).scalars()
        return sorted(int(i) for i in taken)
    return None


def insert_audited(
    session: StoreSession,
    actor: Actor,
    entity: type[Base],
    rows: Sequence[Mapping[str, Any]],
    *,
    reason: str | None = None,
    participants: Sequence[str | None] | None = None,
) -> list[int]:
    """Insert rows of an audited table in bulk, with one audit record each; returns their ids.

    Runs in the caller's write transaction; anything the session still holds is flushed first,
    so that the audit trail keeps the order in which the rows were written.
    """
    if not rows:
        return []
    table = cast(Table, entity.__table__)
    session.flush()
    conn = session.connection()
    full = [_as_flushed(table, row) for row in rows]
    ids = _new_ids(session, table, len(full))
    if ids is not None:
        for row, new_id in zip(full, ids, strict=True):
            row["id"] = new_id
        insert_plain(conn, table, full)
    else:
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = [int(i) for i in conn.execute(statement, full).scalars()]
        for row, new_id in zip(full, ids, strict=True):
            row["id"] = new_id
    audit_inserts(conn, actor, table, full, reason=reason, participants=participants)
    return ids
