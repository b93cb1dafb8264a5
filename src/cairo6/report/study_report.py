"""The report of a study that brings no table layout of its own, generated from its definition.

Flow diagram counts, a baseline table from the study's baseline forms, every binary endpoint
with the plan's comparisons (any number of arms), and the published-vs-reproduced appendix
when the study carries a file of a paper's numbers. Every number shown is formatted from one
ARD record, and `ard.csv` beside the page holds them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cairo6.analysis.ard import Ard, ArdRecord
from cairo6.analysis.definition import Participant, arm_pairs, baseline, binary_endpoints, flow
from cairo6.analysis.rounding import jama_number, jama_p
from cairo6.analysis.survival import TABLE as SURVIVAL
from cairo6.analysis.tte import time_to_event_records
from cairo6.reference.compare import Comparison, compare, summary
from cairo6.reference.published import parse_published
from cairo6.study.models import DataType
from cairo6.study.study import Study

Cell = str


@dataclass(frozen=True)
class Table:
    """A rendered table: caption, column headings, rows of (label, cells)."""

    id: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]
    row_heading: str = "Characteristic"


@dataclass(frozen=True)
class StudyReport:
    """Everything the page shows, already formatted, and the ARD it came from."""

    study: Study
    ard: Ard
    tables: tuple[Table, ...]
    comparisons: tuple[Comparison, ...]
    comparison_summary: str
    data_status: str = ""
    """INTERIM (database not locked) or FINAL (locked): in the title and on every page."""

    @property
    def status_word(self) -> str:
        """INTERIM or FINAL (empty when the report carries no status)."""
        return self.data_status.split(":", 1)[0] if self.data_status else ""


def _get(ard: Ard, table: str, variable: str, level: str, group: str, stat: str) -> object:
    record = ard.find(table, variable, level, group, stat)
    return None if record is None else record.stat


def pct_text(value: float) -> str:
    """A percentage to one decimal, as the trial papers of this kind print them."""
    return jama_number(value, 1)


def _n_pct(ard: Ard, table: str, variable: str, level: str, group: str) -> Cell:
    n = _get(ard, table, variable, level, group, "n")
    pct = _get(ard, table, variable, level, group, "pct")
    if n is None:
        return ""
    return f"{n} ({pct_text(float(pct))}%)" if isinstance(pct, int | float) else f"{n}"


def _median_iqr(ard: Ard, table: str, variable: str, group: str) -> Cell:
    median = _get(ard, table, variable, "", group, "median")
    low = _get(ard, table, variable, "", group, "p25")
    high = _get(ard, table, variable, "", group, "p75")
    if not (
        isinstance(median, int | float)
        and isinstance(low, int | float)
        and isinstance(high, int | float)
    ):
        return ""
    return f"{jama_number(median, 1)} ({jama_number(low, 1)}-{jama_number(high, 1)})"


def _groups(study: Study) -> list[tuple[str, str]]:
    return [(a.id, a.label) for a in study.trial_protocol.arms]


def _flow_table(study: Study, ard: Ard) -> Table:
    arms = _groups(study)
    rows = []
    for stage in study.flow:
        if stage.per_arm:
            cells = tuple(str(_get(ard, "flow", stage.id, "", arm, "n")) for arm, _ in arms)
            rows.append((stage.label, (*cells, "")))
        else:
            total = _get(ard, "flow", stage.id, "", "total", "n")
            if total is None:
                continue
            rows.append((stage.label, (*("" for _ in arms), str(total))))
    return Table(
        "flow", "Flow of participants", (*(label for _, label in arms), "Total"), tuple(rows)
    )


def _baseline_table(study: Study, ard: Ard) -> Table:
    groups = [*_groups(study), ("total", "Total")]
    columns = tuple(
        f"{label} (N = {_get(ard, 'baseline', 'population', '', arm, 'N')})"
        for arm, label in groups
    )
    rows: list[tuple[str, tuple[Cell, ...]]] = []
    for form_id in study.baseline_forms:
        for item in study.form(form_id).items():
            if item.type is DataType.CODED:
                rows.append((f"{item.label}, No. (%)", tuple("" for _ in groups)))
                for code in study.codelist(item.codelist or "").codes:
                    cells = tuple(
                        _n_pct(ard, "baseline", item.id, code.value, arm) for arm, _ in groups
                    )
                    rows.append((f"\u2003{code.label}", cells))
            elif item.type is DataType.BOOLEAN:
                cells = tuple(_n_pct(ard, "baseline", item.id, "", arm) for arm, _ in groups)
                rows.append((f"{item.label}, No. (%)", cells))
            elif item.type in (DataType.INTEGER, DataType.DECIMAL) and not item.repeated:
                unit = f", {item.unit}" if item.unit else ""
                cells = tuple(_median_iqr(ard, "baseline", item.id, arm) for arm, _ in groups)
                rows.append((f"{item.label}{unit}, median (IQR)", cells))
    return Table("baseline", "Baseline characteristics", columns, tuple(rows))


def _ci(low: object, high: object, digits: int) -> str:
    if isinstance(low, int | float) and isinstance(high, int | float):
        return f"{jama_number(low, digits)} to {jama_number(high, digits)}"
    return ""


def _estimate(ard: Ard, variable: str, group: str, stat: str, digits: int) -> Cell:
    """An estimate with its interval, e.g. "0.54 (0.35 to 0.84)"; empty when not computed."""
    value = _get(ard, "endpoints", variable, "", group, stat)
    if not isinstance(value, int | float):
        return ""
    low = _get(ard, "endpoints", variable, "", group, f"{stat}_low")
    high = _get(ard, "endpoints", variable, "", group, f"{stat}_high")
    return f"{jama_number(value, digits)} ({_ci(low, high, digits)})"


def _p_cell(ard: Ard, variable: str, group: str) -> Cell:
    p = _get(ard, "endpoints", variable, "", group, "p_value")
    test = _get(ard, "endpoints", variable, "", group, "test")
    return f"{jama_p(p)} ({test})" if isinstance(p, int | float) else "no test"


def _measured_cells(
    ard: Ard, variable: str, arms: list[tuple[str, str]], pairs: list[tuple[str, str]]
) -> tuple[Cell, ...]:
    """Median (IQR) and N per arm; per pair the test's P value (no ratio or risk difference)."""
    cells: list[Cell] = []
    for arm, _ in arms:
        total = _get(ard, "endpoints", variable, "", arm, "N")
        numbers = [
            _get(ard, "endpoints", variable, "", arm, stat) for stat in ("median", "p25", "p75")
        ]
        if all(isinstance(v, int | float) for v in numbers):
            mid, q1, q3 = (jama_number(v, 1) for v in numbers)  # type: ignore[arg-type]
            cells.append(f"{mid} ({q1}-{q3}), N = {total}")
        else:
            cells.append(f"N = {total}")
    for arm, comparator in pairs:
        group = "comparison" if len(pairs) == 1 else f"{arm}_vs_{comparator}"
        cells += ["", "", _p_cell(ard, variable, group)]
    return tuple(cells)


