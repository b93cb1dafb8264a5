"""Passwords, sign-in, sessions and CSRF tokens, all kept in the database.

Nothing about a signed-in user lives in the server process: the browser holds a random session
token in an HttpOnly cookie, the database holds only its SHA-256 with the user, the CSRF token,
and the creation, expiry and last-seen times. Any worker behind the same address can therefore
serve any request. Failed sign-ins are counted on the user row and lock the account for a while;
every sign-in, failure and sign-out is appended to the audit trail in a serialised write.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, insert, select, update

from cairo6.errors import InvalidValueError
from cairo6.store import audit
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.schema import Centre, User, WebSession
from cairo6.web.settings import WebSettings

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_HASHER = PasswordHasher()


class SignInRefusedError(Exception):
    """Wrong username or password, or a locked or inactive account (never said which)."""


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


def check_password_rules(password: str, username: str) -> None:
    """Refuse passwords that are too short, too long, or the username itself."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidValueError(
            "password",
            "(hidden)",
            f"{MIN_PASSWORD} to {MAX_PASSWORD} characters",
            "choose a longer password; a few unrelated words work well",
        )
    if password.strip().lower() == username.strip().lower():
        raise InvalidValueError(
            "password", "(hidden)", "something other than the username", "choose another"
        )


def hash_password(password: str, username: str) -> str:
    """An argon2id hash of an acceptable password."""
    check_password_rules(password, username)
    return _HASHER.hash(password)


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def verify_password(stored: str | None, password: str) -> bool:
    """Whether the password matches; an unknown account costs the same time as a known one."""
    try:
        return _HASHER.verify(stored or _dummy_hash(), password[:MAX_PASSWORD]) and bool(stored)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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


def sign_in(
    db: Database, settings: WebSettings, username: str, password: str, client: str
) -> tuple[str, SignedIn]:
    """Check the password and open a session; returns the token for the cookie."""
    username = username.strip()[:64]
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
                User.locked_until,
                User.full_name,
                Centre.code,
            )
            .outerjoin(Centre, Centre.id == User.centre_id)
            .where(User.username == username)
        ).first()
    if row is None or not row.active or not row.password_hash:
        verify_password(None, password)
        who = Actor(username=username or "(blank)", role="unknown")
        _failure(
            db,
            who,
            row.id if row else None,
            {"client": client, "why": "unknown or inactive account"},
        )
        raise SignInRefusedError
    actor = Actor(username=row.username, role=row.role, centre_id=row.centre_id, user_id=row.id)
    if row.locked_until and _parse(row.locked_until) > now:
        _failure(db, actor, row.id, {"client": client, "why": "account locked"})
        raise SignInRefusedError
    if not verify_password(row.password_hash, password):
        with db.write(actor) as session:
            conn = session.connection()
            failures = (
                conn.execute(select(User.failed_logins).where(User.id == row.id)).scalar_one() or 0
            ) + 1
            changes: dict[str, object] = {"client": client, "failures": failures}
            values: dict[str, object] = {"failed_logins": failures}
            if failures >= settings.max_failed_logins:
                until = _iso(now + settings.lockout)
                values = {"failed_logins": 0, "locked_until": until}
                changes["locked_until"] = until
            conn.execute(update(User).where(User.id == row.id).values(**values))
            audit.append(conn, actor, "login_failed", "app_user", str(row.id), changes)
        raise SignInRefusedError
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with db.write(actor) as session:
        conn = session.connection()
        conn.execute(
            update(User).where(User.id == row.id).values(failed_logins=0, locked_until=None)
        )
        # Housekeeping rides on sign-in, which is rare, rather than on every request.
        conn.execute(delete(WebSession).where(WebSession.expires_at < _iso(now)))
        result = conn.execute(
            insert(WebSession).values(
                token_hash=token_hash(token),
                user_id=row.id,
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
            conn, actor, "login", "app_user", str(row.id), {"client": client, "session": session_id}
        )
    return token, SignedIn(session_id, actor, row.full_name, row.code, csrf)


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
        user_id = conn.execute(select(User.id).where(User.username == username)).scalar()
        if user_id is None:
            return
        stmt = delete(WebSession).where(WebSession.user_id == user_id)
        if keep is not None:
            stmt = stmt.where(WebSession.id != keep)
        conn.execute(stmt)


def same_token(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token."""
    return bool(given) and secrets.compare_digest(expected.encode(), (given or "").encode())
