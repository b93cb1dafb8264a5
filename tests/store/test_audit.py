"""The audit trail: every change recorded, hash-chained, append-only, verifiable."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, text

from cairo6.errors import AuditError
from cairo6.store.audit import GENESIS, Actor, append, verify
from cairo6.store.engine import Database
from cairo6.store.migrate import current_revision, head_revision
from cairo6.store.schema import AuditRecord, Centre

ADMIN = Actor("admin", "administrator")


def _centre(db: Database, code: str = "C01") -> int:
    with db.write(ADMIN) as session:
        centre = Centre(code=code, name="Centre one", started_recruiting=dt.date(2017, 6, 15))
        session.add(centre)
        session.flush()
        return centre.id


def _records(db: Database) -> list[AuditRecord]:
    with db.read() as session:
        return list(session.scalars(select(AuditRecord).order_by(AuditRecord.seq)))


def test_schema_is_at_head(db: Database) -> None:
    assert current_revision(db) == head_revision()


def test_insert_update_delete_are_recorded_with_old_and_new(db: Database) -> None:
    cid = _centre(db)
    with db.write(ADMIN, reason="name corrected from the contract") as session:
        session.get_one(Centre, cid).name = "Centre One"
    with db.write(ADMIN, reason="registered twice") as session:
        session.delete(session.get_one(Centre, cid))
    records = _records(db)
    assert [r.action for r in records] == ["insert", "update", "delete"]
    assert json.loads(records[0].changes)["code"] == [None, "C01"]
    assert json.loads(records[1].changes) == {"name": ["Centre one", "Centre One"]}
    assert records[1].reason == "name corrected from the contract"
    assert json.loads(records[2].changes)["name"] == ["Centre One", None]
    assert records[0].prev_hash == GENESIS
    assert records[1].prev_hash == records[0].hash
    assert verify_ok(db, 3)


def verify_ok(db: Database, count: int) -> bool:
    with db.engine.connect() as conn:
        result = verify(conn)
    return result.ok and result.records == count


def test_a_change_without_a_reason_is_refused_and_nothing_is_written(db: Database) -> None:
    cid = _centre(db)
    with pytest.raises(AuditError, match="needs a reason"), db.write(ADMIN) as session:
        session.get_one(Centre, cid).name = "Renamed"
    with db.read() as session:
        assert session.get_one(Centre, cid).name == "Centre one"
    assert len(_records(db)) == 1


def test_a_change_without_an_actor_is_refused(db: Database) -> None:
    from cairo6.store.engine import StoreSession

    with StoreSession(db.engine) as session:
        session.add(Centre(code="C09", name="x"))
        with pytest.raises(AuditError, match="actor"):
            session.flush()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"]
)
def test_the_database_refuses_to_rewrite_the_trail(db: Database, statement: str) -> None:
    _centre(db)
    with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    assert verify_ok(db, 1)


def disable_guard(db: Database) -> None:
    """What someone with full database rights could do: take the append-only triggers away."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))


def test_verify_finds_a_record_edited_behind_its_back(db: Database) -> None:
    _centre(db, "C01")
    _centre(db, "C02")
    _centre(db, "C03")
    disable_guard(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET username = 'someone' WHERE seq = 2"))
    with db.engine.connect() as conn:
        result = verify(conn)
    assert not result.ok
    assert result.broken_at == 2
    assert "edited" in result.problem


def test_verify_finds_a_deleted_record(db: Database) -> None:
    for code in ("C01", "C02", "C03"):
        _centre(db, code)
    disable_guard(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    with db.engine.connect() as conn:
        result = verify(conn)
    assert (result.ok, result.broken_at) == (False, 3)
    assert "removed" in result.problem


def test_a_rolled_back_savepoint_takes_its_records_off_the_chain(db: Database) -> None:
    # The head a transaction wrote is kept for its next record; a savepoint rolled back
    # (an import row refused) takes that head back with it.
    with db.write(ADMIN) as session:
        session.add(Centre(code="C01", name="Kept", started_recruiting=dt.date(2017, 6, 15)))
        session.flush()
        nested = session.begin_nested()
        session.add(Centre(code="C02", name="Undone", started_recruiting=dt.date(2017, 6, 15)))
        session.flush()
        nested.rollback()
        session.add(Centre(code="C03", name="Kept", started_recruiting=dt.date(2017, 6, 15)))
        session.flush()
    records = _records(db)
    assert [json.loads(r.changes)["code"][1] for r in records] == ["C01", "C03"]
    assert records[1].prev_hash == records[0].hash
    assert verify_ok(db, 2)


def test_a_connection_reads_the_head_afresh_in_each_transaction(db: Database) -> None:
    # A pooled connection keeps its `info` between transactions, while another client's
    # records move the head on.
    other = Database(db.url)
    try:
        for number in range(3):
            with db.engine.begin() as conn:
                append(conn, ADMIN, "insert", "centre", str(number), {"n": [None, number]})
            _centre(other, f"C{number:02d}")
    finally:
        other.dispose()
    assert verify_ok(db, 6)
