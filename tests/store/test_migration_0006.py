"""Migration 0006 on a database made by the per-form-table code (the SYNTHETIC fixture beside
this file, built at 6b52bc2 with edits and a query): nothing lost, the trail still verifies.

The old extract is rebuilt here by reflecting the fixture's per-form tables (the ORM classes
that read them are gone), exactly as the first release read them: one frame per table, its
columns in table order, date columns as datetime64.
"""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.util
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import MetaData, Table, create_engine, insert, inspect, select

from cairo6.service.audit_view import record_history, replay_trail, verify_trail
from cairo6.service.setup import open_trial
from cairo6.store.anchor import AnchorLog, create_key
from cairo6.store.audit import Actor
from cairo6.store.engine import Database, database_url
from cairo6.store.extract import extract
from cairo6.store.meta import protocol_text, study_files
from cairo6.store.migrate import current_revision, upgrade
from cairo6.store.replay import replay
from tests.conftest import _fresh_postgres

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "cairo6-main-6b52bc2.db.gz"
MIGRATION = (
    Path(__file__).parents[2]
    / "src/cairo6/store/migrations/versions/0006_per_form_tables_into_form_record.py"
)
DM = Actor("dm", "data_manager")
EDITED = [
    # (old table, old row id, item, value after the fixture's edits)
    ("surgery", 1, "operating_time_min", 334),
    ("surgery", 2, "cc_score", 1),
    ("treatment_cycle", 3, "dose_reduced", True),
    ("follow_up", 4, "vital_status", "lost"),
    ("complication", 1, "grade", "IIIa"),
]


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0006", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TABLES: dict[str, str] = _migration().TABLES


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture un-gzipped, never changed (each backend migrates its own copy)."""
    path = tmp_path_factory.mktemp("fixture") / "main.db"
    with gzip.open(FIXTURE) as source, path.open("wb") as out:
        shutil.copyfileobj(source, out)
    return path


def _old_frames(url: str) -> dict[str, pd.DataFrame]:
    """What the first release's extract returned for each per-form table."""
    engine = create_engine(database_url(url))
    frames = {}
    with engine.connect() as conn:
        people = Table("participant", MetaData(), autoload_with=conn)
        for table_name, form in TABLES.items():
            table = Table(table_name, MetaData(), autoload_with=conn)
            columns = [c for c in table.columns if c.name != "participant_id"]
            rows = conn.execute(
                select(people.c.study_number, *columns)
                .join(people, people.c.id == table.c.participant_id)
                .order_by(table.c.id)
            ).all()
            frame = pd.DataFrame(
                [tuple(r) for r in rows], columns=["study_number", *(c.name for c in columns)]
            )
            for column in frame.columns:
                values = frame[column].dropna()
                if len(values) and all(type(v) is dt.date for v in values):
                    frame[column] = pd.to_datetime(frame[column])
            frames[form] = frame
    engine.dispose()
    return frames


def _snapshot(url: str) -> dict[str, Any]:
    engine = create_engine(database_url(url))
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        tables = {n: Table(n, MetaData(), autoload_with=conn) for n in names}

        def rows(name: str, key: str) -> list[dict[str, Any]]:
            t = tables[name]
            return [dict(r) for r in conn.execute(select(t).order_by(t.c[key])).mappings()]

        found = {
            "counts": {TABLES[t]: len(rows(t, "id")) for t in TABLES if t in names},
            "randomisation": rows("randomisation", "id"),
            "participant": rows("participant", "id"),
            "audit": rows("audit_log", "seq"),
            "query": rows("data_query", "id"),
        }
    engine.dispose()
    return found


