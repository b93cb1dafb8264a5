"""`calendar_command` on a throwaway Typer app: tables, statuses and plain errors (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cairo6.cli import common
from cairo6.cli.calendar import calendar_command

app = typer.Typer()
app.command("calendar")(calendar_command)


@app.callback()
def _group() -> None:
    """Keep `calendar` a subcommand, as in the real app."""


runner = CliRunner()
BASE = ["calendar", "--randomised", "2018-03-01"]
TOY = str(Path(__file__).resolve().parents[1] / "study" / "data" / "toy")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    # Wide enough that table cells do not wrap in the middle of what the tests look for.
    monkeypatch.setattr(common.console, "width", 220)
    monkeypatch.setattr(common.err_console, "width", 220)


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*BASE, *args])
    return result.exit_code, result.output


def test_full_capox_course_with_compliance() -> None:
    code, out = run(
        "--cycle-dates",
        "2018-03-12,2018-04-02,2018-04-23,2018-05-14",
        "--assessment",
        "2018-05-10",
        "--procedure",
        "2018-06-28",
        "--on",
        "2018-07-01",
    )
    assert code == 0, out
    assert "oxaliplatin 130 mg/m2 IV d1" in out
    assert "capecitabine 1000 mg/m2 oral d1-14 twice daily" in out
    assert "bevacizumab" in out
    assert "restaging CT (after cycle 3)" in out
    assert "2018-06-04" in out
    assert "2018-06-25" in out
    assert "missed by 3 days (late)" in out
    assert "first adjuvant cycle: by 2018-09-20" in out


def test_overdue_on_a_given_date() -> None:
    code, out = run("--on", "2018-04-05")
    assert code == 0, out
    assert "overdue by 7 days" in out
    assert "OVERDUE" in out


def test_switch_and_early_stop() -> None:
    code, out = run(
        "--cycle-dates",
        "2018-03-12,2018-04-02",
        "--switch-at",
        "2",
        "--switch-to",
        "FOLFIRI-B",
        "--stopped-after",
        "2",
        "--on",
        "2018-04-10",
    )
    assert code == 0, out
    assert "irinotecan 180 mg/m2" in out
    assert "restaging CT (after cycle 2)" in out


def test_antiangiogenic_omitted() -> None:
    code, out = run("--cycle-dates", "2018-03-12,2018-04-02", "--antiangiogenic-omitted", "2")
    assert code == 0, out
    assert "no (omitted)" in out


def test_control_arm() -> None:
    code, out = run("--arm", "control", "--on", "2018-04-20")
    assert code == 0, out
    assert "Upfront CRS-HIPEC within 6 weeks" in out
    assert "overdue by 8 days" in out


def test_adjuvant_after_incomplete_surgery_is_not_applicable() -> None:
    code, out = run(
        "--cycle-dates",
        "2018-03-12",
        "--stopped-after",
        "1",
        "--procedure",
        "2018-05-01",
        "--incomplete",
        "--on",
        "2018-09-01",
    )
    assert code == 0, out
    assert "not applicable (surgery was not macroscopically complete)" in out


def test_bad_date_names_the_option() -> None:
    code, out = run("--procedure", "2018-13-01")
    assert code == 2
    assert "--procedure: '2018-13-01' is not allowed" in out
    assert "Traceback" not in out


def test_bad_cycle_date_names_the_item() -> None:
    code, out = run("--cycle-dates", "2018-03-12,12/04/2018")
    assert code == 2
    assert "--cycle-dates (item 2)" in out


def test_cycle_before_randomisation() -> None:
    code, out = run("--cycle-dates", "2018-02-20")
    assert code == 2
    assert "neoadjuvant.cycles[1].day1" in out
    assert "randomisation (2018-03-01)" in out
    assert "Traceback" not in out


def test_regimen_for_control_arm_is_refused() -> None:
    code, out = run("--arm", "control", "--regimen", "CAPOX-B")
    assert code == 2
    assert "neoadjuvant.regimen" in out


def test_cycles_for_control_arm_are_refused() -> None:
    code, out = run("--arm", "control", "--cycle-dates", "2018-03-12")
    assert code == 2
    assert "arm 'control' has no neoadjuvant regimen" in out


def test_switch_needs_both_options() -> None:
    code, out = run("--cycle-dates", "2018-03-12", "--switch-to", "FOLFIRI-B")
    assert code == 2
    assert "--switch-at" in out


def test_randomised_is_required() -> None:
    result = runner.invoke(app, ["calendar"])
    assert result.exit_code == 2
    assert "--randomised" in result.output


def test_a_study_without_regimens_gets_its_visits() -> None:
    code, out = run("--study", TOY, "--on", "2018-06-01")
    assert code == 0, out
    assert "Time windows" not in out  # the toy study has no treatment windows
    assert "Week 12 visit │ 2018-05-24 │ 2018-05-17 to 2018-05-31 │ -" in out
    assert "OVERDUE  Week 12 visit: 2018-05-17 to 2018-05-31, overdue by 1 days" in out
    code, out = run("--study", TOY, "--visit", "week_12=2018-05-20", "--on", "2018-06-01")
    assert code == 0, out
    assert "│ 2018-05-20 │ met" in out
    assert "nothing due" in out


def test_visit_errors_name_the_option() -> None:
    code, out = run("--study", TOY, "--visit", "week_13=2018-05-20")
    assert code == 2
    assert "--visit: 'week_13=2018-05-20' is not allowed" in out
    assert "allowed: ID=YYYY-MM-DD with ID one of week_12" in out
    code, out = run("--visit", "week_12=2018-05-20")
    assert code == 2
    assert "only with --study" in out
