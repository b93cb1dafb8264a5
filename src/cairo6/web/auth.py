"""Passwords, sign-in, sessions and CSRF tokens, all kept in the database.

Nothing about a signed-in user lives in the server process: the browser holds a random session
token in an HttpOnly cookie, the database holds only its SHA-256 with the user, the CSRF token,
and the creation, expiry and last-seen times. Any worker behind the same address can therefore
serve any request. Failed sign-ins are counted in the database before the password is checked
(`service.throttle`) and lock the account, for the client that failed or for everyone, for a
while; every sign-in, failure and sign-out is appended to the audit trail in a serialised write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from cairo6.service import throttle
from cairo6.service.passwords import MAX_PASSWORD as MAX_PASSWORD
from cairo6.service.passwords import hash_password as hash_password
from cairo6.service.passwords import verify_password
from cairo6.service.usernames import normalise
from cairo6.store import audit
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.schema import Centre, User, WebSession
from cairo6.web.settings import WebSettings


class SignInRefusedError(Exception):
    """Wrong username or password, or a locked or inactive account (never said which)."""


class TooManyAttemptsError(Exception):
    """This client has asked to sign in more often than the settings allow; it should wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many sign-in attempts")
        self.retry_after = retry_after


def utcnow() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    # The same fixed-width form as the audit trail, so text order is time order.
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def token_hash(token: str) -> str:
    """What is stored for a session token: its SHA-256, so a database leak yields no session."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class RateLimiter:
    """Sign-in attempts per client in a sliding minute, kept in this process.

    Bounds the hashing a single client can cause; it is per process, so with several workers a
    client gets that many times the limit (the database counters below are shared).
    """

    MAX_CLIENTS = 10_000

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Note an attempt; raise `TooManyAttemptsError` if the client is over its limit."""
        now = time.monotonic()
        with self._lock:
            times = self._seen.pop(client, None) or deque()
            while times and now - times[0] >= 60:
                times.popleft()
            self._seen[client] = times
            while len(self._seen) > self.MAX_CLIENTS:
                self._seen.popitem(last=False)
            if len(times) >= self.per_minute:
                raise TooManyAttemptsError(int(60 - (now - times[0])) + 1)
            times.append(now)


@dataclass(frozen=True)
class SignedIn:
    """The user behind a valid session."""

    session_id: int
    actor: Actor
    full_name: str
    centre_code: str | None
    csrf_token: str


@contextmanager
def _session_write(db: Database) -> Iterator[Connection]:
    """A short write to the session table, outside the trial's audited write lock.

    On SQLite the transaction starts IMMEDIATE so that it waits for the file lock instead of
    failing when a randomisation holds it.
    """
    engine = db.engine.execution_options(sqlite_begin="IMMEDIATE") if db.is_sqlite else db.engine
    with engine.begin() as conn:
        yield conn


def _failure(db: Database, actor: Actor, user_id: int | None, changes: dict[str, object]) -> None:
    with db.write(actor) as session:
        audit.append(
            session.connection(),
            actor,
            "login_failed",
            "app_user",
            str(user_id) if user_id is not None else "-",
            changes,
        )


def _limits(settings: WebSettings, username: str, client: str) -> list[throttle.Limit]:
    return [
        throttle.Limit(
            throttle.pair_key(username, client), settings.max_failed_logins, settings.lockout
        ),
        throttle.Limit(
            throttle.account_key(username),
            settings.max_failed_logins_any_client,
            settings.lockout,
        ),
        throttle.Limit(
            throttle.client_key(client), settings.max_failed_logins_per_client, settings.lockout
        ),
    ]


