"""`cairo6 db|centre|user|audit|backup|restore`: set up and look after a trial database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cairo6.cli.common import (
    DbOption,
    ProtocolOption,
    UserOption,
    console,
    open_database,
    open_trial_and_actor,
    parse_date,
    require_writer,
    settings,
    writing,
)
from cairo6.errors import InvalidValueError
from cairo6.protocol import default_protocol_text, parse_protocol
from cairo6.service import admin
from cairo6.service.audit_view import history, verify_trail
from cairo6.service.backup import backup, restore
from cairo6.service.setup import initialise, open_trial
from cairo6.store.engine import Database
from cairo6.store.migrate import current_revision, head_revision, upgrade

db_app = typer.Typer(help="Create and migrate the trial database.", no_args_is_help=True)
centre_app = typer.Typer(help="Recruiting centres.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts and roles.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@db_app.command("init")
def db_init(
    db: DbOption = None,
    protocol: ProtocolOption = None,
    admin_user: Annotated[
        str | None, typer.Option("--admin", help="Create this first administrator account.")
    ] = None,
) -> None:
    """Create the schema, bind the protocol to the database, optionally add the first admin."""
    database = open_database(db, create=True)
    require_writer(database)
    chosen = protocol or settings().protocol_path
    text = chosen.read_text(encoding="utf-8") if chosen else default_protocol_text()
    proto = parse_protocol(text, str(chosen or "CAIRO6"))
    trial = initialise(database, proto, text)
    console.print(f"database ready at revision {head_revision()} for {proto.trial.acronym}")
    if admin_user:
        admin.bootstrap_admin(trial, admin_user)
        console.print(f"administrator {admin_user} created")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply migrations the database has not had yet."""
    database = open_database(db)
    before = current_revision(database)
    upgrade(database)
    console.print(f"schema {before or 'empty'} -> {head_revision()}")


@centre_app.command("add")
def centre_add(
    code: str,
    name: str,
    started: Annotated[
        str | None, typer.Option(help="Date the centre started recruiting (YYYY-MM-DD).")
    ] = None,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Register a centre."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    start = parse_date("--started", started) if started else None
    centre = admin.add_centre(trial, actor, code, name, start)
    console.print(f"centre {centre.code} added")


@centre_app.command("list")
def centre_list(db: DbOption = None) -> None:
    """List centres."""
    table = Table("code", "name", "started recruiting")
    for c in admin.list_centres(open_trial(open_database(db))):
        table.add_row(c.code, c.name, str(c.started_recruiting or "—"))
    console.print(table)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="administrator, data_manager, investigator, ...")],
    centre: Annotated[str | None, typer.Option(help="Centre code (investigators).")] = None,
    full_name: Annotated[str, typer.Option(help="Full name.")] = "",
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Create a user account (passwords are set in the web application)."""
    trial, actor = open_trial_and_actor(db, user, write=True)
    created = admin.add_user(trial, actor, username, role, centre_code=centre, full_name=full_name)
    console.print(f"user {created.username} ({role}) added", markup=False)


@user_app.command("list")
def user_list(db: DbOption = None, user: UserOption = None) -> None:
    """List user accounts."""
    trial, actor = open_trial_and_actor(db, user)
    table = Table("username", "role", "centre", "active")
    for u in admin.list_users(trial, actor):
        table.add_row(u.username, u.role, str(u.centre_id or "—"), "yes" if u.active else "no")
    console.print(table)


@audit_app.command("verify")
def audit_verify(db: DbOption = None) -> None:
    """Walk the hash chain and report the first broken link (exit 1 if broken)."""
    result = verify_trail(open_database(db))
    if result.ok:
        console.print(f"[green]audit trail intact[/]: {result.records} records verified")
        return
    console.print(
        f"[bold red]audit trail broken at record {result.broken_at}[/]: {result.problem} "
        f"({result.records} records read)"
    )
    raise typer.Exit(1)


@audit_app.command("show")
def audit_show(
    participant: str,
    db: DbOption = None,
    user: UserOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print a participant's history: who changed which field when, old and new, and why."""
    trial, actor = open_trial_and_actor(db, user)
    rows = history(trial, actor, participant)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("#", "when (UTC)", "who", "action", "record", "field", "old", "new", "reason")
    for row in rows:
        table.add_row(
            str(row["seq"]),
            row["at"][:19],
            row["username"],
            row["action"],
            f"{row['table_name']} {row['record_id']}",
            row["field"],
            _short(row["old"]),
            _short(row["new"]),
            row["reason"] or "",
        )
    console.print(table)


def _short(value: object) -> str:
    text = "" if value is None else json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


SQLITE_HEADER = b"SQLite format 3\x00"


def _check_backup_file(source: Path) -> None:
    try:
        with source.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise InvalidValueError(
            "SOURCE", str(source), "a readable backup file", f"check the path ({exc.strerror})"
        ) from None
    if header != SQLITE_HEADER:
        raise InvalidValueError(
            "SOURCE",
            str(source),
            "a SQLite backup made by `cairo6 backup`",
            "name the backup file, not another file",
        )


def backup_command(
    out: Annotated[Path, typer.Argument(help="Backup file to write (SQLite).")],
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Copy a live SQLite database consistently (online backup API) and verify the copy."""
    trial, actor = open_trial_and_actor(db, user)
    with writing("OUT", out):
        records = backup(trial, actor, out)
    console.print(f"backup written to {out}; its audit trail verifies ({records} records)")


def restore_command(
    source: Annotated[Path, typer.Argument(help="Backup file made by `cairo6 backup`.")],
    db: DbOption = None,
    force: Annotated[bool, typer.Option(help="Replace an existing database.")] = False,
) -> None:
    """Restore a SQLite backup after checking its audit trail."""
    _check_backup_file(source)
    target = Database(db or settings().database)
    with writing("--db", Path(target.url.removeprefix("sqlite:///"))):
        records = restore(source, target, force=force)
    console.print(f"restored from {source}; audit trail verifies ({records} records)")
