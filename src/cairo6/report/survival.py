"""The Survival section: Kaplan-Meier curves with numbers at risk, and the summary table.

Everything printed comes from the analysis result (`AnalysisResult.survival` for the steps and
the numbers at risk, the ARD table "survival" for the estimates); nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure

from cairo6.analysis.ard import COMPARISON, TOTAL
from cairo6.analysis.rounding import jama_p
from cairo6.analysis.survival import TABLE, SurvivalCurve
from cairo6.report.figures import RenderedFigure, render
from cairo6.report.tables import ArdView

__all__ = ["SurvivalRow", "survival_figure", "survival_rows"]

COLOURS = ("#1f5fa8", "#c0392b", "#2e8b57", "#7f7f7f")


@dataclass(frozen=True)
class SurvivalRow:
    """One endpoint and group in the survival table (texts ready to print)."""

    endpoint: str
    group: str
    events: str
    median: str
    rate_3y: str
    follow_up: str
    hazard_ratio: str
    logrank: str


def _number(value: object) -> str:
    return "NR" if not isinstance(value, int | float) else f"{value:.1f}"


def _with_ci(stats: Mapping[str, object], name: str) -> str:
    value = stats.get(name)
    if value is None:
        return "NR" if name == "median" else "NE"
    low, high = _number(stats.get("ci_low")), _number(stats.get("ci_high"))
    return f"{_number(value)} ({low}-{high})"


def survival_rows(view: ArdView, groups: Sequence[str]) -> list[SurvivalRow]:
    """The survival table rows (empty when the result holds no survival records)."""
    if TABLE not in view.tables:
        return []
    rows = []
    for variable in view.variables(TABLE):
        hr = view.stats(TABLE, variable, "hazard_ratio", COMPARISON)
        lr = view.stats(TABLE, variable, "logrank", COMPARISON)
        hr_text = _number(hr.get("rr")) if hr.get("rr") is not None else ""
        if hr_text:
            hr_text += f" ({_number(hr.get('rr_low'))}-{_number(hr.get('rr_high'))})"
        p = lr.get("p_value")
        p_text = jama_p(p) if isinstance(p, float) else ""
        for i, group in enumerate([*groups, TOTAL]):
            counts = view.stats(TABLE, variable, "", group)
            rows.append(
                SurvivalRow(
                    endpoint=view.label(TABLE, variable) if i == 0 else "",
                    group=view.group_label(group),
                    events=f"{counts.get('n', 0)}/{counts.get('N', 0)}",
                    median=_with_ci(view.stats(TABLE, variable, "median", group), "median"),
                    rate_3y=_with_ci(view.stats(TABLE, variable, "rate_3y", group), "pct"),
                    follow_up=_with_ci(
                        view.stats(TABLE, variable, "median_follow_up", group), "median"
                    ),
                    hazard_ratio=hr_text if i == 0 else "",
                    logrank=p_text if i == 0 else "",
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
