"""`cairo6 demo STUDY`: the whole route for a bundled study with a data set, end to end.

Check the definition, create a fresh database bound to it, import the study's data through the
services (validated and audited), verify the audit chain, and write the report generated from
the definition, with the published-vs-reproduced comparison when the study has a paper.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cairo6.cli.common import console, fail
from cairo6.errors import Cairo6Error

__all__ = ["demo_command"]


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
    from cairo6.service.admin import add_user, bootstrap_admin
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
        add_user(trial, Actor("admin", "administrator", user_id=admin.id), "dm", "data_manager")
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
        write_study_report(trial, folder / "report")
        database.dispose()
    except Cairo6Error as exc:
        raise fail(exc) from exc
