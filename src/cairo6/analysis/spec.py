"""The report layout as data: which rows, from which values, in which population, with which test.

A table spec is a TOML document (a study's `layout` file, e.g. `tables.toml` in its folder);
another trial changes the spec, not the code. `[spec] derivations` names the module of the
study's own derivations (populations, derived columns, row kinds of its own: see
`cairo6.analysis.derivations`). `parse_spec` is pure (text in, `TablesSpec` out) and checks
every key it knows, so that a misspelt option fails loudly instead of being ignored.

Row kinds (generic code in `cairo6.analysis.rows` and `events`; the last three are implemented
by a study's derivations):
- categorical  n and pct per level (+ test, + risk ratio for an endpoint)
- continuous   summary statistics (+ test), optional counts of given values ("0")
- count        n only (disposition boxes), optionally broken down and split into variables
- proportion   n of a condition among a population, with its own N
- event_details patients per event term and grade (Clavien-Dindo, CTCAE, reoperations)
- grade_thresholds patients with a grade at or above a threshold, overall and per phase
- pathology    grade distribution per site and grading system
- response     response categories with an objective-response rate and exact CI
- compliance   treatment within the protocol's reported time windows
- accrual      enrolment dates, centres and the end of trial treatment
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from cairo6.errors import InvalidValueError

__all__ = [
    "KINDS",
    "EventSource",
    "FlowBox",
    "FlowLayout",
    "RowSpec",
    "TableSpec",
    "TablesSpec",
    "default_spec",
    "default_spec_text",
    "opt_list",
    "opt_map",
    "opt_str",
    "parse_spec",
    "spec_for",
]

_COMMON = {
    "kind", "variable", "label", "value", "population", "columns", "levels", "map",
    "level_labels", "where", "test", "endpoint", "event_level", "effect_table", "note",
}  # fmt: skip
KINDS: Mapping[str, frozenset[str]] = {
    "categorical": frozenset({"count_only"}),
    "continuous": frozenset({"summary", "count_equal"}),
    "count": frozenset({"source", "by", "split"}),
    "proportion": frozenset({"source", "numerator", "denominator", "interval"}),
    "event_details": frozenset({"form", "min_grade", "max_grade", "of", "order"}),
    "grade_thresholds": frozenset({"form", "grades", "phases", "any_level"}),
    "pathology": frozenset({"form", "sites", "systems"}),
    "response": frozenset({"method", "objective", "site", "max_grade"}),
    "compliance": frozenset({"windows"}),
    "accrual": frozenset({"variables"}),
}
# Kinds whose rows make several variables, so `variable` is optional for them.
_MULTI = frozenset({"grade_thresholds", "pathology", "compliance", "accrual"})
_SUMMARIES = frozenset({"mean_sd", "median_range", "median_iqr", "all"})
_TESTS = frozenset({"auto", "chi2", "fisher", "t_test", "mann_whitney", "none"})
_SOURCES = frozenset({"participant", "screening"})


@dataclass(frozen=True)
class RowSpec:
    """One row (or block of rows) of a table; kind-specific options stay in `options`."""

    kind: str
    variable: str
    label: str = ""
    value: object = None
    population: str | None = None
    columns: tuple[str, ...] | None = None
    levels: tuple[str, ...] = ()
    level_map: Mapping[str, str] = field(default_factory=dict)
    level_labels: Mapping[str, str] = field(default_factory=dict)
    where: Mapping[str, object] = field(default_factory=dict)
    test: str | None = None
    endpoint: str | None = None
    event_level: str | None = None
    effect_table: str | None = None
    note: str = ""
    options: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class TableSpec:
    """A display item: its id (the ARD `table`), title, default population and columns."""

    id: str
    title: str
    population: str
    columns: tuple[str, ...]
    rows: tuple[RowSpec, ...]


@dataclass(frozen=True)
class EventSource:
    """A repeating form of dated, graded events (adverse events, complications, reoperations)."""

    form: str
    term: str
    grade: str
    """`clavien_dindo`, `ctcae`, `match:<form>` (grade of the same term in that form) or ''."""
    date: str = ""
    phase: str = ""
    where: Mapping[str, object] = field(default_factory=dict)
    default_grade: int | None = None


@dataclass(frozen=True)
class FlowBox:
    """One box of the flow diagram: a count variable of the Figure table, the variables whose
    levels list under it, and whether it is on the main flow or to the side."""

    variable: str
    details: tuple[str, ...] = ()
    nested: str = ""
    """Prefix of the variables breaking each detail level down further (reasons per level):
    the level `x` of a detail has its own levels in the variable `nested + x`."""
    extra: tuple[str, ...] = ()
    """Other count variables printed as further lines of the same box."""
    side: bool = False


@dataclass(frozen=True)
class FlowLayout:
    """The flow diagram's boxes: above the arms (total), per arm, and below (total)."""

    top: tuple[FlowBox, ...] = ()
    arms: tuple[FlowBox, ...] = ()
    bottom: tuple[FlowBox, ...] = ()


