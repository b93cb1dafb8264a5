"""The bulk writer of large SYNTHETIC cohorts: straight into the tables and `form_record`, with
the rows, documents and audit records the services write, so the extract and the trail agree."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cairo6.protocol import default_protocol_text
from cairo6.service.audit_view import replay_trail, verify_trail
from cairo6.store.engine import Database
from cairo6.store.extract import extract
from cairo6.store.meta import bind_protocol
from cairo6.store.migrate import upgrade
from cairo6.studies.cairo6.synthetic_large import generate, to_extract, write_database


@pytest.fixture
def database(tmp_path: Path) -> Database:
    db = Database(tmp_path / "bulk.db")
    upgrade(db)
    bind_protocol(db, default_protocol_text())
    return db


def test_the_extract_of_a_bulk_written_cohort_is_its_generated_frames(database: Database) -> None:
    trial = generate(150, seed=5)
    written = write_database(trial, database)
    frames = extract(database)
    expected = to_extract(trial)
    assert list(frames) == list(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(frames[name], frame, obj=name)
    # One audit record per row: a participant's row and its allocation's, every other frame's.
    rows = sum(len(expected[n]) for n in expected if n != "query") + len(expected["participant"])
    assert written == rows


def test_every_written_value_follows_from_its_audit_records(database: Database) -> None:
    write_database(generate(60, seed=9), database)
    result = verify_trail(database)
    assert result.ok, result.problem
    assert replay_trail(database) == []


def test_a_database_with_participants_is_refused(database: Database) -> None:
    write_database(generate(5, seed=1), database)
    with pytest.raises(ValueError, match="without participants"):
        write_database(generate(5, seed=2), database)
