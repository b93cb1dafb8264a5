"""Error answers: domain errors in plain words, everything else as a generic page.

No stack trace, SQL text, file path or database address ever reaches a browser: unexpected
errors are logged on the server with a short reference that the page shows instead.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cairo6.errors import (
    BusyError,
    Cairo6Error,
    FormError,
    InvalidValueError,
    NotFoundError,
    PermissionDeniedError,
)
from cairo6.web.context import CsrfRefusedError, SignInRequiredError, TrialUnavailableError
from cairo6.web.render import page

log = logging.getLogger("cairo6.web")

_TITLES = {
    400: "The request cannot be done",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Already saved",
    413: "Too much data",
    415: "Unsupported request",
    422: "Please correct the entry",
    500: "Something went wrong",
    503: "The trial database is not available",
}
# How long a client is told to wait before sending a refused change again ("busy, retry").
BUSY_RETRY_AFTER_SECONDS = 2


def status_of(exc: Cairo6Error) -> int:
    """The HTTP status a domain error stands for."""
    if isinstance(exc, BusyError):
        return 503
    if isinstance(exc, PermissionDeniedError):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, FormError | InvalidValueError):
        return 422
    return 400  # StateError, AuditError and the rest: the request does not fit the record


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API."""
    return request.url.path.startswith("/api/")


def answer(
    request: Request,
    status: int,
    message: str,
    problems: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An error as JSON for the API, as a page otherwise."""
    title = _TITLES.get(status, "Error")
    if is_api(request):
        body: dict[str, Any] = {"error": title, "message": message}
        if problems:
            body["problems"] = problems
        return JSONResponse(
            body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})}
        )
    response = page(
        request,
        "error.html",
        {"title": title, "text": message, "status": status, "problems": problems or []},
        status=status,
    )
    response.headers.update(headers or {})
    return response


async def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Cairo6Error)
    problems = None
    if isinstance(exc, FormError):
        problems = [{"field": p.field, "message": p.message} for p in exc.problems]
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)} if isinstance(exc, BusyError) else None
    return answer(request, status_of(exc), str(exc), problems, headers)


async def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequiredError)
    if is_api(request):
        return answer(request, 401, "sign in first: POST /api/login")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    extra = "&msg=expired" if exc.expired else ""
    return RedirectResponse(f"/login?next={quote(target, safe='')}{extra}", status_code=303)


async def _csrf(request: Request, exc: Exception) -> Response:
    del exc
    return answer(
        request,
        403,
        "This form has expired or did not come from this site. Reload the page and try again"
        + (
            " (API clients: send the X-CSRF-Token header from /api/session)."
            if is_api(request)
            else "."
        ),
    )


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    messages = {
        404: "There is no page at this address.",
        405: "This address does not accept that kind of request.",
        413: "The request is larger than this system accepts.",
        415: "Send JSON (Content-Type: application/json).",
    }
    return answer(request, status, messages.get(status, _TITLES.get(status, "Error")))


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "field": ".".join(str(part) for part in err.get("loc", ()) if part != "body"),
            "message": str(err.get("msg", "invalid")),
        }
        for err in exc.errors()
    ]
    if not is_api(request):
        return answer(request, 404, "There is no page at this address.")
    return answer(request, 422, "the request does not have the expected shape", problems)


async def _conflict(request: Request, exc: Exception) -> Response:
    log.info("refused by a database constraint: %s", type(exc).__name__)
    return answer(
        request,
        409,
        "This conflicts with a record already saved (for example the same cycle number or "
        "review site twice). Nothing was saved.",
    )


async def _data(request: Request, exc: Exception) -> Response:
    log.info("refused by the database: %s", type(exc).__name__)
    return answer(request, 422, "A value is too long or not of the right kind. Nothing was saved.")


async def _unavailable(request: Request, exc: Exception) -> Response:
    reference = secrets.token_hex(4)
    log.error("trial database unavailable (reference %s)", reference, exc_info=exc)
    return answer(
        request,
        503,
        f"The trial database cannot be reached. Please try again later (reference {reference}).",
    )


async def _internal(request: Request, exc: Exception) -> Response:
    reference = secrets.token_hex(4)
    log.error("unexpected error (reference %s)", reference, exc_info=exc)
    return answer(
        request,
        500,
        "Something went wrong on the server and nothing was saved. The error has been logged; "
        f"please tell the trial office reference {reference}.",
    )


def install(app: FastAPI) -> None:
    """Register every error handler on the app."""
    app.add_exception_handler(Cairo6Error, _domain)
    app.add_exception_handler(SignInRequiredError, _sign_in)
    app.add_exception_handler(CsrfRefusedError, _csrf)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(IntegrityError, _conflict)
    app.add_exception_handler(DataError, _data)
    app.add_exception_handler(OperationalError, _unavailable)
    app.add_exception_handler(TrialUnavailableError, _unavailable)
    app.add_exception_handler(Exception, _internal)
