"""Demonstration accounts: one account for every role, so each view of the system can be tried.

For a demonstration database only (`make demo`, `cairo6 demo`): every account gets the same
published password, DEMO_PASSWORD, which anyone reading the README knows. Two investigators
work at the first two centres (so a centre-bound view can be compared with the other centre's),
the research nurse at the first. Accounts that exist already are kept, and a password that is
already set is never replaced, so running it twice, or on a database in real use, changes no
one's password.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from cairo6.errors import StateError
from cairo6.service.admin import add_user
from cairo6.service.passwords import hash_password
from cairo6.service.permissions import Action, Role, require
from cairo6.service.trial import Trial, find_user
from cairo6.service.web_support import set_password
from cairo6.store.audit import Actor
from cairo6.store.schema import Centre

DEMO_PASSWORD = "demo only, never for trial data"
"""The one password of every demonstration account: published, so never for real data."""


@dataclass(frozen=True)
class DemoAccount:
    """One demonstration account: who signs in as what, and what they are there to show."""

    username: str
    role: Role
    centre: int | None
    """Index of the centre (0 = the first centre by code, 1 = the second); None: all centres."""
    full_name: str
    shows: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", Role.ADMINISTRATOR, None, "Demo Administrator", "accounts, centres"),
    DemoAccount("dm", Role.DATA_MANAGER, None, "Demo Data Manager", "everything, queries"),
    DemoAccount("inv1", Role.INVESTIGATOR, 0, "Demo Investigator One", "the first centre"),
    DemoAccount("inv2", Role.INVESTIGATOR, 1, "Demo Investigator Two", "the second centre"),
    DemoAccount("nurse1", Role.RESEARCH_NURSE, 0, "Demo Research Nurse", "data entry, one centre"),
    DemoAccount("radiologist", Role.RADIOLOGY_REVIEWER, None, "Demo Radiologist", "blinded review"),
    DemoAccount("pathologist", Role.PATHOLOGY_REVIEWER, None, "Demo Pathologist", "blinded review"),
    DemoAccount("monitor", Role.MONITOR, None, "Demo Monitor", "source data verification"),
    DemoAccount("statistician", Role.STATISTICIAN, None, "Demo Statistician", "reports"),
    DemoAccount("dmc", Role.DMC_MEMBER, None, "Demo Committee Member", "the DMC report"),
)


@dataclass(frozen=True)
class Created:
    """What happened to one demonstration account."""

    account: DemoAccount
    centre: str | None
    added: bool
    password_set: bool


def add_demo_accounts(trial: Trial, actor: Actor, password: str = DEMO_PASSWORD) -> list[Created]:
    """Add the demonstration accounts that are missing and give the password to those without.

    Needs two centres (the investigators work at different ones). Every account is added and
    every password set through the administrator's own use cases, so each is audited.
    """
    require(actor, Action.MANAGE_USERS)
    with trial.db.read() as session:
        codes = list(session.scalars(select(Centre.code).order_by(Centre.code)))
    if len(codes) < 2:
        raise StateError(
            f"the demonstration accounts need two centres; the database has {len(codes)}",
            "add the centres (or import the study's data) first",
        )
    hashed = hash_password(password, "demo")  # one hash: the demo shares one known password
    out = []
    for account in DEMO_ACCOUNTS:
        centre = codes[account.centre] if account.centre is not None else None
        with trial.db.read() as session:
            found = find_user(session, account.username)
            needs_password = found is None or not found.password_hash
        if found is None:
            add_user(
                trial,
                actor,
                account.username,
                account.role,
                centre_code=centre,
                full_name=account.full_name,
            )
        if needs_password:
            set_password(
                trial,
                actor,
                account.username,
                hashed,
                reason="demonstration account",
                host_administrator=True,
            )
        shown = centre if found is None else _centre_of(trial, found.centre_id)
        out.append(Created(account, shown, found is None, needs_password))
    return out


def _centre_of(trial: Trial, centre_id: int | None) -> str | None:
    if centre_id is None:
        return None
    with trial.db.read() as session:
        centre = session.get(Centre, centre_id)
        return centre.code if centre else None
