"""Reading exchange CSV files: encoding, header and cells, before any value is checked."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cairo6.report.cells import recover
from cairo6.service.dictionary import DictionaryEntry


@dataclass(frozen=True)
class ImportProblem:
    """One refused cell, row or file: where it is, what it holds and why it was refused.

    `row_number` counts the header as row 1, as a spreadsheet shows it; 0 means the whole file.
    """

    file: str
    row_number: int
    field: str
    value: Any
    reason: str

    def __str__(self) -> str:
        where = f"{self.file} row {self.row_number}" if self.row_number else self.file
        what = f" {self.field}" if self.field else ""
        shown = "" if self.value in (None, "") else f" (got {self.value!r})"
        return f"{where}{what}: {self.reason}{shown}"


@dataclass
class CsvRow:
    """One data row of a file: its cells as text, then its checked values."""

    form: str
    number: int
    raw: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    valid: bool = True

    @property
    def file(self) -> str:
        """The file the row came from."""
        return f"{self.form}.csv"

    def key(self, name: str) -> str:
        """A cell as entered (trimmed), for naming the records a row refers to."""
        return self.raw.get(name, "").strip()


def problem(form: str, number: int, name: str, value: Any, reason: str) -> ImportProblem:
    """A problem in row `number` of the form's file."""
    return ImportProblem(f"{form}.csv", number, name, value, reason)


def read_file(
    form: str, path: Path, entries: list[DictionaryEntry], problems: list[ImportProblem]
) -> list[CsvRow]:
    """The file's data rows as raw text, after checking its encoding and header."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        records = list(csv.reader(io.StringIO(text, newline="")))
    except UnicodeDecodeError as exc:
        problems.append(
            problem(
                form,
                0,
                "",
                None,
                f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as CSV UTF-8",
            )
        )
        return []
    except csv.Error as exc:
        problems.append(problem(form, 0, "", None, f"not readable as CSV: {exc}"))
        return []
    if not records:
        problems.append(problem(form, 0, "", None, "empty file; a header row is required"))
        return []
    header = [name.strip() for name in records[0]]
    known = {e.variable: e for e in entries}
    usable = _check_header(form, header, known, problems)
    rows = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often left at the end by spreadsheets
        if len(cells) != len(header):
            problems.append(
                problem(
                    form,
                    number,
                    "",
                    f"{len(cells)} cells",
                    f"the header has {len(header)} columns; check for a missing or extra "
                    "comma, or a quote that is not closed",
                )
            )
            rows.append(CsvRow(form, number, {}, valid=False))
            continue
        raw = {name: cell for name, cell in zip(header, cells, strict=True) if name in usable}
        rows.append(CsvRow(form, number, raw))
    return rows


def _check_header(
    form: str,
    header: list[str],
    known: Mapping[str, DictionaryEntry],
    problems: list[ImportProblem],
) -> set[str]:
    """Report unknown, repeated and missing required columns; return the usable ones."""
    counts = Counter(header)
    for name in dict.fromkeys(header):
        if counts[name] > 1:
            problems.append(
                problem(form, 1, name, name, f"column appears {counts[name]} times; keep one")
            )
        elif name not in known:
            hint = " (the file seems to use ';'; save it comma-separated)" if ";" in name else ""
            problems.append(
                problem(
                    form,
                    1,
                    name,
                    name,
                    f"unknown column{hint}; {form}.csv has: {', '.join(known)}",
                )
            )
    for name, entry in known.items():
        if entry.required and name not in counts:
            problems.append(
                problem(
                    form,
                    1,
                    name,
                    None,
                    f"required column missing; add a {name} column ({entry.allowed})",
                )
            )
    return {name for name in header if counts[name] == 1 and name in known}


def cell_value(text: str) -> Any:
    """A study form's cell as the record check reads it: JSON text (a list, a mapping) decoded,
    text an export protected from spreadsheets read back as it was, anything else as typed."""
    raw = recover(text.strip())
    if raw.startswith(("{", "[")):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw
