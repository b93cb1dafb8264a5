"""Replaying the audit trail: does every stored value follow from the recorded changes?

The hash chain proves the trail was not altered; it says nothing about a table changed behind
its back (an `UPDATE` with no audit record). Replaying every insert, update and delete of the
trail, by table name, record id and field, rebuilds what each audited table must hold now;
any row or value that differs from it was changed outside the audited path. Nothing here knows
a particular table: it reads the trail and the tables the schema marks as audited.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, inspect, select

from cairo6.store.audit import is_audited, iter_records, jsonable
from cairo6.store.schema import Base

DATA_ACTIONS = ("insert", "update", "delete", "migrate")
"""Audit actions that change a row; others (sign-ins and the like) are events. `migrate`
inserts a row moved from another table by a migration, naming that table's row in
`MOVED_FROM`: the moved row's history ends there and the new row's begins."""
MOVED_FROM = "moved_from"

_MISSING = object()


@dataclass(frozen=True)
class Difference:
    """One row or value where a table disagrees with its trail."""

    table: str
    record_id: str
    field: str | None
    """None when the whole row is missing from the table or from the trail."""
    in_table: Any
    by_trail: Any

    def __str__(self) -> str:
        where = f"{self.table} row {self.record_id}"
        if self.field is None:
            if self.in_table is None:
                return f"{where} is in the trail but not in the table (deleted outside the trail)"
            return f"{where} is in the table but the trail never inserted it"
        return (
            f"{where}: {self.field} is {_shown(self.in_table)} in the table but "
            f"{_shown(self.by_trail)} by the trail (changed outside the trail)"
        )


def _shown(value: Any) -> str:
    return "empty" if value is None else json.dumps(value, ensure_ascii=False)


def audited_tables() -> list[Table]:
    """Every table whose rows the audit trail covers."""
    return [t for t in Base.metadata.sorted_tables if is_audited(t)]


@dataclass(frozen=True)
class Move:
    """A row a migration moved into another table: its last state by the old table's trail,
    and the row the `migrate` record says it became."""

    table: str
    record_id: str
    before: dict[str, Any]
    after: dict[str, Any]


def rebuild(
    conn: Connection, moves: list[Move] | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """Current values by table name, record id and field, from the trail alone; rows moved
    by a migration are collected in `moves`."""
    state: dict[str, dict[str, dict[str, Any]]] = {}
    for record in iter_records(conn):
        action = record["action"]
        if action not in DATA_ACTIONS:
            continue
        rows = state.setdefault(record["table_name"], {})
        changes: dict[str, list[Any]] = json.loads(record["changes"])
        rid = record["record_id"]
        if action == "delete":
            rows.pop(rid, None)
            continue
        row = rows[rid] = {} if action in ("insert", "migrate") else rows.setdefault(rid, {})
        moved_from = changes.pop(MOVED_FROM, None) if action == "migrate" else None
        # Sorted names put a document column ("data") before its items ("data.<item>").
        for name, (_old, new) in sorted(changes.items()):
            column, dot, item = name.partition(".")
            if not dot:
                row[name] = new
            elif new is None:
                row.setdefault(column, {}).pop(item, None)
            else:
                row.setdefault(column, {})[item] = new
        if moved_from is not None:
            table, _, old_id = str(moved_from[0]).partition(",")
            before = state.get(table, {}).pop(old_id, {})
            if moves is not None:
                moves.append(Move(table, old_id, before, dict(row)))
    return state


def _compare_move(move: Move) -> Iterator[Difference]:
    """A moved row's document must hold what the old table's trail says the row held."""
    where = f"{move.table} row {move.record_id}"
    if not move.before:
        yield Difference(move.table, move.record_id, None, where, None)
        return
    if move.before.get("participant_id") != move.after.get("participant_id"):
        yield Difference(
            move.table,
            move.record_id,
            "participant_id",
            move.after.get("participant_id"),
            move.before.get("participant_id"),
        )
    document = move.after.get("data") or {}
    for name, value in move.before.items():
        if name in ("id", "participant_id"):
            continue
        if document.get(name) != value:
            yield Difference(move.table, move.record_id, name, document.get(name), value)


def _row_key(table: Table, row: Any) -> str:
    return ",".join(str(row[c.name]) for c in table.primary_key.columns)


def _compare(
    table: Table, conn: Connection, by_trail: dict[str, dict[str, Any]]
) -> Iterator[Difference]:
    columns = [c for c in table.columns if c.info.get("audited", True)]
    seen: set[str] = set()
    for row in conn.execute(select(table)).mappings():
        rid = _row_key(table, row)
        seen.add(rid)
        expected = by_trail.get(rid)
        if expected is None:
            yield Difference(table.name, rid, None, rid, None)
            continue
        for column in columns:
            stored = jsonable(row[column.name])
            wanted = expected.get(column.key, None)
            if stored != wanted:
                yield Difference(table.name, rid, column.key, stored, wanted)
    for rid in sorted(set(by_trail) - seen):
        yield Difference(table.name, rid, None, None, rid)


def replay(conn: Connection) -> list[Difference]:
    """Every row and value of the audited tables that the trail does not account for, and
    every value a migration did not carry over into the row it moved (named by the old row)."""
    moves: list[Move] = []
    state = rebuild(conn, moves)
    found: list[Difference] = []
    for move in moves:
        found += _compare_move(move)
    existing = set(inspect(conn).get_table_names())
    for table in audited_tables():
        # A table the schema still declares but a migration has dropped holds nothing to check.
        if table.name in existing:
            found += _compare(table, conn, state.get(table.name, {}))
    return found
