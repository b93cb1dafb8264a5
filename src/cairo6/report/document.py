"""The report's content, assembled once from an `AnalysisResult` for every output format.

`build_report` lays out the tables, the effect estimates, the figures, the stopping verdicts,
the data-quality warnings and the published-vs-reproduced rows; the HTML, Word and spreadsheet
writers only print what it holds. The figures are rendered here too, so each is drawn once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cairo6.analysis.ard import COMPARISON, POPULATION, TOTAL
from cairo6.analysis.result import AnalysisResult, QualityWarning, StoppingVerdict
from cairo6.analysis.spec import FlowLayout
from cairo6.analysis.survival import TABLE as SURVIVAL
from cairo6.reference.compare import Comparison
from cairo6.report.consort import consort_figure
from cairo6.report.figures import RenderedFigure
from cairo6.report.format import TEST_NAMES, Stats, format_count, format_p, format_rr
from cairo6.report.methods import methods_note
from cairo6.report.survival import SurvivalRow, survival_figure, survival_rows
from cairo6.report.tables import FIGURE, RESULTS, ArdView, Column, DisplayTable, display_table
from cairo6.report.timing import Limits, timing_figure

if TYPE_CHECKING:
    from cairo6.report.painter import Drawing, Painter

__all__ = [
    "ComparisonRow",
    "Effect",
    "PrimaryOutcome",
    "Report",
    "ReportInput",
    "build_report",
]

SYNTHETIC_NOTICE = (
    "SYNTHETIC DATA: every patient in this report is made up; the numbers describe no real "
    "person and support no clinical conclusion."
)


@dataclass(frozen=True)
class PrimaryOutcome:
    """A primary outcome: its name and the ARD key of its effect estimate."""

    label: str
    table: str
    variable: str
    level: str


@dataclass(frozen=True)
class ReportInput:
    """What the report is made from: the analysis result plus the protocol's words."""

    result: AnalysisResult
    title: str = "Trial report"
    subtitle: str = ""
    arm_labels: Mapping[str, str] = field(default_factory=dict)
    """Column headings by arm id, in the protocol's order."""
    window_limits: Mapping[str, Limits] = field(default_factory=dict)
    """(min_days, max_days) by window id, for the limit lines of the time-frame plots."""
    primary: Sequence[PrimaryOutcome] = ()
    comparisons: Sequence[Comparison] | None = None
    """Published vs reproduced (None when the trial has no published reference)."""
    comparison_summary: str = ""
    source: str = ""
    generated: str = ""
    flow_layout: FlowLayout | None = None
    """Where the flow diagram places the Figure's counts (the study's layout file)."""
    survival_note: str = ""
    """Each time-to-event endpoint's start and population, in the study's words."""
    data_status: str = ""
    """INTERIM (database not locked) or FINAL (locked, with the time): in the title and on
    every page; empty for a report not made from a trial database."""

    @property
    def status_word(self) -> str:
        """INTERIM or FINAL (empty when the report carries no status)."""
        return self.data_status.split(":", 1)[0] if self.data_status else ""


@dataclass(frozen=True)
class Effect:
    """A between-arm effect estimate with the counts it compares."""

    label: str
    primary: bool
    cells: tuple[str, ...]
    rr: str
    p: str
    test: str


@dataclass(frozen=True)
class ComparisonRow:
    """One published number beside the reproduced one."""

    key: str
    place: str
    printed: str
    computed: str
    status: str
    note: str


@dataclass
class Report:
    """Everything the writers print."""

    input: ReportInput
    view: ArdView
    title: str
    tables: list[DisplayTable]
    figure_table: DisplayTable | None
    results: DisplayTable | None
    effect_columns: tuple[Column, ...]
    effects: list[Effect]
    consort: RenderedFigure | None
    timing: RenderedFigure | None
    comparisons: list[ComparisonRow]
    survival: RenderedFigure | None = None
    """Kaplan-Meier curves with the numbers at risk; None without follow-up data."""
    survival_rows: list[SurvivalRow] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    """The methods note: one paragraph per topic (see `cairo6.report.methods`)."""
    drawings: dict[str, Drawing] = field(default_factory=dict)
    """Figures still being drawn by a painter's workers, by field name (see `finish_figures`)."""

    def finish_figures(self) -> None:
        """Wait for the figures a painter is drawing and put them in their fields."""
        for name, drawing in self.drawings.items():
            setattr(self, name, drawing.result())
        self.drawings = {}

    @property
    def result(self) -> AnalysisResult:
        return self.input.result

    @property
    def synthetic(self) -> bool:
        return self.input.result.synthetic

    @property
    def warnings(self) -> list[QualityWarning]:
        return self.input.result.warnings

    @property
    def stopping(self) -> list[StoppingVerdict]:
        return self.input.result.stopping

    @property
    def all_tables(self) -> list[DisplayTable]:
        """Every table for the flat exports: the Figure counts, Tables 1-4, the Results."""
        extra = [t for t in (self.figure_table, self.results) if t is not None]
        return [*self.tables, *extra]

    @property
    def summary_lines(self) -> list[str]:
        """What the summary says about the verdicts and the warnings."""
        met = [v.label for v in self.stopping if v.met]
        return [
            f"{len(self.stopping)} stopping rule(s) evaluated; "
            + (f"criterion met: {'; '.join(met)}." if met else "no stopping criterion met."),
            f"{len(self.warnings)} data-quality warning(s).",
        ]

    def primary_effects(self) -> list[Effect]:
        return [e for e in self.effects if e.primary]