@dataclass(frozen=True)
class TablesSpec:
    """A whole report layout."""

    name: str
    tables: tuple[TableSpec, ...]
    events: Mapping[str, EventSource]
    text_levels: Mapping[str, str]
    """Free text (a stop reason, a term) -> level name, where the default slug is not wanted."""
    regimen_levels: Mapping[str, str]
    synthetic_marker: str = ""
    derivations: str = ""
    """The module (import name) of the study's derivations; "" for none."""
    flow_diagram: FlowLayout | None = None
    """Where the Figure table's counts go in the flow diagram (None: in the order computed)."""

    def table(self, table_id: str) -> TableSpec:
        """The table with this id."""
        for table in self.tables:
            if table.id == table_id:
                return table
        raise InvalidValueError("table", table_id, ", ".join(t.id for t in self.tables))


def _fail(where: str, message: str) -> InvalidValueError:
    return InvalidValueError(where, message, "a valid table spec", "correct the table spec")


def opt_str(options: Mapping[str, object], key: str, where: str, default: str = "") -> str:
    """A string option (the default when absent)."""
    value = options.get(key, default)
    if not isinstance(value, str):
        raise _fail(f"{where}.{key}", f"expected a string, got {value!r}")
    return value


def opt_map(options: Mapping[str, object], key: str, where: str) -> dict[str, object]:
    """A table option ({} when absent)."""
    value = options.get(key, {})
    if not isinstance(value, dict):
        raise _fail(f"{where}.{key}", f"expected a table, got {value!r}")
    return {str(k): v for k, v in value.items()}


def opt_list(options: Mapping[str, object], key: str, where: str) -> list[object]:
    """An array option ([] when absent)."""
    value = options.get(key, [])
    if not isinstance(value, list):
        raise _fail(f"{where}.{key}", f"expected an array, got {value!r}")
    return list(value)


