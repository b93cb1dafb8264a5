"""`cairo6 sae`: serious adverse events from the command line (the line listing, one event,
the site's reports). The clock is read once here, at the edge; e-mail goes through the
CAIRO6_SMTP_* settings as from the web app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cairo6.cli.common import DbOption, UserOption, console, open_trial_and_actor
from cairo6.config import MailSettings
from cairo6.service import safety
from cairo6.service.safety_pdf import sae_pdf

sae_app = typer.Typer(help="Serious adverse events: listing, reporting clock, reports.")


@sae_app.command("list")
def sae_list(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only late reports.")] = False,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="Write the line listing to this CSV file.")
    ] = None,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """The SAE line listing with each event's reporting deadline."""
    trial, actor = open_trial_and_actor(db, user)
    now = safety.utc_now()
    events = (safety.overdue_events if overdue else safety.serious_events)(trial, actor, now)
    if csv_out is not None:
        csv_out.write_text(safety.listing_csv(events), encoding="utf-8")
        console.print(f"{len(events)} serious adverse events written to {csv_out}")
        return
    table = Table("Record", "Participant", "Event", "Grade", "Seriousness", "Reporting")
    for event in events:
        table.add_row(
            str(event.record_id),
            event.study_number,
            event.term,
            event.grade,
            "; ".join(event.criteria),
            event.clock.describe(),
        )
    console.print(table)


@sae_app.command("report")
def sae_report(
    record_id: int,
    narrative: Annotated[str, typer.Option(help="What happened, what was done, the state now.")],
    final: Annotated[bool, typer.Option("--final", help="The last report of the event.")] = False,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Send the next report (initial, follow-up, final) of an SAE to the sponsor."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    view = safety.submit_report(
        trial,
        actor,
        record_id,
        narrative,
        final=final,
        now=safety.utc_now(),
        mail=MailSettings.from_env(),
    )
    last = view.notices[-1].status if view.notices else "none"
    console.print(
        f"report {view.reports[-1].number} recorded; e-mail: {last}; {view.clock.describe()}"
    )


@sae_app.command("pdf")
def sae_pdf_command(
    record_id: int,
    out: Annotated[Path, typer.Option("--out", help="The PDF file to write.")],
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Write one SAE as a PDF report for the sponsor."""
    trial, actor = open_trial_and_actor(db, user)
    now = safety.utc_now()
    view = safety.serious_event(trial, actor, record_id, now)
    out.write_bytes(sae_pdf(view, trial.protocol.trial.acronym, now))
    console.print(f"written {out}")
