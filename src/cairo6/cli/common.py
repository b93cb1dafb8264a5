"""Pieces every CLI command shares: the console, the protocol option and error display."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cairo6.config import Settings
from cairo6.errors import BusyError, Cairo6Error, InvalidValueError
from cairo6.protocol import Protocol, default_protocol, read_protocol_file
from cairo6.service.setup import open_trial
from cairo6.service.trial import Trial, actor_for
from cairo6.store.audit import Actor
from cairo6.store.engine import Database, anchored_database
from cairo6.store.schema import AuditRecord

# sysexits' EX_TEMPFAIL: a script can tell "busy, retry" from a refused request (exit 2).
BUSY_EXIT_CODE = 75

console = Console()
err_console = Console(stderr=True)

ProtocolOption = Annotated[
    Path | None,
    typer.Option(
        "--protocol",
        help="Protocol TOML file (default: $CAIRO6_PROTOCOL, else the bundled CAIRO6 protocol).",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]


@cache
def settings() -> Settings:
    """The process's settings, read from the environment once, at first use."""
    return Settings.from_env()


def load_protocol(path: Path | None) -> Protocol:
    """The protocol named on the command line, else by the settings, else CAIRO6."""

    chosen = path or settings().protocol_path
    return read_protocol_file(chosen) if chosen is not None else default_protocol()


def fail(error: Cairo6Error) -> typer.Exit:
    """Print a domain error plainly (no traceback) and return the exit to raise.

    Exit code 2 for a refused request, 75 for "busy, retry" (nothing changed; run it again).
    """
    # Messages contain TOML keys such as `regimens[CAP]`, which Rich would read as markup.
    err_console.print("error:", style="bold red", end=" ")
    err_console.print(str(error), markup=False, highlight=False)
    return typer.Exit(code=BUSY_EXIT_CODE if isinstance(error, BusyError) else 2)


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        "--database-url",
        help="SQLite file or postgresql:// URL (default: $CAIRO6_DATABASE_URL, $CAIRO6_DB, "
        "else cairo6.db).",
    ),
]
UserOption = Annotated[
    str | None,
    typer.Option("--user", "-u", help="Acting user (default: $CAIRO6_USER)."),
]


def open_database(target: str | None, *, create: bool = False) -> Database:
    """The database named on the command line or in the settings, anchored as they say.

    A missing SQLite file is an error, never silently created, unless `create` (`db init`),
    which makes it readable and writable by its owner only (the file is the access boundary
    for the command line; see SECURITY.md).
    """
    database = anchored_database(target or settings().database, settings())
    path = sqlite_path(database)
    if path is None or path.exists():
        return database
    if not create:
        raise InvalidValueError(
            "--db",
            str(path),
            "an existing trial database",
            "check the path, or create a database with `cairo6 db init --db PATH`",
        )
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise InvalidValueError(
            "--db",
            str(path),
            "a file in a directory you can write to",
            f"choose another place for the database ({exc.strerror})",
        ) from None
    return database


def sqlite_path(database: Database) -> Path | None:
    """The file of a SQLite database (None for PostgreSQL or an in-memory database)."""
    url = make_url(database.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def parse_date(option: str, text: str) -> dt.date:
    """A YYYY-MM-DD date given on the command line, or an error naming the option."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValueError(
            option, text, "a date as YYYY-MM-DD", f"correct {option}, e.g. 2018-03-12"
        ) from None


@contextmanager
def writing(option: str, path: Path) -> Iterator[None]:
    """Turn a failure to write `path` into an error naming the option and the path."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InvalidValueError(
            option,
            str(path),
            "a location you can write to",
            f"choose another path for {option} ({reason})",
        ) from None


def require_writer(database: Database) -> None:
    """Refuse a write to PostgreSQL unless the connection's database role may write.

    The command line's `--user` names who acts for the audit trail; the database's own
    credentials decide whether the command may change anything at all.
    """
    if database.is_sqlite:
        return
    with database.engine.connect() as conn:
        may = conn.execute(
            # Before `db init` there is no table yet: then the role must be able to create.
            text(
                "SELECT CASE WHEN to_regclass(:table) IS NULL"
                " THEN has_schema_privilege(current_user, current_schema(), 'CREATE')"
                " ELSE has_table_privilege(current_user, :table, 'INSERT') END"
            ),
            {"table": AuditRecord.__tablename__},
        ).scalar()
    if not may:
        raise InvalidValueError(
            "--database-url",
            make_url(database.url).render_as_string(hide_password=True),
            "the credentials of a database role that may write to the trial's tables",
            "connect as the trial's writing role (user and password in the URL or ~/.pgpass)",
        )


def open_trial_and_actor(
    target: str | None, user: str | None, *, write: bool = False
) -> tuple[Trial, Actor]:
    """The trial in the database and the acting user (who must exist and be active).

    `write`: the command changes the record, so on PostgreSQL the connection's role must be
    allowed to write (`require_writer`).
    """
    database = open_database(target)
    if write:
        require_writer(database)
    trial = open_trial(database)
    name = user or settings().user
    if not name:
        raise InvalidValueError(
            "user", name, "an existing username", "pass --user NAME or set CAIRO6_USER"
        )
    with trial.db.read() as session:
        return trial, actor_for(session, name)
