"""Centres and user accounts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from cairo6.errors import InvalidValueError, StateError
from cairo6.service.permissions import Action, Role, require
from cairo6.service.trial import Trial, centre_by_code
from cairo6.service.usernames import check_username, skeleton
from cairo6.store.audit import Actor
from cairo6.store.engine import StoreSession
from cairo6.store.schema import Centre, User


def add_centre(
    trial: Trial, actor: Actor, code: str, name: str, started_recruiting: dt.date | None = None
) -> Centre:
    """Register a recruiting centre."""
    require(actor, Action.MANAGE_CENTRES)
    code = code.strip().upper()
    if not code or not code.replace("-", "").isalnum() or len(code) > 16:
        raise InvalidValueError(
            "centre code", code, "1-16 letters, digits or '-'", "choose a short code such as C01"
        )
    with trial.db.write(actor) as session:
        exists = session.scalar(select(func.count()).where(Centre.code == code))
        if exists:
            raise StateError(f"centre {code} already exists", "choose another code")
        centre = Centre(code=code, name=name.strip(), started_recruiting=started_recruiting)
        session.add(centre)
        session.flush()
        return centre


def set_centre_start(trial: Trial, actor: Actor, code: str, started: dt.date, reason: str) -> None:
    """Record or correct the date a centre started recruiting."""
    require(actor, Action.MANAGE_CENTRES)
    with trial.db.write(actor, reason=reason) as session:
        centre_by_code(session, code).started_recruiting = started


def list_centres(trial: Trial) -> list[Centre]:
    """All centres, by code."""
    with trial.db.read() as session:
        return list(session.scalars(select(Centre).order_by(Centre.code)))


def add_user(
    trial: Trial,
    actor: Actor,
    username: str,
    role: str,
    *,
    centre_code: str | None = None,
    full_name: str = "",
    password_hash: str | None = None,
) -> User:
    """Create a user account. Investigators belong to exactly one centre."""
    require(actor, Action.MANAGE_USERS)
    return _create_user(trial, actor, username, role, centre_code, full_name, password_hash)


def bootstrap_admin(trial: Trial, username: str, password_hash: str | None = None) -> User:
    """Create the first administrator of an empty database (refused once any user exists)."""
    first = Actor(username=username, role=Role.ADMINISTRATOR)
    with trial.db.read() as session:
        if session.scalar(select(func.count()).select_from(User)):
            raise StateError(
                "the database already has users", "ask an administrator to add your account"
            )
    return _create_user(trial, first, username, Role.ADMINISTRATOR, None, "", password_hash)


def _create_user(
    trial: Trial,
    actor: Actor,
    username: str,
    role: str,
    centre_code: str | None,
    full_name: str,
    password_hash: str | None,
) -> User:
    username = check_username(username)
    if role not in {r.value for r in Role}:
        raise InvalidValueError("role", role, ", ".join(r.value for r in Role), "choose a role")
    if role == Role.INVESTIGATOR and not centre_code:
        raise InvalidValueError(
            "centre", centre_code, "a centre code for an investigator", "add --centre CODE"
        )
    with trial.db.write(actor) as session:
        refuse_look_alike(session, username)
        centre_id = centre_by_code(session, centre_code).id if centre_code else None
        user = User(
            username=username,
            role=role,
            centre_id=centre_id,
            full_name=full_name,
            password_hash=password_hash,
        )
        session.add(user)
        session.flush()
        return user


def refuse_look_alike(session: StoreSession, username: str) -> None:
    """Refuse a new username equal to, or confusable with, an existing one."""
    wanted = skeleton(username)
    for existing in session.scalars(select(User.username)):
        if existing == username or skeleton(existing) == wanted:
            raise StateError(
                f"user {username} already exists or looks like the existing user {existing}",
                "choose a username that cannot be mistaken for another",
            )


def list_users(trial: Trial, actor: Actor) -> list[User]:
    """All user accounts."""
    require(actor, Action.MANAGE_USERS)
    with trial.db.read() as session:
        return list(session.scalars(select(User).order_by(User.username)))
