"""The report's tables as rows of formatted strings, laid out from the ARD.

Rows follow the order of the ARD (the order the analysis spec lists them in): a variable's row,
then its levels, each level's cells looked up by (table, variable, level, group) and formatted
by `cairo6.report.format`. Columns are the groups of the table (arms first, then the total),
headed by their population N; a P value column appears when the table holds comparisons, and a
risk-ratio column when it holds risk ratios. Test names, notes and sub-populations become
lettered footnotes. Nothing is computed: every string comes from one record.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cairo6.analysis.ard import COMPARISON, POPULATION, TOTAL, ArdRecord
from cairo6.analysis.result import AnalysisResult
from cairo6.report.format import (
    DATE_NOTE,
    TEST_NAMES,
    TEST_WARNINGS,
    Stats,
    format_cell,
    format_count,
    format_p,
    format_rr,
    humanise,
)

__all__ = [
    "FIGURE",
    "RESULTS",
    "ArdView",
    "Column",
    "DisplayTable",
    "Row",
    "display_table",
    "table_name",
]

FIGURE = "figure"
RESULTS = "results"
DENOMINATOR_LABEL = "Denominator, No."
CellKey = tuple[str, str, str, str]
_TABLE_NUMBER = re.compile(r"^table(\d+)$")
_MISSING = re.compile(r"^missing=(\d+)$")


class ArdView:
    """The records of an analysis result indexed by key, with labels and order of appearance."""

    def __init__(self, result: AnalysisResult, arm_labels: Mapping[str, str] | None = None):
        self.result = result
        self.arm_labels = dict(arm_labels or {})
        self._cells: dict[CellKey, dict[str, ArdRecord]] = {}
        self._variables: dict[str, dict[str, None]] = {}
        self._levels: dict[tuple[str, str], dict[str, None]] = {}
        self._groups: dict[str, dict[str, None]] = {}
        for record in result.ard:
            key = (record.table, record.variable, record.variable_level, record.group)
            self._cells.setdefault(key, {})[record.stat_name] = record
            self._variables.setdefault(record.table, {})[record.variable] = None
            if record.group != COMPARISON or record.variable_level:
                self._levels.setdefault((record.table, record.variable), {})[
                    record.variable_level
                ] = None
            self._groups.setdefault(record.table, {})[record.group] = None
        # A label the analysis gave in one table serves the same name in another (the results
        # text reuses Table 2's variables).
        self._any_label: dict[str, str] = {}
        for (_, name), label in result.labels.items():
            self._any_label.setdefault(name, label)

    @property
    def tables(self) -> list[str]:
        """Table ids in order of appearance."""
        return list(self._variables)

    def variables(self, table: str) -> list[str]:
        """Variables of a table in order of appearance."""
        return list(self._variables.get(table, {}))

    def levels(self, table: str, variable: str) -> list[str]:
        """Levels of a variable ("" included where it holds a statistic), in order."""
        return list(self._levels.get((table, variable), {}))

    def groups(self, table: str) -> list[str]:
        """Column groups of a table: arms (in the protocol's order when known), then total."""
        present = [g for g in self._groups.get(table, {}) if g != COMPARISON]
        arms = [g for g in self.arm_labels if g in present]
        others = [g for g in present if g not in arms and g != TOTAL]
        return arms + others + ([TOTAL] if TOTAL in present else [])

    def stats(self, table: str, variable: str, level: str, group: str) -> Stats:
        """The records of one key by stat name (empty when there are none)."""
        return self._cells.get((table, variable, level, group), {})

    def has(self, table: str, stat_name: str) -> bool:
        """Whether any record of the table has this stat name."""
        return any(stat_name in stats for (t, *_), stats in self._cells.items() if t == table)

    def label(self, table: str, variable: str, level: str = "") -> str:
        """The analysis's label of a variable or level, else a readable form of its name."""
        name = f"{variable}/{level}" if level else variable
        labels = self.result.labels
        return (
            labels.get((table, name))
            or self._any_label.get(name)
            or humanise(level or variable, variable if level else "")
        )

    def group_label(self, group: str) -> str:
        """The column heading of a group."""
        if group == TOTAL:
            return "Total"
        return self.arm_labels.get(group) or humanise(group)

    def population(self, table: str, group: str, level: str = "") -> str:
        """The N of a group in a table as printed ("" when the table records none)."""
        return format_count(self.stats(table, POPULATION, level, group))


@dataclass(frozen=True)
class Column:
    """A group column: its heading and its N."""

    group: str
    heading: str
    n: str

    @property
    def title(self) -> str:
        """Heading with the N, as in a JAMA table: "CRS-HIPEC alone (n = 42)"."""
        return f"{self.heading} (n = {self.n})" if self.n else self.heading


@dataclass(frozen=True)
class Row:
    """One line of a table; `depth` 0 is a variable, 1 a level of it."""

    variable: str
    level: str
    label: str
    depth: int
    cells: tuple[str, ...]
    p: str = ""
    p_mark: str = ""
    rr: str = ""
    mark: str = ""


@dataclass(frozen=True)
class DisplayTable:
    """A table ready to print in any format."""

    id: str
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    has_p: bool
    has_rr: bool
    footnotes: tuple[tuple[str, str], ...] = ()
    """(letter, text) pairs."""
    spanner: str = ""
    """Text over the group columns, e.g. "No. (%)"."""

    @property
    def width(self) -> int:
        """Number of columns, label column included."""
        return 1 + len(self.columns) + int(self.has_rr) + int(self.has_p)

    def header(self) -> list[str]:
        """Column titles for flat formats (CSV, XLSX)."""
        titles = ["Characteristic", *(c.title for c in self.columns)]
        if self.has_rr:
            titles.append("Risk ratio (95% CI)")
        if self.has_p:
            titles.append("P value")
        return titles

    def body(self) -> list[list[str]]:
        """Rows for flat formats: the label indented by depth, footnote letters in brackets."""
        out = []
        for row in self.rows:
            label = "  " * row.depth + row.label + (f" [{row.mark}]" if row.mark else "")
            line = [label, *row.cells]
            if self.has_rr:
                line.append(row.rr)
            if self.has_p:
                line.append(row.p + (f" [{row.p_mark}]" if row.p_mark else ""))
            out.append(line)
        return out


@dataclass
class _Footnotes:
    letters: dict[str, str] = field(default_factory=dict)

    def mark(self, texts: Iterable[str]) -> str:
        marks = []
        for text in texts:
            if text not in self.letters:
                self.letters[text] = _letter(len(self.letters))
            if self.letters[text] not in marks:
                marks.append(self.letters[text])
        return ",".join(marks)

    def items(self) -> tuple[tuple[str, str], ...]:
        return tuple((letter, text) for text, letter in self.letters.items())


def _letter(index: int) -> str:
    letters = string.ascii_lowercase
    return (
        letters[index] if index < len(letters) else _letter(index // 26 - 1) + letters[index % 26]
    )


def table_name(table: str) -> str:
    """How a table id is named in print: "table2" -> "Table 2"."""
    match = _TABLE_NUMBER.match(table)
    if match:
        return f"Table {match[1]}"
    return {FIGURE: "Figure", RESULTS: "Results"}.get(table, humanise(table))


def _note_text(note: str) -> str:
    missing = _MISSING.match(note)
    return f"{missing[1]} missing" if missing else note


def _notes(view: ArdView, stats_by_group: Mapping[str, Stats]) -> list[str]:
    out = []
    for group, stats in stats_by_group.items():
        for record in stats.values():
            if record.note and record.stat_name != "test" and not record.note.startswith(DATE_NOTE):
                where = view.group_label(group) if group != COMPARISON else "comparison"
                text = f"{_note_text(record.note)} ({where})"
                if text not in out:
                    out.append(text)
    return out


def _test_text(comparison: Stats) -> str:
    record = comparison.get("test")
    if record is None or not isinstance(record.stat, str):
        return ""
    text = TEST_NAMES.get(record.stat, record.stat)
    if record.note:
        text += f"; {TEST_WARNINGS.get(record.note, record.note)}"
    return text


def _row(
    view: ArdView,
    table: str,
    variable: str,
    level: str,
    label: str,
    depth: int,
    groups: Sequence[str],
    notes: _Footnotes,
    digits: int,
    cells: Sequence[str] | None = None,
) -> Row:
    by_group = {g: view.stats(table, variable, level, g) for g in groups}
    comparison = view.stats(table, variable, level, COMPARISON)
    test = _test_text(comparison)
    return Row(
        variable=variable,
        level=level,
        label=label,
        depth=depth,
        cells=tuple(cells)
        if cells is not None
        else tuple(format_cell(by_group[g], digits) for g in groups),
        p=format_p(comparison),
        p_mark=notes.mark([test]) if test else "",
        rr=format_rr(comparison),
        mark=notes.mark(_notes(view, {**by_group, COMPARISON: comparison})),
    )


def _only(stats_by_group: Iterable[Stats], names: set[str]) -> bool:
    present = [set(s) for s in stats_by_group if s]
    return bool(present) and all(s <= names for s in present)


def _variable_rows(
    view: ArdView,
    table: str,
    variable: str,
    groups: Sequence[str],
    notes: _Footnotes,
    digits: int,
) -> list[Row]:
    levels = view.levels(table, variable)
    named = [level for level in levels if level]
    label = view.label(table, variable)
    head = [view.stats(table, variable, "", g) for g in groups]
    if not named:
        return [_row(view, table, variable, "", label, 0, groups, notes, digits)]
    # A categorical variable's own N (a denominator other than the column N) gets a line of
    # its own where the ARD records it, so it stands above the levels it is the base of.
    own_n = _only(head, {"N"})
    rows = [
        _row(
            view,
            table,
            variable,
            "",
            label,
            0,
            groups,
            notes,
            digits,
            cells=[""] * len(groups) if own_n or not any(head) else None,
        )
    ]
    for level in levels:
        if level:
            level_label = view.label(table, variable, level)
            rows.append(_row(view, table, variable, level, level_label, 1, groups, notes, digits))
        elif own_n:
            cells = [format_count(s) for s in head]
            rows.append(Row(variable, "", DENOMINATOR_LABEL, 1, tuple(cells)))
    return rows


def display_table(
    view: ArdView, table: str, title: str | None = None, digits: int = 0
) -> DisplayTable:
    """The table with this id, every variable the ARD holds for it, in ARD order."""
    groups = view.groups(table)
    notes = _Footnotes()
    rows: list[Row] = []
    for variable in view.variables(table):
        if variable == POPULATION:
            continue
        rows.extend(_variable_rows(view, table, variable, groups, notes, digits))
    footnotes = list(notes.items())
    for level in view.levels(table, POPULATION):
        if not level:
            continue
        for group in groups:
            n = view.population(table, group, level)
            if n:
                letter = _letter(len(footnotes))
                text = f"{humanise(level)}: n = {n} ({view.group_label(group)})"
                footnotes.append((letter, text))
    columns = tuple(
        Column(group, view.group_label(group), view.population(table, group)) for group in groups
    )
    return DisplayTable(
        id=table,
        name=table_name(table),
        title=title if title is not None else view.result.labels.get((table, ""), ""),
        columns=columns,
        rows=tuple(rows),
        has_p=view.has(table, "p_value"),
        has_rr=view.has(table, "rr"),
        footnotes=tuple(footnotes),
        spanner="No. (%)" if view.has(table, "pct") else "",
    )
