"""Migration 0008 on the SYNTHETIC fixture of the per-form-table release (upgraded through 0006
first): every query kept, its record key and steps read back from the audit trail, its thread
written, and the trail still verifies and accounts for every value."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import MetaData, Table, select

from cairo6.service.audit_view import replay_trail, verify_trail
from cairo6.store.engine import Database
from tests.store.test_migration_0006 import _snapshot, fixture_db, migrated

__all__ = ["fixture_db", "migrated"]  # the fixtures this module shares with 0006's test


def _rows(db: Database, name: str) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        table = Table(name, MetaData(), autoload_with=conn)
        return [dict(r) for r in conn.execute(select(table).order_by(table.c.id)).mappings()]


def _trail_of(before: dict[str, Any], query_id: int) -> list[dict[str, Any]]:
    return [
        {**r, "changes": json.loads(r["changes"])}
        for r in before["audit"]
        if r["table_name"] == "data_query" and r["record_id"] == str(query_id)
    ]


def test_every_query_is_kept_with_its_steps_from_the_trail(
    migrated: tuple[Database, dict[str, Any]],
) -> None:
    db, before = migrated
    after = {q["id"]: q for q in _snapshot(db.url)["query"]}
    keys = {r["id"]: r["record_key"] for r in _rows(db, "form_record")}
    assert before["query"], "the fixture holds a query"
    assert set(after) == {q["id"] for q in before["query"]}
    for old in before["query"]:
        new = after[old["id"]]
        assert {k: new[k] for k in ("question", "status", "answer", "raised_by")} == {
            k: old[k] for k in ("question", "status", "answer", "raised_by")
        }
        trail = _trail_of(before, old["id"])
        assert new["raised_at"] == trail[0]["at"]
        assert new["record_key"] == keys[new["record_id"]]
        answered = [r for r in trail if r["changes"].get("status", [None, None])[1] == "answered"]
        if answered:
            assert (new["answered_by"], new["answered_at"]) == (
                answered[-1]["username"],
                answered[-1]["at"],
            )


def test_each_query_gets_its_thread(migrated: tuple[Database, dict[str, Any]]) -> None:
    db, before = migrated
    events = _rows(db, "query_event")
    for old in before["query"]:
        trail = _trail_of(before, old["id"])
        thread = [e for e in events if e["query_id"] == old["id"]]
        assert thread[0]["step"] == "raised"
        assert [e["at"] for e in thread] == [r["at"] for r in trail if r["changes"].get("status")]
        assert thread[0]["username"] == old["raised_by"]
        if old["answer"]:
            assert thread[-1]["text"] == old["answer"]


def test_the_trail_verifies_and_accounts_for_the_filled_values(
    migrated: tuple[Database, dict[str, Any]],
) -> None:
    db, before = migrated
    result = verify_trail(db)
    assert result.ok, result.problem
    assert replay_trail(db) == []
    added = {r["action"] for r in _snapshot(db.url)["audit"] if r["username"] == "migration-0008"}
    assert added == {"update", "insert"}
    assert len(before["audit"]) < result.records
