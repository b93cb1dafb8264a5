"""Protocol amendments on the demo database (`make demo`'s steps, through the real CLI): the
CAIRO6 phase 3 amendment, randomisation under the new factors, and refused amendments."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

import cairo6 as cairo6_package
from cairo6.cli import app
from cairo6.cli.common import console, settings
from cairo6.errors import (
    AmendmentError,
    FormError,
    InvalidValueError,
    PermissionDeniedError,
    StateError,
    StudyError,
)
from cairo6.service import amendments, enrolment, records
from cairo6.service.audit_view import replay_trail, verify_trail
from cairo6.service.setup import open_trial
from cairo6.service.trial import Trial
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.schema import AuditRecord, FormRecord, Participant, Randomisation, StudyVersion
from cairo6.study.loader import bundled_study_folder
from tests.service.conftest import ELIGIBLE, PATIENT, Site, enrol

SOURCE = str(Path(cairo6_package.__file__).resolve().parents[1])
PHASE3 = bundled_study_folder("cairo6") / "amendments" / "phase3"
DATA = bundled_study_folder("cairo6") / "data"
ADMIN = Actor("admin", "administrator")
DM = Actor("dm", "data_manager")
EFFECTIVE = dt.date(2020, 1, 1)
runner = CliRunner()


def cli(env: dict[str, str], *args: str, code: int = 0) -> str:
    settings.cache_clear()  # each invocation stands for a new process
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, (args, result.output, result.exception)
    return result.output


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database as `make demo` builds it: init, a data manager, the reference cohort."""
    folder = tmp_path_factory.mktemp("demo")
    env = {"CAIRO6_DB": str(folder / "cairo6-demo.db"), "CAIRO6_USER": "admin"}
    cli(env, "db", "init", "--admin", "admin")
    cli(env, "user", "add", "dm", "--role", "data_manager")
    cli(env, "import", str(DATA), "--user", "dm")
    return folder / "cairo6-demo.db"


@pytest.fixture
def demo(demo_db: Path, tmp_path: Path) -> dict[str, str]:
    """A copy of the demo database (and its anchors) for one test; its CLI environment."""
    for path in demo_db.parent.glob(demo_db.name + "*"):
        if path.is_file() and not path.name.endswith("writer-lock"):
            shutil.copy(path, tmp_path / path.name)
    saved = console.width
    console.width = 200
    yield {"CAIRO6_DB": str(tmp_path / demo_db.name), "CAIRO6_USER": "admin"}
    console.width = saved


def _trial(env: dict[str, str]) -> Trial:
    return open_trial(Database(env["CAIRO6_DB"]))


def _snapshot(trial: Trial) -> dict[str, Any]:
    with trial.db.read() as session:
        return {
            "participants": sorted(
                session.execute(select(Participant.study_number, Participant.enrolled_on)).all()
            ),
            "allocations": sorted(
                (r.sequence_number, r.arm, tuple(sorted(r.levels.items())))
                for r in session.scalars(select(Randomisation))
            ),
            "records": sorted(
                (r.id, r.form, r.record_key, str(sorted(r.data.items())), r.study_version)
                for r in session.scalars(select(FormRecord))
            ),
        }


def _new_patient(trial: Trial, centre: str, on: dt.date, pci: int) -> str:
    number = enrolment.add_screening(
        trial, DM, centre, {"screened_on": on, "approached": True, "refused": False}
    )
    checklist = {**ELIGIBLE, "pci_at_staging": pci, "onset": "metachronous"}
    enrolment.assess_eligibility(trial, DM, number, checklist, on)
    return number


