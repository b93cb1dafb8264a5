"""Turn entered values (from a form, a JSON file or a CSV cell) into typed column values.

The rules come from the tables' column metadata (`schema.field`), so the CLI, the CSV import and
the web forms all refuse the same things with the same words.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String, Text
from sqlalchemy.sql.schema import Column

from cairo6.errors import FieldProblem, FormError
from cairo6.store.schema import SYSTEM_COLUMNS, Base, input_columns

__all__ = ["SYSTEM_COLUMNS", "allowed_text", "clean_form", "input_columns"]

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def allowed_text(column: Column[Any]) -> str:
    """What a column accepts, in words (for messages and the data dictionary)."""
    info = column.info
    kind = column.type
    if "allowed" in info and not isinstance(kind, JSON):
        return "one of " + ", ".join(info["allowed"])
    if isinstance(kind, Boolean):
        return "true or false"
    if isinstance(kind, Date):
        return "a date YYYY-MM-DD"
    if isinstance(kind, Integer):
        lo, hi = info.get("min"), info.get("max")
        rng = f" from {lo:g} to {hi:g}" if lo is not None and hi is not None else ""
        return f"a whole number{rng}" + (f" ({info['unit']})" if info.get("unit") else "")
    if isinstance(kind, JSON):
        return "JSON"
    return "text"


def _coerce(column: Column[Any], raw: Any) -> Any:
    kind = column.type
    if isinstance(kind, Boolean):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError
    if isinstance(kind, Date):
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            return raw
        return dt.date.fromisoformat(str(raw).strip())
    if isinstance(kind, Integer):
        if isinstance(raw, bool):
            raise ValueError
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        return int(str(raw).strip())
    if isinstance(kind, JSON):
        return json.loads(raw) if isinstance(raw, str) else raw
    if isinstance(kind, String | Text):
        return str(raw).strip()
    return raw


def clean_form(
    form: str, table: type[Base], data: Mapping[str, Any], *, partial: bool = False
) -> dict[str, Any]:
    """Validate entered values for one form; raise `FormError` listing every problem.

    Empty strings count as "not entered". Unknown fields are refused rather than dropped, so a
    misspelt column in an import file cannot silently lose data. With `partial`, only the
    fields given are checked (an edit).
    """
    columns = {c.key: c for c in input_columns(table)}
    problems: list[FieldProblem] = []
    clean: dict[str, Any] = {}
    for name in data:
        if name not in columns:
            problems.append(
                FieldProblem(name, data[name], f"unknown field; {form} has: {', '.join(columns)}")
            )
    for name, column in columns.items():
        if name not in data and partial:
            continue
        raw = data.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if column.nullable:
                clean[name] = None
            elif column.default is None:
                problems.append(FieldProblem(name, raw, f"required; enter {allowed_text(column)}"))
            # otherwise the column's own default applies
            continue
        try:
            value = _coerce(column, raw)
        except (ValueError, TypeError):
            problems.append(FieldProblem(name, raw, f"not {allowed_text(column)}"))
            continue
        info = column.info
        if "allowed" in info and not isinstance(column.type, JSON) and value not in info["allowed"]:
            problems.append(FieldProblem(name, raw, f"not {allowed_text(column)}"))
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            lo, hi = info.get("min"), info.get("max")
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                problems.append(FieldProblem(name, raw, f"outside {lo:g} to {hi:g}"))
                continue
        clean[name] = value
    if problems:
        raise FormError(form, problems)
    return clean
