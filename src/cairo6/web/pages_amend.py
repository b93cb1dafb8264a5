"""Protocol amendments: the versions of the study definition, and the form to record one.

The amended files come as text fields (`file:NAME`), read in the browser from the files the
administrator picks (static/amend.js) or pasted into the page without script; the app takes no
file uploads anywhere. An amendment the study ships (`amendments/NAME`) can be chosen instead.
"Check" shows what the amendment changes and what it may not, recording nothing; "Record"
records it, or shows every problem and records nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cairo6.errors import AmendmentError, Cairo6Error, InvalidValueError, StudyError
from cairo6.service import amendments
from cairo6.service.permissions import Action, require
from cairo6.web import auth
from cairo6.web.context import Form, Web, page_csrf, signed_in
from cairo6.web.render import page, redirect

router = APIRouter(include_in_schema=False)
writes = APIRouter(include_in_schema=False, dependencies=[Depends(page_csrf)])
Signed = Annotated[auth.SignedIn, Depends(signed_in)]
FILE_PREFIX = "file:"


def _versions_page(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    *,
    values: dict[str, str] | None = None,
    proposal: amendments.Proposal | None = None,
    carried: dict[str, str] | None = None,
    error: Cairo6Error | None = None,
) -> Response:
    trial = web.trial()
    versions = amendments.versions(trial, user.actor)
    issues = []
    general = []
    if isinstance(error, AmendmentError | StudyError):
        issues = [str(i) for i in error.issues]
        general = [
            "The amendment is refused; nothing was recorded."
            if isinstance(error, AmendmentError)
            else "The amended definition does not load; nothing was recorded."
        ]
    elif error is not None:
        general = [str(error)]
    if proposal is not None and not proposal.review.ok:
        issues = [str(i) for i in proposal.review.problems]
    return page(
        request,
        "admin_versions.html",
        {
            "versions": versions,
            "in_force": next((v for v in versions if v.in_force), None),
            "shipped": sorted(amendments.shipped_amendments(trial.protocol.trial.id)),
            "values": values or {},
            "proposal": proposal,
            "carried": carried or {},
            "issues": issues,
            "general": general,
        },
        status=422 if error is not None or issues else 200,
    )


@router.get("/admin/versions", name="admin_versions")
def admin_versions(request: Request, web: Web, user: Signed) -> Response:
    """The versions of the study definition and the form to amend it."""
    return _versions_page(request, web, user)


@writes.post("/admin/versions", name="admin_version_add")
def admin_version_add(request: Request, web: Web, user: Signed, data: Form) -> Response:
    """Check an amendment (`do=check`) or record it (`do=record`)."""
    require(user.actor, Action.AMEND_PROTOCOL)
    values = {k: data.get(k, "") for k in ("shipped", "effective", "reason", "do")}
    files: dict[str, str] = {}
    try:
        files = _files(data, web.trial().protocol.trial.id)
        effective = _date(values["effective"])
        if values["do"] == "record":
            amendments.amend(web.trial(), user.actor, files, effective, values["reason"])
            return redirect("/admin/versions", msg="version")
        proposal = amendments.check_amendment(
            web.trial(), user.actor, files, effective, values["reason"]
        )
    except Cairo6Error as exc:
        return _versions_page(
            request, web, user, values=values, carried=_picked(values, files), error=exc
        )
    # The checked files go back with the page, so that "Record" records what was checked.
    return _versions_page(
        request, web, user, values=values, proposal=proposal, carried=_picked(values, files)
    )


def _picked(values: dict[str, str], files: dict[str, str]) -> dict[str, str]:
    return {} if values["shipped"].strip() else files


def _files(data: dict[str, str], study_id: str) -> dict[str, str]:
    """The amended files: a shipped amendment, else the `file:NAME` fields (picked files read by
    the page's script, or one pasted file)."""
    shipped = data.get("shipped", "").strip()
    if shipped:
        # Only a name from the study's own list: never a path the browser chose.
        folders = amendments.shipped_amendments(study_id)
        if shipped not in folders:
            raise InvalidValueError(
                "shipped", shipped, "one of " + (", ".join(folders) or "none"), "choose one"
            )
        return amendments.read_amendment_folder(folders[shipped])
    files = {
        key[len(FILE_PREFIX) :]: text
        for key, text in data.items()
        if key.startswith(FILE_PREFIX) and text.strip()
    }
    pasted_name = data.get("paste_name", "").strip()
    if pasted_name and data.get("paste_text", "").strip():
        files[pasted_name] = data["paste_text"]
    bad = sorted(n for n in files if not n.endswith(".toml") or "/" in n or "\\" in n)
    if bad:
        raise InvalidValueError(
            "files", ", ".join(bad), "file names ending in .toml, without folders", "rename them"
        )
    if not files:
        raise InvalidValueError(
            "files",
            "(none)",
            "the amended *.toml files, or an amendment shipped with the study",
            "pick the files or choose a shipped amendment",
        )
    return files


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValueError(
            "effective", text, "a date YYYY-MM-DD", "enter the date the amendment takes effect"
        ) from None