def test_phase3_amendment_on_the_demo_database(demo: dict[str, str]) -> None:
    trial = _trial(demo)
    before = _snapshot(trial)
    assert trial.definition().version == 1
    assert [f.id for f in trial.protocol.randomization.factors][-1] == "hipec_drug"

    shown = cli(
        demo,
        "study", "amend", str(PHASE3), "--effective", EFFECTIVE.isoformat(),
        "--reason", "Phase 3 amendment approved by the ethics committee",
    )  # fmt: skip
    assert "recorded version 2" in shown
    assert "minimisation factor hipec_drug dropped" in shown
    assert "accrual target 80 -> 358" in shown
    listed = cli(demo, "study", "versions")
    assert "Phase 3 amendment approved" in listed
    assert "db-init" in listed

    trial = _trial(demo)
    now = trial.definition()
    assert now.version == 2
    assert trial.definition_on(dt.date(2019, 12, 31)).version == 1
    assert trial.protocol.accrual.target == 358
    assert [f.id for f in trial.protocol.randomization.factors] == [
        "pci",
        "onset",
        "previous_systemic_therapy",
    ]
    assert [e.id for e in now.endpoints if e.kind == "primary"] == ["overall_survival"]
    assert _snapshot(trial) == before  # phase 2 participants and records unchanged

    # Randomisation goes on under the three factors, counting the phase 2 allocations.
    with trial.db.read() as session:
        history = [(r.arm, dict(r.levels)) for r in session.scalars(select(Randomisation))]
    arms = [a.id for a in trial.protocol.arms]
    today = dt.date.today()
    # The planned HIPEC drug is retired: no longer asked, refused when given.
    number = enrolment.add_screening(
        trial, DM, "C01", {"screened_on": today, "approached": True, "refused": False}
    )
    with pytest.raises(InvalidValueError, match="planned_hipec"):
        enrolment.assess_eligibility(
            trial, DM, number,
            {**ELIGIBLE, "onset": "metachronous", "planned_hipec": "oxaliplatin"}, today,
        )  # fmt: skip
    enrolled = []
    for i, (centre, pci) in enumerate([("C01", 4), ("C02", 15), ("C03", 9)]):
        screening = _new_patient(trial, centre, today, pci)
        result = enrolment.randomise(trial, DM, screening, today)
        diagnostic = result.diagnostic
        assert diagnostic["study_version"] == 2
        assert set(diagnostic["levels"]) == {"pci", "onset", "previous_systemic_therapy"}
        for factor, level in diagnostic["levels"].items():
            expected = [
                sum(1 for a, lv in history if a == arm and lv[factor] == level) for arm in arms
            ]
            assert [diagnostic["counts"][factor][arm] for arm in arms] == expected
        assert diagnostic["sequence"] == len(history) + 1
        history.append((result.arm, dict(diagnostic["levels"])))
        enrolled.append(result.study_number)
        assert i + 1 == len(enrolled)

    # New records follow version 2 (oxaliplatin retired); phase 2 records keep version 1.
    with trial.db.read() as session:
        new_arm = session.scalars(
            select(Randomisation.arm)
            .join(Participant, Participant.id == Randomisation.participant_id)
            .where(Participant.study_number == enrolled[0])
        ).one()
    baseline = {
        "baseline_date": today.isoformat(),
        "planned_hipec": "oxaliplatin",
    }
    with pytest.raises(FormError) as refused:
        records.record_form(trial, DM, enrolled[0], "baseline", baseline, today=today)
    assert any(
        p.field == "planned_hipec" and "retired" in p.message for p in refused.value.problems
    )
    assert new_arm in arms
    category = now.codelist("deviation_category").codes[0].value
    noted = {"noted_on": today.isoformat(), "category": category, "description": "under v2"}
    saved = records.record_form(trial, DM, enrolled[0], "deviation", noted, today=today)
    with trial.db.read() as session:
        assert session.get_one(FormRecord, saved.record_id).study_version == 2

    with trial.db.read() as session:
        old = session.scalars(
            select(FormRecord).where(FormRecord.form == "surgery").order_by(FormRecord.id)
        ).first()
        assert old is not None
        person = session.get_one(Participant, old.participant_id)
    updated = records.update_form(
        trial, DM, person.study_number, "surgery",
        {"operating_time_min": int(old.data.get("operating_time_min") or 300) + 1},
        reason="corrected from the operation report", record_key=old.record_key, today=today,
    )  # fmt: skip
    with trial.db.read() as session:
        assert session.get_one(FormRecord, updated.record_id).study_version == 1

    assert "audit trail intact" in cli(demo, "audit", "verify", "--data")
    assert verify_trail(trial.db).ok
    assert replay_trail(trial.db) == []


def _counts(trial: Trial) -> tuple[int, int]:
    with trial.db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(StudyVersion)) or 0,
            session.scalar(select(func.count()).select_from(AuditRecord)) or 0,
        )


def _phase3_with(edit: dict[str, tuple[str, str]]) -> dict[str, str]:
    files = amendments.read_amendment_folder(PHASE3)
    for name, (old, new) in edit.items():
        text = files.get(name) or (bundled_study_folder("cairo6") / name).read_text()
        assert old in text, (name, old)
        files[name] = text.replace(old, new)
    return files


