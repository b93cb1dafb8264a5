"""The trial flow diagram (CONSORT), drawn from the Figure's ARD records with matplotlib.

The layout is the study's (its layout file's `[flow_diagram]`, `cairo6.analysis.spec.FlowLayout`):
which ARD variable each box shows, which variables list their levels under it, and whether the
box is on the main flow or to the side (patients leaving the flow); a study that gives none gets
its Figure's variables in the order computed. A box shows "n label" from the record of its
group; boxes whose records are absent are left out, and side boxes (and detail lines) with a
count of 0 too, so another trial's Figure records still draw. Every Figure record is also
listed in the report's Figure table, so nothing the layout does not place is lost.

Geometry is in inches (axes coordinates equal inches, y downwards). Text is wrapped by its
measured width in DejaVu Sans, so boxes fit their text in the PNG and the SVG alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from cairo6.analysis.ard import TOTAL
from cairo6.analysis.spec import FlowBox, FlowLayout
from cairo6.report.figures import FONT_FAMILY, RenderedFigure, render
from cairo6.report.format import format_count
from cairo6.report.tables import FIGURE, ArdView

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["BoxSpec", "consort_figure", "layout_of"]

FONT_PT = 8.5
LINE_IN = FONT_PT * 1.32 / 72
PAD_IN = 0.08
INDENT_IN = 0.14
MAIN_W = 2.45
SIDE_W = 2.55
GAP_SIDE = 0.35
GAP_ARMS = 0.45
MARGIN = 0.2
ROW_GAP = 0.22
INK = "#1f2933"
MAIN_FILL = "#e8f0f8"
SIDE_FILL = "#ffffff"
ARROW = "#52606d"


BoxSpec = FlowBox


def layout_of(view: ArdView) -> FlowLayout:
    """The layout of a study that gives none: the Figure's variables in the order computed,
    those counted for the total above the arms, the others in each arm."""
    variables = view.variables(FIGURE)
    per_arm = {
        v
        for v in variables
        if any(g != TOTAL for level in view.levels(FIGURE, v) for g in _groups_of(view, v, level))
    }
    return FlowLayout(
        top=tuple(FlowBox(v) for v in variables if v not in per_arm),
        arms=tuple(FlowBox(v) for v in variables if v in per_arm),
    )


def _groups_of(view: ArdView, variable: str, level: str) -> list[str]:
    return [g for g in view.groups(FIGURE) if view.stats(FIGURE, variable, level, g)]


@dataclass(frozen=True)
class Line:
    """One line of box text before wrapping."""

    text: str
    depth: int = 0
    bold: bool = False
    italic: bool = False


@dataclass
class Box:
    """A placed box: its wrapped lines and its rectangle (x, y = top left, in inches)."""

    lines: list[Line]
    width: float
    side: bool
    header: bool = False
    x: float = 0.0
    y: float = 0.0
    wrapped: list[Line] = field(default_factory=list)

    @property
    def height(self) -> float:
        return 2 * PAD_IN + LINE_IN * len(self.wrapped)

    @property
    def centre_x(self) -> float:
        return self.x + self.width / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height


@cache
def _width(text: str, bold: bool, italic: bool) -> float:
    """Width in inches of text at FONT_PT in DejaVu Sans (the font of the PNG)."""
    # matplotlib is imported where it draws, so a process that only lays out never loads it.
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    props = FontProperties(
        family=FONT_FAMILY[0],
        size=FONT_PT,
        weight="bold" if bold else "normal",
        style="italic" if italic else "normal",
    )
    width, _, _ = TextToPath().get_text_width_height_descent(text, props, ismath=False)
    return float(width) / 72


def _wrap(line: Line, width: float) -> list[Line]:
    # Continuation lines hang under the text, past the count that starts the first line.
    hang = 1 if line.text[:1].isdigit() else 0
    room = width - 2 * PAD_IN - line.depth * INDENT_IN
    out: list[str] = []
    current = ""
    for word in line.text.split():
        attempt = f"{current} {word}".strip()
        available = room - (hang * INDENT_IN if out else 0)
        # A few per cent of slack: browsers substitute fonts a little wider than DejaVu.
        if current and _width(attempt, line.bold, line.italic) * 1.04 > available:
            out.append(current)
            current = word
        else:
            current = attempt
    out.append(current)
    return [
        Line(text, line.depth + (hang if i else 0), line.bold, line.italic)
        for i, text in enumerate(out)
    ]


def _count(view: ArdView, variable: str, level: str, group: str) -> str:
    return format_count(view.stats(FIGURE, variable, level, group))


def _is_zero(text: str) -> bool:
    return text in ("", "0")


def _detail_lines(view: ArdView, spec: BoxSpec, group: str) -> list[tuple[str, list[Line]]]:
    """Per detail variable with anything to show: its heading and its level lines."""
    out: list[tuple[str, list[Line]]] = []
    for detail in spec.details:
        items: list[Line] = []
        for level in view.levels(FIGURE, detail):
            count = _count(view, detail, level, group)
            if not level or _is_zero(count):
                continue
            items.append(Line(f"{count} {view.label(FIGURE, detail, level)}", depth=1))
            if spec.nested:
                reasons = f"{spec.nested}{level}"
                for reason in view.levels(FIGURE, reasons):
                    n = _count(view, reasons, reason, group)
                    if reason and not _is_zero(n):
                        label = view.label(FIGURE, reasons, reason)
                        items.append(Line(f"{n} {label}", depth=2))
        if items:
            out.append((view.label(FIGURE, detail), items))
    return out


def _box(view: ArdView, spec: BoxSpec, group: str, width: float) -> Box | None:
    count = _count(view, spec.variable, "", group)
    details = _detail_lines(view, spec, group)
    if not count and not details:
        return None
    if spec.side and _is_zero(count) and not details:
        return None
    if count:
        lines = [Line(f"{count} {view.label(FIGURE, spec.variable)}", bold=True)]
    else:
        # A box of levels only (no total recorded): the first breakdown's name heads it.
        heading, items = details.pop(0)
        lines = [Line(heading, bold=True), *(Line(i.text, i.depth - 1) for i in items)]
    for extra in spec.extra:
        n = _count(view, extra, "", group)
        if n:
            lines.append(Line(f"{n} {view.label(FIGURE, extra)}"))
    for heading, items in details:
        lines.append(Line(f"{heading}:", italic=True))
        lines.extend(items)
    return _boxed(lines, width, spec.side)


def _boxed(lines: list[Line], width: float, side: bool = False, header: bool = False) -> Box:
    box = Box(lines, width, side, header)
    box.wrapped = [part for line in lines for part in _wrap(line, width)]
    return box


@dataclass
class _Stage:
    boxes: dict[str, Box]
    side: bool


def _stages(view: ArdView, specs: Sequence[BoxSpec], groups: Sequence[str]) -> list[_Stage]:
    stages = []
    for spec in specs:
        width = SIDE_W if spec.side else MAIN_W
        boxes = {g: b for g in groups if (b := _box(view, spec, g, width)) is not None}
        if boxes:
            stages.append(_Stage(boxes, spec.side))
    return stages


class _Canvas:
    """Boxes and arrows in inch coordinates."""

    def __init__(self) -> None:
        self.boxes: list[Box] = []
        self.lines: list[tuple[float, float, float, float, bool]] = []
        self.labels: list[tuple[float, float, str]] = []

    def arrow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.lines.append((x0, y0, x1, y1, True))

    def line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.lines.append((x0, y0, x1, y1, False))

    def draw(self, width: float, height: float, title: str) -> Figure:
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyBboxPatch

        figure = Figure(figsize=(width, height))
        ax = figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        ax.set_axis_off()
        for x0, y0, x1, y1, head in self.lines:
            style = "-|>" if head else "-"
            ax.annotate(
                "",
                xy=(x1, y1),
                xytext=(x0, y0),
                arrowprops={
                    "arrowstyle": style,
                    "color": ARROW,
                    "lw": 0.9,
                    "shrinkA": 0,
                    "shrinkB": 0,
                    "mutation_scale": 9,
                },
            )
        for box in self.boxes:
            ax.add_patch(
                FancyBboxPatch(
                    (box.x, box.y),
                    box.width,
                    box.height,
                    boxstyle="round,pad=0,rounding_size=0.04",
                    facecolor=INK if box.header else SIDE_FILL if box.side else MAIN_FILL,
                    edgecolor=INK if not box.side else ARROW,
                    linewidth=0.9 if not box.side else 0.7,
                )
            )
            for i, line in enumerate(box.wrapped):
                ax.text(
                    box.x + PAD_IN + line.depth * INDENT_IN,
                    box.y + PAD_IN + i * LINE_IN,
                    line.text,
                    fontsize=FONT_PT,
                    fontweight="bold" if line.bold else "normal",
                    fontstyle="italic" if line.italic else "normal",
                    color="white" if box.header else INK,
                    va="top",
                    ha="left",
                )
        for x, y, text in self.labels:
            ax.text(x, y, text, fontsize=FONT_PT + 1, fontweight="bold", color=INK, ha="center")
        figure.text(0.5, 1 - 0.12 / height, title, ha="center", va="top", fontsize=FONT_PT + 2)
        return figure


def _place_top(canvas: _Canvas, stages: list[_Stage], centre: float, y: float) -> float:
    """The screening part: a trunk down the middle, exclusions to its right."""
    previous: Box | None = None
    for stage in stages:
        box = stage.boxes[TOTAL]
        if stage.side:
            box.x, box.y = centre + GAP_SIDE, y
            trunk_y = box.y + min(box.height / 2, 0.2)
            canvas.arrow(centre, trunk_y, box.x, trunk_y)
        else:
            box.x, box.y = centre - box.width / 2, y
            if previous is not None:
                canvas.arrow(centre, previous.bottom, centre, box.y)
            previous = box
        canvas.boxes.append(box)
        y = box.bottom + ROW_GAP
    return y


def consort_figure(
    view: ArdView,
    layout: FlowLayout | None = None,
    title: str = "Figure. Trial flow diagram",
) -> RenderedFigure:
    """The flow diagram of the Figure records in `view`, as SVG and PNG, boxes placed as the
    study's `layout` says (see `layout_of` when it gives none)."""
    placed = layout or layout_of(view)
    arms = [g for g in view.groups(FIGURE) if g != TOTAL]
    top = _stages(view, placed.top, [TOTAL])
    stages = _stages(view, placed.arms, arms)
    bottom = _stages(view, placed.bottom, [TOTAL])
    # Two arms mirror each other (exclusions outside); more arms put exclusions on the right.
    column = MAIN_W + GAP_SIDE + SIDE_W
    width = 2 * MARGIN + len(arms) * column + max(0, len(arms) - 1) * GAP_ARMS
    trunks: dict[str, float] = {}
    for i, arm in enumerate(arms):
        left = MARGIN + i * (column + GAP_ARMS)
        mirrored = len(arms) == 2 and i == 0
        trunks[arm] = left + (SIDE_W + GAP_SIDE if mirrored else 0) + MAIN_W / 2
    canvas = _Canvas()
    centre = width / 2
    y = _place_top(canvas, top, centre, 0.45)
    split = y
    y += 0.3
    # Each arm is headed by its name in a dark box the split arrows point at (allocation).
    last: dict[str, Box] = {}
    first_y: dict[str, float] = {}
    if stages:
        for arm in arms:
            header = _boxed([Line(view.group_label(arm), bold=True)], MAIN_W, header=True)
            header.x, header.y = trunks[arm] - MAIN_W / 2, y
            canvas.boxes.append(header)
            last[arm] = header
            first_y[arm] = y
        y += max(last[arm].height for arm in arms) + ROW_GAP
    for stage in stages:
        height = max(box.height for box in stage.boxes.values())
        for arm, box in stage.boxes.items():
            trunk = trunks[arm]
            mirrored = len(arms) == 2 and arms.index(arm) == 0
            if stage.side:
                box.x = (
                    trunk - MAIN_W / 2 - GAP_SIDE - box.width
                    if mirrored
                    else (trunk + MAIN_W / 2 + GAP_SIDE)
                )
                box.y = y
                edge = box.x + box.width if mirrored else box.x
                arrow_y = box.y + min(box.height / 2, 0.2)
                if arm in last:
                    canvas.line(trunk, last[arm].bottom, trunk, arrow_y)
                canvas.arrow(trunk, arrow_y, edge, arrow_y)
            else:
                box.x, box.y = trunk - box.width / 2, y
                if arm in last:
                    canvas.arrow(trunk, last[arm].bottom, trunk, box.y)
                else:
                    first_y[arm] = box.y
                last[arm] = box
            canvas.boxes.append(box)
        y += height + ROW_GAP
    if first_y:
        # From the randomisation box, one line splits into an arrow to each arm.
        xs = [trunks[a] for a in first_y]
        canvas.line(centre, split - ROW_GAP, centre, split)
        canvas.line(min(xs), split, max(xs), split)
        for arm, top_y in first_y.items():
            canvas.arrow(trunks[arm], split, trunks[arm], top_y)
    if bottom:
        y += 0.1
        canvas.labels.append((centre, y, "Analysis populations"))
        y += 0.12
        boxes = [stage.boxes[TOTAL] for stage in bottom]
        span = sum(b.width for b in boxes) + GAP_ARMS * (len(boxes) - 1)
        x = centre - span / 2
        for box in boxes:
            box.x, box.y = x, y
            x += box.width + GAP_ARMS
            canvas.boxes.append(box)
        y += max(b.height for b in boxes) + ROW_GAP
    figure = canvas.draw(width, y + MARGIN, title)
    description = "; ".join(line.text for box in canvas.boxes for line in box.lines)
    return render(figure, "consort", f"{title}: {description}")
