"""The published-vs-reproduced comparison: rounding as printed and the statuses."""

from __future__ import annotations

import datetime as dt

import pytest

from cairo6.analysis.ard import Ard
from cairo6.reference.compare import compare, summary
from cairo6.reference.published import PublishedNumber, load_published
from cairo6.studies.cairo6.derive.disposition import DATE_NOTE, date_number


def _number(
    key: str, value: float | None, text: str | None = None, inconsistent: str | None = None
) -> PublishedNumber:
    table, variable, level, group, stat = key.split("/")
    return PublishedNumber(
        table, variable, level, group, stat, value, text, "test", inconsistent=inconsistent
    )


def _ard(*records: tuple[str, object, str]) -> Ard:
    ard = Ard()
    for key, stat, note in records:
        ard.add(*key.split("/"), stat, note=note)
    return ard


@pytest.mark.parametrize(
    ("key", "printed", "computed", "status"),
    [
        ("t/v/yes/experimental/pct", 89, 89.189, "match"),
        ("t/v/yes/experimental/pct", 3, 2.5, "match"),  # half up
        ("t/v/yes/experimental/pct", 2, 2.5, "differs"),
        ("t/v//comparison/p_value", 0.74, 0.7426, "match"),
        ("t/v//comparison/p_value", 0.01, 0.0133, "match"),
        ("t/v//comparison/p_value", 0.009, 0.0094, "match"),  # 3 decimals below .01
        ("t/v//comparison/p_value", 0.04, 0.0391, "match"),
        ("t/v//comparison/p_value", 0.05, 0.0449, "differs"),
        ("t/v/yes/comparison/rr", 1.04, 1.0405, "match"),
        ("t/v/yes/comparison/rr_low", 0.31, 0.3070, "match"),
        ("t/v//experimental/mean", 317, 316.5, "match"),
        ("t/v//experimental/sd", 122, 121.49, "differs"),
        ("t/v//experimental/n", 33, 33, "match"),
    ],
)
def test_rounded_as_printed(key: str, printed: float, computed: float, status: str) -> None:
    number = _number(key, printed)
    [result] = compare(_ard((key, computed, "")), [number])
    assert result.status == status, result


def test_missing_and_inconsistent_statuses() -> None:
    count = _number("t/v/a/control/n", 5, inconsistent="the paper contradicts itself")
    pct = _number("t/v/a/control/pct", 14)
    absent = _number("t/w/a/control/n", 1)
    ard = _ard(("t/v/a/control/n", 4, ""), ("t/v/a/control/pct", 100 * 4 / 37, ""))
    statuses = [c.status for c in compare(ard, [count, pct, absent])]
    # The percentage of an inconsistent count inherits the inconsistency.
    assert statuses == ["inconsistent_in_paper", "inconsistent_in_paper", "missing"]
    text = summary(compare(ard, [count, pct, absent]))
    assert text.startswith("0 of 3 published numbers reproduced")


def test_dates_to_the_precision_printed() -> None:
    day = dt.date(2018, 3, 12)
    ard = _ard(("results/start//total/max", date_number(day), f"{DATE_NOTE}{day.isoformat()}"))
    month = _number("results/start//total/date", None, text="2018-03")
    exact = _number("results/start//total/date", None, text="2018-03-13")
    assert [c.status for c in compare(ard, [month, exact])] == ["match", "differs"]


def test_every_published_number_reproduces_itself() -> None:
    # An ARD holding the printed values (dates aside) compares as a full match.
    published = [n for n in load_published() if n.stat_name != "date"]
    ard = Ard()
    for number in published:
        ard.add(*number.key, number.value)
    results = compare(ard, published)
    assert {c.status for c in results} == {"match"}
