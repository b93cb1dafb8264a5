"""`cairo6 export|import|dictionary`: the trial record in and out as files, and what they hold."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from cairo6.cli.common import (
    DbOption,
    ProtocolOption,
    UserOption,
    console,
    err_console,
    load_protocol,
    open_trial_and_actor,
    writing,
)
from cairo6.service.dictionary import DictionaryEntry, dictionary
from cairo6.service.exchange import (
    ImportProblem,
    ImportRejectedError,
    ImportSummary,
    export_csv,
    export_parquet,
    import_directory,
)
from cairo6.service.record_exchange import export_records_odm


class RateColumn(ProgressColumn):
    """Rows per second, as the progress bar has measured them so far."""

    def render(self, task: Task) -> Text:
        """The rate, once there is one."""
        speed = task.speed
        return Text("" if speed is None else f"{speed:,.0f} rows/s", style="progress.data.speed")


class ExportFormat(StrEnum):
    """What `cairo6 export` writes."""

    CSV = "csv"
    PARQUET = "parquet"
    ODM = "odm"


class DictionaryFormat(StrEnum):
    """How `cairo6 dictionary` prints."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


DICTIONARY_COLUMNS = (
    "form",
    "variable",
    "label",
    "type",
    "unit",
    "allowed",
    "required",
    "derived_from",
)


def _counts_table(title: str, counts: dict[str, int]) -> Table:
    table = Table("form", "rows", title=title)
    for form, rows in counts.items():
        table.add_row(form, str(rows))
    table.add_row(Text("total", style="bold"), Text(str(sum(counts.values())), style="bold"))
    return table


def export_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Directory for csv and parquet (one file per form); file for odm."
        ),
    ],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="csv (the import format), parquet or odm.")
    ] = ExportFormat.CSV,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Export the trial record as CSV files, Parquet files or one CDISC ODM 1.3 XML file."""
    trial, actor = open_trial_and_actor(db, user)
    if fmt is ExportFormat.ODM:
        with writing("--out", out):
            subjects = export_records_odm(trial, actor, out)
        console.print(f"{subjects} participants written to {out} (CDISC ODM 1.3 snapshot)")
        return
    writer = export_csv if fmt is ExportFormat.CSV else export_parquet
    with writing("--out", out):
        counts = writer(trial, actor, out)
    console.print(_counts_table(f"{fmt.value} export", counts))
    console.print(Text(f"{len(counts)} {fmt.value} files written to {out}"))


def _show(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def problems_table(problems: list[ImportProblem]) -> Table:
    """Every refused file, row and field, as the import report shows them."""
    table = Table(
        "file", "row", "field", "value", "reason", title=f"{len(problems)} problem(s)", expand=True
    )
    for problem in problems:
        # Text() keeps values such as "[2,3]" from being read as Rich markup.
        table.add_row(
            Text(problem.file),
            Text(str(problem.row_number) if problem.row_number else "-"),
            Text(problem.field or "-"),
            Text(_show(problem.value)),
            Text(problem.reason),
        )
    return table


def import_command(
    directory: Annotated[
        Path,
        typer.Argument(
            help="Directory of exchange CSV files (see docs/data-format.md).",
            exists=True,
            file_okay=False,
        ),
    ],
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Import a directory of CSV files: every row is checked; all are written or none."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    summary: ImportSummary | None = None
    rejected: ImportRejectedError | None = None
    with Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            summary = import_directory(trial, actor, directory, progress=advance)
        except ImportRejectedError as exc:
            rejected = exc
    if rejected is not None:
        console.print(problems_table(rejected.problems))
        err_console.print(
            Text(
                f"import of {directory} refused: nothing was written. Correct each row listed "
                "and import the whole directory again.",
                style="bold red",
            )
        )
        raise typer.Exit(1)
    assert summary is not None
    console.print(_counts_table("imported", summary.rows))
    console.print(Text(f"{summary.total} rows imported from {directory} in one transaction"))


def _dictionary_rows(entries: list[DictionaryEntry]) -> list[list[str]]:
    return [
        [
            e.form,
            e.variable,
            e.label,
            e.type,
            e.unit or "",
            e.allowed,
            "yes" if e.required else "no",
            e.derived_from or "",
        ]
        for e in entries
    ]


def dictionary_command(
    protocol: ProtocolOption = None,
    study: Annotated[
        str | None,
        typer.Option(
            "--study",
            help="A study definition folder or bundled study name: the dictionary of its forms.",
        ),
    ] = None,
    fmt: Annotated[
        DictionaryFormat, typer.Option("--format", help="table, csv or json.")
    ] = DictionaryFormat.TABLE,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of the screen.")
    ] = None,
) -> None:
    """The data dictionary: every variable of the exchange files, and the derived ones."""
    if study is not None:
        from cairo6.study.dictionary import COLUMNS
        from cairo6.study.dictionary import dictionary as study_dictionary
        from cairo6.study.loader import resolve_study

        definition, _ = resolve_study(study)
        records = [
            {name: getattr(row, name) for name in COLUMNS} for row in study_dictionary(definition)
        ]
        rows = [
            ["yes" if v is True else "" if v is False else str(v) for v in r.values()]
            for r in records
        ]
        _emit(COLUMNS, rows, records, fmt, out)
        return
    if protocol is None:
        from cairo6.study.loader import DEFAULT_STUDY, resolve_study

        # The default study's exchange files: the trial's own files, then its forms.
        default, _ = resolve_study(DEFAULT_STUDY)
        entries = dictionary(default.trial_protocol, default)
    else:
        entries = dictionary(load_protocol(protocol))
    _emit(
        DICTIONARY_COLUMNS,
        _dictionary_rows(entries),
        [e.as_dict() for e in entries],
        fmt,
        out,
    )


def _emit(
    columns: tuple[str, ...],
    rows: list[list[str]],
    records: list[dict[str, Any]],
    fmt: DictionaryFormat,
    out: Path | None,
) -> None:
    """Print or write a dictionary as a table, CSV or JSON."""
    if fmt is DictionaryFormat.TABLE:
        table = Table(*columns, title="Data dictionary")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        if out is None:
            console.print(table)
            return
        with out.open("w", encoding="utf-8") as handle:
            Console(file=handle, width=240).print(table)
        return
    if fmt is DictionaryFormat.JSON:
        text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        text = buffer.getvalue()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
