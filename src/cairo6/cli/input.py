"""Reading records that users hand to the command line as JSON or CSV files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from cairo6.errors import InvalidValueError


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records from a JSON object, a JSON list of objects, or a CSV file with a header row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidValueError("file", str(path), "a readable file", "check the path") from exc
    if path.suffix.lower() == ".csv":
        return [dict(row) for row in csv.DictReader(text.splitlines())]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidValueError(
            "file",
            str(path),
            "JSON (an object or a list of objects) or a .csv file",
            f"fix the JSON at line {exc.lineno}, column {exc.colno}",
        ) from exc
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        raise InvalidValueError(
            "file", str(path), "a JSON object or a list of objects", "check the file's shape"
        )
    return items


def read_record(path: Path) -> dict[str, Any]:
    """Exactly one record from a file."""
    records = read_records(path)
    if len(records) != 1:
        raise InvalidValueError(
            "file", str(path), "exactly one record", f"the file holds {len(records)}; split it"
        )
    return records[0]


def parse_assignments(pairs: list[str]) -> dict[str, Any]:
    """`--set field=value` pairs; values are JSON where they parse as JSON, else text."""
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise InvalidValueError("--set", pair, "field=value", "write it as field=value")
        key, raw = pair.split("=", 1)
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out
