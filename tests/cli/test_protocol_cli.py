"""`cairo6 protocol show|check|export` through the real command line."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from typer.testing import CliRunner

from cairo6.cli import app
from cairo6.cli.common import console

runner = CliRunner()
THREE_ARM = Path(__file__).parents[1] / "protocol" / "data" / "three_arm.toml"


@pytest.fixture(autouse=True)
def wide_console() -> Any:
    # Table cells wrap at the terminal width; a wide console keeps each drug on one line.
    saved = console.width
    console.width = 240
    yield
    console.width = saved


def test_show_prints_regimens_with_doses_windows_and_factors() -> None:
    result = runner.invoke(app, ["protocol", "show"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "oxaliplatin 130 mg/m2 IV d1" in out
    assert "capecitabine 1000 mg/m2 oral d1-14 twice daily" in out
    assert "7.5 mg/kg IV d1" in out
    assert "cycles 1, 2, 3, 4" in out
    assert "Neoadjuvant therapy starts within 4 weeks after randomisation" in out
    assert "pci_at_staging between [0, 10]" in out
    assert "ASSUMED" in out
    assert "primary_site one of [colon, rectum]" in out


def test_show_one_section_of_another_protocol() -> None:
    result = runner.invoke(
        app,
        ["protocol", "show", "--protocol", str(THREE_ARM), "-s", "arms"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "High dose" in result.output
    assert "Regimens" not in result.output


def test_show_unknown_section() -> None:
    result = runner.invoke(app, ["protocol", "show", "-s", "colours"])
    assert result.exit_code == 2


def test_check_a_valid_protocol() -> None:
    result = runner.invoke(app, ["protocol", "check", str(THREE_ARM)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    assert "ratio 2:1:1" in result.output


def test_check_lists_each_error_with_its_key(tmp_path: Path) -> None:
    raw: dict[str, Any] = tomllib.loads(THREE_ARM.read_text())
    raw["arms"][1]["ratio"] = -1
    raw["randomization"]["factors"][1]["levels"][0]["when"]["field"] = "gender"
    raw["randomization"]["p"] = 2
    broken = tmp_path / "broken.toml"
    broken.write_text(tomli_w.dumps(raw))
    # The installed console script, as a user runs it.
    proc = subprocess.run(
        [sys.executable, "-m", "cairo6", "protocol", "check", str(broken)],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "200", "PATH": ""},
    )
    assert proc.returncode == 1
    assert "3 error(s)" in proc.stderr
    assert "arms[low_dose].ratio" in proc.stderr
    assert "randomization.p" in proc.stderr
    assert "randomization.factors[sex].levels[female].when: field 'gender'" in proc.stderr


def test_export_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "template.toml"
    assert runner.invoke(app, ["protocol", "export", "--out", str(out)]).exit_code == 0
    assert runner.invoke(app, ["protocol", "check", str(out)]).exit_code == 0
