"""The bulk screening path of the import gives what one `add_screening_in` per row gives: the
same rows, the same audit records (content and order), the same number counters, and for refused
rows the same problems, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cairo6.errors import Cairo6Error
from cairo6.protocol import Protocol
from cairo6.service import admin, enrolment
from cairo6.service.audit_view import replay_trail, verify_trail
from cairo6.service.exchange import ImportRejectedError, import_directory
from cairo6.service.exchange_csv import CsvRow, ImportProblem
from cairo6.service.exchange_import import _refusal
from cairo6.store.audit import canonical
from cairo6.store.audit_bulk import canonical as bulk_canonical
from cairo6.store.engine import Database
from cairo6.store.schema import AuditRecord, NumberCounter, Screening
from tests.service.test_exchange import Setup, empty_trial

HEADER = ["screening_number", "centre", "screened_on", "approached", "refused", "refusal_reason"]
GOOD = [
    ["C01-S0007", "C01", "2018-01-05", "true", "false", ""],
    ["C01-S0003", "C01", "2018-01-06", "true", "true", "logistical"],
    ["C02-S0012", "c02", "2018-01-07", "false", "", ""],
    ["C02-X-17", "C02", "2018-01-08", "true", "false", ""],  # another format: no counter moves
]
BAD = [
    ["C01-S0001", "C01", "2018-01-05", "true", "true", ""],  # refused, no reason
    ["C01-S0002", "C09", "2018-01-05", "true", "false", ""],  # no such centre
    ["C01-S0007", "C01", "2018-01-05", "true", "false", ""],  # number in use
    ["C02-S0001", "C02", "2099-01-05", "true", "false", ""],  # in the future
    ["C02-S0002", "C02", "2017-01-05", "true", "false", ""],  # before recruitment started
    ["C02-S0003", "C02", "2018-01-09", "false", "true", "logistical"],  # not approached
]
AUDITED = ("action", "table_name", "record_id", "participant", "changes", "reason", "username")


def _trial(db: Database, protocol: Protocol) -> Setup:
    setup = empty_trial(db, protocol)
    admin.add_centre(setup.trial, setup.admin, "C01", "Centre one", dt.date(2017, 6, 1))
    admin.add_centre(setup.trial, setup.admin, "C02", "Centre two", dt.date(2017, 6, 1))
    return setup


def _directory(path: Path, rows: list[list[str]]) -> Path:
    path.mkdir()
    with (path / "screening.csv").open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([HEADER, *rows])
    return path


def _one_by_one(setup: Setup, rows: list[list[str]], reason: str) -> list[ImportProblem]:
    """Each row through `add_screening_in` in its own savepoint, as the import did before."""
    problems: list[ImportProblem] = []
    with setup.trial.db.write(setup.dm, insert_reason=reason) as session:
        for number, cells in enumerate(rows, start=2):
            raw = dict(zip(HEADER, cells, strict=True))
            data: dict[str, Any] = {
                k: v for k, v in raw.items() if k not in ("centre", "screening_number")
            }
            row = CsvRow("screening", number, raw)
            try:
                with session.begin_nested():
                    enrolment.add_screening_in(
                        session,
                        setup.dm,
                        raw["centre"].upper(),
                        data,
                        number=raw["screening_number"],
                        trial=setup.trial,
                    )
            except Cairo6Error as exc:
                problems += _refusal(setup.trial, row, exc)
    return problems


def _written(db: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[Any]]:
    with db.read() as session:
        trail = [
            tuple(getattr(r, k) for k in AUDITED)
            for r in session.scalars(
                select(AuditRecord)
                .where(AuditRecord.table_name == "screening")
                .order_by(AuditRecord.seq)
            )
        ]
        counters = list(
            session.execute(
                select(NumberCounter.kind, NumberCounter.scope, NumberCounter.next_value).order_by(
                    NumberCounter.kind, NumberCounter.scope
                )
            )
        )
        numbers = list(session.scalars(select(Screening.screening_number).order_by(Screening.id)))
    return trail, [tuple(c) for c in counters], numbers


def test_bulk_rows_and_trail_are_those_of_one_save_per_row(
    db: Database, cairo6: Protocol, tmp_path: Path
) -> None:
    bulk = _trial(db, cairo6)
    directory = _directory(tmp_path / "in", GOOD)
    summary = import_directory(bulk.trial, bulk.dm, directory)
    assert summary.rows == {"screening": len(GOOD)}
    single = _trial(Database(tmp_path / "single.db"), cairo6)
    assert _one_by_one(single, GOOD, f"imported from {directory}") == []
    assert _written(bulk.trial.db) == _written(single.trial.db)
    assert verify_trail(bulk.trial.db).ok
    assert replay_trail(bulk.trial.db) == []
    # The counter of each scope moved past the highest number imported into it.
    assert (
        enrolment.add_screening(
            bulk.trial, bulk.dm, "C01", {"screened_on": "2018-02-01", "approached": False}
        )
        == "C01-S0008"
    )


def test_refused_rows_are_reported_as_one_save_per_row_reports_them(
    db: Database, cairo6: Protocol, tmp_path: Path
) -> None:
    bulk = _trial(db, cairo6)
    rows = GOOD + BAD
    with pytest.raises(ImportRejectedError) as info:
        import_directory(bulk.trial, bulk.dm, _directory(tmp_path / "in", rows))
    single = _trial(Database(tmp_path / "single.db"), cairo6)
    expected = _one_by_one(single, rows, "imported")
    assert len(expected) == len(BAD)
    assert info.value.problems == expected
    assert _written(bulk.trial.db)[0] == []  # nothing written, nothing audited


@pytest.mark.parametrize(
    "value",
    [
        {"b": [None, dt.date(2018, 1, 5)], "a": [None, 'één "quoted" ✓'], "c": [None, 1.5]},
        {"data": [None, {}], "data.x": [None, [1, True, None]], "id": [None, 7]},
        {"at": dt.datetime(2018, 1, 5, 9, 30, tzinfo=dt.UTC), "n": None, "t": (1, 2)},
    ],
)
def test_the_bulk_canonical_text_is_the_trail_s(value: dict[str, Any]) -> None:
    assert bulk_canonical(value) == canonical(value)