def _endpoint_table(study: Study, ard: Ard) -> Table:
    arms = _groups(study)
    pairs = arm_pairs(study)
    columns = [label for _, label in arms]
    names = dict(arms)
    for arm, comparator in pairs:
        versus = f"{names[arm]} vs {names[comparator]}"
        columns += [
            f"Risk ratio (95% CI), {versus}",
            f"Risk difference, % (95% CI), {versus}",
            f"P value, {versus}",
        ]
    rows: list[tuple[str, tuple[Cell, ...]]] = []
    for endpoint in study.endpoints:
        if endpoint.type.value == "time_to_event":
            continue
        var = endpoint.id
        if endpoint.type.value != "binary":
            rows.append((endpoint.label, _measured_cells(ard, var, arms, pairs)))
            continue
        cells: list[Cell] = []
        for arm, _ in arms:
            n = _get(ard, "endpoints", var, "", arm, "n")
            total = _get(ard, "endpoints", var, "", arm, "N")
            pct = _get(ard, "endpoints", var, "", arm, "pct")
            shown = f"{n}/{total}"
            if isinstance(pct, int | float):
                shown += f" ({pct_text(pct)}%)"
            cells.append(shown)
        for arm, comparator in pairs:
            group = "comparison" if len(pairs) == 1 else f"{arm}_vs_{comparator}"
            rr_text = _estimate(ard, var, group, "rr", 2)
            rd_text = _estimate(ard, var, group, "rd", 1)
            cells += [rr_text, rd_text, _p_cell(ard, var, group)]
        rows.append((endpoint.label, tuple(cells)))
    return Table("endpoints", "Outcomes", tuple(columns), tuple(rows), "Outcome")


