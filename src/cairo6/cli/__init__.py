"""The `cairo6` command line: one entry point for every part of the system."""

from __future__ import annotations

import typer
from sqlalchemy.exc import OperationalError

from cairo6 import __version__
from cairo6.cli.admin import (
    audit_app,
    backup_command,
    centre_app,
    db_app,
    restore_command,
    user_app,
)
from cairo6.cli.calendar import calendar_command
from cairo6.cli.common import fail
from cairo6.cli.demo import demo_command
from cairo6.cli.design import design_app
from cairo6.cli.enrol import eligibility_command, randomise_command, screening_app
from cairo6.cli.exchange import dictionary_command, export_command, import_command
from cairo6.cli.forms import participant_app, query_app, record_command, update_command
from cairo6.cli.protocol import protocol_app
from cairo6.cli.report import report_command
from cairo6.cli.simulate import simulate_app
from cairo6.cli.study import study_app
from cairo6.cli.web import serve_command, user_password_command
from cairo6.errors import Cairo6Error, InvalidValueError

app = typer.Typer(
    name="cairo6",
    help="Run and report a multi-centre randomised trial of the CAIRO6 kind.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Commands are registered here, in one place, so `--help` lists everything the system does.
app.add_typer(protocol_app, name="protocol")
app.add_typer(study_app, name="study")
app.command("calendar")(calendar_command)
app.add_typer(simulate_app, name="simulate")
app.add_typer(db_app, name="db")
app.add_typer(centre_app, name="centre")
app.add_typer(user_app, name="user")
app.add_typer(screening_app, name="screening")
app.command("eligibility")(eligibility_command)
app.command("randomise")(randomise_command)
app.command("record")(record_command)
app.command("update")(update_command)
app.add_typer(participant_app, name="participant")
app.add_typer(query_app, name="query")
app.add_typer(audit_app, name="audit")
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.command("export")(export_command)
app.command("import")(import_command)
app.command("dictionary")(dictionary_command)
app.add_typer(design_app, name="design")
app.command("report")(report_command)
app.command("serve")(serve_command)
app.command("demo")(demo_command)
user_app.command("password")(user_password_command)


@app.command("version")
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    """Console-script entry point: domain errors become a plain message and exit code 2.

    A file or database that cannot be opened where no command expected it is reported the same
    way, in one line, rather than as a traceback.
    """
    try:
        app()
    except Cairo6Error as exc:
        raise SystemExit(fail(exc).exit_code) from exc
    except OperationalError as exc:
        problem = str(exc.orig or exc).splitlines()[0]
        error = InvalidValueError(
            "--db",
            "(the trial database)",
            "a database that can be opened and written beside",
            f"check --db/--database-url and the directory's permissions ({problem})",
        )
        raise SystemExit(fail(error).exit_code) from exc
    except OSError as exc:
        error = InvalidValueError(
            "path",
            str(exc.filename or "(unknown)"),
            "a file or directory that can be read or written",
            f"check the path and its permissions ({exc.strerror or exc})",
        )
        raise SystemExit(fail(error).exit_code) from exc
