"""Signing in and out, the first-run administrator, and changing one's own password."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from cairo6.errors import Cairo6Error, InvalidValueError
from cairo6.service import web_support
from cairo6.web import auth
from cairo6.web.context import (
    CSRF_FIELD,
    PRE_COOKIE,
    SESSION_COOKIE,
    Form,
    Web,
    client_of,
    cookie_secure,
    optional_user,
    page_csrf,
    signed_in,
)
from cairo6.web.render import page, problems_by_field, redirect

router = APIRouter(include_in_schema=False)
Signed = Annotated[auth.SignedIn, Depends(signed_in)]


def safe_next(target: str | None) -> str:
    """Only a path on this site may follow sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _pre_token(request: Request) -> str:
    """The double-submit token for forms shown before sign-in: reuse the cookie's, or mint one."""
    token = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(32)
    request.state.pre_token = token
    return token


def _with_pre_cookie(request: Request, response: Response, token: str) -> Response:
    response.set_cookie(
        PRE_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )
    return response


def _pre_ok(request: Request, data: dict[str, str]) -> bool:
    return auth.same_token(request.cookies.get(PRE_COOKIE, ""), data.get(CSRF_FIELD))


def _login_form(
    request: Request, next_path: str, error: str = "", status: int = 200, username: str = ""
) -> Response:
    token = _pre_token(request)
    response = page(
        request,
        "login.html",
        {"next": next_path, "error": error, "username": username},
        status=status,
    )
    return _with_pre_cookie(request, response, token)


@router.get("/login", name="login_page")
def login_page(
    request: Request, web: Web, next_path: Annotated[str, Query(alias="next")] = "/"
) -> Response:
    """The sign-in form (or the first-run set-up while nobody can sign in)."""
    if optional_user(request) is not None:
        return redirect(safe_next(next_path))
    if web_support.needs_first_admin(web.trial()):
        return redirect("/setup")
    return _login_form(request, safe_next(next_path))


@router.post("/login", name="login")
def login(request: Request, web: Web, data: Form) -> Response:
    """Check the password, open a session and set its cookie."""
    next_path = safe_next(data.get("next"))
    username = data.get("username", "")
    if not _pre_ok(request, data):
        return _login_form(
            request, next_path, "The form had expired; please try again.", 403, username
        )
    try:
        web.limiter.check(client_of(request))
        token, _ = auth.sign_in(
            web.db, web.settings, username, data.get("password", ""), client_of(request)
        )
    except auth.TooManyAttemptsError as exc:
        response = _login_form(
            request,
            next_path,
            "Too many sign-in attempts from your address; please wait a minute and try again.",
            429,
            username,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except auth.SignInRefusedError:
        return _login_form(
            request,
            next_path,
            "Sign-in failed: the username or password is wrong, or the account is locked "
            f"after {web.settings.max_failed_logins} failed attempts (it opens again after "
            f"{int(web.settings.lockout.total_seconds() // 60)} minutes).",
            401,
            username,
        )
    response = redirect(next_path)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )
    response.delete_cookie(PRE_COOKIE, path="/")
    return response


@router.post("/logout", name="logout", dependencies=[Depends(page_csrf)])
def logout(request: Request, web: Web, user: Signed) -> Response:
    """End the session."""
    auth.sign_out(web.db, user, client_of(request))
    response = redirect("/login", msg="bye")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/setup", name="setup_page")
def setup_page(request: Request, web: Web) -> Response:
    """Create the first administrator; gone once any account has a password."""
    if not web_support.needs_first_admin(web.trial()):
        return page(
            request,
            "error.html",
            {"title": "Not found", "text": "There is no page at this address.", "status": 404},
            status=404,
        )
    token = _pre_token(request)
    return _with_pre_cookie(request, page(request, "setup.html", {"values": {}}), token)


@router.post("/setup", name="setup")
def setup(request: Request, web: Web, data: Form) -> Response:
    """Store the first administrator (once: checked again under the write lock)."""
    trial = web.trial()
    if not web_support.needs_first_admin(trial):
        return redirect("/login")
    values = {k: data.get(k, "") for k in ("username", "full_name")}
    token = _pre_token(request)
    try:
        if not _pre_ok(request, data):
            raise InvalidValueError("form", "expired", "a fresh form", "reload the page")
        password = data.get("password", "")
        if password != data.get("password2", ""):
            raise InvalidValueError("password2", "(hidden)", "the same password twice", "retype")
        hashed = auth.hash_password(password, values["username"])
        web_support.first_admin(trial, values["username"], values["full_name"], hashed)
    except Cairo6Error as exc:
        errors, general = problems_by_field(exc, {"username", "password", "password2"})
        response = page(
            request,
            "setup.html",
            {"values": values, "errors": errors, "general": general},
            status=422,
        )
        return _with_pre_cookie(request, response, token)
    return redirect("/login", msg="setup")


@router.get("/account", name="account")
def account(request: Request, user: Signed) -> Response:
    """The signed-in user's account."""
    return page(request, "account.html", {"account": user})


@router.post("/account/password", name="account_password", dependencies=[Depends(page_csrf)])
def account_password(request: Request, web: Web, user: Signed, data: Form) -> Response:
    """Change one's own password (the current one is asked again, by the service)."""
    try:
        new = data.get("password", "")
        if new != data.get("password2", ""):
            raise InvalidValueError("password2", "(hidden)", "the same password twice", "retype")
        hashed = auth.hash_password(new, user.actor.username)
        web_support.set_password(
            web.trial(),
            user.actor,
            user.actor.username,
            hashed,
            reason="password changed by its owner",
            current_password=data.get("current", ""),
        )
    except Cairo6Error as exc:
        errors, general = problems_by_field(exc, {"current", "password", "password2"})
        return page(
            request,
            "account.html",
            {"account": user, "errors": errors, "general": general},
            status=422,
        )
    auth.end_sessions_of(web.db, user.actor.username, keep=user.session_id)
    return redirect("/account", msg="password")
