"""Exporting the trial record as CSV files (the import format) and as Parquet files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

from cairo6.errors import InvalidValueError
from cairo6.report.cells import neutralise
from cairo6.service.dictionary import DictionaryEntry, exchange_variables, file_order
from cairo6.service.exchange_tables import Row, cell_text, read_tables
from cairo6.service.permissions import CENTRE_BOUND, Action, require
from cairo6.service.trial import Trial
from cairo6.store.audit import Actor

_ARROW_TYPES = {
    "text": "string[pyarrow]",
    "json": "string[pyarrow]",
    "integer": "int64[pyarrow]",
    "float": "double[pyarrow]",
    "date": "date32[pyarrow]",
    "boolean": "bool[pyarrow]",
}


def snapshot(trial: Trial, actor: Actor) -> dict[str, list[Row]]:
    """Every exchange table, read in one transaction so the files agree with each other."""
    require(actor, Action.EXPORT)
    require(actor, Action.VIEW_ALLOCATION)  # the randomisation file names every arm
    centre = actor.centre_id if actor.role in CENTRE_BOUND else None
    with trial.db.read() as session:
        return read_tables(session, trial.protocol, trial.study, centre)


def _output_dir(trial: Trial, out_dir: Path, suffix: str) -> Path:
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InvalidValueError(
            "--out", str(out), "a directory", "name a new or empty directory for the export"
        )
    ours = {f"{form}{suffix}" for form in file_order(trial.study)}
    # Anything else in the directory would be read as an unknown file by a later import.
    foreign = sorted(p.name for p in out.iterdir() if p.name not in ours) if out.exists() else []
    if foreign:
        raise InvalidValueError(
            "--out",
            str(out),
            f"a new or empty directory (it holds {', '.join(foreign[:5])})",
            "choose another directory; an export there would mix with other files",
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def export_csv(trial: Trial, actor: Actor, out_dir: Path) -> dict[str, int]:
    """Write one CSV per form in the import format; returns rows written per form."""
    tables = snapshot(trial, actor)
    out = _output_dir(trial, out_dir, ".csv")
    counts: dict[str, int] = {}
    for form, entries in exchange_variables(trial.protocol, trial.study).items():
        rows = tables[form]
        with (out / f"{form}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([e.variable for e in entries])
            for row in rows:
                # Text that a spreadsheet would run as a formula is written as text.
                writer.writerow([neutralise(cell_text(e, row.get(e.variable))) for e in entries])
        counts[form] = len(rows)
    return counts


def _arrow_value(entry: DictionaryEntry, value: Any) -> Any:
    if value is None:
        return None
    if entry.type == "json":
        return cell_text(entry, value)
    if entry.type == "float":
        return float(value)
    return value


def export_parquet(trial: Trial, actor: Actor, out_dir: Path) -> dict[str, int]:
    """Write one Parquet file per form (same columns as the CSV, typed; JSON as text)."""
    tables = snapshot(trial, actor)
    out = _output_dir(trial, out_dir, ".parquet")
    counts: dict[str, int] = {}
    for form, entries in exchange_variables(trial.protocol, trial.study).items():
        rows = tables[form]
        frame = pd.DataFrame(
            {
                e.variable: pd.Series(
                    [_arrow_value(e, row.get(e.variable)) for row in rows],
                    dtype=_ARROW_TYPES[e.type],
                )
                for e in entries
            }
        )
        frame.to_parquet(out / f"{form}.parquet", index=False)
        counts[form] = len(rows)
    return counts
