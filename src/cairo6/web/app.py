"""The app factory: pages, the JSON API, static files, security headers and error pages.

`create_app` does no I/O: the database is connected and the trial opened on the first request.
The process keeps no per-user state, so any number of workers can serve one address.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from cairo6 import __version__
from cairo6.config import Settings
from cairo6.service.passwords import set_concurrency
from cairo6.store.engine import Database, anchored_database
from cairo6.web import (
    api,
    api_lifecycle,
    api_records,
    errors,
    pages_account,
    pages_admin,
    pages_amend,
    pages_casebook,
    pages_expected,
    pages_lifecycle,
    pages_records,
    pages_reports,
    pages_safety,
    pages_trial,
)
from cairo6.web.auth import RateLimiter
from cairo6.web.context import WebApp, make_templates, static_dir
from cairo6.web.settings import WebSettings

MAX_BODY = 1_000_000
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def _has_nul(data: bytes) -> bool:
    # PostgreSQL cannot store NUL in text; refusing it at the door keeps that a 400, not a 500.
    lowered = data.lower()
    return b"\x00" in data or b"%00" in lowered or b"\\u0000" in lowered


async def _refuse(scope: Scope, send: Send, status: int, text: str) -> None:
    is_api = str(scope.get("path", "")).startswith("/api/")
    body = (
        f'{{"error": "Unsupported request", "message": "{text}"}}'
        if is_api
        else f"<!doctype html><title>Error</title><p>{text}</p>"
    ).encode()
    kind = b"application/json" if is_api else b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class GuardMiddleware:
    """Bounds request bodies and refuses NUL characters in the address or the body."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = bytes(scope.get("raw_path") or b"") + b"?" + bytes(scope.get("query_string", b""))
        if _has_nul(address):
            await _refuse(
                scope, send, 400, "The address contains characters that are not accepted."
            )
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _refuse(scope, send, 413, "The request is larger than this system accepts.")
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        if _has_nul(body):
            await _refuse(scope, send, 400, "Text cannot contain NUL characters.")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class HeadersMiddleware:
    """Security headers on every answer; no caching of anything but the static files."""

    def __init__(self, app: ASGIApp, worker_header: bool) -> None:
        self.app = app
        self.worker_header = worker_header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                # A route may set a stricter-for-its-purpose policy of its own (the report page
                # carries its stylesheet inline, being a self-contained file); otherwise ours.
                extra = (
                    []
                    if b"content-security-policy" in names
                    else [(b"content-security-policy", CSP.encode())]
                )
                extra += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not static and b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                if https:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                if self.worker_header:
                    extra.append((b"x-cairo6-worker", str(os.getpid()).encode()))
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    target: str | Path | Database,
    settings: WebSettings | None = None,
    *,
    now: Callable[[], dt.datetime] | None = None,
) -> FastAPI:
    """The web application for one trial database (a SQLite path or a postgresql:// URL);
    `now` is its clock (the real one by default; tests pass one they move)."""
    db = target if isinstance(target, Database) else anchored_database(target, Settings.from_env())
    chosen = settings or WebSettings.from_env()
    web = WebApp(db, chosen, make_templates(), RateLimiter(chosen.login_rate_per_minute))
    if now is not None:
        web.now = now
    set_concurrency(chosen.hash_concurrency)
    app = FastAPI(
        title="cairo6",
        summary="Run a multi-centre randomised trial of the CAIRO6 kind: the JSON API.",
        version=__version__,
        docs_url=None,  # the interactive docs load scripts from a CDN; the schema is enough
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.web = web
    errors.install(app)
    app.include_router(pages_account.router)
    app.include_router(pages_trial.router)
    app.include_router(pages_trial.writes)
    app.include_router(pages_admin.router)
    app.include_router(pages_admin.writes)
    app.include_router(pages_reports.router)
    app.include_router(pages_reports.writes)
    app.include_router(pages_records.router)
    app.include_router(pages_records.writes)
    app.include_router(api.public)
    app.include_router(api.router)
    app.include_router(api_records.router)
    app.include_router(pages_lifecycle.router)  # P1 form lifecycle
    app.include_router(pages_lifecycle.writes)
    app.include_router(api_lifecycle.router)
    app.include_router(pages_safety.router)  # P3 safety
    app.include_router(pages_safety.writes)
    app.include_router(pages_casebook.router)
    app.include_router(pages_expected.router)
    app.include_router(pages_expected.api)
    app.include_router(pages_amend.router)
    app.include_router(pages_amend.writes)
    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    app.add_middleware(GuardMiddleware)
    # X-Forwarded-For/-Proto are believed only from the proxies the settings name (none by
    # default): otherwise any client could choose the address the audit trail records.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=sorted(chosen.trusted_proxies))
    app.add_middleware(HeadersMiddleware, worker_header=web.settings.worker_header)
    return app


def app_from_env() -> FastAPI:
    """The app for the database named by CAIRO6_DATABASE_URL or CAIRO6_DB (uvicorn --factory)."""
    settings = Settings.from_env()
    return create_app(Database(settings.database, write_wait_seconds=settings.write_wait_seconds))
