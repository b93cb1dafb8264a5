"""Analysis Results Data (ARD): one record per number in the report.

After CDISC Analysis Results Standard and R's {cards}: every statistic is a long-format record
keyed by (table, variable, variable_level, group, stat_name), so that renderers only look numbers
up and the published-vs-reproduced comparison can join on the key.

Groups are arm ids of the protocol (any snake_case name; CAIRO6 uses `experimental` and
`control`) plus `total` and `comparison` (tests and risk ratios between arms). Percentages are
stored unrounded (89.189...); rounding is the report's job.

Denominators: `add_count` records n and pct for a level. The N of each group in a table is
recorded once as variable `population` (level ""); when a variable's denominator differs from it
(e.g. HIPEC regimen among patients who had HIPEC), that N is also recorded on the variable itself
with level "", so every pct can be recomputed from the ARD.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from numbers import Integral, Real
from typing import Literal, overload

import numpy as np
import pandas as pd

from cairo6.analysis.stats import Descriptives, RiskRatio, TestResult
from cairo6.errors import InvalidValueError, NotFoundError

StatValue = float | int | str | None
Summary = Literal["mean_sd", "median_range", "median_iqr", "all"]

STAT_NAMES: tuple[str, ...] = (
    "n", "N", "pct", "mean", "sd", "median", "p25", "p75", "min", "max",
    "rr", "rr_low", "rr_high", "p_value", "test", "ci_low", "ci_high",
    "statistic", "df", "min_expected", "coef", "se", "method",
    "rd", "rd_low", "rd_high", "mean_diff",
)  # fmt: skip
"""`statistic` is the test's own (chi-square, W, t, log-rank chi-square) with its `df`;
`min_expected` the smallest expected count of a chi-square table; `coef` and `se` a model's
coefficient (Cox: log hazard ratio); `method` (text) the conventions a number was computed by;
`rd` a risk difference (percentage points) with its interval, `mean_diff` a difference in means."""
TEXT_STATS = frozenset({"test", "method"})
COLUMNS: tuple[str, ...] = (
    "table", "variable", "variable_level", "group", "stat_name", "stat", "label", "note",
)  # fmt: skip
POPULATION = "population"
COMPARISON = "comparison"
TOTAL = "total"

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_SUMMARIES: Mapping[str, tuple[str, ...]] = {
    "mean_sd": ("mean", "sd"),
    "median_range": ("median", "min", "max"),
    "median_iqr": ("median", "p25", "p75"),
    "all": ("mean", "sd", "median", "p25", "p75", "min", "max"),
}

Key = tuple[str, str, str, str, str]


def _stat_value(stat_name: str, stat: object) -> StatValue:
    """The stat as a plain Python value (numpy scalars unwrapped), or an error."""
    if stat is None:
        return None
    if stat_name in TEXT_STATS:
        if isinstance(stat, str) and stat:
            return stat
        raise InvalidValueError("stat", stat, f"a non-empty text for {stat_name!r}")
    if isinstance(stat, bool | np.bool_) or not isinstance(stat, Real):
        raise InvalidValueError("stat", stat, f"a number or None for {stat_name!r}")
    if isinstance(stat, Integral):
        return int(stat)
    number = float(stat)
    if not math.isfinite(number):
        # NaN and infinity do not survive JSON; a statistic that cannot be estimated is None.
        raise InvalidValueError("stat", stat, "a finite number, or None when not estimable")
    return number


@dataclass(frozen=True)
class ArdRecord:
    """One reported statistic, validated on construction."""

    table: str
    variable: str
    variable_level: str
    group: str
    stat_name: str
    stat: StatValue
    label: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        for name in ("table", "variable", "variable_level", "label", "note"):
            if not isinstance(getattr(self, name), str):
                raise InvalidValueError(name, getattr(self, name), "a string")
        for name in ("table", "variable"):
            if not getattr(self, name).strip():
                raise InvalidValueError(name, getattr(self, name), "a non-empty name")
        if not isinstance(self.group, str) or not _SNAKE.match(self.group):
            raise InvalidValueError(
                "group",
                self.group,
                "an arm id of the protocol, 'total' or 'comparison' (snake_case)",
            )
        if self.stat_name not in STAT_NAMES:
            raise InvalidValueError("stat_name", self.stat_name, ", ".join(STAT_NAMES))
        object.__setattr__(self, "stat", _stat_value(self.stat_name, self.stat))

    @property
    def key(self) -> Key:
        """The identity of the record within an ARD."""
        return (self.table, self.variable, self.variable_level, self.group, self.stat_name)


class Ard(Sequence[ArdRecord]):
    """An ordered collection of ARD records with unique keys, in the order they were added."""

    def __init__(self, records: Iterable[ArdRecord] = ()) -> None:
        self._records: list[ArdRecord] = []
        self._index: dict[Key, ArdRecord] = {}
        self.extend(records)

    @overload
    def __getitem__(self, index: int) -> ArdRecord: ...
    @overload
    def __getitem__(self, index: slice) -> list[ArdRecord]: ...
    def __getitem__(self, index: int | slice) -> ArdRecord | list[ArdRecord]:
        return self._records[index]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[ArdRecord]:
        return iter(self._records)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ard) and self._records == other._records

    def __repr__(self) -> str:
        return f"Ard({len(self)} records)"

    def append(self, record: ArdRecord) -> ArdRecord:
        """Add a record; a second record with the same key is refused."""
        if not isinstance(record, ArdRecord):
            raise InvalidValueError("record", record, "an ArdRecord")
        if record.key in self._index:
            raise InvalidValueError(
                "ARD key",
                record.key,
                "a key not yet in the ARD",
                "each statistic is recorded once; use another table, level or group",
            )
        self._records.append(record)
        self._index[record.key] = record
        return record

    def add(
        self,
        table: str,
        variable: str,
        variable_level: str,
        group: str,
        stat_name: str,
        stat: object,
        label: str = "",
        note: str = "",
    ) -> ArdRecord:
        """Build a record from its fields and add it."""
        if stat_name not in STAT_NAMES:
            raise InvalidValueError("stat_name", stat_name, ", ".join(STAT_NAMES))
        value = _stat_value(stat_name, stat)
        record = ArdRecord(table, variable, variable_level, group, stat_name, value, label, note)
        return self.append(record)

    def extend(self, records: Iterable[ArdRecord]) -> None:
        """Add several records in order."""
        for record in records:
            self.append(record)

    def find(
        self, table: str, variable: str, variable_level: str, group: str, stat_name: str
    ) -> ArdRecord | None:
        """The record with this key, or None."""
        return self._index.get((table, variable, variable_level, group, stat_name))

    def stat(
        self, table: str, variable: str, variable_level: str, group: str, stat_name: str
    ) -> StatValue:
        """The value of the record with this key; NotFoundError when there is none."""
        record = self.find(table, variable, variable_level, group, stat_name)
        if record is None:
            key = "/".join((table, variable, variable_level, group, stat_name))
            raise NotFoundError("ARD record", key, "compute the statistic before reporting it")
        return record.stat

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame with exactly the columns of COLUMNS; `stat` keeps mixed types (object)."""
        frame = pd.DataFrame([astuple(r) for r in self._records], columns=list(COLUMNS))
        return frame.astype({"stat": object})

    def to_records(self) -> list[dict[str, StatValue]]:
        """The records as plain dictionaries, in order."""
        return [{f.name: getattr(r, f.name) for f in fields(ArdRecord)} for r in self._records]

    def to_csv_text(self) -> str:
        """CSV with a header row; None is written as an empty cell, floats in full precision."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for record in self._records:
            writer.writerow(
                "" if v is None else repr(v) if isinstance(v, float) else v for v in astuple(record)
            )
        return buffer.getvalue()

    def to_json_text(self) -> str:
        """A JSON array of records in insertion order, fields in column order."""
        return json.dumps(self.to_records(), ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_records(cls, rows: Iterable[Mapping[str, object]]) -> Ard:
        """Rebuild from dictionaries with the keys of COLUMNS (label and note may be absent)."""
        ard = cls()
        for row in rows:
            missing = [c for c in COLUMNS[:6] if c not in row]
            if missing:
                raise InvalidValueError("ARD row", dict(row), f"the keys {list(COLUMNS)}")
            text = {c: _text(row.get(c, "")) for c in COLUMNS if c != "stat"}
            ard.add(
                text["table"],
                text["variable"],
                text["variable_level"],
                text["group"],
                text["stat_name"],
                _plain(row["stat"]),
                text["label"],
                text["note"],
            )
        return ard

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Ard:
        """Rebuild from a DataFrame as made by `to_frame` (NaN in `stat` becomes None)."""
        if list(frame.columns) != list(COLUMNS):
            raise InvalidValueError("ARD columns", list(frame.columns), f"exactly {list(COLUMNS)}")
        rows = frame.to_dict(orient="records")
        return cls.from_records({str(k): v for k, v in row.items()} for row in rows)

    @classmethod
    def from_json_text(cls, text: str) -> Ard:
        """Rebuild from the output of `to_json_text`."""
        rows = json.loads(text)
        if not isinstance(rows, list):
            raise InvalidValueError("ARD JSON", text[:80], "a JSON array of records")
        return cls.from_records(rows)


def _is_count(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and int(value) >= 0


def _plain(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    return value


def _text(value: object) -> str:
    plain = _plain(value)
    return "" if plain is None else str(plain)


# --- helpers turning statistics into records ------------------------------------------------


def add_population(ard: Ard, table: str, group: str, N: int, label: str = "") -> None:  # noqa: N803
    """Record the N of a group in a table (variable `population`); a conflicting N is refused."""
    existing = ard.find(table, POPULATION, "", group, "N")
    if existing is None:
        ard.add(table, POPULATION, "", group, "N", N, label)
    elif existing.stat != N:
        raise InvalidValueError(
            f"{table} {group} N",
            N,
            f"the population N already recorded ({existing.stat})",
            "record a variable-specific denominator through add_count instead",
        )


def add_count(
    ard: Ard,
    table: str,
    variable: str,
    level: str,
    group: str,
    n: int,
    N: int,  # noqa: N803
    label: str = "",
) -> None:
    """Record n and the unrounded pct (100 n / N, None when N is 0) of one level in one group.

    The first N seen for a group in a table becomes its population N unless `add_population`
    was called first; a different N is recorded on the variable (level "") as its denominator.
    """
    if not (_is_count(n) and _is_count(N) and n <= N):
        raise InvalidValueError(f"{variable} {level} n/N", (n, N), "0 <= n <= N")
    population = ard.find(table, POPULATION, "", group, "N")
    if population is None:
        add_population(ard, table, group, N)
    elif population.stat != N:
        own = ard.find(table, variable, "", group, "N")
        if own is None:
            ard.add(table, variable, "", group, "N", N)
        elif own.stat != N:
            raise InvalidValueError(
                f"{variable} {group} N", N, f"the denominator already recorded ({own.stat})"
            )
    ard.add(table, variable, level, group, "n", n, label)
    ard.add(table, variable, level, group, "pct", 100 * n / N if N else None, label)


def add_descriptives(
    ard: Ard,
    table: str,
    variable: str,
    group: str,
    descriptives: Descriptives,
    summary: Summary = "mean_sd",
    label: str = "",
) -> None:
    """Record n (non-missing) and the statistics of `summary` for one group (level "").

    The number of missing values goes in the note of the n record, e.g. "missing=2".
    """
    if summary not in _SUMMARIES:
        raise InvalidValueError("summary", summary, ", ".join(_SUMMARIES))
    note = f"missing={descriptives.n_missing}" if descriptives.n_missing else ""
    ard.add(table, variable, "", group, "n", descriptives.n, label, note)
    for stat_name in _SUMMARIES[summary]:
        ard.add(table, variable, "", group, stat_name, getattr(descriptives, stat_name), label)


def add_comparison(
    ard: Ard,
    table: str,
    variable: str,
    test_result: TestResult | None,
    rr: RiskRatio | None = None,
    level: str = "",
    label: str = "",
) -> None:
    """Record a between-arm comparison (group `comparison`): the test, the risk ratio.

    The test's warning (e.g. small_expected) goes in the note of the `test` record; a risk ratio
    with a 0.5 zero-cell correction is noted as "corrected" on its records.
    """
    if test_result is not None:
        add_test(ard, table, variable, test_result, level, label)
    if rr is not None:
        note = "corrected" if rr.corrected else ""
        ard.add(table, variable, level, COMPARISON, "rr", rr.rr, label, note)
        ard.add(table, variable, level, COMPARISON, "rr_low", rr.low, label, note)
        ard.add(table, variable, level, COMPARISON, "rr_high", rr.high, label, note)


def add_interval(
    ard: Ard,
    table: str,
    variable: str,
    level: str,
    group: str,
    interval: tuple[float, float],
    label: str = "",
) -> None:
    """Record a confidence interval (e.g. Clopper-Pearson) as ci_low and ci_high."""
    ard.add(table, variable, level, group, "ci_low", interval[0], label)
    ard.add(table, variable, level, group, "ci_high", interval[1], label)


def add_test(
    ard: Ard, table: str, variable: str, result: TestResult, level: str = "", label: str = ""
) -> None:
    """Record a test (group `comparison`): P value, name, and what re-derives the P value.

    The statistic with its df, and for chi-square the smallest expected count, as R's `cards`
    keeps them; the test's warning (e.g. small_expected) goes in the note of the `test` record.
    """
    ard.add(table, variable, level, COMPARISON, "p_value", result.p_value, label)
    ard.add(table, variable, level, COMPARISON, "test", result.test, label, result.warning or "")
    if result.test != "fisher":  # Fisher's P is an enumeration, not a statistic's tail
        ard.add(table, variable, level, COMPARISON, "statistic", result.statistic, label)
    for name in ("df", "min_expected"):
        value = getattr(result, name)
        if value is not None:
            ard.add(table, variable, level, COMPARISON, name, value, label)
    if result.method:
        ard.add(table, variable, level, COMPARISON, "method", result.method, label)
