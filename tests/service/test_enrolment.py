"""Screening, eligibility and randomisation through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from sqlalchemy import func, select

from cairo6.errors import (
    InvalidValueError,
    NotFoundError,
    PermissionDeniedError,
    RandomizationError,
    StateError,
)
from cairo6.protocol import protocol_from_dict
from cairo6.randomization import Diagnostic, verify
from cairo6.service import admin, enrolment
from cairo6.service.audit_view import verify_trail
from cairo6.service.backup import backup, restore
from cairo6.service.setup import initialise
from cairo6.service.trial import Trial
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.schema import FormRecord, Participant, Randomisation, Screening
from cairo6.study.loader import read_study
from tests.service.conftest import PATIENT, Site, enrol

STUDY = Path(__file__).resolve().parents[2] / "src" / "cairo6" / "studies" / "cairo6"


def test_randomise_an_eligible_patient(site: Site) -> None:
    result = enrol(site)
    assert result.study_number == "CAIRO6-C01-001"
    assert result.sequence_number == 1
    assert result.arm in {"experimental", "control"}
    assert verify(Diagnostic.from_dict(result.diagnostic), site.trial.protocol)
    second = enrol(site)
    assert (second.study_number, second.sequence_number) == ("CAIRO6-C01-002", 2)
    trail = verify_trail(site.trial.db)
    assert trail.ok
    with site.trial.db.read() as session:
        row = session.scalars(select(Randomisation).where(Randomisation.sequence_number == 1)).one()
    assert row.levels == {
        "pci": "0-10",
        "onset": "synchronous",
        "previous_systemic_therapy": "no",
        "hipec_drug": "mitomycin_c",
    }
    assert row.allocated_by == "inv1"


def test_a_patient_is_randomised_once(site: Site) -> None:
    on = dt.date(2018, 1, 10)
    number = enrolment.add_screening(
        site.trial, site.inv1, "C01", {"screened_on": on, "approached": True, "refused": False}
    )
    enrolment.assess_eligibility(site.trial, site.inv1, number, PATIENT, on)
    enrolment.randomise(site.trial, site.inv1, number, on)
    with pytest.raises(StateError, match="already randomised"):
        enrolment.randomise(site.trial, site.inv1, number, on)


def test_ineligible_needs_a_deviation_by_the_trial_office(site: Site) -> None:
    # The deviation is a record of the study's deviation form (protocol [deviation_record]).
    site.trial = Trial(site.trial.db, site.trial.protocol, read_study(STUDY))
    on = dt.date(2018, 2, 1)
    number = enrolment.add_screening(
        site.trial, site.inv1, "C01", {"screened_on": on, "approached": True, "refused": False}
    )
    enrolment.assess_eligibility(
        site.trial, site.inv1, number, {**PATIENT, "who_performance_status": 2}, on
    )
    with pytest.raises(StateError, match="performance_status"):
        enrolment.randomise(site.trial, site.inv1, number, on)
    with pytest.raises(PermissionDeniedError):
        enrolment.randomise(site.trial, site.inv1, number, on, deviation="WHO PS 2 (obesity)")
    result = enrolment.randomise(site.trial, site.dm, number, on, deviation="WHO PS 2 (obesity)")
    with site.trial.db.read() as session:
        devs = session.scalars(select(FormRecord).where(FormRecord.form == "deviation")).all()
    assert [(d.data["category"], d.data["description"], d.data["noted_on"]) for d in devs] == [
        ("eligibility", "WHO PS 2 (obesity)", on.isoformat())
    ]
    assert result.sequence_number == 1


def test_without_a_deviation_record_the_allocation_keeps_the_text(site: Site) -> None:
    protocol = site.trial.protocol.model_copy(update={"deviation_record": None})
    site.trial = Trial(site.trial.db, protocol, read_study(STUDY))
    on = dt.date(2018, 2, 1)
    number = enrolment.add_screening(
        site.trial, site.dm, "C01", {"screened_on": on, "approached": True, "refused": False}
    )
    enrolment.assess_eligibility(
        site.trial, site.dm, number, {**PATIENT, "who_performance_status": 2}, on
    )
    enrolment.randomise(site.trial, site.dm, number, on, deviation="WHO PS 2")
    with site.trial.db.read() as session:
        assert session.scalars(select(FormRecord)).all() == []
        assert session.scalars(select(Randomisation.deviation)).all() == ["WHO PS 2"]


def test_missing_factor_is_refused_and_nothing_is_written(site: Site) -> None:
    record = {k: v for k, v in PATIENT.items() if k != "onset"}
    with pytest.raises(RandomizationError, match="onset"):
        enrol(site, record=record)
    with site.trial.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Participant)) == 0


def test_refused_and_unapproached_patients_are_not_randomised(site: Site) -> None:
    on = dt.date(2018, 1, 10)
    refused = enrolment.add_screening(
        site.trial,
        site.inv1,
        "C01",
        {
            "screened_on": on,
            "approached": True,
            "refused": True,
            "refusal_reason": "feared_postponing_surgery",
        },
    )
    enrolment.assess_eligibility(site.trial, site.inv1, refused, PATIENT, on)
    with pytest.raises(StateError, match="refused"):
        enrolment.randomise(site.trial, site.inv1, refused, on)
    with pytest.raises(InvalidValueError, match="refusal_reason"):
        enrolment.add_screening(
            site.trial,
            site.inv1,
            "C01",
            {"screened_on": on, "approached": True, "refused": True},
        )


def test_centres_are_isolated(site: Site) -> None:
    on = dt.date(2018, 1, 10)
    number = enrolment.add_screening(
        site.trial, site.inv1, "C01", {"screened_on": on, "approached": True, "refused": False}
    )
    with pytest.raises(NotFoundError):
        enrolment.assess_eligibility(site.trial, site.inv2, number, PATIENT, on)
    with pytest.raises(PermissionDeniedError, match="another centre"):
        enrolment.add_screening(
            site.trial, site.inv2, "C01", {"screened_on": on, "approached": False}
        )


@pytest.mark.parametrize("who", ["stat", "monitor", "radiologist", "dmc", "admin"])
def test_roles_without_the_permission_cannot_randomise(site: Site, who: str) -> None:
    on = dt.date(2018, 1, 10)
    number = enrolment.add_screening(
        site.trial, site.dm, "C01", {"screened_on": on, "approached": True, "refused": False}
    )
    enrolment.assess_eligibility(site.trial, site.dm, number, PATIENT, on)
    with pytest.raises(PermissionDeniedError):
        enrolment.randomise(site.trial, getattr(site, who), number, on)


def test_history_import_keeps_counts_and_sequence(site: Site) -> None:
    on = dt.date(2017, 7, 1)
    numbers = []
    for _ in range(3):
        n = enrolment.add_screening(
            site.trial, site.dm, "C01", {"screened_on": on, "approached": True, "refused": False}
        )
        enrolment.assess_eligibility(site.trial, site.dm, n, PATIENT, on)
        numbers.append(n)
    for n, arm in zip(numbers, ["control", "control", "experimental"], strict=True):
        enrolment.import_allocation(site.trial, site.dm, n, on, arm, "2017-07-01T09:00:00+00:00")
    live = enrol(site, actor=site.dm)
    assert live.sequence_number == 4
    # Two control and one experimental before it, all at the same levels: minimisation
    # prefers experimental, and the diagnostic shows the counts it saw.
    assert live.diagnostic["totals"] == {"experimental": 1, "control": 2}
    assert live.diagnostic["preferred"] == ["experimental"]
    with pytest.raises(PermissionDeniedError):
        enrolment.import_allocation(site.trial, site.inv1, numbers[0], on, "control", "x")


def test_permuted_blocks_protocol_through_the_service(
    db: Database, raw_cairo6: dict[str, Any]
) -> None:
    # Block allocations need their block size in the history; the service must pass it on.
    raw_cairo6["randomization"]["method"] = "permuted_blocks"
    raw_cairo6["randomization"]["block_sizes"] = [2, 4]
    proto = protocol_from_dict(raw_cairo6)
    trial = initialise(db, proto, tomli_w.dumps(raw_cairo6))
    admin.bootstrap_admin(trial, "admin")
    boss = Actor("admin", "administrator")
    admin.add_centre(trial, boss, "C01", "Centre one")
    admin.add_user(trial, boss, "dm", "data_manager")
    dm = Actor("dm", "data_manager")
    on = dt.date(2018, 1, 10)
    arms = []
    for _ in range(8):
        number = enrolment.add_screening(
            trial, dm, "C01", {"screened_on": on, "approached": True, "refused": False}
        )
        enrolment.assess_eligibility(trial, dm, number, PATIENT, on)
        result = enrolment.randomise(trial, dm, number, on)
        assert result.diagnostic["method"] == "permuted_blocks"
        arms.append(result.arm)
    # One stratum and blocks of 2 or 4: the arms can never drift more than 2 apart, which
    # fails if the service loses track of where a block ends.
    for k in range(1, len(arms) + 1):
        prefix = arms[:k]
        assert abs(prefix.count("experimental") - prefix.count("control")) <= 2


def test_counts_follow_a_restored_database(site: Site, tmp_path: Path) -> None:
    # The service keeps minimisation counts between calls; a restore must not inherit them.
    if not site.trial.db.is_sqlite:
        pytest.skip("backup and restore use SQLite's online backup API (PostgreSQL: pg_dump)")
    for _ in range(3):
        enrol(site)
    copy = tmp_path / "copy.db"
    backup(site.trial, site.admin, copy)
    for _ in range(2):
        enrol(site)
    restore(copy, site.trial.db, force=True)
    after = enrol(site)
    assert after.sequence_number == 4
    assert sum(after.diagnostic["totals"].values()) == 3


def _import_history(site: Site, screening_number: str | None, study_number: str) -> None:
    on = dt.date(2018, 1, 10)
    with site.trial.db.write(site.dm, insert_reason="trial history") as session:
        screening = enrolment.add_screening_in(
            session,
            site.dm,
            "C01",
            {"screened_on": on, "approached": True, "refused": False},
            number=screening_number,
        )
        enrolment.assess_eligibility_in(session, site.trial, site.dm, screening, PATIENT, on)
        enrolment.import_allocation_in(
            session,
            site.trial,
            site.dm,
            screening,
            on,
            "control",
            "2018-01-10T09:00:00+00:00",
            study_number=study_number,
        )


def test_imported_numbers_are_never_issued_again(site: Site) -> None:
    """Numbers come from per-centre counters; an imported number moves its counter past it."""
    enrol(site)  # C01-S0001, CAIRO6-C01-001
    _import_history(site, "C01-S0003", "CAIRO6-C01-003")
    # The counter carries on after the highest number taken (gaps are harmless; reuse is not).
    live = [enrol(site).study_number for _ in range(2)]
    assert live == ["CAIRO6-C01-004", "CAIRO6-C01-005"]
    with site.trial.db.read() as session:
        screenings = sorted(session.scalars(select(Screening.screening_number)))
    assert screenings == ["C01-S0001", "C01-S0003", "C01-S0004", "C01-S0005"]
    # A number that is already taken is refused, naming it, and nothing is written.
    with pytest.raises(StateError, match="CAIRO6-C01-005 already exists"):
        _import_history(site, None, live[1])
    with site.trial.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Screening)) == 4
    assert enrol(site, centre="C02", actor=site.inv2).study_number == "CAIRO6-C02-001"
