"""`cairo6 screening|eligibility|randomise`: from the screening log to an allocation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cairo6.cli.common import DbOption, UserOption, console, open_trial_and_actor, parse_date
from cairo6.cli.input import read_record
from cairo6.protocol.eligibility import reads
from cairo6.service import enrolment
from cairo6.service.concealment import diagnostic_for

screening_app = typer.Typer(help="The screening log.", no_args_is_help=True)

DateOption = Annotated[str, typer.Option("--date", help="Date (YYYY-MM-DD).")]


def _date(text: str) -> dt.date:
    return parse_date("--date", text)


@screening_app.command("add")
def screening_add(
    centre: Annotated[str, typer.Option(help="Centre code.")],
    date: DateOption,
    approached: Annotated[
        bool, typer.Option("--approached/--not-approached", help="Was the patient approached?")
    ] = True,
    refused: Annotated[bool, typer.Option(help="The patient refused participation.")] = False,
    reason: Annotated[
        str | None,
        typer.Option(
            help="Refusal reason: feared_adverse_effects, feared_postponing_surgery, "
            "feared_prolongation, logistical, other."
        ),
    ] = None,
    other: Annotated[str | None, typer.Option(help="Words for reason 'other'.")] = None,
    not_approached_reason: Annotated[str | None, typer.Option(help="Why not approached.")] = None,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Log a potentially eligible patient."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    number = enrolment.add_screening(
        trial,
        actor,
        centre,
        {
            "screened_on": date,
            "approached": approached,
            "refused": refused if approached else None,
            "refusal_reason": reason,
            "refusal_other": other,
            "not_approached_reason": not_approached_reason,
        },
    )
    console.print(f"screening number [bold]{number}[/]")


def eligibility_command(
    screening_number: str,
    file: Annotated[Path, typer.Option("--file", help="Checklist as JSON (field: value).")],
    date: DateOption,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Assess the eligibility checklist and explain each criterion (exit 1 if not eligible)."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    data = read_record(file)
    record = enrolment.assess_eligibility(trial, actor, screening_number, data, _date(date))
    table = Table("criterion", "verdict", "recorded", title=f"Eligibility of {screening_number}")
    for criterion in trial.protocol.eligibility:
        verdict = record.verdicts.get(criterion.id)
        if verdict is None:
            continue
        colour = {"met": "green", "not_met": "red"}.get(verdict["verdict"], "yellow")
        shown = reads(criterion.kind, verdict["verdict"])
        table.add_row(criterion.text, f"[{colour}]{shown}[/]", verdict["explanation"])
    console.print(table)
    console.print("[green]eligible[/]" if record.eligible else "[red]not eligible[/]")
    if not record.eligible:
        raise typer.Exit(1)


def _moment(iso: str) -> str:
    """A stored UTC time as people read it: `3 Dec 2026, 15:02 UTC`."""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def randomise_command(
    screening_number: str,
    date: DateOption,
    deviation: Annotated[
        str | None,
        typer.Option(help="Randomise an ineligible patient, recording this protocol deviation."),
    ] = None,
    past_target: Annotated[
        bool,
        typer.Option(
            "--past-target", help="Randomise although the accrual target is already reached."
        ),
    ] = False,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Enrol and randomise. The allocation is final and is shown once."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    result = enrolment.randomise(
        trial, actor, screening_number, _date(date), deviation=deviation, past_target=past_target
    )
    arm = trial.protocol.arm(result.arm)
    console.print(
        f"[bold]{result.study_number}[/] randomised to [bold]{arm.label}[/] "
        f"(sequence {result.sequence_number}, {_moment(result.allocated_at)})"
    )
    diagnostic = diagnostic_for(actor, result.diagnostic)
    if diagnostic is not None:
        console.print_json(data=diagnostic)
