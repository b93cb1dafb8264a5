"""`cairo6 expected`: forms overdue, due or missing, per participant, as a table or CSV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cairo6.cli.common import DbOption, UserOption, console, open_trial_and_actor, parse_date
from cairo6.service import expected


def expected_command(
    on: Annotated[
        str | None, typer.Option("--on", help="Reference date YYYY-MM-DD (default: today).")
    ] = None,
    centre: Annotated[str, typer.Option(help="Only this centre (code).")] = "",
    status: Annotated[str, typer.Option(help="Only overdue, due or missing.")] = "",
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on standard output.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the CSV to this file.")] = None,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Forms overdue (by how many days), due or missing, from the study's schedule."""
    day = parse_date("--on", on) if on is not None else dt.date.today()
    trial, actor = open_trial_and_actor(db, user)
    rows = expected.expected_rows(trial, actor, day, centre=centre, status=status)
    if as_csv or out is not None:
        text = expected.as_csv(rows, day)
        if out is None:
            typer.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")
            console.print(f"{len(rows)} expected forms written to {out}")
        return
    table = Table("participant", "centre", "what", "status", "days late", "window")
    for r in rows:
        window = f"{r.earliest} to {r.latest}" if r.earliest else ""
        days = str(r.days_overdue) if r.days_overdue else ""
        table.add_row(r.study_number, r.centre, r.what, r.status, days, window)
    console.print(table)
    for c in expected.per_centre(rows):
        console.print(f"{c.centre}: {c.overdue} overdue, {c.due} due, {c.missing} missing")
