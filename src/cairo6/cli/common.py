"""Pieces every CLI command shares: the console, the protocol option and error display."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cairo6.config import Settings
from cairo6.errors import Cairo6Error
from cairo6.protocol import Protocol, default_protocol, read_protocol_file

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


def load_protocol(path: Path | None) -> Protocol:
    """The protocol named on the command line, else by the settings, else CAIRO6."""
    chosen = path or Settings.from_env().protocol_path
    return read_protocol_file(chosen) if chosen is not None else default_protocol()


def fail(error: Cairo6Error) -> typer.Exit:
    """Print a domain error plainly (no traceback) and return the exit to raise."""
    # Messages contain TOML keys such as `regimens[CAP]`, which Rich would read as markup.
    err_console.print("error:", style="bold red", end=" ")
    err_console.print(str(error), markup=False, highlight=False)
    return typer.Exit(code=2)