def _stats(ard: Ard, variable: str, level: str, group: str) -> dict[str, ArdRecord]:
    """The records of one cell of the survival table, by statistic."""
    return {r.stat_name: r for r in ard if (r.table, r.variable, r.variable_level, r.group) == (
        SURVIVAL, variable, level, group
    )}  # fmt: skip


def _survival_table(study: Study, ard: Ard) -> Table | None:
    """Per time-to-event endpoint: each arm's events, median and landmark rate; each pair's
    hazard ratio and log-rank P (or why there is none)."""
    from cairo6.analysis.survival import landmark_level
    from cairo6.report.format import NOT_AVAILABLE
    from cairo6.report.survival import (
        MONTH_DIGITS,
        NOT_REACHED,
        RATE_DIGITS,
        estimate_text,
        hazard_ratio_text,
        logrank_text,
    )

    endpoints = [e for e in study.endpoints if e.type.value == "time_to_event"]
    if not endpoints:
        return None
    arms = _groups(study)
    pairs = arm_pairs(study)
    rows: list[tuple[str, tuple[Cell, ...]]] = []
    for endpoint in endpoints:
        var = endpoint.id
        horizon = endpoint.horizon_months[0] if endpoint.horizon_months else 36.0
        rows.append((endpoint.label, ("", "", "", "", "")))
        for arm, label in [*arms, ("total", "Total")]:
            counts = _stats(ard, var, "", arm)
            if not counts:
                continue
            events = f"{counts['n'].stat}/{counts['N'].stat}"
            median = estimate_text(
                _stats(ard, var, "median", arm), "median", MONTH_DIGITS, NOT_REACHED
            )
            rate = estimate_text(
                _stats(ard, var, landmark_level(horizon), arm), "pct", RATE_DIGITS, NOT_AVAILABLE
            )
            rows.append((f"\u2003{label}", (events, median, rate, "", "")))
        for arm, comparator in pairs:
            group = "comparison" if len(pairs) == 1 else f"{arm}_vs_{comparator}"
            hazard = hazard_ratio_text(_stats(ard, var, "hazard_ratio", group))
            test = logrank_text(_stats(ard, var, "logrank", group))
            versus = f"{dict(arms)[arm]} vs {dict(arms)[comparator]}"
            rows.append((f"\u2003{versus}", ("", "", "", hazard, test)))
    columns = (
        "Events/N",
        "Median, months (95% CI)",
        "Landmark rate, % (95% CI)",
        "Hazard ratio (95% CI)",
        "Log-rank P",
    )
    return Table("survival", "Time to event", columns, tuple(rows), "Endpoint")


def build_report(
    study: Study, people: Sequence[Participant], screened: int | None = None
) -> StudyReport:
    """Analyse and lay out the whole report of a study from its participants' records."""
    records: list[ArdRecord] = [*flow(study, people, screened), *baseline(study, people)]
    records += binary_endpoints(study, people)
    for endpoint in study.endpoints:
        if endpoint.type.value == "time_to_event":
            records += time_to_event_records(study, endpoint, people)
    ard = Ard(records)
    comparisons: list[Comparison] = []
    if study.published_text:
        comparisons = compare(ard, parse_published(study.published_text))
    survival = _survival_table(study, ard)
    tables = (
        _flow_table(study, ard),
        _baseline_table(study, ard),
        _endpoint_table(study, ard),
        *((survival,) if survival is not None else ()),
    )
    return StudyReport(
        study, ard, tables, tuple(comparisons), summary(comparisons) if comparisons else ""
    )


def write_report(report: StudyReport, out: Path) -> list[Path]:
    """Write report.html and ard.csv into a folder; returns the files written."""
    from cairo6.report.html import study_html

    out.mkdir(parents=True, exist_ok=True)
    page = out / "report.html"
    page.write_text(study_html(report), encoding="utf-8")
    ard_file = out / "ard.csv"
    ard_file.write_text(report.ard.to_csv_text(), encoding="utf-8")
    return [page, ard_file]
