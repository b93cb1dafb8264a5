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
from cairo6.service import queries, records
from cairo6.service.concealment import BLINDED
from cairo6.service.participants import view

participant_app = typer.Typer(help="Participants.", no_args_is_help=True)
query_app = typer.Typer(help="Data queries.", no_args_is_help=True)

SetOption = Annotated[
    list[str] | None, typer.Option("--set", help="field=value (repeatable; JSON values allowed).")
]


def record_command(
    form: Annotated[str, typer.Argument(help="A form id of the study (`cairo6 study show`).")],
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
    rows = read_records(file) if file else [parse_assignments(assignments or [])]
    for data in rows:
        target = str(data.pop("study_number", "") or study_number or "")
        if not target:
            raise InvalidValueError(
                "study_number", None, "a participant", "give it as an argument or a column"
            )
        saved = records.record_form(trial, actor, target, form, data)
        key = f" {saved.record_key}" if saved.record_key else ""
        console.print(f"{form}{key} recorded for {target}")
        for check in saved.queries:
            console.print(f"[yellow]query opened by check {check}[/]")


def update_command(
    form: str,
    study_number: str,
    reason: Annotated[str, typer.Option(help="Why the value changed (kept in the audit trail).")],
    key: Annotated[
        str, typer.Option("--key", help="Record key of a repeating form (see participant show).")
    ] = "",
    assignments: SetOption = None,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Change items of a recorded form, with a reason."""
    if not reason.strip():
        raise InvalidValueError(
            "reason", reason, "a reason for a change after first entry", "say why it changed"
        )
    trial, actor = open_trial_and_actor(db, user, write=True)
    changes = parse_assignments(assignments or [])
    saved = records.update_form(
        trial, actor, study_number, form, changes, reason=reason.strip(), record_key=key
    )
    console.print(f"{form} {saved.record_key or ''} of {study_number} updated".replace("  ", " "))


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
    """The participant's forms (derived items included), treatment calendar and windows."""
    trial, actor = open_trial_and_actor(db, user)
    today = parse_date("--on", on) if on else dt.date.today()
    page = view(trial, actor, study_number, today)
    study = trial.definition()
    arm = trial.protocol.arm(page.arm).label if page.arm else BLINDED
    console.print(
        f"[bold]{page.study_number}[/] centre {page.centre}; enrolled {page.enrolled_on}; "
        f"arm [bold]{arm}[/] (sequence {page.sequence_number}); levels {page.levels}"
    )
    if page.diagnostic is not None:
        console.print_json(data=page.diagnostic)
    for form_id, saved in page.records.items():
        form = study.form(form_id)
        for key, values in saved:
            # One item per line, labelled: wide forms do not fit as columns.
            title = f"{form.label} {key}".strip()
            table = Table("item", "value", title=title, title_justify="left")
            for label, text in study.shown(form, values):
                table.add_row(label, text)
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
