"""Data queries on items: record key, who and when of each step, and the query thread

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 15:30:00

Adds to `data_query` the record's key (a query names its record by form and key, as a person
does, not by a database id), the time and person of raising, answering and closing, and the
closing note; and the table `query_event`, one row per step of a query (its thread).

Existing queries lose nothing. What each held is read back from the audit trail, which saw
every step: the insert gives who raised it and when, an update to `answered` who answered and
when, an update to `closed` who closed it, when, and its note (the close reason is
"query closed: NOTE"). Each filled value is one `update` audit record and each thread step one
`insert` record, appended to the hash chain, so the replay check accounts for every value.

Downgrade drops the new table and columns (the thread is kept in the audit trail).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from cairo6.store.audit import Actor, Entry, append_many, insert_changes

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ACTOR = Actor(username="migration-0008", role="system")
NEW_COLUMNS = (
    ("record_key", sa.String(length=120)),
    ("raised_at", sa.String(length=40)),
    ("answered_by", sa.String(length=64)),
    ("answered_at", sa.String(length=40)),
    ("closed_by", sa.String(length=64)),
    ("closed_at", sa.String(length=40)),
    ("close_note", sa.Text()),
)
CLOSE_PREFIX = "query closed: "

_QUERY = sa.table(
    "data_query",
    sa.column("id", sa.Integer),
    sa.column("participant_id", sa.Integer),
    sa.column("record_id", sa.Integer),
    sa.column("question", sa.Text),
    sa.column("answer", sa.Text),
    *(sa.column(name, kind) for name, kind in NEW_COLUMNS),
)
_EVENT = sa.table(
    "query_event",
    sa.column("id", sa.Integer),
    sa.column("query_id", sa.Integer),
    sa.column("participant_id", sa.Integer),
    sa.column("step", sa.String),
    sa.column("username", sa.String),
    sa.column("role", sa.String),
    sa.column("at", sa.String),
    sa.column("text", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("data_query") as batch:
        for name, kind in NEW_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        "query_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["query_id"], ["data_query.id"]),
        sa.ForeignKeyConstraint(["participant_id"], ["participant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_query_event_query_id", "query_event", ["query_id"])
    _fill(op.get_bind())


def _steps(conn: sa.Connection) -> dict[str, list[dict[str, Any]]]:
    """Each query's audit records that changed it, oldest first, by query id."""
    rows = conn.execute(
        sa.text(
            "SELECT record_id, at, username, role, action, changes, reason FROM audit_log "
            "WHERE table_name = 'data_query' ORDER BY seq"
        )
    ).mappings()
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(str(row["record_id"]), []).append(
            {**row, "changes": json.loads(row["changes"])}
        )
    return out


def _history(
    query: Any, trail: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The new columns' values and the thread of one query, from its audit records."""
    values: dict[str, Any] = {}
    thread: list[dict[str, Any]] = []
    for record in trail:
        changes = record["changes"]
        who = {"username": record["username"], "role": record["role"], "at": record["at"]}
        if record["action"] == "insert":
            values["raised_at"] = record["at"]
            thread.append({**who, "step": "raised", "text": query.question})
            continue
        status = changes.get("status", [None, None])[1]
        if status == "answered":
            values.update(answered_by=record["username"], answered_at=record["at"])
            answer = changes.get("answer", [None, query.answer])[1]
            thread.append({**who, "step": "answered", "text": answer})
        elif status == "closed":
            reason = record["reason"] or ""
            note = reason[len(CLOSE_PREFIX) :] if reason.startswith(CLOSE_PREFIX) else reason
            values.update(closed_by=record["username"], closed_at=record["at"], close_note=note)
            thread.append({**who, "step": "closed", "text": note or None})
    return values, thread


def _fill(conn: sa.Connection) -> None:
    queries = conn.execute(sa.select(_QUERY).order_by(_QUERY.c.id)).all()
    if not queries:
        return
    keys: dict[int, str] = dict(
        conn.execute(sa.text("SELECT id, record_key FROM form_record")).all()
    )
    labels: dict[int, str] = dict(
        conn.execute(sa.text("SELECT id, study_number FROM participant")).all()
    )
    trails = _steps(conn)
    entries: list[Entry] = []
    event_rows: list[dict[str, Any]] = []
    next_event = 0
    for query in queries:
        values, thread = _history(query, trails.get(str(query.id), []))
        if query.record_id is not None and query.record_id in keys:
            values["record_key"] = keys[query.record_id]
        values = {k: v for k, v in values.items() if v is not None}
        label = labels.get(query.participant_id)
        if values:
            conn.execute(sa.update(_QUERY).where(_QUERY.c.id == query.id).values(**values))
            entries.append(
                Entry(
                    "update",
                    "data_query",
                    str(query.id),
                    {k: [None, v] for k, v in values.items()},
                    participant=label,
                    reason="the query's record key and steps, read from its audit records "
                    "(migration 0008)",
                )
            )
        for step in thread:
            next_event += 1
            row = {"id": next_event, "query_id": query.id, "participant_id": query.participant_id}
            row.update(step)
            event_rows.append(row)
            entries.append(
                Entry(
                    "insert",
                    "query_event",
                    str(next_event),
                    insert_changes(row),
                    participant=label,
                    reason="a step of the query's thread, from its audit record (migration 0008)",
                )
            )
    if event_rows:
        conn.execute(sa.insert(_EVENT), event_rows)
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('query_event', 'id'), :last)"),
                {"last": next_event},
            )
    append_many(conn, ACTOR, entries)


def downgrade() -> None:
    op.drop_index("ix_query_event_query_id", table_name="query_event")
    op.drop_table("query_event")
    with op.batch_alter_table("data_query") as batch:
        for name, _kind in reversed(NEW_COLUMNS):
            batch.drop_column(name)
