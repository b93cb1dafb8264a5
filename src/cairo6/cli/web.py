"""`cairo6 serve` and `cairo6 user password`: run the web application, set a password."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cairo6.cli.admin import user_app
from cairo6.cli.common import DbOption, UserOption, console, err_console, open_database
from cairo6.config import Settings
from cairo6.errors import StateError
from cairo6.service import web_support
from cairo6.service.setup import open_trial
from cairo6.service.trial import actor_for
from cairo6.store.migrate import current_revision, upgrade
from cairo6.web import auth


def serve_command(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (sessions live in the database).", min=1)
    ] = 1,
) -> None:
    """Serve the web pages and the JSON API with uvicorn (put https in front of it)."""
    import uvicorn  # imported here so that the other commands start without it

    database = open_database(db)
    if current_revision(database) is None:
        raise StateError("the database has no trial yet", "run `cairo6 db init` first")
    upgrade(database)  # adds the web-session table to databases created before it existed
    trial = open_trial(database)
    first_run = web_support.needs_first_admin(trial)
    database.dispose()
    # Each worker builds its own app from the environment, so the address travels there.
    os.environ["CAIRO6_DATABASE_URL"] = database.url
    console.print(
        f"cairo6 for {trial.protocol.trial.acronym} on http://{host}:{port} "
        f"({workers} worker{'s' if workers > 1 else ''})"
        + ("; open /setup to create the administrator" if first_run else ""),
        markup=False,
    )
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print("note: serve over https (a reverse proxy) when not on loopback")
    uvicorn.run(
        "cairo6.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # The app itself believes X-Forwarded-* only from CAIRO6_TRUSTED_PROXIES.
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )


def user_password_command(
    username: Annotated[str, typer.Argument(help="The account whose password is set.")],
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Set a user's password (asked twice, not shown); ends that user's web sessions."""
    database = open_database(db)
    try:
        trial = open_trial(database)
        acting = user or Settings.from_env().user or username
        with trial.db.read() as session:
            actor = actor_for(session, acting)
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
        hashed = auth.hash_password(password, username)
        # The command line is the host administrator's tool: no current password is asked,
        # which is how a forgotten one is replaced (see SECURITY.md).
        web_support.set_password(
            trial,
            actor,
            username,
            hashed,
            reason="password set from the command line",
            host_administrator=True,
        )
        auth.end_sessions_of(trial.db, username)
    finally:
        database.dispose()
    console.print(f"password set for {username}", markup=False)


# `user password` sits with the web's password hashing; it joins the other `user` commands here.
user_app.command("password")(user_password_command)
