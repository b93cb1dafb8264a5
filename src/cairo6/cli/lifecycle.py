"""`cairo6 record complete|verify|sign|freeze|unfreeze|lock|unlock|status` and `cairo6 db
lock|unlock`: the form lifecycle and the database lock from the command line.

`cairo6 record FORM STUDY_NUMBER --set ...` still enters a record: a first word that is not one
of the lifecycle commands is a form, and the words go to the entering command unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from typer import _click as click
from typer.core import TyperGroup

from cairo6.cli.admin import db_app
from cairo6.cli.common import DbOption, UserOption, console, open_trial_and_actor
from cairo6.cli.forms import record_command
from cairo6.service import lifecycle

ENTER = "enter"


class RecordGroup(TyperGroup):
    """`record`: a lifecycle command by name, else the words of a record to enter."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in self.commands and args[0] != ENTER:
            return super().resolve_command(ctx, args)
        return ENTER, self.commands[ENTER], args


record_app = typer.Typer(
    cls=RecordGroup,
    no_args_is_help=True,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    help="Record a form for a participant, or take a step of its lifecycle.\n\n"
    "`cairo6 record FORM STUDY_NUMBER --set item=value` enters a record (or `--file` many); "
    "`cairo6 record complete|verify|sign|freeze|unfreeze|lock|unlock FORM STUDY_NUMBER "
    "[--key K]` moves it on, `cairo6 record sign-casebook STUDY_NUMBER` signs every record "
    "and `cairo6 record status STUDY_NUMBER` shows where each record is.",
)
record_app.command(ENTER, hidden=True)(record_command)

