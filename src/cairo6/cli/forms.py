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
from cairo6.config import MailSettings
from cairo6.errors import InvalidValueError
from cairo6.schedule import Status
from cairo6.service import queries, records, safety
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
        safety.notify_if_new(
            trial, actor, saved.record_id, safety.utc_now(), MailSettings.from_env()
        )
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
    safety.notify_if_new(trial, actor, saved.record_id, safety.utc_now(), MailSettings.from_env())
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
    form: Annotated[str, typer.Argument(help="A form id of the study.")],
    item: Annotated[str, typer.Argument(help="An item id of the form.")],
    text: Annotated[str, typer.Option("--text", help="The question to the site.")],
    key: Annotated[
        str | None,
        typer.Option("--key", help="Record key of a repeating form (see participant show)."),
    ] = None,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Raise a query on one item of one record of a participant."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    qid = queries.raise_query(trial, actor, study_number, form, item, text, record_key=key)
    console.print(f"query {qid} raised")


@query_app.command("answer")
def query_answer(query_id: int, answer: str, db: DbOption = None, user: UserOption = None) -> None:
    """Answer an open query (site)."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    queries.answer_query(trial, actor, query_id, answer)
    console.print(f"query {query_id} answered")


@query_app.command("close")
def query_close(
    query_id: int,
    note: Annotated[str, typer.Option(help="Closing note (everybody sees it).")] = "resolved",
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Close a query (trial office)."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    queries.close_query(trial, actor, query_id, note)
    console.print(f"query {query_id} closed")


@query_app.command("reopen")
def query_reopen(
    query_id: int,
    reason: Annotated[str, typer.Option("--reason", help="Why the query is not settled.")],
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Re-open an answered or closed query (trial office)."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    queries.reopen_query(trial, actor, query_id, reason)
    console.print(f"query {query_id} re-opened")


@query_app.command("list")
def query_list(
    state: Annotated[
        str, typer.Option(help="unresolved (open or answered), open, answered, closed or all.")
    ] = "unresolved",
    centre: Annotated[str, typer.Option(help="Centre code.")] = "",
    form: Annotated[str, typer.Option(help="Form id.")] = "",
    age: Annotated[int | None, typer.Option(help="Open at least this many days.")] = None,
    search: Annotated[str, typer.Option(help="Text in the participant, question or answer.")] = "",
    page: Annotated[int, typer.Option(help="Page (25 queries a page).")] = 1,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """The queries you may see, oldest first, with their age in days."""
    trial, actor = open_trial_and_actor(db, user)
    wanted = queries.QueryFilter(
        state=state, centre=centre, form=form, min_age_days=age, search=search, page=page
    )
    found = queries.query_page(trial, actor, wanted)
    table = Table("#", "participant", "form", "record", "item", "status", "days", "question")
    for q in found.rows:
        table.add_row(
            str(q.id),
            q.study_number,
            q.form,
            q.record_key or "",
            q.field_name,
            q.status,
            "" if q.age_days is None else str(q.age_days),
            q.question,
        )
    console.print(table)
    console.print(f"{found.total} queries; page {found.page} of {found.pages}")


@query_app.command("show")
def query_show(query_id: int, db: DbOption = None, user: UserOption = None) -> None:
    """One query and its thread: who did what, when."""
    trial, actor = open_trial_and_actor(db, user)
    q = queries.query_row(trial, actor, query_id)
    where = f"{q.form_label}{': ' + q.record_label if q.record_label else ''} · {q.item_label}"
    console.print(f"query {q.id} on {q.study_number} ({q.centre}), {where}: {q.status}")
    console.print(f"  {q.question}")
    for step in q.thread:
        text = f": {step.text}" if step.text and step.step != "raised" else ""
        console.print(f"  {step.at[:16]} {step.step} by {step.username} ({step.role}){text}")