def _strings(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise _fail(where, f"expected an array of strings, got {raw!r}")
    return tuple(raw)


def _string_map(raw: object, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise _fail(where, f"expected a table of strings, got {raw!r}")
    return {str(k): v for k, v in raw.items()}


def _optional(raw: Mapping[str, object], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise _fail(f"{where}.{key}", f"expected a string, got {value!r}")
    return value


def _row(raw: object, where: str) -> RowSpec:
    if not isinstance(raw, dict):
        raise _fail(where, "expected a table")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise _fail(f"{where}.kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    unknown = set(raw) - _COMMON - KINDS[kind]
    if unknown:
        raise _fail(where, f"unknown key(s) {sorted(unknown)} for kind {kind!r}")
    variable = raw.get("variable", "")
    if not isinstance(variable, str) or (not variable and kind not in _MULTI):
        raise _fail(f"{where}.variable", "a row needs a variable name")
    where = f"{where} ({variable or kind})"
    test = _optional(raw, "test", where)
    if test is not None and test not in _TESTS:
        raise _fail(f"{where}.test", f"{test!r} is not one of {sorted(_TESTS)}")
    summary = raw.get("summary")
    if summary is not None and summary not in _SUMMARIES:
        raise _fail(f"{where}.summary", f"{summary!r} is not one of {sorted(_SUMMARIES)}")
    source = raw.get("source", "participant")
    if source not in _SOURCES:
        raise _fail(f"{where}.source", f"{source!r} is not one of {sorted(_SOURCES)}")
    where_clause = raw.get("where", {})
    if not isinstance(where_clause, dict):
        raise _fail(f"{where}.where", "expected a table of column = value")
    columns = raw.get("columns")
    options = {k: v for k, v in raw.items() if k in KINDS[kind]}
    return RowSpec(
        kind=kind,
        variable=variable,
        label=opt_str(raw, "label", where),
        value=raw.get("value"),
        population=_optional(raw, "population", where),
        columns=None if columns is None else _strings(columns, f"{where}.columns"),
        levels=_strings(raw.get("levels", []), f"{where}.levels"),
        level_map=_string_map(raw.get("map", {}), f"{where}.map"),
        level_labels=_string_map(raw.get("level_labels", {}), f"{where}.level_labels"),
        where=dict(where_clause),
        test=test,
        endpoint=_optional(raw, "endpoint", where),
        event_level=_optional(raw, "event_level", where),
        effect_table=_optional(raw, "effect_table", where),
        note=opt_str(raw, "note", where),
        options=options,
    )


def _table(raw: object, where: str) -> TableSpec:
    if not isinstance(raw, dict):
        raise _fail(where, "expected a table")
    table_id = raw.get("id")
    if not isinstance(table_id, str) or not table_id:
        raise _fail(f"{where}.id", "a table needs an id")
    where = f"tables[{table_id}]"
    rows = raw.get("rows", [])
    if not isinstance(rows, list) or not rows:
        raise _fail(f"{where}.rows", "a table needs at least one row")
    return TableSpec(
        id=table_id,
        title=opt_str(raw, "title", where),
        population=opt_str(raw, "population", where, "itt"),
        columns=_strings(raw.get("columns", ["arms", "total"]), f"{where}.columns"),
        rows=tuple(_row(r, f"{where}.rows[{i}]") for i, r in enumerate(rows)),
    )


def _event(form: str, raw: object) -> EventSource:
    where = f"events.{form}"
    if not isinstance(raw, dict):
        raise _fail(where, "expected a table")
    unknown = set(raw) - {"term", "grade", "date", "phase", "where", "default_grade"}
    if unknown:
        raise _fail(where, f"unknown key(s) {sorted(unknown)}")
    grade = opt_str(raw, "grade", where)
    if grade not in ("", "clavien_dindo", "ctcae") and not grade.startswith("match:"):
        raise _fail(f"{where}.grade", f"{grade!r}: clavien_dindo, ctcae or match:<form>")
    default = raw.get("default_grade")
    if default is not None and (isinstance(default, bool) or not isinstance(default, int)):
        raise _fail(f"{where}.default_grade", f"expected a whole number, got {default!r}")
    clause = raw.get("where", {})
    if not isinstance(clause, dict):
        raise _fail(f"{where}.where", "expected a table of column = value")
    return EventSource(
        form=form,
        term=opt_str(raw, "term", where),
        grade=grade,
        date=opt_str(raw, "date", where),
        phase=opt_str(raw, "phase", where),
        where=dict(clause),
        default_grade=default,
    )


def _flow_box(raw: object, where: str) -> FlowBox:
    if not isinstance(raw, dict):
        raise _fail(where, "expected a table")
    unknown = set(raw) - {"variable", "details", "nested", "extra", "side"}
    if unknown:
        raise _fail(where, f"unknown key(s) {sorted(unknown)}")
    variable = opt_str(raw, "variable", where)
    if not variable:
        raise _fail(f"{where}.variable", "a box needs a variable")
    side = raw.get("side", False)
    if not isinstance(side, bool):
        raise _fail(f"{where}.side", f"expected true or false, got {side!r}")
    return FlowBox(
        variable=variable,
        details=_strings(raw.get("details", []), f"{where}.details"),
        nested=opt_str(raw, "nested", where),
        extra=_strings(raw.get("extra", []), f"{where}.extra"),
        side=side,
    )


def _flow_layout(raw: object) -> FlowLayout | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _fail("flow_diagram", "expected a table with top, arms and bottom")
    unknown = set(raw) - {"top", "arms", "bottom"}
    if unknown:
        raise _fail("flow_diagram", f"unknown key(s) {sorted(unknown)}")
    parts = {}
    for part in ("top", "arms", "bottom"):
        boxes = raw.get(part, [])
        if not isinstance(boxes, list):
            raise _fail(f"flow_diagram.{part}", "expected an array of boxes")
        parts[part] = tuple(_flow_box(b, f"flow_diagram.{part}[{i}]") for i, b in enumerate(boxes))
    return FlowLayout(**parts)


def parse_spec(text: str) -> TablesSpec:
    """Parse and check a table spec from TOML text."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail("table spec", f"not valid TOML: {exc}") from exc
    unknown = set(document) - {
        "spec", "levels", "regimen_levels", "events", "tables", "flow_diagram"
    }  # fmt: skip
    if unknown:
        raise _fail("table spec", f"unknown section(s) {sorted(unknown)}")
    head = document.get("spec", {})
    tables = document.get("tables", [])
    if not isinstance(tables, list) or not tables:
        raise _fail("tables", "the spec needs at least one [[tables]] entry")
    parsed = tuple(_table(t, f"tables[{i}]") for i, t in enumerate(tables))
    ids = [t.id for t in parsed]
    if len(set(ids)) != len(ids):
        raise _fail("tables", f"duplicate table ids in {ids}")
    events = document.get("events", {})
    if not isinstance(events, dict):
        raise _fail("events", "expected a table of event forms")
    return TablesSpec(
        name=opt_str(head, "name", "spec"),
        tables=parsed,
        events={form: _event(form, raw) for form, raw in events.items()},
        text_levels=_string_map(document.get("levels", {}), "levels"),
        regimen_levels=_string_map(document.get("regimen_levels", {}), "regimen_levels"),
        synthetic_marker=opt_str(head, "synthetic_marker", "spec"),
        derivations=opt_str(head, "derivations", "spec"),
        flow_diagram=_flow_layout(document.get("flow_diagram")),
    )


def default_spec_text() -> str:
    """The layout text of the default bundled study."""
    from cairo6.study.loader import bundled_study_folder, read_study

    text = read_study(bundled_study_folder()).layout_text
    if text is None:
        raise InvalidValueError("study", "default", "a study with a layout", "add a layout file")
    return text


@cache
def default_spec() -> TablesSpec:
    """The layout of the default bundled study (parsed once)."""
    return parse_spec(default_spec_text())


def spec_for(trial_id: str) -> TablesSpec:
    """The layout of the bundled study with this trial id, else the default study's."""
    from cairo6.study.loader import bundled_study_for

    study = bundled_study_for(trial_id)
    if study is None or study.layout_text is None:
        return default_spec()
    return _parsed(study.layout_text)


@cache
def _parsed(text: str) -> TablesSpec:
    return parse_spec(text)
