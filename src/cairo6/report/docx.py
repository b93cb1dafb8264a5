"""Tables 1-4 as a Word document for a manuscript, in the journal's (JAMA) table style.

JAMA tables have no vertical rules: a heavy rule above and below, a light one under the column
headings; variable rows in bold with their levels indented; footnotes under the table. The
strings are the report's own, so the Word tables read exactly as the HTML ones.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.table import Table, _Cell

from cairo6.report.document import SYNTHETIC_NOTICE, Report
from cairo6.report.tables import DisplayTable

__all__ = ["render_docx"]

FONT = "Arial"
TABLE_PT = 8
LABEL_WIDTH = Inches(3.2)
PAGE_WIDTH = Inches(9.0)


# Word rejects property elements out of schema order: borders go before these siblings.
_AFTER_BORDERS = {
    "w:tblBorders": ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"),
    "w:tcBorders": ("w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:vAlign"),
}


def _borders(element: Any, tag: str, edges: dict[str, int]) -> None:
    """Set single-line borders (eighths of a point) on a table or a cell property element."""
    borders = OxmlElement(tag)
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        node = OxmlElement(f"w:{edge}")
        size = edges.get(edge, 0)
        node.set(qn("w:val"), "single" if size else "nil")
        if size:
            node.set(qn("w:sz"), str(size))
            node.set(qn("w:space"), "0")
            node.set(qn("w:color"), "000000")
        borders.append(node)
    successors = [element.find(qn(name)) for name in _AFTER_BORDERS[tag]]
    following = [node for node in successors if node is not None]
    if following:
        following[0].addprevious(borders)
    else:
        element.append(borders)


def _write(
    cell: _Cell, text: str, style: Any, bold: bool = False, indent: int = 0, mark: str = ""
) -> None:
    # Font, size and spacing come from the paragraph style (set once for the document) rather
    # than from each run: a report has hundreds of cells and each direct setting is XML work.
    paragraph = cell.paragraphs[0]
    paragraph._p.style = style.style_id  # by id: `paragraph.style =` looks the style up each time
    if indent:
        paragraph.paragraph_format.left_indent = Pt(9 * indent)
    run = paragraph.add_run(text)
    if bold:
        run.bold = True
    if mark:
        paragraph.add_run(mark).font.superscript = True


def _table_style(document: Any) -> Any:
    """The paragraph style of table cells: the table font at the table size, no space after."""
    style = document.styles.add_style("Table text", WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(TABLE_PT)
    style.paragraph_format.space_after = Pt(0)
    return style


def _table(document: object, display: DisplayTable, style: Any) -> Table:
    from docx.document import Document as DocumentType

    assert isinstance(document, DocumentType)
    caption = document.add_paragraph()
    caption.paragraph_format.space_before = Pt(12)
    name = caption.add_run(f"{display.name}. ")
    name.bold = True
    caption.add_run(display.title)
    headers = display.header()
    table = document.add_table(rows=1, cols=len(headers))
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    _borders(table._tbl.tblPr, "w:tblBorders", {"top": 12, "bottom": 12})
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _write(cell, text, style, bold=True)
        _borders(cell._tc.get_or_add_tcPr(), "w:tcBorders", {"bottom": 6})
    for row in display.rows:
        cells = table.add_row().cells
        _write(cells[0], row.label, style, bold=row.depth == 0, indent=row.depth, mark=row.mark)
        values = list(row.cells)
        if display.has_rr:
            values.append(row.rr)
        for cell, value in zip(cells[1:], values, strict=False):
            _write(cell, value, style)
        if display.has_p:
            _write(cells[-1], row.p, style, mark=row.p_mark)
    other = int((PAGE_WIDTH - LABEL_WIDTH) / max(1, len(headers) - 1))
    # Word lays out by the cell widths, LibreOffice by the grid: set both.
    for i, column in enumerate(table._tbl.tblGrid.gridCol_lst):
        column.w = LABEL_WIDTH if i == 0 else other
    for table_row in table.rows:
        for i, cell in enumerate(table_row.cells):
            cell.width = LABEL_WIDTH if i == 0 else other
    for letter, text in display.footnotes:
        note = document.add_paragraph()
        note.paragraph_format.space_after = Pt(0)
        sup = note.add_run(letter)
        sup.font.superscript = True
        sup.font.size = Pt(TABLE_PT)
        body = note.add_run(f" {text}")
        body.font.size = Pt(TABLE_PT)
    return table


def render_docx(report: Report) -> bytes:
    """The Word document (.docx) as bytes."""
    document = Document()
    section = document.sections[0]
    # Landscape: a four-column table with a P column does not fit a portrait page at 8 pt.
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Inches(11), Inches(8.5)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Inches(1))
    style = document.styles["Normal"]
    style.font.name = FONT  # type: ignore[attr-defined]
    style.font.size = Pt(10)  # type: ignore[attr-defined]
    if report.input.data_status:
        # The header repeats on every page: an interim report cannot pass for the final one.
        header = section.header.paragraphs[0].add_run(report.input.data_status)
        header.bold = True
    document.core_properties.title = report.title
    document.core_properties.author = "cairo6"
    document.add_heading(report.title, level=1)
    if report.synthetic:
        warning = document.add_paragraph().add_run(SYNTHETIC_NOTICE)
        warning.bold = True
        warning.font.color.rgb = RGBColor(0xB9, 0x1C, 0x1C)
    if report.input.subtitle:
        document.add_paragraph(report.input.subtitle)
    table_style = _table_style(document)
    for display in report.tables:
        _table(document, display, table_style)
    if report.methods:
        document.add_heading("Methods", level=2)
        for line in report.methods:
            document.add_paragraph(line).paragraph_format.space_after = Pt(4)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
