"""The printed casebook: one PDF per participant, and a centre's as a zip with an index.

fpdf2 (pure Python) lays out what `casebook_model.Casebook` holds and nothing else. The text is
set in DejaVu Sans, which matplotlib ships with every install, so labels in any script print
as written and the PDF's text can be read back (searched, checked) exactly. Every page names
the study, the participant, the print time and the audit record the print goes up to.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from fontTools import subset
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from cairo6.report.casebook_model import (
    STAMP,
    AuditLine,
    Casebook,
    CentreBooks,
    Eligibility,
    FormSection,
    QueryThread,
    RecordPage,
    Signature,
)

FONT = "DejaVu"
SHADE = (232, 236, 240)
MUTED = (80, 88, 100)


SCRIPTS = (
    (0x20, 0x24F),  # Latin, with its supplements and extensions
    (0x370, 0x4FF),  # Greek and Cyrillic
    (0x2000, 0x22FF),  # punctuation, super- and subscripts, currency, arrows, mathematics
    (0x2460, 0x25FF),  # enclosed numbers, boxes and shapes
    (0x2700, 0x27BF),  # dingbats (the check mark of a verified item)
)
"""The characters the casebook's font keeps: a font of all DejaVu's 6,000 glyphs takes most of
the time of printing a short casebook only to be read in."""
_FONT_COPIES = tempfile.TemporaryDirectory(prefix="cairo6-fonts-")


@cache
def _font(name: str) -> Path:
    """DejaVu Sans (shipped with matplotlib), cut once per process to `SCRIPTS`."""
    spec = find_spec("matplotlib")
    assert spec is not None, "matplotlib is a dependency"
    assert spec.submodule_search_locations, "matplotlib is a package"
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = []
    options.drop_tables += ["FFTM"]
    target = Path(_FONT_COPIES.name) / name
    with (folder / name).open("rb") as source:
        font = subset.load_font(source, options)
        cutter = subset.Subsetter(options)
        cutter.populate(unicodes=[c for low, high in SCRIPTS for c in range(low, high + 1)])
        cutter.subset(font)
        subset.save_font(font, str(target), options)
        font.close()
    return target


class _Book(FPDF):
    """A4 pages with the casebook's running head and foot."""

    def __init__(self, head: str, foot: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.head = head
        self.foot = foot
        self.add_font(FONT, "", str(_font("DejaVuSans.ttf")))
        self.add_font(FONT, "B", str(_font("DejaVuSans-Bold.ttf")))
        self.set_margins(14, 16, 14)
        self.set_auto_page_break(True, margin=16)
        self._widths: dict[tuple[str, float, str], float] = {}
        self.set_font(FONT, size=9)

    def header(self) -> None:
        self.set_font(FONT, size=7.5)
        self.set_text_color(*MUTED)
        self.set_y(7)
        self.cell(0, 4, self.head, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*SHADE)
        self.line(self.l_margin, 11.5, self.w - self.r_margin, 11.5)
        self.set_text_color(0, 0, 0)
        self.set_y(14)
        self.set_font(FONT, size=9)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, size=7)
        self.set_text_color(*MUTED)
        self.cell(0, 4, f"{self.foot} · page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, level: int = 0, *, size: float | None = None) -> None:
        """A section heading, kept with what follows it and listed in the PDF's outline."""
        size = size or (14, 11.5, 10)[min(level, 2)]
        if self.will_page_break(size + 18):
            self.add_page()
        self.ln(2 if level else 3)
        self.start_section(text, level=level)
        self.para(text, size=size, style="B")
        self.ln(1)

    def para(self, text: str, *, size: float = 9, style: str = "") -> None:
        """A paragraph of running text (italic is set as the muted colour: two fonts load
        faster than three)."""
        self.set_font(FONT, "B" if style == "B" else "", size)
        if style == "I":
            self.set_text_color(*MUTED)
        line = size * 0.45
        for text_line in self._wrap(text, self.epw, "B" if style == "B" else ""):
            if self.y + line > self.page_break_trigger:
                self.add_page(orientation=self.cur_orientation.value)
                self.set_font(FONT, "B" if style == "B" else "", size)
            self.text(self.l_margin, self.y + 0.78 * line, text_line)
            self.set_y(self.y + line)
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, size=9)

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        """Label-value pairs as a two-column table, labels in bold."""
        self.grid((), rows, (32, 68), size=9, bold_first=True)

    def grid(
        self,
        headings: Sequence[str],
        rows: Iterable[Sequence[str]],
        widths: Sequence[float],
        *,
        size: float = 8.5,
        bold_first: bool = False,
    ) -> None:
        """A table whose headings repeat on every page it runs over; `widths` are shares of
        the page width. A row of one cell spans the table (a group's label, in italics).

        Laid out here rather than with fpdf2's `table()`, which measures every character of
        every cell twice: the audit trail of one participant took 15 s that way, 0.3 s so.
        """
        total = sum(widths)
        cols = [self.epw * w / total for w in widths]
        line = size * 0.42
        self.set_font(FONT, size=size)
        if headings:
            self._row(headings, cols, line, header=True)
        for cells in rows:
            self._row(cells, cols, line, headings=headings, bold_first=bold_first)
        self.set_font(FONT, size=9)
        self.ln(1.5)

    def _row(
        self,
        cells: Sequence[str],
        cols: Sequence[float],
        line: float,
        *,
        header: bool = False,
        headings: Sequence[str] = (),
        bold_first: bool = False,
    ) -> None:
        pad = 0.9
        spans = [self.epw] if len(cells) == 1 and len(cols) > 1 else list(cols)
        styles = [
            "B" if header or (bold_first and i == 0) or len(spans) == 1 else ""
            for i in range(len(spans))
        ]
        wrapped = [
            self._wrap(text, width - 2 * pad, style)
            for text, width, style in zip(cells, spans, styles, strict=True)
        ]
        done = 0
        tallest = max(len(lines) for lines in wrapped)
        while done < tallest or (done == 0 and tallest == 0):
            room = int((self.page_break_trigger - self.y - 2 * pad) // line)
            left = tallest - done
            if room < min(left, 3) and self.y > self.t_margin + 12:
                self.add_page(orientation=self.cur_orientation.value)
                if headings and not header:
                    self._row(headings, cols, line, header=True)
                continue
            take = max(1, min(left, room))
            height = take * line + 2 * pad
            if header:
                self.set_fill_color(*SHADE)
                self.rect(self.l_margin, self.y, self.epw, height, style="F")
            x = self.l_margin
            for lines, width, style in zip(wrapped, spans, styles, strict=True):
                self.set_font(FONT, style, self.font_size_pt)
                for i, text in enumerate(lines[done : done + take]):
                    self.text(x + pad, self.y + pad + (i + 0.78) * line, text)
                x += width
            self.set_font(FONT, "", self.font_size_pt)
            self.set_draw_color(*SHADE)
            self.line(self.l_margin, self.y + height, self.l_margin + self.epw, self.y + height)
            self.set_y(self.y + height)
            done += take
            if tallest == 0:
                break

    def _width(self, text: str, style: str) -> float:
        key = (style, self.font_size_pt, text)
        found = self._widths.get(key)
        if found is None:
            self.set_font(FONT, style, self.font_size_pt)
            found = self._widths[key] = self.get_string_width(text)
        return found

    def _wrap(self, text: str, width: float, style: str) -> list[str]:
        """Lines of at most `width` mm, broken between words (inside a word too long)."""
        out: list[str] = []
        space = self._width(" ", style)
        for paragraph in text.split("\n"):
            current, used = "", 0.0
            for word in paragraph.split(" "):
                size = self._width(word, style)
                if current and used + space + size <= width:
                    current, used = f"{current} {word}", used + space + size
                    continue
                if current:
                    out.append(current)
                while size > width and len(word) > 1:
                    cut = len(word) - 1
                    while cut > 1 and self._width(word[:cut], style) > width:
                        cut -= 1
                    out.append(word[:cut])
                    word = word[cut:]
                    size = self._width(word, style)
                current, used = word, size
            if current or not out:
                out.append(current)
        return out


def _cover(pdf: _Book, book: Casebook) -> None:
    pdf.para(f"Casebook of {book.study_number}", size=16, style="B")
    pdf.para(f"{book.study_title} ({book.study_id})", size=10.5)
    pdf.ln(2)
    facts = [
        ("Participant", book.study_number),
        ("Centre", f"{book.centre_code} · {book.centre_name}"),
        ("Enrolled on", book.enrolled_on),
    ]
    if book.allocation is not None:
        alloc = book.allocation
        facts += [
            ("Allocated arm", alloc.arm),
            ("Sequence number", str(alloc.sequence_number)),
            ("Randomised", f"{alloc.allocated_at} by {alloc.allocated_by}"),
            ("Minimisation levels", "; ".join(f"{k}: {v}" for k, v in alloc.levels) or "—"),
        ]
        if alloc.deviation:
            facts.append(("Deviation at randomisation", alloc.deviation))
    facts += [
        ("Records", f"{book.records} records of {sum(1 for f in book.forms if f.records)} forms"),
        ("Queries", f"{len(book.queries)} ({book.open_queries} not closed)"),
        ("Database", book.database_state),
        ("Audit trail", f"up to {book.audit_head}"),
        ("Printed", f"{book.printed_at} by {book.printed_by}"),
    ]
    pdf.facts(facts)
    for note in book.notes:
        pdf.para(note, style="I")


def _signatures(pdf: _Book, signatures: Sequence[Signature]) -> None:
    pdf.heading("Signatures", 0)
    if not signatures:
        pdf.para("No signature has been given for this participant.")
        return
    pdf.grid(
        ("Signed by", "Meaning", "Scope", "Signed at", "Valid"),
        (
            (
                f"{s.printed_name} ({s.username})",
                s.meaning,
                s.scope,
                s.signed_at,
                "valid" if s.valid else f"VOIDED: {s.voided_why}",
            )
            for s in signatures
        ),
        (30, 22, 18, 17, 13),
    )


def _eligibility(pdf: _Book, found: Eligibility | None) -> None:
    pdf.heading("Screening and eligibility", 0)
    if found is None:
        pdf.para("No screening entry.")
        return
    pdf.facts(
        [
            ("Screening number", found.screening_number),
            ("Screened on", found.screened_on),
            ("Assessed on", found.assessed_on),
            ("Eligible", found.eligible),
        ]
    )
    pdf.ln(1)
    pdf.grid(
        ("Criterion", "Kind", "Verdict", "As assessed"),
        ((c.text, c.kind, c.verdict, c.explanation) for c in found.criteria),
        (34, 11, 13, 42),
        size=7.5,
    )


def _record(pdf: _Book, record: RecordPage, repeating: bool) -> None:
    if repeating:
        pdf.heading(record.title, 2)
    status = record.status
    pdf.para(
        f"Status: {status.status} · study definition version {record.study_version}",
        size=8.5,
        style="B",
    )
    for step in status.steps:
        note = f" ({step.note})" if step.note else ""
        pdf.para(f"{step.name} {step.at} by {step.by}{note}", size=7.5)
    rows: list[Sequence[str]] = []
    for group in record.groups:
        if group.label and len(record.groups) > 1:
            rows.append((group.label,))
        rows += [
            (
                item.label,
                item.value,
                "✓" if item.item_id in status.verified_items else "",
                ", ".join(item.queries),
            )
            for item in group.items
        ]
    pdf.grid(("Item", "Value", "SDV", "Queries"), rows, (44, 38, 6, 12))


def _forms(pdf: _Book, forms: Sequence[FormSection]) -> None:
    for section in forms:
        pdf.heading(section.label, 1)
        if section.description:
            pdf.para(section.description, size=8)
        if not section.records:
            pdf.para("Not entered.", style="I")
            continue
        for record in section.records:
            _record(pdf, record, section.repeating)


def _queries(pdf: _Book, queries: Sequence[QueryThread]) -> None:
    pdf.heading("Queries", 0)
    if not queries:
        pdf.para("No query was raised on this participant's data.")
        return
    for q in queries:
        where = " · ".join(p for p in (q.record or q.form, q.item) if p)
        pdf.heading(f"Q{q.number} ({q.status}): {where}", 1, size=10)
        pdf.grid(
            ("When", "Who", "Step", "Text"),
            ((s.at, s.by, s.what, s.text) for s in q.steps)
            if q.steps
            else [("", "", "raised", q.question)],
            (22, 22, 10, 46),
            size=8,
        )


def _audit(pdf: _Book, lines: Sequence[AuditLine]) -> None:
    pdf.add_page(orientation="L")
    pdf.heading("Audit trail", 0)
    pdf.para(
        "Every change to this participant's data, oldest first: one line per audit record, "
        "with each field it changed (old → new).",
        size=8,
    )
    if not lines:
        pdf.para("No change recorded.")
        return
    pdf.grid(
        ("#", "When", "Who", "Action", "Record", "Changes", "Reason"),
        ((str(a.seq), a.at, a.by, a.action, a.record, _changes(a), a.reason) for a in lines),
        (5, 13, 12, 6, 15, 36, 13),
        size=7,
    )


def _changes(line: AuditLine) -> str:
    if line.action == "insert":
        return "\n".join(f"{c.field}: {c.new}" for c in line.changes)
    if line.action == "delete":
        return "\n".join(f"{c.field}: {c.old} (removed)" for c in line.changes)
    return "\n".join(f"{c.field}: {c.old} → {c.new}" for c in line.changes)


def _moment(stamp: str) -> dt.datetime:
    return dt.datetime.strptime(stamp, STAMP).replace(tzinfo=dt.UTC)


def render_casebook(book: Casebook) -> bytes:
    """The casebook of one participant as a PDF."""
    return _rendered(book)[0]


def _rendered(book: Casebook) -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    pdf = _Book(
        f"{book.study_id} · casebook of {book.study_number} · centre {book.centre_code}"
        f" · printed {book.printed_at}",
        f"{book.study_number} · {book.database_state} · audit trail to {book.audit_head}",
    )
    pdf.set_title(f"Casebook of {book.study_number}")
    pdf.set_subject(f"{book.study_title} ({book.study_id})")
    pdf.set_author(book.printed_by)
    pdf.set_creator("cairo6")
    pdf.set_creation_date(_moment(book.printed_at))
    pdf.add_page()
    _cover(pdf, book)
    _signatures(pdf, book.signatures)
    _eligibility(pdf, book.eligibility)
    pdf.add_page()
    pdf.start_section("Case report forms", level=0)
    _forms(pdf, book.forms)
    _queries(pdf, book.queries)
    _audit(pdf, book.audit)
    return bytes(pdf.output()), pdf.pages_count


@dataclass(frozen=True)
class IndexEntry:
    """One participant's file in a centre's archive."""

    file: str
    study_number: str
    enrolled_on: str
    records: int
    queries: int
    open_queries: int
    signatures: str
    pages: int
    sha256: str


def _index_pdf(centre: CentreBooks, entries: Sequence[IndexEntry]) -> bytes:
    code = centre.code
    pdf = _Book(
        f"{centre.study_id} · casebooks of centre {code} · printed {centre.printed_at}",
        f"centre {code} index",
    )
    pdf.set_title(f"Casebooks of centre {code}")
    pdf.set_creation_date(_moment(centre.printed_at))
    pdf.add_page()
    pdf.para(f"Casebooks of centre {code}", size=16, style="B")
    pdf.para(
        f"{centre.name} · {centre.study_id} · printed {centre.printed_at} by {centre.printed_by}",
        size=10,
    )
    pdf.para(
        f"{len(entries)} participants, one PDF each; SHA-256 of each file to check the copy.",
        size=9,
    )
    pdf.ln(2)
    pdf.grid(
        ("Participant", "File", "Enrolled", "Records", "Queries (open)", "Signatures", "Pages",
         "SHA-256"),
        (
            (e.study_number, e.file, e.enrolled_on, str(e.records),
             f"{e.queries} ({e.open_queries})", e.signatures, str(e.pages), e.sha256)
            for e in entries
        ),
        (17, 19, 11, 8, 9, 10, 6, 20),
        size=7,
    )  # fmt: skip
    return bytes(pdf.output())


def _signature_state(book: Casebook) -> str:
    if not book.signatures:
        return "none"
    valid = sum(1 for s in book.signatures if s.valid)
    return f"{valid} valid, {len(book.signatures) - valid} voided"


def centre_zip(centre: CentreBooks) -> bytes:
    """A centre's casebooks as one zip: a PDF per participant, and `index.pdf` and
    `index.csv` listing them with their page counts and SHA-256."""
    buffer = io.BytesIO()
    entries = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for book in centre.books:
            data, pages = _rendered(book)
            file = f"{book.study_number}.pdf"
            archive.writestr(file, data)
            entries.append(
                IndexEntry(
                    file,
                    book.study_number,
                    book.enrolled_on,
                    book.records,
                    len(book.queries),
                    book.open_queries,
                    _signature_state(book),
                    pages,
                    hashlib.sha256(data).hexdigest(),
                )
            )
        archive.writestr("index.pdf", _index_pdf(centre, entries))
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(
            ("file", "study_number", "enrolled_on", "records", "queries", "open_queries",
             "signatures", "pages", "sha256")
        )  # fmt: skip
        for e in entries:
            writer.writerow(
                (e.file, e.study_number, e.enrolled_on, e.records, e.queries, e.open_queries,
                 e.signatures, e.pages, e.sha256)
            )  # fmt: skip
        archive.writestr("index.csv", table.getvalue())
    return buffer.getvalue()
