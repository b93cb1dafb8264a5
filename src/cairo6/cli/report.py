"""`cairo6 report`: analyse the trial in a database and write the full report into a directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from cairo6.cli.common import DbOption, console, err_console, open_database, writing

if TYPE_CHECKING:
    from cairo6.report.document import Effect, Report
    from cairo6.report.run import RunOutcome
    from cairo6.service.trial import Trial

__all__ = ["report_command"]


def _source(url: str) -> str:
    from sqlalchemy.engine import make_url

    # The report names its database, but never a password in a PostgreSQL URL.
    return make_url(url).render_as_string(hide_password=True)


def _p(text: str) -> str:
    return f"P {text}" if text.startswith(("<", ">")) else f"P = {text}"


def _effect_line(report: Report, effect: Effect) -> Text:
    arms = "; ".join(
        f"{column.heading} {cell}"
        for column, cell in zip(report.effect_columns, effect.cells, strict=True)
    )
    line = Text(f"{effect.label}: ", style="bold")
    line.append(arms)
    if effect.rr:
        line.append(f"; risk ratio {effect.rr}")
    if effect.p:
        line.append(f", {_p(effect.p)}")
    return line


def _differences(outcome: RunOutcome) -> Table | None:
    others = [c for c in outcome.comparisons or () if c.status != "match"]
    if not others:
        return None
    table = Table(title="Not reproduced as printed")
    table.add_column("key", overflow="fold")
    for name in ("published", "reproduced", "status"):
        table.add_column(name)
    for c in others:
        table.add_row(
            Text("/".join(part or "-" for part in c.key)),
            Text(c.printed),
            Text(c.computed if c.computed is not None else "(none)"),
            Text(c.status),
        )
    return table


def report_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Directory for report.html, report.docx, tables/, tables.xlsx, figures/ and "
            "the ARD (created if missing; files of the same name are replaced).",
            file_okay=False,
        ),
    ],
    db: DbOption = None,
) -> None:
    """Analyse the trial and write the report: HTML, Word, tables, figures and the ARD."""
    # Imported here, not with the module: `cairo6 --help` lists this command without them.
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from cairo6.report.files import STEPS
    from cairo6.report.painter import start_painter
    from cairo6.report.run import run_report
    from cairo6.service.setup import open_trial
    from cairo6.service.trial_lock import report_status
    from cairo6.store.extract import extract

    # extracting, analysing, comparing, then the writer's own steps
    total_steps = 3 + len(STEPS)
    database = open_database(db)
    painter = None
    try:
        trial = open_trial(database)
        if trial.study is not None and trial.study.manifest.layout is None:
            write_study_report(trial, out)
            return
        # Forked now, before the progress bar's thread starts and while the trial is extracted
        # and analysed: the workers load matplotlib meanwhile, then draw the figures.
        painter = start_painter()
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("extracting the trial record", total=total_steps)

            def step(name: str) -> None:
                bar.update(task, description=name, advance=1)

            frames = extract(database)
            with writing("--out", out):
                outcome = run_report(
                    trial.protocol,
                    frames,
                    out,
                    study=trial.study,
                    source=_source(database.url),
                    progress=step,
                    data_status=report_status(database),
                    painter=painter,
                )
            bar.update(task, completed=total_steps)
    finally:
        if painter is not None:
            painter.close()
        database.dispose()
    report = outcome.report
    console.print(Text(report.input.data_status, style="bold"))
    if report.synthetic:
        console.print(Text("SYNTHETIC DATA: the report describes made-up patients.", "bold red"))
    primary = report.primary_effects()
    if primary:
        console.print(Text("Primary outcomes", style="bold underline"))
        for effect in primary:
            console.print(_effect_line(report, effect))
    if outcome.comparisons is not None:
        console.print(Text(report.input.comparison_summary, style="bold"))
        differences = _differences(outcome)
        if differences is not None:
            console.print(differences)
    console.print(
        Text(
            f"{len(report.warnings)} data-quality warning(s); {len(outcome.files)} files written "
            f"to {out} (open {out / 'report.html'})"
        )
    )


def write_study_report(trial: Trial, out: Path) -> None:
    """The report generated from the study definition (a study without a table layout)."""
    from cairo6.report.study_report import write_report
    from cairo6.service.study_data import study_report

    report = study_report(trial)
    study = report.study
    files = write_report(report, out)
    console.print(Text(report.data_status, style="bold"))
    table = next(t for t in report.tables if t.id == "endpoints")
    for endpoint in study.endpoints:
        row = next((cells for label, cells in table.rows if label == endpoint.label), None)
        if endpoint.kind == "primary" and row is not None:
            console.print(Text(f"{endpoint.label}: ", style="bold") + Text("; ".join(row)))
    if report.comparison_summary:
        console.print(Text(report.comparison_summary, style="bold"))
    console.print(Text(f"{len(files)} files written to {out} (open {out / 'report.html'})"))
