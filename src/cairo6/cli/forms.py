"""`cairo6 record|update|participant|query`: case report forms from the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cairo6.cli.common import DbOption, UserOption, console, open_trial_and_actor, parse_date
from cairo6.cli.input import parse_assignments, read_records
from cairo6.errors import InvalidValueError
from cairo6.schedule import Status
from cairo6.service import forms, queries
from cairo6.service.participants import view

participant_app = typer.Typer(help="Participants.", no_args_is_help=True)
query_app = typer.Typer(help="Data queries.", no_args_is_help=True)

SetOption = Annotated[
    list[str] | None, typer.Option("--set", help="field=value (repeatable; JSON values allowed).")
]


def record_command(
    form: Annotated[str, typer.Argument(help=f"One of: {', '.join(forms.CLINICAL_FORMS)}.")],
    study_number: Annotated[
        str | None,
        typer.Argument(help="Participant; leave out when the file has a study_number column."),
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="JSON or CSV file.")] = None,
    assignments: SetOption = None,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Record a form (or several rows of one form) for a participant."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    records = read_records(file) if file else [parse_assignments(assignments or [])]
    for data in records:
        target = str(data.pop("study_number", "") or study_number or "")
        if not target:
            raise InvalidValueError(
                "study_number", None, "a participant", "give it as an argument or a column"
            )
        record_id = forms.record(trial, actor, form, target, data)
        console.print(f"{form} {record_id} recorded for {target}")


def update_command(
    form: str,
    record_id: int,
    reason: Annotated[str, typer.Option(help="Why the value changed (kept in the audit trail).")],
    assignments: SetOption = None,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Change fields of a recorded form, with a reason."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    forms.update(trial, actor, form, record_id, parse_assignments(assignments or []), reason)
    console.print(f"{form} {record_id} updated")


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


@participant_app.command("show")
def participant_show(
    study_number: str,
    on: Annotated[
        str | None, typer.Option(help="Reference date for due/overdue (default: today).")
    ] = None,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """The participant's forms, derived values, treatment calendar and windows."""
    trial, actor = open_trial_and_actor(db, user)
    today = parse_date("--on", on) if on else dt.date.today()
    page = view(trial, actor, study_number, today)
    arm = trial.protocol.arm(page.arm)
    console.print(
        f"[bold]{page.study_number}[/] centre {page.centre}; enrolled {page.enrolled_on}; "
        f"arm [bold]{arm.label}[/] (sequence {page.sequence_number}); levels {page.levels}"
    )
    if page.diagnostic is not None:
        console.print_json(data=page.diagnostic)
    derived = ", ".join(f"{k} {_text(v)}" for k, v in page.derived.items())
    console.print(f"derived: {derived}")
    for form, rows in page.forms.items():
        if not rows:
            continue
        if len(rows[0]) > 6:
            # Wide forms read better as field/value lists than as squeezed columns.
            for row in rows:
                table = Table("field", "value", title=f"{form} {row['id']}", title_justify="left")
                for key, value in row.items():
                    if key != "id":
                        table.add_row(key, _text(value))
                console.print(table)
            continue
        table = Table(*rows[0].keys(), title=form, title_justify="left")
        for row in rows:
            table.add_row(*(_text(v) for v in row.values()))
        console.print(table)
    for problem in page.problems:
        console.print(f"[red]{problem}[/]")
    if page.compliance:
        table = Table(
            "window", "anchor", "allowed", "actual", "status", title=f"Windows on {today}"
        )
        for check in page.compliance:
            colour = {Status.MET: "green", Status.MISSED: "red", Status.OVERDUE: "red"}.get(
                check.status, "yellow"
            )
            allowed = f"{_text(check.earliest)} .. {_text(check.latest)}"
            table.add_row(
                check.window.label,
                _text(check.anchor),
                allowed,
                _text(check.actual),
                f"[{colour}]{check.describe()}[/]",
            )
        console.print(table)
    for item in page.actions:
        console.print(f"[bold]{item.status}[/]: {item.what} {item.note}")


@query_app.command("raise")
def query_raise(
    study_number: str,
    form: str,
    field: str,
    question: str,
    record_id: Annotated[int | None, typer.Option(help="Record of the form.")] = None,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Raise a query on a field."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    qid = queries.raise_query(trial, actor, study_number, form, field, question, record_id)
    console.print(f"query {qid} raised")


@query_app.command("answer")
def query_answer(query_id: int, answer: str, db: DbOption = None, user: UserOption = None) -> None:
    """Answer a query (site)."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    queries.answer_query(trial, actor, query_id, answer)
    console.print(f"query {query_id} answered")


@query_app.command("close")
def query_close(
    query_id: int,
    note: Annotated[str, typer.Option(help="Closing note.")] = "resolved",
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Close a query (trial office)."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    queries.close_query(trial, actor, query_id, note)
    console.print(f"query {query_id} closed")


@query_app.command("list")
def query_list(db: DbOption = None, user: UserOption = None) -> None:
    """Open and answered queries you may see."""
    trial, actor = open_trial_and_actor(db, user)
    table = Table("#", "participant", "form", "field", "status", "question", "answer")
    for q, sn in queries.open_queries(trial, actor):
        table.add_row(str(q.id), sn, q.form, q.field_name, q.status, q.question, q.answer or "")
    console.print(table)
