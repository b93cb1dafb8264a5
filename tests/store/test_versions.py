"""The version in force on a day: the rule in Python (`in_force`) and in SQL
(`in_force_number`, read inside the randomisation lock) give the same number."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Date, bindparam, insert, select

from cairo6.store.engine import Database
from cairo6.store.schema import StudyVersion
from cairo6.store.versions import in_force, in_force_number, version_rows

D = dt.date


@pytest.mark.parametrize(
    "effective",
    [
        [],
        [D(2018, 1, 1)],
        [D(2018, 1, 1), D(2019, 6, 1), D(2020, 3, 1)],
        # A later version that takes effect before an earlier one's date.
        [D(2018, 1, 1), D(2020, 3, 1), D(2019, 6, 1)],
    ],
)
def test_sql_and_python_agree_on_the_version_in_force(
    db: Database, effective: list[dt.date]
) -> None:
    days = [D(2017, 12, 31), D(2018, 1, 1), D(2019, 6, 1), D(2019, 12, 1), D(2020, 3, 1)]
    expression = select(in_force_number(bindparam("day", type_=Date)))
    with db.engine.begin() as conn:
        for number, on in enumerate(effective, 1):
            conn.execute(
                insert(StudyVersion),
                {
                    "number": number,
                    "files": {"study.toml": f"version {number}"},
                    "sha256": f"{number:064d}",
                    "effective_on": on,
                    "reason": "test",
                    "created_by": "admin",
                    "created_at": "2018-01-01T00:00:00+00:00",
                },
            )
        rows = version_rows(conn)
        found = [conn.execute(expression, {"day": day}).scalar_one() for day in days]
        conn.rollback()
    assert found == [in_force(rows, day) for day in days]
