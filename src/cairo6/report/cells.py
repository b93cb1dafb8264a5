"""Spreadsheet cells that cannot run as formulas (OWASP "CSV injection").

A spreadsheet program runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula, so a value typed into a form (`=HYPERLINK(...)`) could act when an
exported file is opened. Such text is written with a leading apostrophe, which spreadsheets
show as text; numbers (`-0.5`) are left alone. `recover` undoes it exactly: a value that
itself starts with an apostrophe is written with a second one, so every value round-trips.
"""

from __future__ import annotations

from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text


def neutralise(value: Any) -> Any:
    """A cell value that a spreadsheet shows as text; anything but risky text is unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(QUOTE) or (value.startswith(TRIGGERS) and not _is_number(value)):
        return QUOTE + value
    return value


def recover(text: str) -> str:
    """The value `neutralise` was given, from the text it wrote."""
    if len(text) >= 2 and text[0] == QUOTE and text[1] in (*TRIGGERS, QUOTE):
        return text[1:]
    return text


def neutralise_row(row: list[Any] | tuple[Any, ...]) -> list[Any]:
    """Every cell of a row, neutralised."""
    return [neutralise(cell) for cell in row]
