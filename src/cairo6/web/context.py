"""What every request handler needs: the trial (opened on first use), the signed-in user, CSRF.

The only thing a process keeps between requests is the trial's protocol, read once from the
database and never changed; sessions, lockouts and CSRF tokens are read from the database on
every request.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.templating import Jinja2Templates

from cairo6.errors import Cairo6Error
from cairo6.service.safety import utc_now
from cairo6.service.setup import open_trial
from cairo6.service.trial import Trial
from cairo6.store.engine import Database
from cairo6.web import auth, readable
from cairo6.web.settings import WebSettings

SESSION_COOKIE = "cairo6_session"
PRE_COOKIE = "cairo6_pre"
"""Double-submit token that protects the sign-in and set-up forms, used before any session."""
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequiredError(Exception):
    """No valid session: pages go to the sign-in page, the API answers 401."""

    def __init__(self, expired: bool) -> None:
        super().__init__("sign in required")
        self.expired = expired


class CsrfRefusedError(Exception):
    """A state-changing request without the session's CSRF token."""


class TrialUnavailableError(Exception):
    """The database cannot be opened as a trial (not initialised, or unreachable)."""


@dataclass
class WebApp:
    """Per-process handles: the database, settings, templates and the lazily opened trial."""

    db: Database
    settings: WebSettings
    templates: Jinja2Templates
    limiter: auth.RateLimiter = field(default_factory=lambda: auth.RateLimiter(30))
    _trial: Trial | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    now: Callable[[], dt.datetime] = utc_now
    """The clock, read once per request where time matters (SAE deadlines); tests move it."""

    def opened(self) -> Trial | None:
        """The trial if a request has opened it already (pages that need none never do)."""
        return self._trial

    def trial(self) -> Trial:
        """The trial in the database, opened on the first request that needs it."""
        if self._trial is None:
            with self._lock:
                if self._trial is None:
                    try:
                        self._trial = open_trial(self.db)
                    except Cairo6Error as exc:
                        # The message names the database address; it goes to the log only.
                        raise TrialUnavailableError(str(exc)) from exc
        return self._trial


def make_templates() -> Jinja2Templates:
    """Templates from the package, with autoescaping on for every file."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cairo6.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = readable.when
    env.filters["day"] = readable.day
    return Jinja2Templates(env=env)


def static_dir() -> str:
    """The package's static folder (htmx, style sheet, the PCI grid script)."""
    return str(resources.files("cairo6.web") / "static")


def get_web(request: Request) -> WebApp:
    """The per-process handles of the app serving this request."""
    web: WebApp = request.app.state.web
    return web


def client_of(request: Request) -> str:
    """The client address for the audit trail and the sign-in counters.

    The socket's address, unless it is a proxy named in CAIRO6_TRUSTED_PROXIES, in which case
    `ProxyHeadersMiddleware` has already put the address that proxy reports here.
    """
    return request.client.host if request.client else "unknown"


def optional_user(request: Request) -> auth.SignedIn | None:
    """The signed-in user, if the session cookie names a live session."""
    if hasattr(request.state, "user"):
        cached: auth.SignedIn | None = request.state.user
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    user, expired = (None, False)
    if token:
        web = get_web(request)
        user, expired = auth.resolve(web.db, web.settings, token)
    request.state.user = user
    request.state.expired = expired
    return user


def signed_in(request: Request) -> auth.SignedIn:
    """The signed-in user; raises `SignInRequiredError` otherwise."""
    user = optional_user(request)
    if user is None:
        raise SignInRequiredError(bool(getattr(request.state, "expired", False)))
    return user


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form's text fields (files are not accepted anywhere)."""
    form = await request.form(max_files=0, max_fields=400)
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


async def page_csrf(
    request: Request,
    user: Annotated[auth.SignedIn, Depends(signed_in)],
    data: Annotated[dict[str, str], Depends(form_data)],
) -> None:
    """Every state-changing page request carries the session's CSRF token (field or header)."""
    if request.method in UNSAFE_METHODS:
        given = request.headers.get(CSRF_HEADER) or data.get(CSRF_FIELD)
        if not auth.same_token(user.csrf_token, given):
            raise CsrfRefusedError


def api_csrf(request: Request, user: Annotated[auth.SignedIn, Depends(signed_in)]) -> None:
    """Every state-changing API request carries the session's CSRF token in a header."""
    if request.method in UNSAFE_METHODS and not auth.same_token(
        user.csrf_token, request.headers.get(CSRF_HEADER)
    ):
        raise CsrfRefusedError


User = Annotated[auth.SignedIn, Depends(signed_in)]
Web = Annotated[WebApp, Depends(get_web)]
Form = Annotated[dict[str, str], Depends(form_data)]


def cookie_secure(request: Request) -> bool:
    """Cookies are marked Secure whenever the request came over https."""
    return request.url.scheme == "https"


def jsonable(value: Any) -> Any:
    """A value with dates as ISO text, for JSON answers."""
    return jsonable_encoder(value)
