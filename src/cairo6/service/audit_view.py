"""Reading the audit trail: per-participant history and chain verification."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from cairo6.service.concealment import audit_value
from cairo6.service.permissions import Action
from cairo6.service.trial import Trial, participant
from cairo6.store.audit import Actor, Verification, verify
from cairo6.store.engine import Database
from cairo6.store.schema import AuditRecord


def verify_trail(db: Database) -> Verification:
    """Walk the whole chain."""
    with db.engine.connect() as conn:
        return verify(conn)


def history(trial: Trial, actor: Actor, study_number: str) -> list[dict[str, Any]]:
    """One row per changed field, oldest first, for one participant."""
    with trial.db.read() as session:
        participant(session, actor, study_number, Action.VIEW_AUDIT)
        records = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.participant == study_number)
            .order_by(AuditRecord.seq)
        ).all()
    rows = []
    for rec in records:
        changes: dict[str, list[Any]] = json.loads(rec.changes)
        for field, (old, new) in sorted(changes.items()):
            rows.append(
                {
                    "seq": rec.seq,
                    "at": rec.at,
                    "username": rec.username,
                    "role": rec.role,
                    "action": rec.action,
                    "table_name": rec.table_name,
                    "record_id": rec.record_id,
                    "field": field,
                    "old": audit_value(actor, rec.table_name, field, old),
                    "new": audit_value(actor, rec.table_name, field, new),
                    "reason": rec.reason,
                }
            )
    return rows