def _copy(source: Path, target_url: str) -> None:
    """The fixture's rows into an empty PostgreSQL database at the fixture's revision."""
    empty = Database(target_url)
    upgrade(empty, "0005")
    empty.dispose()
    src = create_engine(database_url(source))
    dst = create_engine(database_url(target_url))
    meta = MetaData()
    meta.reflect(src)
    with src.connect() as read, dst.begin() as write:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            target = Table(table.name, MetaData(), autoload_with=write)
            rows = [dict(r) for r in read.execute(select(table)).mappings()]
            if rows:
                write.execute(insert(target), rows)
    src.dispose()
    dst.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def migrated(
    request: pytest.FixtureRequest, fixture_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, dict[str, Any]]]:
    """The fixture, anchored, then upgraded by the real upgrade path, on each backend."""
    work = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        url = str(work / "trial.db")
        shutil.copy(fixture_db, url)
    else:
        url = _fresh_postgres(request.getfixturevalue("postgres_url"))
        _copy(fixture_db, url)
    before = _snapshot(url)
    before["frames"] = _old_frames(url)
    create_key(work / "key")
    anchors = AnchorLog(work / "anchors", work / "key")
    database = Database(url, anchors=anchors)
    # Anchored as `cairo6 audit anchor` does before an upgrade (the fixture's key is gone).
    anchors.append(before["audit"][-1]["seq"], before["audit"][-1]["hash"], "anchor")
    assert current_revision(database) == "0005"
    upgrade(database)
    yield database, before
    database.dispose()


def _moves(db: Database) -> dict[tuple[str, int], int]:
    """(old table, old id) -> form_record id, from the migration's audit records."""
    found = {}
    with db.engine.connect() as conn:
        audit = Table("audit_log", MetaData(), autoload_with=conn)
        for changes, record_id in conn.execute(
            select(audit.c.changes, audit.c.record_id).where(audit.c.action == "migrate")
        ):
            table, _, old = json.loads(changes)["moved_from"][0].partition(",")
            found[(table, int(old))] = int(record_id)
    return found


def _documents(db: Database) -> dict[int, dict[str, Any]]:
    with db.engine.connect() as conn:
        records = Table("form_record", MetaData(), autoload_with=conn)
        rows = conn.execute(select(records.c.id, records.c.form, records.c.data)).all()
    return {
        rid: {"form": form, **(data if isinstance(data, dict) else json.loads(data))}
        for rid, form, data in rows
    }


def test_every_record_is_moved_and_the_per_form_tables_are_gone(
    migrated: tuple[Database, dict[str, Any]],
) -> None:
    db, before = migrated
    after = _snapshot(db.url)
    assert after["counts"] == {}, "the per-form tables are dropped"
    documents = _documents(db)
    per_form: dict[str, int] = {}
    for document in documents.values():
        per_form[document["form"]] = per_form.get(document["form"], 0) + 1
    assert per_form == before["counts"]
    assert len(_moves(db)) == sum(before["counts"].values())


def test_allocations_participants_and_the_earlier_trail_are_untouched(
    migrated: tuple[Database, dict[str, Any]],
) -> None:
    db, before = migrated
    after = _snapshot(db.url)
    assert after["randomisation"] == before["randomisation"]
    assert after["participant"] == before["participant"]
    assert after["audit"][: len(before["audit"])] == before["audit"]
    # Later migrations append their own records (0010: the definition as version 1).
    added = [
        r for r in after["audit"][len(before["audit"]) :] if r["table_name"] != "study_version"
    ]
    assert {r["action"] for r in added if r["username"] == "migration-0006"} == {
        "migrate",
        "update",
    }


def test_the_trail_verifies_against_its_anchors_and_accounts_for_every_value(
    migrated: tuple[Database, dict[str, Any]],
) -> None:
    db, before = migrated
    result = verify_trail(db)
    assert result.ok, result.problem
    # The upgrade anchored the head it wrote: nothing appended by it is left unanchored.
    assert result.anchored == result.records > len(before["audit"])
    assert replay_trail(db) == []


def test_replay_names_a_value_the_migration_did_not_carry_over(
    migrated: tuple[Database, dict[str, Any]], tmp_path: Path
) -> None:
    db, _ = migrated
    if not db.is_sqlite:
        pytest.skip("the tampering is done on a SQLite copy")
    copy = tmp_path / "tampered.db"
    with db.engine.connect() as conn:
        source = conn.connection.dbapi_connection
        assert isinstance(source, sqlite3.Connection)
        with sqlite3.connect(copy) as target:
            source.backup(target)  # the whole database, the write-ahead log included
    engine = create_engine(database_url(copy))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        row = conn.exec_driver_sql(
            "SELECT seq, changes FROM audit_log WHERE action = 'migrate' AND "
            "changes LIKE '%\"surgery,1\"%'"
        ).one()
        changes = json.loads(row[1])
        changes["data.operating_time_min"] = [None, 291]
        conn.exec_driver_sql(
            "UPDATE audit_log SET changes = ? WHERE seq = ?", (json.dumps(changes), row[0])
        )
        found = [str(d) for d in replay(conn)]
    engine.dispose()
    assert "surgery row 1: operating_time_min is 291 in the table but 334 by the trail" in " ".join(
        found
    )


