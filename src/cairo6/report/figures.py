"""Matplotlib figures out as SVG (for inline HTML and files) and PNG, without pyplot.

`Figure` objects are made directly (no pyplot state), so rendering is safe in any process and
leaves no figure open. SVG text stays text (`svg.fonttype = none`): it is searchable, small and
crisp at any zoom; the font falls back to the browser's sans-serif where DejaVu Sans is absent.
Element ids are prefixed per figure, because two inline SVGs in one HTML page must not share ids.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FONT_FAMILY", "RenderedFigure", "render"]

FONT_FAMILY = ["DejaVu Sans", "Arial", "Helvetica", "sans-serif"]
PNG_DPI = 150
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^)"]+)')
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)


@dataclass(frozen=True)
class RenderedFigure:
    """A figure in both file formats; `inline` is the SVG ready to embed in HTML."""

    name: str
    svg: str
    png: bytes
    inline: str


def _inline(svg: str, prefix: str) -> str:
    body = _PROLOGUE.sub("", svg, count=1)
    body = _ID.sub(lambda m: f'id="{prefix}-{m[1]}"', body)
    return _REF.sub(lambda m: f"{m[1]}{prefix}-{m[2]}", body)


def render(figure: Figure, name: str, description: str = "") -> RenderedFigure:
    """The figure as SVG text and PNG bytes (metadata without dates, so output is stable)."""
    import matplotlib

    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "cairo6",  # stable ids: the same figure gives the same file
            "font.family": "sans-serif",
            "font.sans-serif": FONT_FAMILY,
        }
    ):
        svg_buffer = io.StringIO()
        figure.savefig(svg_buffer, format="svg", metadata={"Date": None, "Title": name})
        # The first save placed every axes (constrained layout measures every text, the slow
        # part); the second keeps those positions instead of measuring all again.
        engine = figure.get_layout_engine()
        figure.set_layout_engine("none")
        png_buffer = io.BytesIO()
        figure.savefig(png_buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
        figure.set_layout_engine(engine)
    svg = svg_buffer.getvalue()
    inline = _inline(svg, re.sub(r"[^a-z0-9]+", "-", name.lower()))
    if description:
        # Screen readers announce the figure by its role and label.
        inline = inline.replace(
            "<svg ", f'<svg role="img" aria-label="{_attribute(description)}" ', 1
        )
    return RenderedFigure(name, svg, png_buffer.getvalue(), inline)


def _attribute(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )
