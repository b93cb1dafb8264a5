"""Writing checked import rows in bulk: one executemany per table, then their audit records.

The rows arrive checked (every check a single save would make has passed); they are inserted
with one statement executed over all of them (on SQLite the driver's executemany with the ids
the store would give; elsewhere SQLAlchemy's multi-row INSERTs with RETURNING), and their ids
are used to build the audit records in bulk, with the same content and hash chain as one flush
per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, select

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
    if conn.dialect.name == "sqlite" and not table.kwargs.get("sqlite_autoincrement"):
        # SQLite gives a new row the highest id plus one; the writer lock is held, so the ids
        # are known beforehand and the rows go in with the driver's executemany.
        first = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        ids = list(range(first, first + len(full)))
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
