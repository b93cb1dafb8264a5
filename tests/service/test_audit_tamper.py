"""Tampering with a trial database behind the application's back, on SQLite and PostgreSQL.

Someone with full rights on the database drops or disables the audit triggers, then edits a
table without an audit record, removes the newest audit records, or rewrites the trail from a
point and recomputes every hash after it. `verify` (against the signed anchors) and the
replay check must name each of these, and `restore` must refuse such a copy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select, text

from cairo6.errors import AuditError, StateError
from cairo6.service.audit_view import anchor_head, replay_trail, verify_trail
from cairo6.service.backup import backup, restore
from cairo6.service.records import record_form
from cairo6.store.anchor import AnchorLog
from cairo6.store.audit import record_hash
from cairo6.store.engine import Database
from cairo6.store.schema import AuditRecord, FormRecord, Randomisation
from tests.service.conftest import Site, enrol
from tests.service.test_forms import _surgery
from tests.store.test_audit import disable_guard

KEY = Path(os.environ["CAIRO6_AUDIT_KEY"])


@pytest.fixture
def anchored(site: Site, tmp_path: Path) -> Site:
    """The site with its head anchored, so that every later commit is anchored too."""
    site.trial.db.anchors = AnchorLog(tmp_path / "trial.anchors", KEY)
    anchor_head(site.trial.db)
    return site


def _operated(site: Site) -> tuple[str, int]:
    """A participant with surgery recorded; returns the study number and the record's id."""
    number = enrol(site).study_number
    saved = record_form(
        site.trial, site.inv1, number, "surgery", _surgery(dt.date(2018, 2, 5)),
        today=dt.date(2019, 1, 1),
    )  # fmt: skip
    return number, saved.record_id


def _cc_score_3(db: Database) -> str:
    """SQL that changes the CC score inside every form record's document, behind the trail."""
    if db.is_sqlite:
        return "UPDATE form_record SET data = json_set(data, '$.cc_score', 3)"
    return "UPDATE form_record SET data = jsonb_set(data::jsonb, '{cc_score}', '3')::json"


def _tamper(db: Database, statement: str) -> None:
    disable_guard(db)
    with db.engine.begin() as conn:
        conn.execute(text(statement))
    db.dispose()


def test_a_clean_trial_verifies_and_replays(anchored: Site) -> None:
    _operated(anchored)
    result = verify_trail(anchored.trial.db)
    assert result.ok, result.problem
    assert result.anchored == result.records  # every commit anchored its head
    assert replay_trail(anchored.trial.db) == []


def test_a_silent_change_of_allocation_is_named(anchored: Site) -> None:
    enrol(anchored)
    with anchored.trial.db.engine.begin() as conn:
        row = conn.execute(select(Randomisation.id, Randomisation.arm)).one()
        other = "control" if row.arm == "experimental" else "experimental"
        conn.execute(text("UPDATE randomisation SET arm = :arm"), {"arm": other})
    assert verify_trail(anchored.trial.db).ok  # the chain itself is untouched
    [difference] = replay_trail(anchored.trial.db)
    assert (difference.table, difference.record_id, difference.field) == (
        "randomisation",
        str(row.id),
        "arm",
    )
    assert (difference.in_table, difference.by_trail) == (other, row.arm)
    assert f'randomisation row {row.id}: arm is "{other}"' in str(difference)


def test_a_silent_change_of_a_form_is_named(anchored: Site) -> None:
    _number, surgery = _operated(anchored)
    with anchored.trial.db.engine.begin() as conn:
        conn.execute(text(_cc_score_3(anchored.trial.db)))
        conn.execute(text("DELETE FROM eligibility"))
    found = {(d.table, d.record_id, d.field) for d in replay_trail(anchored.trial.db)}
    assert ("form_record", str(surgery), "data") in found
    assert {d[0] for d in found if d[2] is None} == {"eligibility"}  # deleted rows, by row


