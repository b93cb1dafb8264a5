"""What every row computation shares: the data, the ARD being written, warnings and labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from cairo6.analysis.ard import TOTAL, Ard, add_count, add_interval, add_population
from cairo6.analysis.common import WarningLog
from cairo6.analysis.populations import population
from cairo6.analysis.spec import RowSpec, TableSpec, TablesSpec
from cairo6.analysis.stats import clopper_pearson
from cairo6.errors import InvalidValueError
from cairo6.protocol import Endpoint, Protocol

__all__ = ["Context", "RateCounts", "WindowOutcome", "in_group"]

RateCounts = dict[str, tuple[int, int]]
"""Per group: (events, denominator) of an endpoint, for the stopping rules."""


@dataclass(frozen=True)
class WindowOutcome:
    """One participant's time window that could be judged: met or missed, and by how much."""

    study_number: str
    group: str
    window_id: str
    days: int
    met: bool


@dataclass
class Context:
    """The inputs and outputs of one analysis run."""

    protocol: Protocol
    spec: TablesSpec
    frames: Mapping[str, pd.DataFrame]
    people: pd.DataFrame
    wide: pd.DataFrame
    events: Mapping[str, pd.DataFrame]
    grouping: Mapping[str, str] = field(default_factory=dict)
    """Population -> the people column it is grouped by (the allocated arm when absent)."""
    ard: Ard = field(default_factory=Ard)
    log: WarningLog = field(default_factory=WarningLog)
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    endpoint_counts: dict[str, RateCounts] = field(default_factory=dict)
    windows: list[WindowOutcome] = field(default_factory=list)
    _populations: dict[str, pd.DataFrame] = field(default_factory=dict)
    _screening: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        # The wide frame is joined from many frames (a block of columns each); every population
        # taken from it would merge those blocks again. Merged once here, a population is a
        # plain take.
        self.wide = self.wide.copy()

    @property
    def arms(self) -> list[str]:
        """Arm ids, experimental arm(s) first and the control arm last (risk ratio order)."""
        return sorted((a.id for a in self.protocol.arms), key=self._is_control)

    def _is_control(self, arm_id: str) -> bool:
        return self.protocol.arm(arm_id).is_control

    def endpoint(self, row: RowSpec) -> Endpoint | None:
        """The protocol endpoint a row reports, if any."""
        return None if row.endpoint is None else self.protocol.endpoint(row.endpoint)

    def population_name(self, table: TableSpec, row: RowSpec) -> str:
        """The row's population: its own, else its endpoint's, else the table's."""
        endpoint = self.endpoint(row)
        if row.population is not None:
            return row.population
        return endpoint.population if endpoint is not None else table.population

    def population(self, name: str) -> pd.DataFrame:
        """The wide rows of a population with a `group` column (see `grouping`)."""
        if name not in self._populations:
            members = population(self.people, name, self.grouping)
            frame = self.wide.loc[members["study_number"].to_numpy()].copy()
            frame["group"] = members["group"].to_numpy()
            self._populations[name] = frame
        return self._populations[name]

    def screening(self) -> pd.DataFrame:
        """The screening entries as rows of the total column (`screening.` prefixed), built once
        for every row counted from them."""
        if self._screening is None:
            screening = self.frames["screening"].add_prefix("screening.")
            screening["group"] = TOTAL
            self._screening = screening
        return self._screening

    def columns(self, table: TableSpec, row: RowSpec | None = None) -> list[str]:
        """The groups a row reports: the arms (where the spec says "arms") and/or total."""
        wanted = row.columns if row is not None and row.columns is not None else table.columns
        out: list[str] = []
        for column in wanted:
            out.extend(self.arms if column == "arms" else [column])
        return out

    def label(self, table: str, variable: str, text: str, levels: Mapping[str, str]) -> None:
        """Display labels of a variable and its levels."""
        if text:
            self.labels.setdefault((table, variable), text)
        for level, level_text in levels.items():
            self.labels.setdefault((table, f"{variable}/{level}"), level_text)

    def start_table(self, table: TableSpec) -> None:
        """Record the N of each column group of the table's population."""
        frame = self.population(table.population)
        for group in self.columns(table):
            add_population(self.ard, table.id, group, group_size(frame, group), table.title)
        if table.title:
            self.labels.setdefault((table.id, ""), table.title)


def members(frame: pd.DataFrame, group: str) -> pd.Index:
    """The index (study numbers) of one column group (all rows for total)."""
    return frame.index if group == TOTAL else frame.index[frame["group"].eq(group).to_numpy()]


def in_group(frame: pd.DataFrame, group: str) -> NDArray[np.bool_]:
    """The rows of one column group as a mask (all rows for total).

    Selects what `members` names without looking labels up: a population frame has one row
    per participant, so the two agree, and a mask costs one pass instead of an index search.
    """
    if group == TOTAL:
        return np.ones(len(frame), dtype=bool)
    return np.asarray(frame["group"].eq(group).to_numpy(), dtype=bool)


def group_size(frame: pd.DataFrame, group: str) -> int:
    """Number of participants of a column group."""
    return len(members(frame, group))


def record_rate(
    ctx: Context,
    table: str,
    variable: str,
    level: str,
    group: str,
    n: int,
    N: int,  # noqa: N803
    *,
    interval: bool = False,
) -> None:
    """n and pct with the variable's own denominator N recorded (level "") and an optional CI."""
    own = ctx.ard.find(table, variable, "", group, "N")
    if own is None:
        ctx.ard.add(table, variable, "", group, "N", N)
    elif own.stat != N:
        raise InvalidValueError(f"{table}/{variable} {group} N", N, f"{own.stat} as recorded")
    add_count(ctx.ard, table, variable, level, group, n, N)
    if interval and N > 0:
        low, high = clopper_pearson(n, N, ctx.protocol.analysis.ci_level)
        add_interval(ctx.ard, table, variable, level, group, (100 * low, 100 * high))
