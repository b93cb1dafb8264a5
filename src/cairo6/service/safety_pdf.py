"""A serious adverse event as a PDF for the sponsor: the event, its reporting clock, every
report sent and every notification attempted.

fpdf2 (pure Python). The text is set in DejaVu Sans, the font matplotlib ships (a dependency
already), so that any Unicode a site types (a γ in a term, a name with diacritics) is printed
as typed instead of being dropped by a Latin-1 core font.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from cairo6.service.safety import SaeView

_FONT = "DejaVu"
_WIDTH = 180  # mm of text on an A4 page with 15 mm margins


def _font_file(bold: bool) -> Path:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%d %b %Y %H:%M UTC") if moment else "not given"


class _Report(FPDF):
    header_text = ""

    def header(self) -> None:
        self.set_font(_FONT, size=8)
        self.cell(0, 5, self.header_text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FONT, size=8)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


def _pair(pdf: FPDF, label: str, value: str) -> None:
    # Label and value side by side; the row is as tall as the taller of the two.
    top = pdf.get_y()
    pdf.set_font(_FONT, "B", 9)
    pdf.multi_cell(60, 5, label, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    below_label = pdf.get_y()
    pdf.set_xy(pdf.l_margin + 60, top)
    pdf.set_font(_FONT, size=9)
    pdf.multi_cell(_WIDTH - 60, 5, value or "—", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(below_label, pdf.get_y()))


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(_FONT, "B", 11)
    pdf.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def sae_pdf(view: SaeView, trial: str, printed_at: dt.datetime) -> bytes:
    """The PDF report of one SAE, as of `printed_at`."""
    pdf = _Report(format="A4")
    pdf.add_font(_FONT, "", str(_font_file(False)))
    pdf.add_font(_FONT, "B", str(_font_file(True)))
    pdf.header_text = f"{trial} · serious adverse event · {view.study_number} · confidential"
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(f"SAE report {view.study_number} {view.term}")
    pdf.add_page()
    pdf.set_font(_FONT, "B", 14)
    pdf.multi_cell(
        _WIDTH, 8, f"Serious adverse event: {view.term}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font(_FONT, size=9)
    pdf.cell(0, 5, f"Printed {_when(printed_at)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _heading(pdf, "Event")
    _pair(pdf, "Participant", f"{view.study_number} (centre {view.centre})")
    if view.arm:
        _pair(pdf, "Allocated arm", view.arm)
    _pair(pdf, "Form", f"{view.form_label} {view.record_key}".strip())
    _pair(pdf, "Seriousness (ICH E2A)", "; ".join(view.criteria))
    _pair(pdf, "Site aware", _when(view.awareness))
    _pair(pdf, "Reporting", view.clock.describe())
    _heading(pdf, "Record")
    for label, value in view.items:
        _pair(pdf, label, value)
    _heading(pdf, f"Reports to the sponsor ({len(view.reports)})")
    for report in view.reports:
        kind = "final" if report.final else report.kind.replace("_", "-")
        pdf.set_font(_FONT, "B", 9)
        pdf.multi_cell(
            _WIDTH,
            5,
            f"Report {report.number} ({kind}), {_when(report.submitted_at)}, "
            f"by {report.submitted_by}",
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_font(_FONT, size=9)
        pdf.multi_cell(_WIDTH, 5, report.narrative, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if not view.reports:
        pdf.cell(0, 5, "None yet.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _heading(pdf, f"E-mail notifications ({len(view.notices)})")
    pdf.set_font(_FONT, size=9)
    for notice in view.notices:
        detail = f": {notice.detail}" if notice.detail else ""
        pdf.multi_cell(
            _WIDTH,
            5,
            f"{_when(notice.attempted_at)} {notice.status}{detail} — {notice.subject}",
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    return bytes(pdf.output())
