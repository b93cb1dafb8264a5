"""`cairo6 casebook`: a participant's casebook as a PDF, or a whole centre's as a zip."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cairo6.cli.common import DbOption, UserOption, console, open_trial_and_actor, writing
from cairo6.errors import InvalidValueError
from cairo6.report.casebook_pdf import centre_zip, render_casebook
from cairo6.service.casebook import centre_casebooks, participant_casebook

__all__ = ["casebook_command"]


def casebook_command(
    study_number: Annotated[
        str | None,
        typer.Argument(help="The participant (leave out with --centre)."),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="The PDF (a participant) or zip (a centre) to write.")
    ] = Path("casebook.pdf"),
    centre: Annotated[
        str | None,
        typer.Option("--centre", help="Every participant of this centre, as a zip of PDFs."),
    ] = None,
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Print casebooks for site archiving: every form, status, signature, query and change."""
    if (study_number is None) == (centre is None):
        raise InvalidValueError(
            "STUDY_NUMBER / --centre",
            study_number or centre,
            "either a participant's study number or --centre CODE",
            "give one of them: `cairo6 casebook C01-001 --out x.pdf` or "
            "`cairo6 casebook --centre C01 --out c01.zip`",
        )
    trial, actor = open_trial_and_actor(db, user)
    if centre is not None:
        books = centre_casebooks(trial, actor, centre)
        data = centre_zip(books)
        what = f"{len(books.books)} casebooks of centre {books.code} and their index"
    else:
        book = participant_casebook(trial, actor, study_number or "")
        data = render_casebook(book)
        what = f"casebook of {book.study_number} ({book.records} records)"
    with writing("--out", out):
        out.write_bytes(data)
    console.print(f"{what} written to {out}")