FormArg = Annotated[str, typer.Argument(help="A form id of the study (`cairo6 study show`).")]
NumberArg = Annotated[str, typer.Argument(help="The participant's study number.")]
KeyOption = Annotated[
    str, typer.Option("--key", help="Record key of a repeating form (see `record status`).")
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (kept in the audit trail).")]


def _step(
    step: str,
    form: str,
    study_number: str,
    key: str,
    db: str | None,
    user: str | None,
    **extra: Any,
) -> None:
    trial, actor = open_trial_and_actor(db, user, write=True)
    state = lifecycle.take_step(trial, actor, study_number, form, step, record_key=key, **extra)
    what = f"{form} {key}".strip()
    console.print(f"{what} of {study_number}: {state.label.lower()}", markup=False)


@record_app.command("complete")
def record_complete(
    form: FormArg, study_number: NumberArg, key: KeyOption = "", db: DbOption = None,
    user: UserOption = None,
) -> None:  # fmt: skip
    """Mark a record complete: the site has entered all it will enter."""
    _step("complete", form, study_number, key, db, user)


@record_app.command("verify")
def record_verify(
    form: FormArg,
    study_number: NumberArg,
    key: KeyOption = "",
    item: Annotated[
        list[str] | None,
        typer.Option("--item", help="An item checked against the source (repeatable; default: "
                     "every entered item)."),
    ] = None,
    marks_only: Annotated[
        bool, typer.Option("--marks-only", help="Save the item marks without verifying the form.")
    ] = False,
    db: DbOption = None,
    user: UserOption = None,
) -> None:  # fmt: skip
    """Source data verification (monitor): mark items checked and verify the record."""
    _step("sdv" if marks_only else "verify", form, study_number, key, db, user, items=item)


def _sign(study_number: str, form: str | None, key: str, db: str | None, user: str | None) -> None:
    trial, actor = open_trial_and_actor(db, user, write=True)
    meaning = trial.definition().manifest.data_management.signature_meaning
    console.print(f"Signing as {actor.username}. Meaning: {meaning}", markup=False)
    password = typer.prompt("Password", hide_input=True)
    view = lifecycle.sign(trial, actor, study_number, password, form_id=form, record_key=key)
    console.print(
        f"signed by {view.printed_name} ({view.username}) at {view.signed_at}: "
        f"{len(view.records)} record(s) of {study_number}",
        markup=False,
    )


@record_app.command("sign")
def record_sign(
    form: FormArg, study_number: NumberArg, key: KeyOption = "", db: DbOption = None,
    user: UserOption = None,
) -> None:  # fmt: skip
    """Sign a visit (one record) as investigator; asks for your password (not shown)."""
    _sign(study_number, form, key, db, user)


@record_app.command("sign-casebook")
def record_sign_casebook(
    study_number: NumberArg, db: DbOption = None, user: UserOption = None
) -> None:
    """Sign every record of a participant as investigator; asks for your password."""
    _sign(study_number, None, "", db, user)


@record_app.command("freeze")
def record_freeze(
    form: FormArg, study_number: NumberArg, key: KeyOption = "", db: DbOption = None,
    user: UserOption = None,
) -> None:  # fmt: skip
    """Freeze a record (data manager): no more changes until it is unfrozen."""
    _step("freeze", form, study_number, key, db, user)


@record_app.command("unfreeze")
def record_unfreeze(
    form: FormArg, study_number: NumberArg, reason: ReasonOption, key: KeyOption = "",
    db: DbOption = None, user: UserOption = None,
) -> None:  # fmt: skip
    """Unfreeze a record, with a reason (data manager)."""
    _step("unfreeze", form, study_number, key, db, user, reason=reason)


@record_app.command("lock")
def record_lock(
    form: FormArg, study_number: NumberArg, key: KeyOption = "", db: DbOption = None,
    user: UserOption = None,
) -> None:  # fmt: skip
    """Lock a record (data manager)."""
    _step("lock", form, study_number, key, db, user)


@record_app.command("unlock")
def record_unlock(
    form: FormArg, study_number: NumberArg, reason: ReasonOption, key: KeyOption = "",
    db: DbOption = None, user: UserOption = None,
) -> None:  # fmt: skip
    """Unlock a record, with a reason (data manager)."""
    _step("unlock", form, study_number, key, db, user, reason=reason)


@record_app.command("status")
def record_status(study_number: NumberArg, db: DbOption = None, user: UserOption = None) -> None:
    """Where each record of a participant is, and its signatures."""
    trial, actor = open_trial_and_actor(db, user)
    book = lifecycle.casebook(trial, actor, study_number)
    table = Table(title=f"Records of {study_number}")
    for name in ("form", "key", "status", "completed", "verified", "notes"):
        table.add_column(name)
    for (form, key), state in sorted(book.states.items(), key=lambda kv: kv[1].record_id):
        notes = []
        if state.resign_needed:
            notes.append("re-signing needed")
        if state.verification_outdated:
            notes.append("changed since verified")
        table.add_row(
            form,
            key,
            state.label,
            state.completed.username if state.completed else "",
            state.verified.username if state.verified else "",
            "; ".join(notes),
        )
    console.print(table)
    for view in book.signatures:
        valid = "valid" if view.valid else f"VOIDED: {view.voided_because}"
        console.print(
            f"{view.scope} signed by {view.printed_name} ({view.username}) at {view.signed_at}: "
            f"{valid}",
            markup=False,
        )
    if book.locked:
        console.print(f"The database is locked (since {book.locked.at}).", markup=False)


@db_app.command("lock")
def db_lock(reason: ReasonOption, db: DbOption = None, user: UserOption = None) -> None:
    """Lock the database for the final analysis (data manager); reports are then FINAL."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    held = lifecycle.lock_database(trial, actor, reason)
    console.print(f"database locked at {held.at} by {held.username}", markup=False)


@db_app.command("unlock")
def db_unlock(reason: ReasonOption, db: DbOption = None, user: UserOption = None) -> None:
    """Unlock the database, with a reason (data manager); reports are INTERIM again."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    lifecycle.unlock_database(trial, actor, reason)
    console.print("database unlocked", markup=False)