def test_removing_the_newest_records_is_reported(anchored: Site) -> None:
    db = anchored.trial.db
    removed = 50 if db.is_sqlite else 3
    while verify_trail(db).records < removed + 10:
        _operated(anchored)
    total = verify_trail(db).records
    disable_guard(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq > :keep"), {"keep": total - removed})
    result = verify_trail(db)
    assert not result.ok
    assert result.broken_at == total - removed + 1
    assert f"ends at record {total - removed} but record {total} was anchored" in result.problem
    assert "records removed from the end" in result.problem


def test_a_rewritten_and_rehashed_tail_is_reported(anchored: Site) -> None:
    db = anchored.trial.db
    _number, surgery = _operated(anchored)
    enrol(anchored)  # more records after the one rewritten
    disable_guard(db)
    # Change the value and the trail alike, then recompute every hash from there on: the
    # chain is whole again and the replay agrees; only the anchors remember the old hashes.
    with db.engine.begin() as conn:
        conn.execute(text(_cc_score_3(db)))
        records = [
            dict(r)
            for r in conn.execute(select(AuditRecord.__table__).order_by(AuditRecord.seq))
            .mappings()
            .all()
        ]
        start = next(
            r["seq"]
            for r in records
            if r["table_name"] == "form_record" and r["record_id"] == str(surgery)
        )
        prev = next(r["hash"] for r in records if r["seq"] == start - 1)
        for record in records[start - 1 :]:
            if record["seq"] == start:
                changes = json.loads(record["changes"])
                changes["data.cc_score"] = [None, 3]
                record["changes"] = json.dumps(changes, sort_keys=True, separators=(",", ":"))
            record["prev_hash"] = prev
            record["hash"] = record_hash(record)
            conn.execute(
                text(
                    "UPDATE audit_log SET changes = :changes, prev_hash = :prev_hash, "
                    "hash = :hash WHERE seq = :seq"
                ),
                record,
            )
            prev = record["hash"]
    assert replay_trail(db) == []
    result = verify_trail(db)
    assert not result.ok
    assert result.broken_at == start
    assert "differs from the one anchored" in result.problem


def test_an_edited_anchor_file_is_reported(anchored: Site) -> None:
    enrol(anchored)
    log = anchored.trial.db.anchors
    assert log is not None
    lines = log.path.read_text().splitlines()
    lines[-1] = lines[-1].replace('"seq": ', '"seq": 1')
    log.path.write_text("\n".join(lines) + "\n")
    with pytest.raises(StateError, match=f"line {len(lines)} of the anchor file"):
        verify_trail(anchored.trial.db)


def test_without_the_key_nothing_is_written(anchored: Site, tmp_path: Path) -> None:
    db = anchored.trial.db
    assert db.anchors is not None
    db.anchors = AnchorLog(db.anchors.path, tmp_path / "nowhere.key")
    with pytest.raises(AuditError, match=r"nowhere.key does not exist.*cairo6 audit key"):
        enrol(anchored)
    with db.read() as session:
        assert session.scalars(select(FormRecord)).first() is None


def test_restore_refuses_a_copy_that_fails_either_check(anchored: Site, tmp_path: Path) -> None:
    db = anchored.trial.db
    if not db.is_sqlite:
        pytest.skip("backup and restore use SQLite's online backup API (PostgreSQL: pg_dump)")
    _operated(anchored)
    good, edited, shortened = (tmp_path / f"{name}.db" for name in ("good", "edited", "short"))
    for copy in (good, edited, shortened):
        backup(anchored.trial, anchored.admin, copy)
        assert Path(f"{copy}.anchors").is_file()
    _tamper(Database(edited), _cc_score_3(db))
    _tamper(Database(shortened), "DELETE FROM audit_log WHERE seq > 5")
    target = Database(tmp_path / "restored.db", anchors=AnchorLog(tmp_path / "r.anchors", KEY))
    with pytest.raises(StateError, match=r"form_record row \d+: data is .*cc_score.*in the table"):
        restore(edited, target)
    with pytest.raises(StateError, match="records removed from the end"):
        restore(shortened, target)
    assert not Path(target.url.removeprefix("sqlite:///")).exists()
    records = restore(good, target)
    result = verify_trail(target)
    assert (result.ok, result.records, result.anchored) == (True, records, records)


def test_anchors_out_of_commit_order_still_show_a_truncation(anchored: Site) -> None:
    db = anchored.trial.db
    enrol(anchored)
    assert db.anchors is not None
    lines = db.anchors.path.read_text().splitlines()
    # Two writers finished in one order and wrote their anchors in the other.
    lines[-1], lines[-2] = lines[-2], lines[-1]
    db.anchors.path.write_text("\n".join(lines) + "\n")
    total = verify_trail(db).records
    disable_guard(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = :last"), {"last": total})
    result = verify_trail(db)
    assert not result.ok
    assert f"but record {total} was anchored" in result.problem
