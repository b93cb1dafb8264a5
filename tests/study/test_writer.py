"""Imported forms written as a study folder that loads, with what did not map beside it."""

from __future__ import annotations

import dataclasses
import shutil
import tomllib
from pathlib import Path

import pytest

from cairo6.errors import InvalidValueError
from cairo6.protocol.rules import Condition
from cairo6.study import bundled_study_folder, read_study, study_from_texts
from cairo6.study.imported import ImportResult
from cairo6.study.redcap import read_dictionary
from cairo6.study.writer import REPORT, study_texts, write_study_folder

DICTIONARY = Path(__file__).parent / "data" / "redcap_dictionary.csv"


@pytest.fixture(scope="module")
def imported() -> ImportResult:
    return read_dictionary(DICTIONARY.read_text(encoding="utf-8"), "REDCap data dictionary")


def test_the_texts_load_as_a_study_with_a_marked_placeholder_protocol(
    imported: ImportResult,
) -> None:
    texts, final = study_texts(imported, "DEMO-1", "Demo study")
    study = study_from_texts(texts)
    assert study.id == "DEMO-1"
    assert study.forms == final.forms == imported.forms
    assert study.codelists == imported.codelists
    assert study.checks == imported.checks
    # A fact compared in a form's own check (`consent_date` <= `@today`) is a fact, not an item.
    not_future = next(c for c in study.checks if c.id == "consent_date_max")
    assert not_future.rule == Condition(field="consent_date", op="le", other="@today")
    protocol = study.trial_protocol
    assert [a.id for a in protocol.arms] == ["control", "experimental"]
    assert "PLACEHOLDER" in texts["protocol.toml"].splitlines()[0]
    assert protocol.assumed("arms")
    assert protocol.assumed("eligibility")
    # Dates in rules stay TOML dates, so the checker reads them as dates.
    assert tomllib.loads(texts["checks.toml"])["checks"][0]["rule"]["value"].year == 2024


def test_a_rule_the_loader_refuses_is_listed_instead_of_written(imported: ImportResult) -> None:
    form = imported.forms[0]
    bad = Condition(field="no_such_item", op="eq", value="1")
    group = form.groups[0]
    broken_item = group.items[0].model_copy(update={"visible_when": bad})
    broken = form.model_copy(
        update={"groups": [group.model_copy(update={"items": [broken_item, *group.items[1:]]})]}
    )
    result = dataclasses.replace(imported, forms=(broken, *imported.forms[1:]))
    texts, final = study_texts(result, "DEMO", "Demo")
    study = study_from_texts(texts)
    assert study.form(form.id).items()[0].visible_when is None
    [entry] = final.unmapped[len(imported.unmapped) :]
    assert (entry.where, entry.what) == (f"{form.id}.{broken_item.id}", "visible_when")
    assert "no_such_item" in entry.why


def test_writing_a_new_folder_and_refusing_to_overwrite(
    imported: ImportResult, tmp_path: Path
) -> None:
    out = tmp_path / "demo"
    written, final = write_study_folder(out, imported, "DEMO", "Demo")
    assert set(written) == {
        "study.toml", "protocol.toml", "forms.toml", "checks.toml", "analysis.toml",
        "schedule.toml", "flow.toml", REPORT,
    }  # fmt: skip
    assert read_study(out).forms == final.forms
    report = (out / REPORT).read_text()
    for entry in final.unmapped:
        assert entry.where in report
    with pytest.raises(InvalidValueError, match="--force"):
        write_study_folder(out, imported, "DEMO", "Demo")
    # With --force the forms are replaced and a protocol written by hand is kept.
    (out / "protocol.toml").write_text(
        (out / "protocol.toml").read_text().replace("Control (PLACEHOLDER)", "Usual care")
    )
    written, _ = write_study_folder(out, imported, "DEMO", "Demo", force=True)
    assert "protocol.toml" not in written
    assert read_study(out).trial_protocol.arms[0].label == "Usual care"


def test_forms_go_into_an_existing_study_folder(imported: ImportResult, tmp_path: Path) -> None:
    out = tmp_path / "cairo6"
    shutil.copytree(bundled_study_folder(), out)
    # The CAIRO6 analysis, flow, schedule and the protocol's deviation record read CAIRO6's
    # forms; replacing the forms needs
    # parts that do not, or the study check (rightly) reports every broken reference.
    (out / "analysis.toml").write_text(
        '[[populations]]\nid = "itt"\nlabel = "ITT"\ndefinition = "All randomised"\n'
    )
    (out / "flow.toml").write_text("stages = []\n")
    (out / "schedule.toml").write_text("events = []\n")
    protocol = (out / "protocol.toml").read_text(encoding="utf-8")
    start = protocol.index("[deviation_record]")
    end = protocol.index("\n\n", start)
    (out / "protocol.toml").write_text(protocol[:start] + protocol[end + 2 :], encoding="utf-8")
    written, _ = write_study_folder(out, imported, "IGNORED", "Ignored", force=True)
    assert sorted(written) == sorted(["forms.toml", "checks.toml", REPORT])
    study = read_study(out)
    assert study.id == "CAIRO6"
    assert [f.id for f in study.forms] == ["enrolment", "visit", "adverse_events"]
