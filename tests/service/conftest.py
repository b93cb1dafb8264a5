"""A trial database with centres and one user of each role, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from cairo6.protocol import Protocol, default_protocol_text
from cairo6.service import admin, enrolment
from cairo6.service.setup import initialise
from cairo6.service.trial import Trial
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from tests.protocol.test_eligibility import ELIGIBLE

RANDOMISATION_FIELDS: dict[str, Any] = {"onset": "synchronous", "planned_hipec": "mitomycin_c"}
PATIENT: dict[str, Any] = {**ELIGIBLE, **RANDOMISATION_FIELDS}


@dataclass
class Site:
    """The trial and one actor per role."""

    trial: Trial
    admin: Actor
    dm: Actor
    inv1: Actor
    inv2: Actor
    stat: Actor
    monitor: Actor
    radiologist: Actor
    pathologist: Actor
    dmc: Actor


def _actor(trial: Trial, username: str) -> Actor:
    from cairo6.service.trial import actor_for

    with trial.db.read() as session:
        return actor_for(session, username)


@pytest.fixture
def site(db: Database, cairo6: Protocol) -> Site:
    """Two centres, one user of each role (investigators at C01 and C02)."""
    trial = initialise(db, cairo6, default_protocol_text())
    admin.bootstrap_admin(trial, "admin")
    boss = _actor(trial, "admin")
    admin.add_centre(trial, boss, "C01", "Centre one", dt.date(2017, 6, 1))
    admin.add_centre(trial, boss, "C02", "Centre two", dt.date(2018, 3, 1))
    users = {
        "dm": ("data_manager", None),
        "inv1": ("investigator", "C01"),
        "inv2": ("investigator", "C02"),
        "stat": ("statistician", None),
        "monitor": ("monitor", None),
        "radiologist": ("radiology_reviewer", None),
        "pathologist": ("pathology_reviewer", None),
        "dmc": ("dmc_member", None),
    }
    for name, (role, centre) in users.items():
        admin.add_user(trial, boss, name, role, centre_code=centre)
    return Site(trial, boss, *(_actor(trial, name) for name in users))


def enrol(
    site: Site,
    actor: Actor | None = None,
    centre: str = "C01",
    record: dict[str, Any] | None = None,
    on: dt.date = dt.date(2018, 1, 10),
) -> enrolment.Enrolment:
    """Screen, assess and randomise one eligible patient."""
    who = actor or site.inv1
    number = enrolment.add_screening(
        site.trial, who, centre, {"screened_on": on, "approached": True, "refused": False}
    )
    enrolment.assess_eligibility(site.trial, who, number, record or PATIENT, on)
    return enrolment.randomise(site.trial, who, number, on)
