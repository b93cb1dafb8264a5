"""The web application on the real trial database (SQLite and PostgreSQL), signed-in clients."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cairo6.scoring import Region
from cairo6.service import enrolment, queries, web_support
from cairo6.service.records import record_form
from cairo6.store.audit import Actor
from cairo6.web import create_app
from cairo6.web.auth import hash_password
from cairo6.web.settings import WebSettings
from tests.service.conftest import PATIENT, Site, site  # noqa: F401  (the `site` fixture)

PASSWORD = "a long test password"
USERS = ("admin", "dm", "inv1", "inv2", "stat", "monitor", "radiologist", "pathologist", "dmc")
SECRET_TERM = "SECRET-TERM-7f3a"
SECRET_QUESTION = "SECRET-QUESTION-91b2"
SAE_CRITERIA = (
    "sae_death", "sae_life_threatening", "sae_hospitalisation", "sae_disability",
    "sae_congenital_anomaly", "sae_important_medical_event",
)  # fmt: skip
PCI = {r.id: 0 for r in Region} | {"pelvis": 2, "central": 1}


@functools.cache
def password_hash() -> str:
    """One argon2 hash shared by every test account (hashing is deliberately slow)."""
    return hash_password(PASSWORD, "nobody")


def surgery(day: dt.date) -> dict[str, Any]:
    """A valid CRS-HIPEC surgery form."""
    return {
        "surgery_date": day.isoformat(),
        "procedure": "crs_hipec",
        "pci_regions": PCI,
        "cc_score": 0,
        "primary_tumour_resection": False,
        "anastomosis": True,
        "ostomy": False,
        "operating_time_min": 300,
        "hipec_drug": "mitomycin_c",
    }


@pytest.fixture
def web_site(site: Site) -> Site:  # noqa: F811
    """The service test site, every account with a password."""
    for name in USERS:
        web_support.set_password(site.trial, site.admin, name, password_hash())
    return site


@pytest.fixture
def app(web_site: Site) -> FastAPI:
    """The real app on the site's database."""
    return create_app(web_site.trial.db, WebSettings())


def login(app: FastAPI, username: str, password: str = PASSWORD) -> tuple[TestClient, str]:
    """A client signed in through the sign-in page, and its CSRF token."""
    client = TestClient(app, raise_server_exceptions=False)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    answer = client.post(
        "/login",
        data={"csrf_token": token.group(1), "username": username, "password": password},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    csrf = client.get("/api/session").json()["csrf_token"]
    return client, csrf


@pytest.fixture
def clients(app: FastAPI) -> Iterator[dict[str, tuple[TestClient, str]]]:
    """A signed-in client per account, made on first use."""
    made: dict[str, tuple[TestClient, str]] = {}

    class Lazy(dict[str, tuple[TestClient, str]]):
        def __missing__(self, key: str) -> tuple[TestClient, str]:
            made[key] = login(app, key)
            return made[key]

    yield Lazy()
    for client, _ in made.values():
        client.close()


@dataclass
class World:
    """Records the permission tests act on, all at centre C01 unless named otherwise."""

    site: Site
    p1: str
    p2: str
    surgery_id: str
    toxicity_id: str
    radiology_id: str
    pathology_id: str
    """Record keys (a once-only form's is empty; a reviewed one's is its time point or site)."""
    query_id: int
    screening: str
    counter: list[int] = field(default_factory=lambda: [0])

    def fresh(self, prefix: str) -> str:
        """A name not used before in this world."""
        self.counter[0] += 1
        return f"{prefix}{self.counter[0]}"

    def screened(self, assessed: bool = True) -> str:
        """A new consenting C01 screening entry, assessed eligible unless told otherwise."""
        dm = self.site.dm
        number = enrolment.add_screening(
            self.site.trial,
            dm,
            "C01",
            {"screened_on": "2018-01-10", "approached": True, "refused": False},
        )
        if assessed:
            enrolment.assess_eligibility(self.site.trial, dm, number, PATIENT, dt.date(2018, 1, 10))
        return number

    def participant(self) -> str:
        """A new C01 participant."""
        number = self.screened()
        return enrolment.randomise(
            self.site.trial, self.site.dm, number, dt.date(2018, 1, 12)
        ).study_number

    def toxicity(self, study_number: str | None = None) -> str:
        """A new toxicity record; returns its record key."""
        return record_form(
            self.site.trial,
            self.site.dm,
            study_number or self.p1,
            "toxicity",
            {"term": SECRET_TERM, "ctcae_term": "Diarrhea", "grade": 2, "phase": "neoadjuvant"},
        ).record_key

    def sae(self) -> int:
        """A new serious adverse event of P1 (C01); returns its record id."""
        criteria = dict.fromkeys(SAE_CRITERIA, False) | {"sae_hospitalisation": True}
        values = {"term": SECRET_TERM, "ctcae_term": "Diarrhea", "grade": 3, "phase": "neoadjuvant"}
        values |= criteria | {"serious": True, "aware_at": "2018-02-03T09:30"}
        return record_form(self.site.trial, self.site.dm, self.p1, "toxicity", values).record_id

    def query(self) -> int:
        """A new open query on P1."""
        return queries.raise_query(
            self.site.trial, self.site.dm, self.p1, "surgery", "cc_score", SECRET_QUESTION
        )


def build_world(site: Site) -> World:  # noqa: F811
    """P1 at C01 (surgery, toxicity, reviews, a query), P2 at C02, an unassessed entry."""
    dm: Actor = site.dm
    trial = site.trial
    number = enrolment.add_screening(
        trial, dm, "C02", {"screened_on": "2018-03-10", "approached": True, "refused": False}
    )
    enrolment.assess_eligibility(trial, dm, number, PATIENT, dt.date(2018, 3, 10))
    p2 = enrolment.randomise(trial, dm, number, dt.date(2018, 3, 12)).study_number
    world = World(site, "", p2, "", "", "", "", 0, "")
    world.p1 = world.participant()
    record_form(trial, dm, world.p1, "surgery", surgery(dt.date(2018, 4, 20)))
    world.toxicity_id = world.toxicity()
    world.radiology_id = record_form(
        trial,
        dm,
        world.p1,
        "radiology",
        {"timepoint": "baseline", "scan_date": "2018-01-05", "radiologic_pci": 8},
    ).record_key
    world.pathology_id = record_form(
        trial, dm, world.p1, "pathology", {"site": "overall", "evaluable": True, "trg": 2}
    ).record_key
    world.query_id = world.query()
    world.screening = world.screened(assessed=False)
    return world


@pytest.fixture
def world(web_site: Site) -> World:
    """The records the permission tests act on."""
    return build_world(web_site)
