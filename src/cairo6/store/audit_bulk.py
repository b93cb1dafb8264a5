"""Audit records for rows written in bulk (an import), built without the ORM's flush.

A bulk writer inserts many rows with one statement, which the flush hook of `audit` never sees;
it then calls `audit_inserts` with the rows as written (their ids included), which appends one
record per row, with the same content, order and hash chain as one flush per row would give.

The records are hashed over the same canonical JSON as `audit.canonical`, produced in one
`json.dumps` call (dates through `default`) instead of first copying every value into its JSON
form: with string keys and the column types of the store the text is the same, character for
character (`audit.verify` recomputes every hash the slow way), at a fraction of the cost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert

from cairo6.store.audit import HEAD_KEY, Actor, _head, insert_changes, now_iso
from cairo6.store.schema import AuditRecord

CHUNK = 5_000
"""Audit records per INSERT statement (bounds the memory a large import holds at once)."""


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not kept in the audit trail")


def canonical(value: Any) -> str:
    """`audit.canonical` of a value whose mappings have text keys, in one pass."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_iso
    )


def audit_inserts(
    conn: Connection,
    actor: Actor,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    reason: str | None = None,
    participants: Sequence[str | None] | None = None,
) -> int:
    """Append one insert record per row (every column as written, the primary key included),
    in row order; `participants` labels each row as the trail does (a study number). The caller
    holds the write lock. Returns the records appended."""
    key = [column.key for column in table.primary_key.columns]
    seq, prev = _head(conn)
    batch: list[dict[str, Any]] = []
    for i, values in enumerate(rows):
        seq += 1
        record: dict[str, Any] = {
            "seq": seq,
            "at": now_iso(),
            "username": actor.username,
            "role": actor.role,
            "action": "insert",
            "table_name": table.name,
            "record_id": ",".join(str(values[k]) for k in key),
            "participant": participants[i] if participants is not None else None,
            "changes": canonical(insert_changes(dict(values))),
            "reason": reason,
            "prev_hash": prev,
        }
        prev = record["hash"] = hashlib.sha256(canonical(record).encode("utf-8")).hexdigest()
        batch.append(record)
        if len(batch) == CHUNK:
            conn.execute(insert(AuditRecord), batch)
            batch = []
    if batch:
        conn.execute(insert(AuditRecord), batch)
    if rows:
        conn.info[HEAD_KEY] = (seq, prev)
    return len(rows)
