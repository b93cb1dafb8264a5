"""Administration: user accounts (roles, centres, passwords, on/off) and centres."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from cairo6.errors import InvalidValueError, StateError
from cairo6.service import admin, web_support
from cairo6.service.permissions import Action, Role, require
from cairo6.store.schema import User
from cairo6.web import auth
from cairo6.web.context import Form, Web, page_csrf, signed_in
from cairo6.web.fields import words
from cairo6.web.listing import Filter, listing
from cairo6.web.render import page, problems_by_field, redirect

router = APIRouter(include_in_schema=False)
writes = APIRouter(include_in_schema=False, dependencies=[Depends(page_csrf)])
Signed = Annotated[auth.SignedIn, Depends(signed_in)]
USER_FIELDS = ("username", "full_name", "role", "centre", "password")


def _users_page(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    values: dict[str, str] | None = None,
    error: Exception | None = None,
) -> Response:
    trial = web.trial()
    centres = {c.id: c.code for c in admin.list_centres(trial)}

    def centre(u: User) -> str:
        return centres.get(u.centre_id, "") if u.centre_id else ""

    def status(u: User) -> str:
        return "active" if u.active else "switched off"

    users = listing(
        request,
        admin.list_users(trial, user.actor),
        text=lambda u: f"{u.username} {u.full_name} {words(u.role)} {centre(u)}",
        filters=[
            Filter("role", "Role", lambda u: u.role, words),
            Filter("centre", "Centre", centre),
            Filter("status", "Status", status),
        ],
    )
    errors, general = problems_by_field(error, set(USER_FIELDS)) if error else ({}, [])
    return page(
        request,
        "admin_users.html",
        {
            "users": users,
            "centres": centres,
            "roles": [r.value for r in Role],
            "values": values or {},
            "errors": errors,
            "general": general,
        },
        status=422 if error else 200,
    )


@router.get("/admin/users", name="admin_users")
def admin_users(request: Request, web: Web, user: Signed) -> Response:
    """User accounts and the form to add one."""
    return _users_page(request, web, user)


@writes.post("/admin/users", name="admin_user_add")
def admin_user_add(request: Request, web: Web, user: Signed, data: Form) -> Response:
    """Add an account, with a first password if one is given."""
    values = {k: data.get(k, "") for k in USER_FIELDS}
    try:
        # Checked before hashing, so a refused user gets 403 and costs no hashing.
        require(user.actor, Action.MANAGE_USERS)
        hashed = (
            auth.hash_password(values["password"], values["username"])
            if values["password"]
            else None
        )
        admin.add_user(
            web.trial(),
            user.actor,
            values["username"],
            values["role"],
            centre_code=values["centre"].strip() or None,
            full_name=values["full_name"].strip(),
            password_hash=hashed,
        )
    except (InvalidValueError, StateError) as exc:
        return _users_page(request, web, user, {**values, "password": ""}, exc)
    return redirect("/admin/users", msg="user")


@writes.post("/admin/users/{username}/password", name="admin_user_password")
def admin_user_password(
    request: Request, web: Web, user: Signed, username: str, data: Form
) -> Response:
    """Set a user's password (for example after a lockout); ends that user's sessions.

    For one's own account the current password is needed (field `current`), as on /account.
    """
    try:
        if username != user.actor.username:
            require(user.actor, Action.MANAGE_USERS)
        hashed = auth.hash_password(data.get("password", ""), username)
        web_support.set_password(
            web.trial(),
            user.actor,
            username,
            hashed,
            reason="password reset by an administrator",
            current_password=data.get("current"),
        )
    except (InvalidValueError, StateError) as exc:
        return _users_page(request, web, user, error=exc)
    auth.end_sessions_of(web.db, username, keep=user.session_id)
    return redirect("/admin/users", msg="user")


@writes.post("/admin/users/{username}/active", name="admin_user_active")
def admin_user_active(
    request: Request, web: Web, user: Signed, username: str, data: Form
) -> Response:
    """Switch an account on or off, with the reason."""
    active = data.get("active") == "true"
    try:
        web_support.set_active(web.trial(), user.actor, username, active, data.get("reason", ""))
    except (InvalidValueError, StateError) as exc:
        return _users_page(request, web, user, error=exc)
    if not active:
        auth.end_sessions_of(web.db, username)
    return redirect("/admin/users", msg="user")


def _centres_page(
    request: Request,
    web: Web,
    user: auth.SignedIn,
    values: dict[str, str] | None = None,
    error: Exception | None = None,
) -> Response:
    trial = web.trial()
    centres = listing(
        request,
        web_support.centres_for_admin(trial, user.actor),
        text=lambda c: f"{c.code} {c.name}",
    )
    counts = {c.code: c for c in web_support.accrual(trial, user.actor).centres}
    errors, general = (
        problems_by_field(error, {"code", "name", "started", "reason"}) if error else ({}, [])
    )
    return page(
        request,
        "admin_centres.html",
        {
            "centres": centres,
            "counts": counts,
            "values": values or {},
            "errors": errors,
            "general": general,
        },
        status=422 if error else 200,
    )


@router.get("/admin/centres", name="admin_centres")
def admin_centres(request: Request, web: Web, user: Signed) -> Response:
    """Centres and the form to add one."""
    return _centres_page(request, web, user)


def _date_or_none(field: str, text: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValueError(field, text, "a date YYYY-MM-DD", "correct the date") from None


@writes.post("/admin/centres", name="admin_centre_add")
def admin_centre_add(request: Request, web: Web, user: Signed, data: Form) -> Response:
    """Register a centre."""
    values = {k: data.get(k, "") for k in ("code", "name", "started")}
    require(user.actor, Action.MANAGE_CENTRES)
    try:
        if not values["name"].strip() or len(values["name"]) > 200:
            raise InvalidValueError("name", values["name"], "1-200 characters", "enter the name")
        admin.add_centre(
            web.trial(),
            user.actor,
            values["code"],
            values["name"],
            _date_or_none("started", values["started"]),
        )
    except (InvalidValueError, StateError) as exc:
        return _centres_page(request, web, user, values, exc)
    return redirect("/admin/centres", msg="centre")


@writes.post("/admin/centres/{code}/start", name="admin_centre_start")
def admin_centre_start(request: Request, web: Web, user: Signed, code: str, data: Form) -> Response:
    """Record or correct the date a centre started recruiting, with the reason."""
    require(user.actor, Action.MANAGE_CENTRES)
    try:
        started = _date_or_none("started", data.get("started", ""))
        if started is None:
            raise InvalidValueError("started", "", "a date YYYY-MM-DD", "enter the date")
        reason = data.get("reason", "").strip()
        if not reason:
            raise InvalidValueError("reason", "", "why the date changes", "give the reason")
        admin.set_centre_start(web.trial(), user.actor, code, started, reason)
    except (InvalidValueError, StateError) as exc:
        return _centres_page(request, web, user, error=exc)
    return redirect("/admin/centres", msg="centre")
