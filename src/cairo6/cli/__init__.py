"""The `cairo6` command line: one entry point for every part of the system."""

from __future__ import annotations

import typer

from cairo6 import __version__
from cairo6.cli.common import fail
from cairo6.cli.protocol import protocol_app
from cairo6.errors import Cairo6Error

app = typer.Typer(
    name="cairo6",
    help="Run and report a multi-centre randomised trial of the CAIRO6 kind.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(protocol_app, name="protocol")


def _register_optional() -> None:
    # Commands are registered here, in one place, so `--help` lists everything the system does.
    from cairo6.cli.calendar import calendar_command
    from cairo6.cli.simulate import simulate_app

    app.command("calendar")(calendar_command)
    app.add_typer(simulate_app, name="simulate")


try:
    _register_optional()
except ImportError:  # TEMP while parts are being written
    pass


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    """Console-script entry point: domain errors become a plain message and exit code 2."""
    try:
        app()
    except Cairo6Error as exc:
        raise SystemExit(fail(exc).exit_code) from exc
