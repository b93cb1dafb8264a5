"""A SYNTHETIC TOY-BP trial (tests/study/data/toy) with an accrual target chosen by the test,
two centres, a nurse at each and a data manager: the study the generic pages are tried on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from cairo6.service import admin, web_support
from cairo6.service.enrolment import add_screening, assess_eligibility, randomise
from cairo6.service.setup import initialise_study
from cairo6.service.trial import Trial, actor_for
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.study.loader import read_study_texts, study_from_texts
from cairo6.web import create_app
from cairo6.web.settings import WebSettings
from tests.web.conftest import password_hash

TOY = Path(__file__).resolve().parents[1] / "study" / "data" / "toy"


@dataclass
class Toy:
    """The trial, its app and the actors of its accounts."""

    trial: Trial
    app: FastAPI
    nurse: Actor
    dm: Actor

    def screened(self, centre: str = "H01", on: str = "2024-01-10") -> str:
        """A consenting patient screened and assessed eligible; returns the screening number."""
        number = add_screening(self.trial, self.dm, centre, {"screened_on": on, "approached": True})
        assess_eligibility(
            self.trial,
            self.dm,
            number,
            {"age_years": 61, "systolic_mmhg": 162},
            dt.date.fromisoformat(on),
        )
        return number

    def randomised(self, centre: str = "H01") -> str:
        """A new participant; returns the study number."""
        number = self.screened(centre)
        return randomise(self.trial, self.dm, number, dt.date(2024, 1, 12)).study_number


def toy_site(folder: Path, target: int = 90) -> Toy:
    """The toy trial in a new SQLite file under `folder`, accrual target `target`."""
    db = Database(folder / "toy.db")
    files = read_study_texts(TOY)
    files["protocol.toml"] = files["protocol.toml"].replace(
        "[accrual]\ntarget = 90", f"[accrual]\ntarget = {target}"
    )
    assert f"target = {target}" in files["protocol.toml"]
    trial = initialise_study(db, study_from_texts(files, "toy"), files)
    admin.bootstrap_admin(trial, "admin")
    with db.read() as session:
        boss = actor_for(session, "admin")
    for code in ("H01", "H02"):
        admin.add_centre(trial, boss, code, f"Hospital {code}", dt.date(2024, 1, 1))
    admin.add_user(trial, boss, "nurse", "investigator", centre_code="H01")
    admin.add_user(trial, boss, "other", "investigator", centre_code="H02")
    admin.add_user(trial, boss, "dm", "data_manager")
    for name in ("admin", "nurse", "other", "dm"):
        web_support.set_password(trial, boss, name, password_hash())
    with db.read() as session:
        nurse, dm = actor_for(session, "nurse"), actor_for(session, "dm")
    return Toy(trial, create_app(db, WebSettings()), nurse, dm)