def _with_denominator(view: ArdView, table: str, variable: str, group: str, stats: Stats) -> Stats:
    own = view.stats(table, variable, "", group).get("N")
    base = own or view.stats(table, POPULATION, "", group).get("N")
    return {**stats, "N": base} if base is not None and "N" not in stats else stats


def _effects(view: ArdView, arms: Sequence[str], primary: Sequence[PrimaryOutcome]) -> list[Effect]:
    wanted = {(p.table, p.variable, p.level): p.label for p in primary}
    keys: list[tuple[str, str, str]] = [(p.table, p.variable, p.level) for p in primary]
    for table in view.tables:
        for variable in view.variables(table):
            for level in view.levels(table, variable):
                if "rr" in view.stats(table, variable, level, COMPARISON):
                    key = (table, variable, level)
                    if key not in keys:
                        keys.append(key)
    effects = []
    for table, variable, level in keys:
        comparison = view.stats(table, variable, level, COMPARISON)
        # The counts compared sit in a display table (Table 2), the estimate maybe elsewhere.
        cells = [""] * len(arms)
        tested = comparison
        for source in view.tables:
            found = [view.stats(source, variable, level, arm) for arm in arms]
            if any("n" in s for s in found):
                cells = [
                    format_count(_with_denominator(view, source, variable, arm, s))
                    for arm, s in zip(arms, found, strict=True)
                ]
                if "p_value" not in tested:
                    # Without its own test the estimate goes with the test of its table row.
                    tested = view.stats(source, variable, level, COMPARISON) or view.stats(
                        source, variable, "", COMPARISON
                    )
                break
        name = view.label(table, variable)
        label = wanted.get((table, variable, level)) or (
            f"{name}: {view.label(table, variable, level)}" if level else name
        )
        test = tested.get("test")
        effects.append(
            Effect(
                label=label,
                primary=(table, variable, level) in wanted,
                cells=tuple(cells),
                rr=format_rr(comparison),
                p=format_p(tested),
                test=TEST_NAMES.get(str(test.stat), str(test.stat)) if test else "",
            )
        )
    return effects


def _comparison_rows(comparisons: Sequence[Comparison]) -> list[ComparisonRow]:
    return [
        ComparisonRow(
            key=" / ".join(part or "–" for part in c.key),
            place=c.place,
            printed=c.printed,
            computed="" if c.computed is None else c.computed,
            status=c.status,
            note=c.inconsistent or "",
        )
        for c in comparisons
    ]


def build_report(given: ReportInput, painter: Painter | None = None) -> Report:
    """Lay out every part of the report from the analysis result. With a `painter` the figures
    are drawn in its workers: call `Report.finish_figures` before printing them."""
    view = ArdView(given.result, given.arm_labels)
    main = [t for t in view.tables if t not in (FIGURE, RESULTS, SURVIVAL)]
    arms = list(given.arm_labels) or [
        g for g in view.groups(main[0] if main else RESULTS) if g != TOTAL
    ]
    title = given.title
    if given.result.synthetic:
        title = f"{title} (SYNTHETIC DATA)"
    if given.status_word:
        title = f"{given.status_word}: {title}"
    figures: dict[str, tuple[Any, ...]] = {
        "consort": (consort_figure, view, given.flow_layout) if FIGURE in view.tables else (),
        "timing": (
            timing_figure,
            given.result.timing,
            given.window_limits,
            {g: view.group_label(g) for g in view.groups(RESULTS)} | dict(given.arm_labels),
        ),
        "survival": (
            survival_figure,
            given.result.survival,
            {g: view.group_label(g) for g in {c.group for c in given.result.survival}},
        ),
    }
    # The workers start first, so they draw while the tables below are laid out.
    drawings = {
        name: painter.draw(*job) for name, job in figures.items() if job and painter is not None
    }
    drawn = {
        name: job[0](*job[1:]) if job and painter is None else None for name, job in figures.items()
    }
    return Report(
        input=given,
        view=view,
        title=title,
        tables=[display_table(view, t) for t in main],
        figure_table=display_table(view, FIGURE) if FIGURE in view.tables else None,
        results=(
            display_table(view, RESULTS, "Numbers reported in the Results text")
            if RESULTS in view.tables
            else None
        ),
        effect_columns=tuple(Column(a, view.group_label(a), "") for a in arms),
        effects=_effects(view, arms, given.primary),
        consort=drawn["consort"],
        timing=drawn["timing"],
        comparisons=_comparison_rows(given.comparisons or ()),
        survival=drawn["survival"],
        survival_rows=survival_rows(view, arms),
        methods=methods_note(given.result.plan),
        drawings=drawings,
    )
