"""The Survival section: Kaplan-Meier curves with numbers at risk, and the summary table.

Everything printed comes from the analysis result (`AnalysisResult.survival` for the steps and
the numbers at risk, the ARD table "survival" for the estimates); nothing is computed here,
only rounded: months to 1 decimal, rates to whole percentages, hazard ratios to 2 decimals.
A median or limit the curve or its band never reaches is "NR"; a rate past the last follow-up
or a limit where the variance is infinite is "NA"; a hazard ratio or test that does not exist
says why, from the note of its ARD record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cairo6.analysis.ard import COMPARISON, TOTAL
from cairo6.analysis.rounding import jama_number, jama_p
from cairo6.analysis.survival import TABLE, SurvivalCurve
from cairo6.report.figures import RenderedFigure, render
from cairo6.report.format import NOT_AVAILABLE, Stats
from cairo6.report.tables import ArdView

__all__ = [
    "HR_DIGITS",
    "MONTH_DIGITS",
    "NOT_REACHED",
    "RATE_DIGITS",
    "SurvivalRow",
    "estimate_text",
    "hazard_ratio_text",
    "logrank_text",
    "survival_figure",
    "survival_rows",
]

COLOURS = ("#1f5fa8", "#c0392b", "#2e8b57", "#7f7f7f")
NOT_REACHED = "NR"
MONTH_DIGITS = 1
RATE_DIGITS = 0
HR_DIGITS = 2


@dataclass(frozen=True)
class SurvivalRow:
    """One endpoint and group in the survival table (texts ready to print)."""

    endpoint: str
    group: str
    events: str
    median: str
    rate: str
    follow_up: str
    hazard_ratio: str
    logrank: str
    rate_heading: str = "Landmark rate, % (95% CI)"


def _value(stats: Stats, name: str) -> float | int | None:
    record = stats.get(name)
    value = None if record is None else record.stat
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _text(value: float | int | None, digits: int, missing: str) -> str:
    return missing if value is None else jama_number(value, digits)


def estimate_text(stats: Stats, name: str, digits: int, missing: str) -> str:
    """ "12.3 (8.4-16.9)"; `missing` for whatever the curve or band does not reach."""
    if name not in stats:
        return ""
    value = _value(stats, name)
    if value is None:
        return missing
    low = _text(_value(stats, "ci_low"), digits, missing)
    high = _text(_value(stats, "ci_high"), digits, missing)
    return f"{jama_number(value, digits)} ({low}-{high})"


def hazard_ratio_text(stats: Stats) -> str:
    if "rr" not in stats:
        return ""
    value = _value(stats, "rr")
    if value is None:
        return stats["rr"].note or NOT_AVAILABLE
    low, high = _value(stats, "rr_low"), _value(stats, "rr_high")
    ci = f"{_text(low, HR_DIGITS, NOT_AVAILABLE)}-{_text(high, HR_DIGITS, NOT_AVAILABLE)}"
    return f"{jama_number(value, HR_DIGITS)} ({ci})"


def logrank_text(stats: Stats) -> str:
    if "p_value" not in stats:
        return ""
    p = _value(stats, "p_value")
    return stats["p_value"].note or NOT_AVAILABLE if p is None else jama_p(p)


def survival_rows(view: ArdView, groups: Sequence[str]) -> list[SurvivalRow]:
    """The survival table rows (empty when the result holds no survival records)."""
    if TABLE not in view.tables:
        return []
    rows = []
    for variable in view.variables(TABLE):
        levels = view.levels(TABLE, variable)
        rate_level = next((lv for lv in levels if lv.startswith("rate_")), "")
        heading = view.label(TABLE, variable, rate_level) if rate_level else ""
        hazard = hazard_ratio_text(view.stats(TABLE, variable, "hazard_ratio", COMPARISON))
        test = logrank_text(view.stats(TABLE, variable, "logrank", COMPARISON))
        present = [g for g in [*groups, TOTAL] if view.stats(TABLE, variable, "", g)]
        for i, group in enumerate(present):
            counts = view.stats(TABLE, variable, "", group)
            rate_stats = view.stats(TABLE, variable, rate_level, group)
            rows.append(
                SurvivalRow(
                    endpoint=view.label(TABLE, variable) if i == 0 else "",
                    group=view.group_label(group),
                    events=f"{_text(_value(counts, 'n'), 0, '0')}/"
                    f"{_text(_value(counts, 'N'), 0, '0')}",
                    median=estimate_text(
                        view.stats(TABLE, variable, "median", group),
                        "median",
                        MONTH_DIGITS,
                        NOT_REACHED,
                    ),
                    rate=estimate_text(rate_stats, "pct", RATE_DIGITS, NOT_AVAILABLE),
                    follow_up=estimate_text(
                        view.stats(TABLE, variable, "median_follow_up", group),
                        "median",
                        MONTH_DIGITS,
                        NOT_REACHED,
                    ),
                    hazard_ratio=hazard if i == 0 else "",
                    logrank=test if i == 0 else "",
                    rate_heading=f"{heading.replace(' (%)', '')}, % (95% CI)"
                    if heading
                    else SurvivalRow.rate_heading,
                )
            )
    return rows


def survival_figure(
    curves: Sequence[SurvivalCurve], group_labels: Mapping[str, str]
) -> RenderedFigure | None:
    """One Kaplan-Meier panel per endpoint with the numbers at risk under it (None if none)."""
    endpoints = list(dict.fromkeys(c.endpoint for c in curves))
    if not endpoints:
        return None
    # Imported where it draws: a process that sends its figures to a painter never loads it.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.4 * len(endpoints)), layout="constrained")
    axes = figure.subplots(len(endpoints), 1, squeeze=False)[:, 0]
    for ax, endpoint in zip(axes, endpoints, strict=True):
        mine = [c for c in curves if c.endpoint == endpoint]
        for k, curve in enumerate(mine):
            colour = COLOURS[k % len(COLOURS)]
            label = group_labels.get(curve.group, curve.group)
            ax.step(curve.times, curve.survival, where="post", color=colour, label=label)
            censored = [
                curve.survival[max(0, sum(t >= x for x in curve.times) - 1)] for t in curve.censored
            ]
            ax.plot(curve.censored, censored, "|", color=colour, markersize=6)
        ax.set_title(mine[0].label, fontsize=10)
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("Probability", fontsize=8)
        ax.set_xlabel("Months", fontsize=8)
        ticks = [t for t, _ in mine[0].at_risk]
        ax.set_xticks(ticks)
        ax.set_xlim(0, ticks[-1] + 1 if ticks else 1)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="lower left", frameon=False)
        # The numbers at risk under the axis, one line per group in the group's colour.
        for k, curve in enumerate(mine):
            y = -0.30 - 0.08 * k
            for month, count in curve.at_risk:
                ax.text(
                    month, y, str(count), transform=ax.get_xaxis_transform(),
                    ha="center", fontsize=7, color=COLOURS[k % len(COLOURS)],
                )  # fmt: skip
        ax.text(0.0, -0.22, "At risk", transform=ax.transAxes, ha="left", fontsize=7)
    return render(figure, "survival", "Kaplan-Meier curves with the numbers at risk")
