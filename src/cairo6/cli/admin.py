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
from cairo6.service.audit_view import anchor_head, history, replay_trail, verify_trail
from cairo6.service.backup import backup, restore
from cairo6.service.setup import initialise, open_trial
from cairo6.store.anchor import create_key
from cairo6.store.audit import GENESIS
from cairo6.store.engine import anchored_database
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
    study: Annotated[
        str | None,
        typer.Option(
            "--study",
            help="A study definition folder, or the name of a bundled study (cairo6, "
            "indo_rct); binds the whole definition (forms, checks, endpoints) to the database. "
            "Default: the cairo6 study, unless --protocol names a protocol file alone.",
        ),
    ] = None,
) -> None:
    """Create the schema, bind the protocol (or a whole study) to the database, add an admin."""
    database = open_database(db, create=True)
    require_writer(database)
    if create_key(settings().audit_key):
        console.print(f"audit anchor key created at {settings().audit_key}", markup=False)
    new = current_revision(database) is None
    if study is not None or (protocol is None and settings().protocol_path is None):
        from cairo6.service.setup import initialise_study
        from cairo6.study.loader import DEFAULT_STUDY, resolve_study

        # Without --study or a protocol file, the default study (CAIRO6), like any other.
        definition, files = resolve_study(study or DEFAULT_STUDY)
        trial = initialise_study(database, definition, files)
        name = definition.trial_protocol.trial.acronym
    else:
        chosen = protocol or settings().protocol_path
        text = chosen.read_text(encoding="utf-8") if chosen else default_protocol_text()
        proto = parse_protocol(text, str(chosen or "CAIRO6"))
        trial = initialise(database, proto, text)
        name = proto.trial.acronym
    if new and database.anchors is not None:
        # Anchors left by an earlier database at this path belong to another trail.
        database.anchors.append(0, GENESIS, "init")
    console.print(f"database ready at revision {head_revision()} for {name}")
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
def audit_verify(
    db: DbOption = None,
    data: Annotated[
        bool,
        typer.Option(
            "--data",
            help="Also rebuild every current value from the trail and name each table row "
            "that differs (a change made behind the trail's back).",
        ),
    ] = False,
) -> None:
    """Check the hash chain against the signed anchors (exit 1 if anything is wrong).

    Reports the first broken link, a trail shorter than its latest anchor (records removed)
    and a record whose hash differs from its anchor (the tail rewritten and rehashed).
    """
    database = open_database(db)
    result = verify_trail(database)
    anchors = database.anchors.path if database.anchors else None
    if result.ok:
        console.print(
            f"[green]audit trail intact[/]: {result.records} records verified, "
            f"checked against the anchor of record {result.anchored} in {anchors}",
            highlight=False,
        )
    else:
        where = f" at record {result.broken_at}" if result.broken_at else ""
        console.print(f"[bold red]audit trail broken{where}[/]: ", end="")
        console.print(f"{result.problem} ({result.records} records read)", markup=False)
    if data and result.ok:
        differences = replay_trail(database)
        for difference in differences:
            console.print("[bold red]not in the trail[/]: ", end="")
            console.print(str(difference), markup=False, highlight=False)
        if differences:
            raise typer.Exit(1)
        console.print("[green]every stored value follows from the trail[/]")
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor(db: DbOption = None) -> None:
    """Sign the head of the trail (sequence and hash) and append it to the anchor file.

    Every commit does this by itself; run it by hand to start anchoring an older database,
    or to print the head for keeping elsewhere (e.g. in the trial master file).
    """
    database = open_database(db)
    anchor = anchor_head(database)
    console.print(
        f"head: record {anchor.seq}, hash {anchor.hash}, at {anchor.at}; "
        f"signed and appended to {database.anchors.path if database.anchors else '-'}",
        markup=False,
        highlight=False,
    )


@audit_app.command("key")
def audit_key() -> None:
    """Create the key that signs the anchors, where CAIRO6_AUDIT_KEY says (never replaced)."""
    path = settings().audit_key
    if create_key(path):
        console.print(f"anchor key created at {path}; keep a copy apart from the database")
    else:
        console.print(f"anchor key already at {path}; left as it is")


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
    """Restore a SQLite backup after checking its audit trail and every value against it.

    The chain is checked against the anchors beside the copy (BACKUP.anchors), and every value
    in the copy against its trail; a copy that fails either is refused."""
    _check_backup_file(source)
    target = anchored_database(db or settings().database, settings())
    with writing("--db", Path(target.url.removeprefix("sqlite:///"))):
        records = restore(source, target, force=force)
    console.print(f"restored from {source}; audit trail verifies ({records} records)")