def test_the_edited_values_are_the_latest_and_their_history_follows_the_move(
    migrated: tuple[Database, dict[str, Any]],
) -> None:
    db, _ = migrated
    moves = _moves(db)
    documents = _documents(db)
    for table, old_id, item, value in EDITED:
        assert documents[moves[(table, old_id)]][item] == value, (table, old_id, item)
    trial = open_trial(db)
    rows = record_history(trial, DM, moves[("surgery", 1)])
    changes = [
        (r["action"], r["old"], r["new"], r["reason"])
        for r in rows
        if r["field"] == "data.operating_time_min"
    ]
    assert [c[:3] for c in changes] == [
        ("insert", None, 291),
        ("update", 291, 333),
        ("update", 333, 334),
        ("migrate", None, 334),
    ]
    assert changes[1][3] == "operating time misread on the CRF"


def test_queries_point_at_the_moved_records(migrated: tuple[Database, dict[str, Any]]) -> None:
    db, before = migrated
    moves = _moves(db)
    after = {q["id"]: q for q in _snapshot(db.url)["query"]}
    assert before["query"], "the fixture holds a query"
    form_tables = {form: table for table, form in TABLES.items()}
    for old in before["query"]:
        new = after[old["id"]]
        assert new["record_id"] == moves[(form_tables[old["form"]], old["record_id"])]
        # Columns a later migration (0008) added are compared in its own test.
        assert {k: new[k] for k in old if k != "record_id"} == {
            k: v for k, v in old.items() if k != "record_id"
        }


def test_the_extract_gives_the_frames_the_per_form_tables_gave(
    migrated: tuple[Database, dict[str, Any]],
) -> None:
    db, before = migrated
    frames = extract(db)
    for form, old in before["frames"].items():
        new = frames[form]
        # Items added to a form since (a CTCAE term beside the verbatim one) are new columns.
        assert [c for c in new.columns if c in set(old.columns)] == list(old.columns), form
        pd.testing.assert_frame_equal(
            new[list(old.columns)].drop(columns="id"), old.drop(columns="id"), obj=form
        )
    # The derived items ride along in the document, as a save computes them.
    surgery = frames["surgery"]
    assert {"pci_total", "macroscopic_complete"} <= set(surgery.columns)
    assert surgery["pci_total"].notna().all()
    assert frames["discharge"]["length_of_stay_days"].notna().all()


def test_a_record_saved_after_the_move_gets_a_new_id(
    migrated: tuple[Database, dict[str, Any]],
) -> None:
    db, _ = migrated
    last = max(_documents(db))
    with db.engine.connect() as conn:
        records = Table("form_record", MetaData(), autoload_with=conn)
        new = conn.execute(
            insert(records).values(
                participant_id=1, form="deviation", record_key="x", data={}, study_version=1
            )
        ).inserted_primary_key[0]
        conn.rollback()  # nothing of this test stays in the database
    assert new > last


def test_the_trial_opens_as_a_study_of_the_form_store_under_its_own_protocol(
    migrated: tuple[Database, dict[str, Any]],
) -> None:
    db, _ = migrated
    files = study_files(db)
    assert files is not None
    trial = open_trial(db)
    assert trial.study is not None
    assert files[trial.study.manifest.protocol] == protocol_text(db)
    assert {f.id for f in trial.study.forms} == set(TABLES.values())


def test_a_new_database_passes_through_with_nothing_to_move(tmp_path: Path) -> None:
    db = Database(tmp_path / "new.db")
    upgrade(db)
    after = _snapshot(db.url)
    db.dispose()
    assert after["counts"] == {}
    assert after["audit"] == []
