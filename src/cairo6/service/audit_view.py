"""Reading the audit trail: per-participant and per-record history, chain verification."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from cairo6.errors import NotFoundError, StateError
from cairo6.service.concealment import (
    ALLOCATION_TABLES,
    audit_value,
    hidden_forms,
    may_see_allocation,
    require_unblinded_for,
)
from cairo6.service.permissions import Action
from cairo6.service.trial import Trial, participant
from cairo6.store.anchor import Anchor
from cairo6.store.audit import GENESIS, Actor, Verification, verify
from cairo6.store.engine import Database, StoreSession
from cairo6.store.replay import MOVED_FROM, Difference, replay
from cairo6.store.schema import AuditRecord, FormRecord, Participant, Query


def verify_trail(db: Database) -> Verification:
    """Walk the whole chain, and check it against the anchors when the database has them."""
    anchors = db.anchors.read() if db.anchors is not None else None
    with db.engine.connect() as conn:
        return verify(conn, anchors)


def replay_trail(db: Database) -> list[Difference]:
    """Every stored row or value the trail does not account for (empty when all agree)."""
    with db.engine.connect() as conn:
        return replay(conn)


def anchor_head(db: Database) -> Anchor:
    """Anchor the current head by hand, once the trail checks clean (also its first anchor)."""
    if db.anchors is None:
        raise StateError("this database has no anchor file configured", "set CAIRO6_AUDIT_ANCHORS")
    anchors = db.anchors.read()
    with db.engine.connect() as conn:
        result = verify(conn, anchors if anchors else None)
        head = conn.execute(
            select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
        ).first()
    if not result.ok:
        raise StateError(
            f"the audit trail is broken at record {result.broken_at}: {result.problem}",
            "a broken trail is not anchored; investigate it first (`cairo6 audit verify --data`)",
        )
    seq, digest = (head[0], head[1]) if head else (0, GENESIS)
    return db.anchors.append(seq, digest, "anchor")


def history(trial: Trial, actor: Actor, study_number: str) -> list[dict[str, Any]]:
    """One row per changed field, oldest first, for one participant."""
    with trial.db.read() as session:
        person = participant(session, actor, study_number, Action.VIEW_AUDIT)
        records = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.participant == study_number)
            .order_by(AuditRecord.seq)
        ).all()
        shown = _unblinding_removed(session, actor, trial, person.id, records)
    return _rows(actor, shown)


def _unblinding_removed(
    session: StoreSession,
    actor: Actor,
    trial: Trial,
    participant_id: int,
    records: Sequence[AuditRecord],
) -> list[AuditRecord]:
    """The audit records less what a blinded reader may not see: the randomisation, and the
    records (and queries) of the forms that reveal the allocation. All for an unblinded one."""
    if may_see_allocation(actor):
        return list(records)
    hidden = hidden_forms(actor, trial.study)
    withheld = {
        (table.__tablename__, str(i))
        for table in (FormRecord, Query)
        for i in session.scalars(
            select(table.id).where(table.participant_id == participant_id, table.form.in_(hidden))
        )
    }
    return [
        r
        for r in records
        if r.table_name not in ALLOCATION_TABLES and (r.table_name, r.record_id) not in withheld
    ]


def record_history(trial: Trial, actor: Actor, record_id: int) -> list[dict[str, Any]]:
    """One row per changed item of one form record, oldest first, from its first entry.

    A record a migration moved into the form store (0006, from a per-form table) has its
    earlier history under the old table and row, which its `migrate` audit record names; that
    history is included, each old column shown as the document item it became (`data.<id>`).
    """
    with trial.db.read() as session:
        row = session.get(FormRecord, record_id)
        if row is None:
            raise NotFoundError("form record", str(record_id), "give the id of a form record")
        person = session.get(Participant, row.participant_id)
        assert person is not None
        participant(session, actor, person.study_number, Action.VIEW_AUDIT)
        require_unblinded_for(actor, trial.definition().form(row.form))
        own = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.table_name == FormRecord.__tablename__)
            .where(AuditRecord.record_id == str(record_id))
            .order_by(AuditRecord.seq)
        ).all()
        earlier: list[AuditRecord] = []
        for rec in own:
            moved = json.loads(rec.changes).get(MOVED_FROM) if rec.action == "migrate" else None
            if moved:
                table, _, old_id = str(moved[0]).partition(",")
                earlier += session.scalars(
                    select(AuditRecord)
                    .where(AuditRecord.table_name == table, AuditRecord.record_id == old_id)
                    .order_by(AuditRecord.seq)
                ).all()
    return _rows(actor, [*earlier, *own], as_items=frozenset(r.table_name for r in earlier))


def _rows(
    actor: Actor, records: Sequence[AuditRecord], as_items: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Audit records as one row per field; columns of `as_items` tables named as items."""
    rows = []
    for rec in records:
        changes: dict[str, list[Any]] = json.loads(rec.changes)
        for field, (old, new) in sorted(changes.items()):
            shown = field
            if rec.table_name in as_items and field not in ("id", "participant_id"):
                shown = f"data.{field}"
            rows.append(
                {
                    "seq": rec.seq,
                    "at": rec.at,
                    "username": rec.username,
                    "role": rec.role,
                    "action": rec.action,
                    "table_name": rec.table_name,
                    "record_id": rec.record_id,
                    "field": shown,
                    "old": audit_value(actor, rec.table_name, field, old),
                    "new": audit_value(actor, rec.table_name, field, new),
                    "reason": rec.reason,
                }
            )
    return rows