def test_refused_amendments_change_nothing(demo: dict[str, str]) -> None:
    trial = _trial(demo)
    start = _counts(trial)
    reason = "test"

    retired_code = '  { value = "oxaliplatin", label = "Oxaliplatin", retired = true },\n'
    dropped_code = _phase3_with(
        {"forms.toml": (retired_code + '  { value = "none"', '  { value = "none"')}
    )
    with pytest.raises(AmendmentError) as refused:
        amendments.amend(trial, ADMIN, dropped_code, EFFECTIVE, reason)
    assert "codelists[hipec_drug]" in str(refused.value)
    assert "oxaliplatin" in str(refused.value)

    forms = (bundled_study_folder("cairo6") / "forms.toml").read_text()
    start_of = forms.index('[[forms]]\nid = "readmission"')
    end_of = forms.index("[[forms]]", start_of + 5)
    dropped_form = {"forms.toml": forms[:start_of] + forms[end_of:]}
    with pytest.raises((AmendmentError, StudyError)) as refused_form:
        amendments.amend(trial, ADMIN, dropped_form, EFFECTIVE, reason)
    assert "readmission" in str(refused_form.value)

    with pytest.raises(InvalidValueError, match="effective"):
        amendments.amend(
            trial, ADMIN, amendments.read_amendment_folder(PHASE3), dt.date(2017, 1, 1), reason
        )
    with pytest.raises(StudyError):
        amendments.amend(trial, ADMIN, {"protocol.toml": "[trial\n"}, EFFECTIVE, reason)
    with pytest.raises(InvalidValueError, match="reason"):
        amendments.amend(trial, ADMIN, amendments.read_amendment_folder(PHASE3), EFFECTIVE, " ")
    with pytest.raises(PermissionDeniedError):
        amendments.amend(trial, DM, amendments.read_amendment_folder(PHASE3), EFFECTIVE, reason)
    with pytest.raises(StateError, match="same as version 1"):
        amendments.amend(trial, ADMIN, {"flow.toml": _file("flow.toml")}, EFFECTIVE, reason)
    assert _counts(trial) == start

    # The command line says why (one plain line, exit 2), and records nothing either.
    done = subprocess.run(
        [sys.executable, "-m", "cairo6", "study", "amend", str(PHASE3),
         "--effective", "2016-01-01", "--reason", "x"],
        capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, **demo, "PYTHONPATH": SOURCE, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "effective" in done.stderr
    assert "2017-06-15" in done.stderr
    assert "Traceback" not in done.stderr
    assert _counts(_trial(demo)) == start


def _file(name: str) -> str:
    return (bundled_study_folder("cairo6") / name).read_text(encoding="utf-8")


def _allocations(trial: Trial) -> dict[str, Randomisation]:
    with trial.db.read() as session:
        return {
            p.study_number: r
            for p, r in session.execute(
                select(Participant, Randomisation).join(
                    Randomisation, Randomisation.participant_id == Participant.id
                )
            )
        }


def test_an_amendment_effective_tomorrow_changes_nothing_today(site: Site) -> None:
    """On SQLite and PostgreSQL: today's allocation still follows version 1."""
    trial = site.trial
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    amendments.amend(
        trial, site.admin, amendments.read_amendment_folder(PHASE3), tomorrow, "from tomorrow"
    )
    assert trial.definition().version == 1
    assert trial.definition_on(tomorrow).version == 2
    second = enrol(site, site.dm)
    allocation = _allocations(trial)[second.study_number]
    assert "hipec_drug" in allocation.levels
    assert allocation.diagnostic["study_version"] == 1


def test_an_amendment_effective_today_randomises_the_next_patient(site: Site) -> None:
    """On SQLite and PostgreSQL: the next allocation, made under the write lock, follows the
    amended factors and counts the earlier allocations at the factors kept."""
    trial = site.trial
    first = enrol(site, site.dm)
    amendments.amend(
        trial, site.admin, amendments.read_amendment_folder(PHASE3), dt.date.today(), "phase 3"
    )
    without_drug = {k: v for k, v in PATIENT.items() if k != "planned_hipec"}
    second = enrol(site, site.dm, record=without_drug)
    made = _allocations(trial)
    assert set(made[second.study_number].levels) == {"pci", "onset", "previous_systemic_therapy"}
    diagnostic = made[second.study_number].diagnostic
    assert diagnostic["study_version"] == 2
    arms = [a.id for a in trial.protocol.arms]
    for factor in diagnostic["levels"]:
        assert [diagnostic["counts"][factor][arm] for arm in arms] == [
            1 if arm == first.arm else 0 for arm in arms
        ]
    assert verify_trail(trial.db).ok
    assert replay_trail(trial.db) == []
