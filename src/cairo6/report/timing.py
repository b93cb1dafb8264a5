"""Violin plots of the protocol's time frames (the paper's eFigure), one panel per window.

Each panel shows, per group, the days from the window's anchor to its event for every patient
the analysis judged (its `TimingPoint`s), the protocol's limit as a dashed line and the points
outside the window in another colour. Up to `MAX_POINTS` points per group are drawn on top of
the violin; above that the violin alone carries the distribution (a scatter of 40,000 points is
neither legible nor small).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cairo6.analysis.result import TimingPoint
from cairo6.report.figures import RenderedFigure, render
from cairo6.report.format import humanise

__all__ = ["MAX_POINTS", "Limits", "timing_figure"]

Limits = tuple[int | None, int | None]
"""(min_days, max_days) of a window; either may be None."""
MAX_POINTS = 400
WITHIN = "#2f6fad"
OUTSIDE = "#c2410c"
VIOLIN = "#9fbfdf"
LIMIT = "#7c2d12"


def _panel(
    ax: object,
    label: str,
    days: Mapping[str, np.ndarray],
    within: Mapping[str, np.ndarray],
    headings: Sequence[str],
    limits: Limits | None,
) -> bool:
    """Draw one window; True when the individual points were drawn."""
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    positions = np.arange(1, len(days) + 1)
    rng = np.random.default_rng(0)  # fixed jitter: the same data draw the same picture
    drew = False
    for position, (group, values) in zip(positions, days.items(), strict=True):
        if len(np.unique(values)) > 1:
            parts = ax.violinplot(
                values, positions=[position], widths=0.8, showmedians=True, showextrema=False
            )
            bodies: Any = parts["bodies"]  # a list of PolyCollections, typed as one
            for body in bodies:
                body.set_facecolor(VIOLIN)
                body.set_edgecolor(WITHIN)
                body.set_alpha(0.55)
            parts["cmedians"].set_color(WITHIN)
        if len(values) <= MAX_POINTS:
            drew = True
            jitter = rng.uniform(-0.12, 0.12, len(values))
            inside = within[group]
            ax.scatter(position + jitter[inside], values[inside], s=9, color=WITHIN, zorder=3, lw=0)
            ax.scatter(
                position + jitter[~inside], values[~inside], s=14, color=OUTSIDE, zorder=3,
                marker="D", lw=0,
            )  # fmt: skip
    for bound in limits or ():
        if bound is not None:
            ax.axhline(bound, color=LIMIT, ls="--", lw=1)
            ax.annotate(
                f"limit {bound} d",
                xy=(1, bound),
                xycoords=("axes fraction", "data"),
                xytext=(-2, 3),
                textcoords="offset points",
                ha="right",
                fontsize=7.5,
                color=LIMIT,
            )
    ax.set_xticks(positions, ["\n".join(textwrap.wrap(h, 22)) for h in headings], fontsize=8)
    ax.set_xlim(0.4, len(days) + 0.6)
    ax.set_ylabel("Days", fontsize=8.5)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title("\n".join(textwrap.wrap(label, 38)), fontsize=8.5, loc="left")
    ax.grid(axis="y", color="#e4e7eb", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return drew


def timing_figure(
    points: Sequence[TimingPoint],
    limits: Mapping[str, Limits] | None = None,
    group_labels: Mapping[str, str] | None = None,
    title: str = "Time frames of the protocol",
) -> RenderedFigure | None:
    """One violin panel per window (in order of appearance); None when there are no points."""
    if not points:
        return None
    # Imported where it draws: a process that sends its figures to a painter never loads it.
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    windows: dict[str, str] = {}
    values: dict[str, dict[str, list[int]]] = {}
    flags: dict[str, dict[str, list[bool]]] = {}
    for p in points:
        windows.setdefault(p.window_id, p.window_label)
        values.setdefault(p.window_id, {}).setdefault(p.group, []).append(p.days)
        flags.setdefault(p.window_id, {}).setdefault(p.group, []).append(p.within)
    columns = min(len(windows), 4)
    rows = -(-len(windows) // columns)
    figure = Figure(figsize=(2.9 * columns + 0.4, 3.5 * rows + 0.7), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    names = dict(group_labels or {})
    points_drawn = False
    for ax, (window, label) in zip(axes, windows.items(), strict=False):
        groups = values[window]
        points_drawn |= _panel(
            ax,
            label,
            {g: np.asarray(v) for g, v in groups.items()},
            {g: np.asarray(flags[window][g], dtype=bool) for g in groups},
            [names.get(g) or humanise(g) for g in groups],
            (limits or {}).get(window),
        )
    for ax in axes[len(windows) :]:
        ax.set_axis_off()
    handles = [Line2D([], [], color=LIMIT, ls="--", label="protocol limit")]
    if points_drawn:
        handles[:0] = [
            Line2D([], [], color=WITHIN, marker="o", ls="", label="within the window"),
            Line2D([], [], color=OUTSIDE, marker="D", ls="", label="outside the window"),
        ]
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        fontsize=8,
        frameon=False,
    )
    figure.suptitle(title, fontsize=10)
    summary = "; ".join(windows.values())
    return render(figure, "timeframes", f"{title}: {summary}")
