"""The README's command-line walk-through, run for real on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cairo6.cli import app
from cairo6.cli.common import console, settings
from cairo6.scoring import Region
from tests.service.conftest import PATIENT

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console() -> Any:
    saved = console.width
    console.width = 200
    yield
    console.width = saved


def invoke(args: list[str], env: dict[str, str]) -> Any:
    # Settings are read once per process; each invocation here stands for a new process.
    settings.cache_clear()
    return runner.invoke(app, args, env=env)


def run(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = invoke(list(args), env)
    assert result.exit_code == code, (args, result.output, result.exception)
    return result.output


def test_walk_through(tmp_path: Path) -> None:
    env = {"CAIRO6_DB": str(tmp_path / "trial.db"), "CAIRO6_USER": "admin"}
    assert "administrator admin created" in run(env, "db", "init", "--admin", "admin")
    run(env, "centre", "add", "C01", "Centre one", "--started", "2017-06-15")
    run(env, "user", "add", "nurse", "--role", "investigator", "--centre", "C01")
    nurse = {**env, "CAIRO6_USER": "nurse"}
    assert "C01-S0001" in run(nurse, "screening", "add", "--centre", "C01", "--date", "2018-03-01")
    checklist = tmp_path / "eligibility.json"
    checklist.write_text(json.dumps(PATIENT))
    assert "eligible" in run(
        nurse, "eligibility", "C01-S0001", "--file", str(checklist), "--date", "2018-03-02"
    )
    out = run(nurse, "randomise", "C01-S0001", "--date", "2018-03-02")
    assert "CAIRO6-C01-001 randomised to" in out
    assert "preferred" not in out  # the diagnostic is for the statistician only
    arm = "experimental" if "Perioperative" in out else "control"
    if arm == "control":
        surgery = tmp_path / "surgery.json"
        surgery.write_text(
            json.dumps(
                {
                    "surgery_date": "2018-04-01",
                    "procedure": "crs_hipec",
                    "pci_regions": {r.id: 1 for r in Region},
                    "cc_score": 0,
                    "primary_tumour_resection": True,
                    "anastomosis": True,
                    "ostomy": False,
                    "operating_time_min": 310,
                    "hipec_drug": "mitomycin_c",
                }
            )
        )
        run(nurse, "record", "surgery", "CAIRO6-C01-001", "--file", str(surgery))
        shown = run(nurse, "participant", "show", "CAIRO6-C01-001", "--on", "2018-05-01")
        assert "PCI total (computed)" in shown
        assert "13" in shown
        assert "met" in shown
    else:
        run(
            nurse,
            "record",
            "cycle",
            "CAIRO6-C01-001",
            "--set",
            "phase=neoadjuvant",
            "--set",
            "regimen=CAPOX-B",
            "--set",
            "cycle_number=1",
            "--set",
            "given_on=2018-03-10",
            "--set",
            "bevacizumab_given=true",
        )
        shown = run(nurse, "participant", "show", "CAIRO6-C01-001", "--on", "2018-05-01")
        assert "Neoadjuvant therapy starts within 4 weeks" in shown
    assert "intact" in run(env, "audit", "verify")
    assert "every stored value follows from the trail" in run(env, "audit", "verify", "--data")
    assert "signed and appended to" in run(env, "audit", "anchor")
    assert "randomisation" in run(env, "audit", "show", "CAIRO6-C01-001")
    assert "backup written" in run(env, "backup", str(tmp_path / "copy.db"))
    restored = {**env, "CAIRO6_DB": str(tmp_path / "restored.db")}
    assert "restored from" in run(restored, "restore", str(tmp_path / "copy.db"))
    assert "intact" in run(restored, "audit", "verify", "--data")


def test_audit_verify_names_a_silent_change_and_a_missing_key(tmp_path: Path) -> None:
    import sqlite3

    env = {"CAIRO6_DB": str(tmp_path / "trial.db"), "CAIRO6_USER": "admin"}
    run(env, "db", "init", "--admin", "admin")
    run(env, "centre", "add", "C01", "Centre one", "--started", "2017-06-15")
    with sqlite3.connect(tmp_path / "trial.db") as conn:
        conn.execute("UPDATE centre SET name = 'Elsewhere'")
    conn.close()
    assert "intact" in run(env, "audit", "verify")
    shown = run(env, "audit", "verify", "--data", code=1)
    assert 'centre row 1: name is "Elsewhere" in the table but "Centre one" by the trail' in shown
    lost = {**env, "CAIRO6_AUDIT_KEY": str(tmp_path / "lost.key")}
    result = invoke(["centre", "add", "C02", "Centre two"], env=lost)
    assert result.exit_code != 0  # `main` shows it as one line with exit code 2
    assert "lost.key does not exist" in str(result.exception)
    assert "cairo6 audit key" in str(result.exception)
    assert "C02" not in run(env, "centre", "list")


def test_errors_are_plain_and_exit_non_zero(tmp_path: Path) -> None:
    env = {"CAIRO6_DB": str(tmp_path / "trial.db"), "CAIRO6_USER": "admin"}
    run(env, "db", "init", "--admin", "admin")
    result = invoke(["centre", "add", "C 1", "x"], env=env)
    assert result.exit_code != 0
    result = invoke(["user", "add", "x", "--role", "wizard"], env=env)
    assert result.exit_code != 0
    assert "wizard" in str(result.exception)
    result = invoke(["centre", "list"], env={"CAIRO6_DB": str(tmp_path / "none.db")})
    assert result.exit_code != 0


def test_a_new_database_at_an_old_path_starts_its_anchors_afresh(tmp_path: Path) -> None:
    env = {"CAIRO6_DB": str(tmp_path / "trial.db"), "CAIRO6_USER": "admin"}
    run(env, "db", "init", "--admin", "admin")
    run(env, "centre", "add", "C01", "Centre one")
    for leftover in tmp_path.glob("trial.db*"):
        if leftover.suffix != ".anchors":
            leftover.unlink()
    run(env, "db", "init", "--admin", "admin")
    assert "intact" in run(env, "audit", "verify")
