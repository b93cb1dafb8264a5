"""Rendering pages: the context every template shares (user, CSRF token, navigation)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from cairo6.errors import FieldProblem, FormError, InvalidValueError
from cairo6.service.permissions import Action, allowed
from cairo6.web import readable
from cairo6.web.auth import SignedIn
from cairo6.web.context import CSRF_FIELD, get_web
from cairo6.web.fields import field_of, words

NAV: tuple[tuple[str, str, Action | None], ...] = (
    ("Dashboard", "/", None),
    ("Screening", "/screening", Action.SCREEN),
    ("Participants", "/participants", Action.VIEW_PARTICIPANT),
    ("Radiology review", "/review/radiology", Action.RECORD_RADIOLOGY),
    ("Pathology review", "/review/pathology", Action.RECORD_PATHOLOGY),
    ("Queries", "/queries", Action.VIEW_QUERIES),
    ("Casebooks", "/casebooks", Action.PRINT_CASEBOOK),
    ("Users", "/admin/users", Action.MANAGE_USERS),
    ("Centres", "/admin/centres", Action.MANAGE_CENTRES),
    ("Protocol versions", "/admin/versions", Action.AMEND_PROTOCOL),
)
MESSAGES = {
    "saved": "Saved.",
    "updated": "The change is saved, with its reason, in the audit trail.",
    "assessed": "Eligibility assessed; each criterion is explained below.",
    "screened": "Screening entry added.",
    "raised": "Query raised.",
    "answered": "Answer saved; the trial office will close the query.",
    "closed": "Query closed.",
    "reopened": "Query re-opened.",
    "bye": "You are signed out.",
    "expired": "Your session has ended. Please sign in again.",
    "setup": "The administrator account is ready. Please sign in.",
    "password": "Password changed.",
    "user": "Account saved.",
    # the form lifecycle (P1)
    "complete": "Marked complete.",
    "sdv": "Source data verification marks saved.",
    "verify": "Verified against the source.",
    "signed": "Signed. The signature is kept with the exact versions of the records signed.",
    "freeze": "Frozen: no changes until it is unfrozen.",
    "unfreeze": "Unfrozen, with the reason in the audit trail.",
    "lock": "Locked.",
    "unlock": "Unlocked, with the reason in the audit trail.",
    "centre": "Centre saved.",
    "reported": "Report sent; the e-mail notification is listed below.",
    "version": "Amendment recorded as a new version of the study definition, with its reason.",
}


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> Response:
    """A rendered page with the shared context."""
    user: SignedIn | None = getattr(request.state, "user", None)
    role = user.actor.role if user else ""

    def can(action: str) -> bool:
        return bool(user) and allowed(role, Action(action))

    message = MESSAGES.get(request.query_params.get("msg", ""))
    opened = get_web(request).opened()
    study = opened.study if opened is not None else None
    shared: dict[str, Any] = {
        "user": user,
        "csrf_field": CSRF_FIELD,
        "csrf_token": user.csrf_token if user else getattr(request.state, "pre_token", ""),
        "can": can,
        "nav": [(label, href) for label, href, action in NAV if action is None or can(action)]
        if user
        else [],
        "path": request.url.path,
        "message": message,
        "words": words,
        "where": partial(readable.where, study),
        "errors": {},
        "general": [],
        "problems": [],
    }
    shared.update(context or {})
    templates = get_web(request).templates
    return templates.TemplateResponse(request, template, shared, status_code=status)


def redirect(path: str, **params: str) -> RedirectResponse:
    """A see-other redirect (after a POST, so that reloading does not post again)."""
    query = f"?{urlencode(params)}" if params else ""
    return RedirectResponse(path + query, status_code=303)


def problems_by_field(exc: Exception, fields: set[str]) -> tuple[dict[str, list[str]], list[str]]:
    """A refusal as messages next to the fields they concern, and the rest for the page top."""
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    problems: list[FieldProblem] = []
    if isinstance(exc, FormError):
        problems = exc.problems
    elif isinstance(exc, InvalidValueError):
        problems = [FieldProblem(exc.field, exc.value, f"allowed: {exc.allowed}. {exc.action}.")]
    else:
        general.append(str(exc))
    for problem in problems:
        name = field_of(problem.field)
        if name in fields:
            errors.setdefault(name, []).append(problem.message)
        else:
            general.append(f"{words(name)}: {problem.message}")
    return errors, general
