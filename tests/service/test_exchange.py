"""Data exchange of a CAIRO6 trial: CSV export and import round-trip, whole-import rejection,
ODM and Parquet, through the one exchange path every study uses (forms from the definition)."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from cairo6.errors import InvalidValueError, PermissionDeniedError
from cairo6.protocol import Protocol, default_protocol_text
from cairo6.scoring import Region
from cairo6.service import admin, enrolment
from cairo6.service.audit_view import replay_trail, verify_trail
from cairo6.service.exchange import (
    ImportRejectedError,
    export_csv,
    export_parquet,
    file_order,
    import_directory,
)
from cairo6.service.record_exchange import export_records_odm
from cairo6.service.records import record_form
from cairo6.service.setup import initialise
from cairo6.service.trial import Trial, actor_for
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.schema import AuditRecord, FormRecord, Participant, Randomisation
from cairo6.study.odm import ODM_NS
from tests.conftest import _fresh_postgres
from tests.service.conftest import PATIENT

PCI = {r.id: 0 for r in Region} | {"pelvis": 2, "central": 1}
BASELINE: dict[str, Any] = {
    "sex": "female",
    "age_years": 62,
    "who_performance_status": 0,
    "primary_location": "rectum",
    "histology": "mucinous",
    "primary_status": "resected",
    "t_category": "T3",
    "n_category": "N1",
    "previous_chemotherapy": "none",
    "previous_extraperitoneal_resection": False,
    "onset": "synchronous",
    "primary_diagnosis_date": "2017-11-01",
    "pm_diagnosis_date": "2017-12-01",
    "baseline_pci": 8,
    "pci_modality": "laparoscopy",
    "pci_centre": "trial",
    "planned_hipec": "mitomycin_c",
}
PARTICIPANTS = 4
TODAY = dt.date(2019, 1, 1)


@dataclass
class Setup:
    """A trial with its administrator and a data manager."""

    trial: Trial
    admin: Actor
    dm: Actor

    def actor(self, username: str) -> Actor:
        with self.trial.db.read() as session:
            return actor_for(session, username)


def empty_trial(db: Database, protocol: Protocol) -> Setup:
    """An initialised trial with no centres: users are local, so each database has its own."""
    trial = initialise(db, protocol, default_protocol_text())
    admin.bootstrap_admin(trial, "admin")
    with db.read() as session:
        boss = actor_for(session, "admin")
    admin.add_user(trial, boss, "dm", "data_manager")
    with db.read() as session:
        return Setup(trial, boss, actor_for(session, "dm"))


def _screen(s: Setup, centre: str, on: str, **data: Any) -> str:
    entry = {"screened_on": on, "approached": True, "refused": False} | data
    return enrolment.add_screening(s.trial, s.dm, centre, entry)


def fill(s: Setup) -> dict[str, str]:
    """Two centres, six screening entries, four participants and a few of every kind of form."""
    trial, dm = s.trial, s.dm
    admin.add_centre(trial, s.admin, "C01", "Centre one", dt.date(2017, 6, 1))
    admin.add_centre(trial, s.admin, "C02", "Centre, two", None)
    people: dict[str, str] = {}

    def allocate(number: str, on: dt.date, arm: str, deviation: str | None = None) -> str:
        at = f"{on.isoformat()}T09:30:00+00:00"
        result = enrolment.import_allocation(trial, dm, number, on, arm, at, deviation=deviation)
        return result.study_number

    s1 = _screen(s, "C01", "2018-01-05")
    enrolment.assess_eligibility(trial, dm, s1, PATIENT, dt.date(2018, 1, 6))
    people["p1"] = allocate(s1, dt.date(2018, 1, 10), "experimental")
    _screen(
        s, "C01", "2018-01-12", refused=True, refusal_reason="other", refusal_other="moves abroad"
    )
    _screen(s, "C01", "2018-01-15", approached=False, refused=None, not_approached_reason="unknown")
    s4 = _screen(s, "C02", "2018-02-20")
    partial = {k: v for k, v in PATIENT.items() if k != "pci_at_staging"}
    enrolment.assess_eligibility(trial, dm, s4, partial, dt.date(2018, 2, 21))
    enrolment.assess_eligibility(trial, dm, s4, PATIENT, dt.date(2018, 2, 25))
    people["p2"] = allocate(s4, dt.date(2018, 3, 1), "control")
    s5 = _screen(s, "C02", "2018-02-22")
    enrolment.assess_eligibility(trial, dm, s5, PATIENT | {"age_years": 17}, dt.date(2018, 2, 23))
    people["p3"] = allocate(s5, dt.date(2018, 3, 2), "control", "randomised at 17 by the office")
    s6 = _screen(s, "C02", "2018-02-24")
    enrolment.assess_eligibility(trial, dm, s6, PATIENT, dt.date(2018, 2, 26))
    people["p4"] = allocate(s6, dt.date(2018, 3, 5), "experimental")

    def rec(form: str, who: str, **values: Any) -> None:
        record_form(trial, dm, people[who], form, values, today=TODAY)

    rec("baseline", "p1", **BASELINE)
    rec(
        "cycle",
        "p1",
        phase="neoadjuvant",
        regimen="CAPOX-B",
        cycle_number=1,
        given_on="2018-01-20",
        bevacizumab_given=True,
        doses={"oxaliplatin": 240.5, "capecitabine": 3000},
    )
    surgery = {
        "procedure": "crs_hipec",
        "pci_regions": PCI,
        "cc_score": 0,
        "primary_tumour_resection": False,
        "anastomosis": True,
        "ostomy": False,
        "operating_time_min": 310,
        "hipec_drug": "mitomycin_c",
    }
    rec("surgery", "p1", surgery_date="2018-04-20", **surgery)
    rec(
        "cycle",
        "p1",
        phase="adjuvant",
        regimen="CAPOX",
        cycle_number=1,
        given_on="2018-06-01",
        bevacizumab_given=False,
    )
    # Entered after p1's adjuvant cycle: the export lists records in the order entered.
    rec(
        "cycle",
        "p4",
        phase="neoadjuvant",
        regimen="FOLFOX-B",
        cycle_number=1,
        given_on="2018-03-15",
        bevacizumab_given=True,
        stopped_after=True,
        stop_reason='toxicity, "grade 3"\nsee letter',
    )
    rec("discharge", "p1", discharge_date="2018-05-01")
    rec("readmission", "p1", admitted_on="2018-05-10", reason="ileus")
    rec(
        "complication",
        "p1",
        term="Ileus",
        ctcae_term="Ileus",
        grade="IIIa",
        onset_date="2018-04-25",
    )
    rec(
        "complication",
        "p1",
        term="Pneumonia",
        ctcae_term="Lung infection",
        grade="II",
        onset_date="2018-04-24",
    )
    rec(
        "toxicity",
        "p1",
        term="Diarrhoea",
        ctcae_term="Diarrhea",
        grade=2,
        phase="neoadjuvant",
        onset_date="2018-02-01",
    )
    rec(
        "radiology",
        "p1",
        timepoint="baseline",
        scan_date="2018-01-05",
        radiologic_pci=6,
        lesions=[{"id": "1", "organ": "peritoneum", "lymph_node": False, "diameter_mm": 22}],
    )
    rec("pathology", "p1", site="peritoneal", evaluable=True, trg=2, prgs=[2, 3])
    rec("pathology", "p1", site="lymph_nodes", evaluable=False, not_evaluable_reason="no nodes")
    rec(
        "surgery",
        "p2",
        surgery_date="2018-03-20",
        procedure="open_close",
        open_close_reason="unresectable_pm",
        pci_regions=PCI,
        primary_tumour_resection=False,
        anastomosis=False,
        ostomy=False,
        hipec_drug="none",
    )
    rec("discharge", "p2", discharge_date="2018-03-25")
    rec("follow_up", "p2", visit_date="2018-09-01", vital_status="dead", death_date="2018-08-20")
    rec("off_study", "p3", off_date="2018-03-10", reason="patient_request")
    rec("deviation", "p3", noted_on="2018-03-10", category="window", description="late visit")
    rec("follow_up", "p1", visit_date="2018-09-01", vital_status="alive")
    return people


@pytest.fixture
def source(db: Database, cairo6: Protocol) -> Setup:
    """A trial holding the small dataset."""
    setup = empty_trial(db, cairo6)
    fill(setup)
    return setup


@pytest.fixture
def fresh(
    db: Database, cairo6: Protocol, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Setup]]:
    """Another empty trial on the same backend as `db`."""
    made: list[Database] = []

    def make(name: str) -> Setup:
        if db.is_sqlite:
            target = Database(tmp_path / f"{name}.db")
        else:
            target = Database(_fresh_postgres(request.getfixturevalue("postgres_url")))
        made.append(target)
        return empty_trial(target, cairo6)

    yield make
    for target in made:
        target.dispose()


def counts(db: Database) -> dict[str, int]:
    """Participants, records of every form and audit records."""
    with db.read() as session:
        forms = session.execute(select(FormRecord.form, func.count()).group_by(FormRecord.form))
        return {
            **dict(list(forms)),
            "participant": session.scalar(select(func.count()).select_from(Participant)) or 0,
            "audit": session.scalar(select(func.count()).select_from(AuditRecord)) or 0,
        }


def _read(directory: Path) -> dict[str, list[list[str]]]:
    """Each file's header, then its rows in a fixed order: an import saves a row that needs a
    record of a later file (an adjuvant cycle, after the surgery) last, so the order of the
    records it makes may differ from the order they were entered in at the source."""
    out = {}
    for path in sorted(directory.iterdir()):
        with path.open(encoding="utf-8", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        out[path.name] = [header, *sorted(rows)]
    return out


def test_export_import_export_gives_the_same_files(
    source: Setup, fresh: Callable[[str], Setup], tmp_path: Path
) -> None:
    first = tmp_path / "first"
    written = export_csv(source.trial, source.dm, first)
    assert list(written) == list(file_order(source.trial.study))
    assert written["randomisation"] == PARTICIPANTS
    assert written["screening"] == 6
    assert written["eligibility"] == 5
    assert written["deviation"] == 1
    target = fresh("target")
    seen: list[tuple[int, int]] = []
    summary = import_directory(
        target.trial, target.dm, first, progress=lambda done, total: seen.append((done, total))
    )
    assert summary.rows == written
    assert seen[-1] == (summary.total, summary.total)
    second = tmp_path / "second"
    export_csv(target.trial, target.dm, second)
    assert _read(second) == _read(first)
    assert verify_trail(target.trial.db).ok
    assert replay_trail(target.trial.db) == []  # every imported value is in the trail
    with target.trial.db.read() as session:
        sources = set(session.scalars(select(Randomisation.source)))
        reasons = set(
            # Accounts and the definition's version 1 are the new database's own, not imported.
            session.scalars(
                select(AuditRecord.reason).where(
                    AuditRecord.table_name.not_in(("app_user", "study_version"))
                )
            )
        )
    assert sources == {"history"}
    assert counts(target.trial.db) == counts(source.trial.db) | {
        "audit": counts(target.trial.db)["audit"]
    }
    assert reasons == {f"imported from {first}"}


def test_csv_cells_follow_the_format(source: Setup, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_csv(source.trial, source.dm, out)
    with (out / "cycle.csv").open(encoding="utf-8", newline="") as handle:
        cycles = list(csv.DictReader(handle))
    assert [c["phase"] for c in cycles] == ["neoadjuvant", "adjuvant", "neoadjuvant"]
    assert cycles[0]["doses"] == '{"capecitabine":3000,"oxaliplatin":240.5}'
    assert cycles[0]["bevacizumab_given"] == "true"
    assert cycles[0]["switched_from"] == ""
    assert cycles[2]["stop_reason"] == 'toxicity, "grade 3"\nsee letter'
    with (out / "eligibility.csv").open(encoding="utf-8", newline="") as handle:
        first = next(csv.DictReader(handle))
    assert first["platelets_10e9_l"] == "250"
    assert first["hemoglobin_mmol_l"] == "8.1"
    assert first["assessed_on"] == "2018-01-06"
    assert first["months_since_systemic_therapy"] == ""


def _edit(path: Path, change: Callable[[list[list[str]]], None]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _set(rows: list[list[str]], row: int, column: str, value: str) -> None:
    rows[row - 1][rows[0].index(column)] = value


def _add_column(name: str) -> Callable[[list[list[str]]], None]:
    def add(rows: list[list[str]]) -> None:
        rows[0].append(name)
        for row in rows[1:]:
            row.append("something")

    return add


def test_a_bad_directory_is_refused_whole_with_every_problem(
    source: Setup, fresh: Callable[[str], Setup], tmp_path: Path
) -> None:
    good = tmp_path / "good"
    export_csv(source.trial, source.dm, good)
    bad = tmp_path / "bad"
    shutil.copytree(good, bad)
    _edit(bad / "screening.csv", lambda rows: _set(rows, 3, "screened_on", "2018-02-30"))
    _edit(bad / "baseline.csv", _add_column("notes"))
    _edit(bad / "complication.csv", lambda rows: _set(rows, 2, "grade", "VI"))
    # p2 (row 3 of surgery.csv) was randomised on 2018-03-01.
    _edit(bad / "surgery.csv", lambda rows: _set(rows, 3, "surgery_date", "2018-02-01"))
    _edit(
        bad / "follow_up.csv",
        lambda rows: rows.append(["CAIRO6-C09-001", "2018-09-01", "alive", "", "false", ""]),
    )
    # A death recorded before p2's randomisation (row 5), refused by the rule first entry runs.
    with (bad / "surgery.csv").open(encoding="utf-8") as handle:
        p2 = list(csv.reader(handle))[2][0]
    _edit(
        bad / "follow_up.csv",
        lambda rows: rows.append([p2, "2018-09-01", "dead", "2018-02-20", "false", ""]),
    )
    _edit(bad / "randomisation.csv", lambda rows: _set(rows, 2, "arm", "placebo"))
    (bad / "surgeries.csv").write_text("study_number\n")
    target = fresh("target")
    before = counts(target.trial.db)
    with pytest.raises(ImportRejectedError) as info:
        import_directory(target.trial, target.dm, bad)
    found = {(p.file, p.row_number, p.field) for p in info.value.problems}
    assert {
        ("surgeries.csv", 0, ""),
        ("screening.csv", 3, "screened_on"),
        ("randomisation.csv", 2, "arm"),
        ("baseline.csv", 1, "notes"),
        ("complication.csv", 2, "grade"),
        ("surgery.csv", 3, "surgery_date"),
        ("follow_up.csv", 4, "study_number"),
        ("follow_up.csv", 5, "death_date"),
    } <= found
    death = next(p for p in info.value.problems if p.field == "death_date")
    assert death.value == "2018-02-20"
    assert "Death cannot be before randomisation" in death.reason
    surgery = next(p for p in info.value.problems if p.file == "surgery.csv")
    assert surgery.value == "2018-02-01"
    assert "Surgery cannot be before randomisation" in surgery.reason
    unknown = next(p for p in info.value.problems if p.file == "follow_up.csv")
    assert "does not exist" in unknown.reason
    assert "nothing was written" in str(info.value)
    # Rows that only failed because a row they depend on was refused are not repeated:
    # p1 is in row 2 of randomisation.csv, so none of p1's forms is reported.
    assert not any(p.file == "discharge.csv" for p in info.value.problems)
    assert counts(target.trial.db) == before
    assert verify_trail(target.trial.db).ok


def test_header_problems_are_reported_once(
    source: Setup, fresh: Callable[[str], Setup], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export_csv(source.trial, source.dm, out)

    def drop_grade(rows: list[list[str]]) -> None:
        index = rows[0].index("grade")
        for row in rows:
            del row[index]

    _edit(out / "complication.csv", drop_grade)
    _edit(out / "discharge.csv", lambda rows: rows.append(["only one cell"]))
    (out / "restaging.csv").write_text("study_number;ct_date;outcome\n", encoding="utf-8")
    target = fresh("target")
    with pytest.raises(ImportRejectedError) as info:
        import_directory(target.trial, target.dm, out)
    complication = [p for p in info.value.problems if p.file == "complication.csv"]
    assert [(p.row_number, p.field) for p in complication] == [(1, "grade")]
    assert "required column missing" in complication[0].reason
    discharge = [p for p in info.value.problems if p.file == "discharge.csv"]
    assert [p.row_number for p in discharge] == [4]
    restaging = [p.reason for p in info.value.problems if p.file == "restaging.csv"]
    assert any("';'" in reason for reason in restaging)


def test_centres_already_set_up_are_accepted_when_they_agree(
    source: Setup, fresh: Callable[[str], Setup], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export_csv(source.trial, source.dm, out)
    target = fresh("target")
    admin.add_centre(target.trial, target.admin, "C01", "Centre one", dt.date(2017, 6, 1))
    admin.add_centre(target.trial, target.admin, "C02", "Centre two", None)
    with pytest.raises(ImportRejectedError) as info:
        import_directory(target.trial, target.dm, out)
    assert [(p.file, p.row_number, p.field) for p in info.value.problems] == [
        ("centre.csv", 3, "code")
    ]
    assert "already exists as 'Centre two'" in info.value.problems[0].reason


def test_only_the_trial_office_imports(source: Setup, tmp_path: Path) -> None:
    out = tmp_path / "out"
    admin.add_user(source.trial, source.admin, "stat", "statistician")
    admin.add_user(source.trial, source.admin, "inv", "investigator", centre_code="C01")
    export_csv(source.trial, source.actor("stat"), out)
    for name in ("stat", "inv"):
        with pytest.raises(PermissionDeniedError):
            import_directory(source.trial, source.actor(name), out)
    with pytest.raises(PermissionDeniedError):
        export_csv(source.trial, source.actor("inv"), tmp_path / "inv")


def test_odm_holds_every_participant_and_every_item(source: Setup, tmp_path: Path) -> None:
    out = tmp_path / "odm" / "cairo6.xml"
    assert export_records_odm(source.trial, source.dm, out) == PARTICIPANTS
    ns = {"odm": ODM_NS}
    root = ET.parse(out).getroot()
    assert root.tag == f"{{{ODM_NS}}}ODM"
    assert root.get("ODMVersion") == "1.3.2"
    study = source.trial.definition()
    item_defs = {e.get("OID") for e in root.iterfind(".//odm:ItemDef", ns)}
    assert item_defs >= {f"I.{f.id}.{i.id}" for f in study.forms for i in f.items()}
    sex = next(c for c in root.iterfind(".//odm:CodeList", ns) if c.get("OID", "").endswith("sex"))
    assert [c.get("CodedValue") for c in sex] == ["male", "female"]
    subjects = root.findall(".//odm:SubjectData", ns)
    assert len(subjects) == PARTICIPANTS
    first = next(s for s in subjects if s.get("SubjectKey") == "CAIRO6-C01-001")

    def value(oid: str) -> str | None:
        item = first.find(f".//odm:ItemData[@ItemOID='{oid}']", ns)
        return None if item is None else item.get("Value")

    assert value("I.surgery.pci_total") == "3"
    assert value("I.discharge.length_of_stay_days") == "11"
    assert value("I.surgery.macroscopic_complete") == "true"
    complications = first.findall(".//odm:FormData[@FormOID='F.complication']", ns)
    assert len(complications) == 2


def test_parquet_files_read_back_with_the_right_rows(source: Setup, tmp_path: Path) -> None:
    out = tmp_path / "parquet"
    written = export_parquet(source.trial, source.dm, out)
    assert sorted(p.stem for p in out.iterdir()) == sorted(file_order(source.trial.study))
    for form, rows in written.items():
        frame = pd.read_parquet(out / f"{form}.parquet")
        assert len(frame) == rows, form
    cycles = pd.read_parquet(out / "cycle.parquet")
    assert cycles["doses"].iloc[0] == '{"capecitabine":3000,"oxaliplatin":240.5}'
    assert cycles["given_on"].iloc[0] == dt.date(2018, 1, 20)
    assert cycles["cycle_number"].tolist() == [1, 1, 1]
    surgery = pd.read_parquet(out / "surgery.parquet")
    assert surgery["cc_score"].isna().tolist() == [False, True]


def test_export_refuses_a_directory_with_other_files(source: Setup, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(InvalidValueError, match=r"keep\.txt"):
        export_csv(source.trial, source.dm, out)
    (out / "keep.txt").unlink()
    export_csv(source.trial, source.dm, out)
    export_csv(source.trial, source.dm, out)  # writing over an earlier export is fine


def test_duplicate_rows_are_refused_and_the_rest_still_checked(
    source: Setup, fresh: Callable[[str], Setup], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    export_csv(source.trial, source.dm, out)
    _edit(out / "screening.csv", lambda rows: rows.append(list(rows[2])))
    _edit(out / "baseline.csv", lambda rows: rows.append(list(rows[1])))
    _edit(out / "toxicity.csv", lambda rows: _set(rows, 2, "onset_date", "2017-01-01"))
    target = fresh("target")
    with pytest.raises(ImportRejectedError) as info:
        import_directory(target.trial, target.dm, out)
    problems = info.value.problems
    assert [(p.file, p.row_number, p.field) for p in problems] == [
        ("screening.csv", 8, "screening_number"),
        ("baseline.csv", 3, "study_number"),
        ("toxicity.csv", 2, "onset_date"),
    ]
    assert "already exists" in problems[0].reason
    assert "already has a Baseline characteristics record" in problems[1].reason
    assert counts(target.trial.db)["participant"] == 0
