"""The `cairo6` command line: one entry point for every part of the system.

Each command's module is imported only when that command runs, so `cairo6 --help` and
`cairo6 version` start in a fraction of a second instead of loading pandas, scipy, matplotlib,
the report and the web app that other commands need.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click  # Typer bundles its own click; its types are these
from typer.core import TyperCommand, TyperGroup

from cairo6 import __version__
from cairo6.errors import Cairo6Error


@dataclass(frozen=True)
class LazyCommand:
    """Where a top-level command lives and the one line `--help` shows for it."""

    module: str
    attribute: str
    summary: str


# Commands are registered here, in one place, so `--help` lists everything the system does.
# The summaries are the commands' own first help lines (a test checks that they still agree).
COMMANDS: dict[str, LazyCommand] = {
    "protocol": LazyCommand("protocol", "protocol_app", "Show, check and export trial protocols."),
    "study": LazyCommand(
        "study",
        "study_app",
        "Check and show study definitions; start one from a REDCap or ODM file; amend a "
        "trial's definition (protocol amendments, its versions).",
    ),
    "calendar": LazyCommand(
        "calendar",
        "calendar_command",
        "Show the planned vs actual treatment calendar and its compliance with the time windows.",
    ),
    "simulate": LazyCommand(
        "simulate",
        "simulate_app",
        "Simulations of trial procedures (simulated data, never trial data).",
    ),
    # `db lock|unlock` join the `db` commands in the lifecycle module (P1).
    "db": LazyCommand("lifecycle", "db_app", "Create and migrate the trial database."),
    "centre": LazyCommand("admin", "centre_app", "Recruiting centres."),
    "user": LazyCommand("web", "user_app", "User accounts and roles."),
    "screening": LazyCommand("enrol", "screening_app", "The screening log."),
    "eligibility": LazyCommand(
        "enrol",
        "eligibility_command",
        "Assess the eligibility checklist and explain each criterion (exit 1 if not eligible).",
    ),
    "randomise": LazyCommand(
        "enrol",
        "randomise_command",
        "Enrol and randomise. The allocation is final and is shown once.",
    ),
    "record": LazyCommand(
        "lifecycle",
        "record_app",
        "Record a form for a participant, or take a step of its lifecycle.",
    ),
    "update": LazyCommand(
        "forms", "update_command", "Change items of a recorded form, with a reason."
    ),
    "participant": LazyCommand("forms", "participant_app", "Participants."),
    "query": LazyCommand("forms", "query_app", "Data queries."),
    "expected": LazyCommand(
        "expected",
        "expected_command",
        "Forms overdue (by how many days), due or missing, from the study's schedule.",
    ),
    "audit": LazyCommand("admin", "audit_app", "The audit trail."),
    "sae": LazyCommand(
        "safety", "sae_app", "Serious adverse events: listing, reporting clock, reports."
    ),
    "backup": LazyCommand(
        "admin",
        "backup_command",
        "Copy a live SQLite database consistently (online backup API) and verify the copy.",
    ),
    "restore": LazyCommand(
        "admin",
        "restore_command",
        "Restore a SQLite backup after checking its audit trail and every value against it.",
    ),
    "export": LazyCommand(
        "exchange",
        "export_command",
        "Export the trial record as CSV files, Parquet files or one CDISC ODM 1.3 XML file.",
    ),
    "import": LazyCommand(
        "exchange",
        "import_command",
        "Import a directory of CSV files: every row is checked; all are written or none.",
    ),
    "dictionary": LazyCommand(
        "exchange",
        "dictionary_command",
        "The data dictionary: every variable of the exchange files, and the derived ones.",
    ),
    "design": LazyCommand(
        "design",
        "design_app",
        "Phase 3 design: sample size, interim boundaries, simulated trials (not trial data).",
    ),
    "report": LazyCommand(
        "report",
        "report_command",
        "Analyse the trial and write the report: HTML, Word, tables, figures and the ARD.",
    ),
    "serve": LazyCommand(
        "web",
        "serve_command",
        "Serve the web pages and the JSON API with uvicorn (put https in front of it).",
    ),
    "casebook": LazyCommand(
        "casebook",
        "casebook_command",
        "Print casebooks for site archiving: every form, status, signature, query and change.",
    ),
    "demo": LazyCommand(
        "demo",
        "demo_command",
        "Run a study from its definition and data: check, database, import, audit, report.",
    ),
    "demo-accounts": LazyCommand(
        "demo",
        "demo_accounts_command",
        "Add an account for every role to a demonstration database (published password).",
    ),
}


def load_command(name: str) -> click.Command:
    """Import the module of one top-level command and build its click command."""
    entry = COMMANDS[name]
    target: Any = getattr(importlib.import_module(f"cairo6.cli.{entry.module}"), entry.attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    single = typer.Typer()
    single.command(name)(target)
    return typer.main.get_command(single)


class LazyGroup(TyperGroup):
    """The top-level group: lists every command from `COMMANDS`, imports one only to run it."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            # Only the name and summary are needed to list the commands.
            return TyperCommand(cmd_name, short_help=COMMANDS[cmd_name].summary)
        return load_command(cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="cairo6",
    cls=LazyGroup,
    help="Run and report multi-centre randomised trials (CAIRO6 is the default study).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root() -> None:
    # A callback keeps `cairo6` a group even though only `version` is registered eagerly.
    pass


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
        from cairo6.cli.common import fail

        raise SystemExit(fail(exc).exit_code) from exc
    except Exception as exc:
        # Imported here, so that `--help` and `version` load no database library.
        from sqlalchemy.exc import OperationalError

        from cairo6.cli.common import fail
        from cairo6.errors import InvalidValueError

        if isinstance(exc, OperationalError):
            problem = str(exc.orig or exc).splitlines()[0]
            error = InvalidValueError(
                "--db",
                "(the trial database)",
                "a database that can be opened and written beside",
                f"check --db/--database-url and the directory's permissions ({problem})",
            )
        elif isinstance(exc, OSError):
            error = InvalidValueError(
                "path",
                str(exc.filename or "(unknown)"),
                "a file or directory that can be read or written",
                f"check the path and its permissions ({exc.strerror or exc})",
            )
        else:
            raise
        raise SystemExit(fail(error).exit_code) from exc
