"""CSV export and import of a study's records, with columns from its definition (TOY-BP):
the exchange format's one import and export, for a study's forms as for CAIRO6's."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cairo6.service import admin
from cairo6.service.enrolment import add_screening, assess_eligibility, randomise
from cairo6.service.exchange import ImportRejectedError, export_csv, import_directory
from cairo6.service.records import record_form, records_of
from cairo6.service.setup import initialise_study
from cairo6.service.trial import Trial, actor_for
from cairo6.store.audit import Actor
from cairo6.store.engine import Database
from cairo6.store.schema import FormRecord
from cairo6.study.dictionary import dictionary
from cairo6.study.loader import read_study_texts, study_from_texts

TOY = Path(__file__).resolve().parents[1] / "study" / "data" / "toy"
TODAY = dt.date(2024, 6, 1)


def _trial(path: Path) -> tuple[Trial, Actor, Actor, str]:
    files = read_study_texts(TOY)
    trial = initialise_study(Database(path), study_from_texts(files, "toy"), files)
    admin.bootstrap_admin(trial, "admin")
    with trial.db.read() as session:
        boss = actor_for(session, "admin")
    admin.add_centre(trial, boss, "H01", "Hospital One", dt.date(2024, 1, 1))
    admin.add_user(trial, boss, "nurse", "investigator", centre_code="H01")
    admin.add_user(trial, boss, "dm", "data_manager")
    with trial.db.read() as session:
        nurse, dm = actor_for(session, "nurse"), actor_for(session, "dm")
    number = add_screening(trial, nurse, "H01", {"screened_on": "2024-01-10", "approached": True})
    assess_eligibility(
        trial, nurse, number, {"age_years": 61, "systolic_mmhg": 162}, dt.date(2024, 1, 11)
    )
    return trial, nurse, dm, randomise(trial, nurse, number, dt.date(2024, 1, 12)).study_number


def test_export_then_import_into_another_database_gives_the_same_records(tmp_path: Path) -> None:
    trial, nurse, dm, number = _trial(tmp_path / "a.db")
    record_form(
        trial, nurse, number, "baseline",
        {"visit_date": "2024-01-12", "systolic": 158, "smoking": "current",
         "cigarettes_per_day": 10},
        today=TODAY,
    )  # fmt: skip
    for week, day, pressure in ((4, "2024-02-09", 150), (12, "2024-04-05", 138)):
        record_form(
            trial, nurse, number, "visit",
            {"week": week, "visit_date": day, "systolic": pressure, "adherence": "good"},
            today=TODAY,
        )  # fmt: skip
    counts = export_csv(trial, dm, tmp_path / "out")
    assert {k: counts[k] for k in ("baseline", "visit", "stroke")} == {
        "baseline": 1,
        "visit": 2,
        "stroke": 0,
    }
    with (tmp_path / "out" / "visit.csv").open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == ["study_number", "week", "visit_date", "systolic", "adherence"]
    other, _, dm2, number2 = _trial(tmp_path / "b.db")
    assert number2 == number
    forms = tmp_path / "forms"  # the other trial has its participant already
    forms.mkdir()
    for name in ("baseline", "visit", "stroke"):
        shutil.copy(tmp_path / "out" / f"{name}.csv", forms)
    assert import_directory(other, dm2, forms).rows == {"baseline": 1, "visit": 2, "stroke": 0}
    assert records_of(other, dm2, number) == records_of(trial, dm, number)


def test_a_bad_file_is_reported_row_by_row_and_nothing_is_written(tmp_path: Path) -> None:
    trial, _, dm, number = _trial(tmp_path / "a.db")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "baseline.csv").write_text(
        "study_number,visit_date,systolic,smoking,cigarettes_per_day\n"
        f"{number},2024-01-12,158,never,\n",
        encoding="utf-8",
    )
    (folder / "visit.csv").write_text(
        "study_number,week,visit_date,systolic,adherence\n"
        f"{number},4,2024-02-09,150,good\n"
        f"{number},8,2024-01-01,999,sometimes\n"
        "TOY-BP-H09-001,12,2024-04-05,138,good\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejectedError) as refused:
        import_directory(trial, dm, folder)
    found = {(p.file, p.row_number, p.field) for p in refused.value.problems}
    assert ("visit.csv", 3, "systolic") in found
    assert ("visit.csv", 3, "adherence") in found
    assert ("visit.csv", 4, "study_number") in found  # an unknown participant
    with trial.db.read() as session:
        assert session.scalar(select(func.count()).select_from(FormRecord)) == 0


def test_the_dictionary_names_every_item_with_its_allowed_values() -> None:
    study = study_from_texts(read_study_texts(TOY), "toy")
    rows = {(r.form, r.item): r for r in dictionary(study)}
    assert rows["baseline", "smoking"].allowed == (
        "one of never (Never smoked), former (Former smoker), current (Current smoker)"
    )
    assert rows["baseline", "cigarettes_per_day"].asked_when == "smoking = current"
    assert rows["visit", "days_since_baseline"].derived_from == (
        "days_between(baseline.visit_date, visit_date)"
    )


def test_the_odm_snapshot_holds_the_definition_and_every_record(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from cairo6.service.record_exchange import export_records_odm
    from cairo6.study.odm import read_odm_metadata

    trial, nurse, dm, number = _trial(tmp_path / "a.db")
    record_form(
        trial, nurse, number, "baseline",
        {"visit_date": "2024-01-12", "systolic": 158, "smoking": "never"}, today=TODAY,
    )  # fmt: skip
    record_form(
        trial, nurse, number, "visit",
        {"week": 12, "visit_date": "2024-04-05", "systolic": 138}, today=TODAY,
    )  # fmt: skip
    out = tmp_path / "snapshot.xml"
    assert export_records_odm(trial, dm, out) == 1
    ns = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}
    root = ET.parse(out).getroot()
    values = {
        item.get("ItemOID"): item.get("Value")
        for item in root.iterfind(".//odm:SubjectData/odm:StudyEventData//odm:ItemData", ns)
    }
    assert values["I.baseline.smoking"] == "never"
    assert values["I.visit.systolic"] == "138"
    assert values["I.visit.days_since_baseline"] == "84"
    visit = root.find(".//odm:FormData[@FormOID='F.visit']", ns)
    assert visit is not None
    assert visit.get("FormRepeatKey") == "12"
    # The metadata part reads back as the same forms.
    imported = read_odm_metadata(out.read_bytes())
    assert [f.id for f in imported.forms] == ["baseline", "visit", "stroke"]
