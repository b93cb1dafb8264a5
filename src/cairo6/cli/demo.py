"""`cairo6 demo STUDY`: the whole route for a bundled study with a data set, end to end.

Check the definition, create a fresh database bound to it, import the study's data through the
services (validated and audited), verify the audit chain, and write the report generated from
the definition, with the published-vs-reproduced comparison when the study has a paper.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from cairo6.cli.common import DbOption, UserOption, console, fail, open_trial_and_actor
from cairo6.errors import Cairo6Error

__all__ = ["demo_accounts_command", "demo_command"]


def demo_command(
    study: Annotated[str, typer.Argument(help="A bundled study (indo-rct) or a study folder.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for the database and report (default demo-output/STUDY)."
        ),
    ] = None,
) -> None:
    """Run a study from its definition and data: check, database, import, audit, report."""
    from sqlalchemy import select

    from cairo6.cli.report import write_study_report
    from cairo6.service.admin import add_user, bootstrap_admin, list_centres
    from cairo6.service.demo_accounts import add_demo_accounts
    from cairo6.service.setup import initialise_study
    from cairo6.service.study_data import import_study_data
    from cairo6.store.audit import Actor, verify
    from cairo6.store.engine import Database
    from cairo6.store.schema import User
    from cairo6.study.data import read_mapping, read_study_data
    from cairo6.study.loader import resolve_study

    try:
        definition, files = resolve_study(study)
        folder = out or Path("demo-output") / definition.id.lower()
        console.print(
            f"study {definition.id}: {len(definition.forms)} forms, "
            f"{sum(len(f.items()) for f in definition.forms)} items, {len(definition.checks)} "
            f"checks, {len(definition.endpoints)} endpoints: definition valid"
        )
        if definition.manifest.data_note:
            console.print(Text(definition.manifest.data_note, style="italic"))
        folder.mkdir(parents=True, exist_ok=True)
        db_file = folder / "trial.db"
        for stale in folder.glob("trial.db*"):
            stale.unlink()
        database = Database(db_file)
        trial = initialise_study(database, definition, files)
        bootstrap_admin(trial, "admin")
        with trial.db.read() as session:
            admin = session.scalars(select(User).where(User.username == "admin")).one()
        boss = Actor("admin", "administrator", user_id=admin.id)
        add_user(trial, boss, "dm", "data_manager")
        mapping = read_mapping(definition)
        people = read_study_data(definition)
        imported = import_study_data(
            trial, Actor("dm", "data_manager"), people, enrolled_on=mapping.enrolled_on
        )
        console.print(f"imported {imported} participants into {db_file}")
        if mapping.enrolled_on_note:
            console.print(Text(mapping.enrolled_on_note, style="italic"))
        with database.engine.connect() as conn:
            check = verify(conn)
        console.print(
            f"audit trail: {check.records} records, {'intact' if check.ok else check.problem}"
        )
        if len(list_centres(trial)) >= 2:
            show_accounts(add_demo_accounts(trial, boss))
        write_study_report(trial, folder / "report")
        database.dispose()
    except Cairo6Error as exc:
        raise fail(exc) from exc


def show_accounts(created: list[Any]) -> None:
    """The demonstration accounts as a table, with the demo's published password."""
    from rich.table import Table

    from cairo6.service.demo_accounts import DEMO_PASSWORD

    table = Table("username", "role", "centre", "shows", "password", title="Demo accounts")
    for c in created:
        note = "set" if c.password_set else "(kept: it had one)"
        table.add_row(
            c.account.username, c.account.role.value, c.centre or "all", c.account.shows, note
        )
    console.print(table)
    console.print(
        Text(
            f"DEMO ONLY: every new demo account signs in with the password "
            f"{DEMO_PASSWORD!r}; it is published, so never use these accounts for trial data.",
            style="bold",
        )
    )


def demo_accounts_command(db: DbOption = None, user: UserOption = None) -> None:
    """Add an account for every role to a demonstration database (published password)."""
    from cairo6.service.demo_accounts import add_demo_accounts

    try:
        trial, actor = open_trial_and_actor(db, user, write=True)
        show_accounts(add_demo_accounts(trial, actor))
    except Cairo6Error as exc:
        raise fail(exc) from exc