def sign_in(
    db: Database, settings: WebSettings, username: str, password: str, client: str
) -> tuple[str, SignedIn]:
    """Check the password and open a session; returns the token for the cookie.

    The attempt is counted in the database before the password is checked, and every refusal
    (unknown account, locked, inactive, wrong password) costs exactly one password check and
    one audit record, so neither the answer nor its timing tells them apart.
    """
    name = normalise(username)[:64]
    now = utcnow()
    with db.engine.connect() as conn:
        row = conn.execute(
            select(
                User.id,
                User.username,
                User.role,
                User.centre_id,
                User.password_hash,
                User.active,
                User.full_name,
                Centre.code,
            )
            .outerjoin(Centre, Centre.id == User.centre_id)
            .where(User.username.in_([name, username.strip()[:64]]))
            .order_by((User.username == name).desc())
        ).first()
    if row is not None:
        name = row.username
    counts = throttle.count_attempt(db, _limits(settings, name, client), now)
    locked = any(c.locked for c in counts)
    usable = row is not None and row.active and bool(row.password_hash) and not locked
    right = verify_password(row.password_hash if usable and row else None, password)
    if row is None or not row.active or not row.password_hash:
        actor = Actor(username=name or "(blank)", role="unknown")
        why: dict[str, object] = {"why": "unknown or inactive account"}
    else:
        actor = Actor(row.username, row.role, row.centre_id, row.id)
        why = {"why": "account locked"} if locked else {}
    if right and throttle.record_success(db, counts, now):
        assert row is not None
        return _open_session(db, settings, actor, row.full_name, row.code, client, now)
    if right:
        why = {"why": "account locked"}
    changes: dict[str, object] = {"client": client, **why}
    if not why:
        changes["failures"] = counts[0].failures
        until = throttle.record_failure(db, counts, now).get(counts[0].limit.key)
        if until:
            changes["locked_until"] = until
    else:
        throttle.record_failure(db, counts, now)
    _failure(db, actor, row.id if row else None, changes)
    raise SignInRefusedError


def _open_session(
    db: Database,
    settings: WebSettings,
    actor: Actor,
    full_name: str,
    centre_code: str | None,
    client: str,
    now: dt.datetime,
) -> tuple[str, SignedIn]:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with db.write(actor) as session:
        conn = session.connection()
        # Housekeeping rides on sign-in, which is rare, rather than on every request.
        conn.execute(delete(WebSession).where(WebSession.expires_at < _iso(now)))
        result = conn.execute(
            insert(WebSession).values(
                token_hash=token_hash(token),
                user_id=actor.user_id,
                csrf_token=csrf,
                created_at=_iso(now),
                expires_at=_iso(now + settings.absolute_lifetime),
                last_seen_at=_iso(now),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        session_id = int(key[0])
        audit.append(
            conn,
            actor,
            "login",
            "app_user",
            str(actor.user_id),
            {"client": client, "session": session_id},
        )
    return token, SignedIn(session_id, actor, full_name, centre_code, csrf)


def resolve(db: Database, settings: WebSettings, token: str) -> tuple[SignedIn | None, bool]:
    """The signed-in user for a session token, and whether an old session just expired."""
    with db.engine.connect() as conn:
        row = conn.execute(
            select(
                WebSession.id,
                WebSession.csrf_token,
                WebSession.expires_at,
                WebSession.last_seen_at,
                User.id.label("user_id"),
                User.username,
                User.role,
                User.centre_id,
                User.active,
                User.full_name,
                Centre.code,
            )
            .join(User, User.id == WebSession.user_id)
            .outerjoin(Centre, Centre.id == User.centre_id)
            .where(WebSession.token_hash == token_hash(token))
        ).first()
    if row is None:
        return None, False
    now = utcnow()
    idle = now - _parse(row.last_seen_at)
    if not row.active or now >= _parse(row.expires_at) or idle >= settings.idle_timeout:
        with _session_write(db) as conn:
            conn.execute(delete(WebSession).where(WebSession.id == row.id))
        return None, True
    if idle >= settings.touch_interval:
        with _session_write(db) as conn:
            conn.execute(
                update(WebSession).where(WebSession.id == row.id).values(last_seen_at=_iso(now))
            )
    actor = Actor(row.username, row.role, row.centre_id, row.user_id)
    return SignedIn(row.id, actor, row.full_name, row.code, row.csrf_token), False


def sign_out(db: Database, user: SignedIn, client: str) -> None:
    """End the session and record the sign-out."""
    with db.write(user.actor) as session:
        conn = session.connection()
        conn.execute(delete(WebSession).where(WebSession.id == user.session_id))
        audit.append(
            conn,
            user.actor,
            "logout",
            "app_user",
            str(user.actor.user_id),
            {"client": client, "session": user.session_id},
        )


def end_sessions_of(db: Database, username: str, keep: int | None = None) -> None:
    """End a user's other sessions (after a password change or when an account is switched off)."""
    with _session_write(db) as conn:
        user_id = conn.execute(
            select(User.id)
            .where(User.username.in_([normalise(username), username.strip()]))
            .order_by((User.username == normalise(username)).desc())
        ).scalar()
        if user_id is None:
            return
        stmt = delete(WebSession).where(WebSession.user_id == user_id)
        if keep is not None:
            stmt = stmt.where(WebSession.id != keep)
        conn.execute(stmt)


def same_token(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token."""
    return bool(given) and secrets.compare_digest(expected.encode(), (given or "").encode())
