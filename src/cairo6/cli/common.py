"""Pieces every CLI command shares: the console, the protocol option and error display."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from cairo6.config import Settings
from cairo6.errors import BusyError, Cairo6Error, InvalidValueError

if TYPE_CHECKING:
    from cairo6.protocol import Protocol
    from cairo6.service.trial import Trial
    from cairo6.store.audit import Actor
    from cairo6.store.engine import Database

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
    from cairo6.protocol import default_protocol, read_protocol_file

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


def open_database(target: str | None) -> Database:
    """The database named on the command line or in the settings."""
    from cairo6.store.engine import Database

    return Database(target or settings().database, write_wait_seconds=settings().write_wait_seconds)


def open_trial_and_actor(target: str | None, user: str | None) -> tuple[Trial, Actor]:
    """The trial in the database and the acting user (who must exist and be active)."""
    from cairo6.service.setup import open_trial
    from cairo6.service.trial import actor_for

    trial = open_trial(open_database(target))
    name = user or settings().user
    if not name:
        raise InvalidValueError(
            "user", name, "an existing username", "pass --user NAME or set CAIRO6_USER"
        )
    with trial.db.read() as session:
        return trial, actor_for(session, name)
