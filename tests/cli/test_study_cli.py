"""`cairo6 study check|show|import-redcap|import-odm` through the command line."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from typer.testing import CliRunner

from cairo6.cli import app
from cairo6.study import bundled_study_folder, read_study

runner = CliRunner()
DATA = Path(__file__).parents[1] / "study" / "data"
WIDE = {"COLUMNS": "250"}


@pytest.fixture(autouse=True)
def wide_console() -> Any:
    """The shared console is made once per process; earlier tests may have narrowed it."""
    from cairo6.cli.common import console

    saved = console.width
    console.width = 250
    yield
    console.width = saved


def broken_copy(tmp_path: Path, file: str, change: Callable[[dict[str, Any]], None]) -> Path:
    """The bundled CAIRO6 study with one file edited."""
    folder = tmp_path / "study"
    shutil.copytree(bundled_study_folder(), folder)
    raw = tomllib.loads((folder / file).read_text(encoding="utf-8"))
    change(raw)
    (folder / file).write_text(tomli_w.dumps(raw), encoding="utf-8")
    return folder


def form(raw: dict[str, Any], form_id: str) -> dict[str, Any]:
    return next(f for f in raw["forms"] if f["id"] == form_id)


def unknown_item_in_a_rule(raw: dict[str, Any]) -> None:
    age = form(raw, "baseline")["groups"][0]["items"][1]
    age["visible_when"] = {"field": "no_such_item", "op": "eq", "value": 1}


def code_list_missing(raw: dict[str, Any]) -> None:
    raw["codelists"] = [c for c in raw["codelists"] if c["id"] != "sex"]


def cycle_in_requires(raw: dict[str, Any]) -> None:
    form(raw, "surgery")["requires"] = ["readmission"]


def endpoint_on_a_missing_item(raw: dict[str, Any]) -> None:
    raw["endpoints"] = [
        {
            "id": "pci_change",
            "label": "Change in PCI",
            "type": "continuous",
            "population": "itt",
            "item": "baseline.no_such_pci",
        }
    ]


def duplicate_id(raw: dict[str, Any]) -> None:
    raw["codelists"].append(dict(raw["codelists"][0]))


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        (
            "forms.toml",
            unknown_item_in_a_rule,
            "forms.toml: forms[baseline].groups[main].items[age_years].visible_when: "
            "item 'no_such_item' is not declared in form 'baseline'",
        ),
        (
            "forms.toml",
            code_list_missing,
            "forms.toml: forms[baseline].groups[main].items[sex].codelist: "
            "code list 'sex' is not declared",
        ),
        (
            "forms.toml",
            cycle_in_requires,
            "forms.toml: forms[surgery].requires: the forms require each other in a cycle: "
            "surgery -> readmission -> discharge -> surgery",
        ),
        (
            "analysis.toml",
            endpoint_on_a_missing_item,
            "analysis.toml: endpoints[pci_change].item: "
            "item 'baseline.no_such_pci' is not declared",
        ),
        (
            "forms.toml",
            duplicate_id,
            "forms.toml: codelists[sex]: id 'sex' is used 2 times",
        ),
    ],
)
def test_check_reports_each_broken_definition_with_file_and_key(
    tmp_path: Path, file: str, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    folder = broken_copy(tmp_path, file, change)
    result = runner.invoke(app, ["study", "check", str(folder)], env=WIDE)
    assert result.exit_code == 2, result.output
    assert "1 error(s)" in result.output
    assert expected in " ".join(result.output.split())


def test_check_lists_every_error_of_one_run(tmp_path: Path) -> None:
    def both(raw: dict[str, Any]) -> None:
        code_list_missing(raw)
        cycle_in_requires(raw)

    result = runner.invoke(app, ["study", "check", str(broken_copy(tmp_path, "forms.toml", both))])
    assert result.exit_code == 2
    assert "2 error(s)" in result.output


def test_check_a_valid_study_prints_a_summary() -> None:
    study = read_study(bundled_study_folder())
    result = runner.invoke(app, ["study", "check", str(bundled_study_folder())], env=WIDE)
    assert result.exit_code == 0, result.output
    items = sum(len(f.items()) for f in study.forms)
    summary = " ".join(result.output.split())
    assert f"{len(study.forms)} forms, {items} items, {len(study.codelists)} code lists" in summary
    assert f"{len(study.endpoints)} endpoints" in summary


def test_check_of_a_folder_without_a_study() -> None:
    result = runner.invoke(app, ["study", "check", str(DATA)])
    assert result.exit_code == 2
    assert "is this a study folder?" in result.output


def test_show_prints_forms_items_and_code_lists_of_the_bundled_study() -> None:
    study = read_study(bundled_study_folder())
    result = runner.invoke(app, ["study", "show"], env=WIDE)
    assert result.exit_code == 0, result.output
    for form_def in study.forms:
        assert form_def.label in result.output
    codelist = study.codelists[0]
    assert f"{codelist.codes[0].value} = {codelist.codes[0].label}" in result.output


def test_import_redcap_writes_a_study_that_checks(tmp_path: Path) -> None:
    out = tmp_path / "from_redcap"
    dictionary = DATA / "redcap_dictionary.csv"
    result = runner.invoke(
        app,
        ["study", "import-redcap", str(dictionary), "--out", str(out), "--id", "DEMO"],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    assert "Not mapped" in result.output
    assert "[enrolment_arm_1][age] > 18" in result.output
    assert "PLACEHOLDER" in result.output
    assert (out / "UNMAPPED.md").is_file()
    assert runner.invoke(app, ["study", "check", str(out)]).exit_code == 0
    shown = runner.invoke(app, ["study", "show", str(out)], env=WIDE)
    assert "symptoms___2" in shown.output
    again = runner.invoke(app, ["study", "import-redcap", str(dictionary), "--out", str(out)])
    assert again.exit_code == 2
    assert "--force" in again.output


def test_import_odm_writes_a_study_that_checks(tmp_path: Path) -> None:
    out = tmp_path / "from_odm"
    result = runner.invoke(
        app, ["study", "import-odm", str(DATA / "odm_metadata.xml"), "--out", str(out)], env=WIDE
    )
    assert result.exit_code == 0, result.output
    study = read_study(out)
    assert study.id == "HEART-01"
    assert study.manifest.title == "HEART-01 synthetic heart failure trial"
    assert "vendor extension" in (out / "UNMAPPED.md").read_text()


def test_import_of_a_file_of_the_wrong_kind_fails_plainly(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["study", "import-odm", str(DATA / "redcap_dictionary.csv"), "--out", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "well-formed XML" in result.output
    assert "Traceback" not in result.output


def test_a_dictionary_saved_by_excel_as_windows_1252_is_read(tmp_path: Path) -> None:
    text = (DATA / "redcap_dictionary.csv").read_text(encoding="utf-8")
    legacy = tmp_path / "dictionary.csv"
    legacy.write_bytes(text.replace("Date of birth", "Date de naissance (né le)").encode("cp1252"))
    out = tmp_path / "study"
    result = runner.invoke(app, ["study", "import-redcap", str(legacy), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "not UTF-8; read as Windows-1252" in result.output
    dob = read_study(out).form("enrolment").item("dob")
    assert dob is not None
    assert dob.label == "Date de naissance (né le)"
