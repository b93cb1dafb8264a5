"""Casebook downloads: a participant's PDF and a centre's zip, and the page that lists them.

The casebook service decides who may print what (`PRINT_CASEBOOK`, a centre-bound user their
own centre only); a refused request ends in the shared error page before anything is read.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cairo6.report.casebook_pdf import centre_zip, render_casebook
from cairo6.service import casebook
from cairo6.web import auth
from cairo6.web.context import Web, signed_in
from cairo6.web.render import page

router = APIRouter(include_in_schema=False)
Signed = Annotated[auth.SignedIn, Depends(signed_in)]


def _download(data: bytes, kind: str, name: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return Response(
        content=data,
        media_type=kind,
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )


@router.get("/casebooks", name="casebook_list")
def casebook_list(request: Request, web: Web, user: Signed) -> Response:
    """The centres whose casebooks the user may print, each as one zip."""
    centres = casebook.printable_centres(web.trial(), user.actor)
    return page(request, "casebooks.html", {"centres": centres})


@router.get("/participants/{study_number}/casebook.pdf", name="casebook_participant")
def casebook_participant(web: Web, user: Signed, study_number: str) -> Response:
    """One participant's casebook as a PDF."""
    book = casebook.participant_casebook(web.trial(), user.actor, study_number)
    return _download(render_casebook(book), "application/pdf", f"{book.study_number}.pdf")


@router.get("/centres/{code}/casebooks.zip", name="casebook_centre")
def casebook_centre(web: Web, user: Signed, code: str) -> Response:
    """Every casebook of one centre, one PDF per participant and an index, as a zip."""
    books = casebook.centre_casebooks(web.trial(), user.actor, code)
    return _download(centre_zip(books), "application/zip", f"casebooks-{books.code}.zip")
