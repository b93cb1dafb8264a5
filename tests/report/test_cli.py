"""`cairo6 report` end to end: the reference cohort imported into a database, then reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cairo6.analysis.ard import Ard
from cairo6.cli import common
from cairo6.cli.report import report_command
from cairo6.reference.published import load_published
from cairo6.service import exchange
from tests.trial_setup import REFERENCE, trial_with_data_manager

app = typer.Typer()
app.command("report")(report_command)


@app.callback()
def _group() -> None:
    """Keep `report` a subcommand, as in the real app."""


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    # Wide enough that lines do not wrap in the middle of what the tests look for.
    monkeypatch.setattr(common.console, "width", 240)
    monkeypatch.setattr(common.err_console, "width", 240)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh SQLite trial with the reference cohort imported through the services."""
    path = tmp_path_factory.mktemp("trial") / "trial.db"
    with trial_with_data_manager(path) as (trial, dm):
        exchange.import_directory(trial, dm, REFERENCE)
    return path


def test_report_of_the_reference_database(database: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["report", "--db", str(database), "--out", str(out)])
    assert result.exit_code == 0, result.output
    output = result.output
    assert "SYNTHETIC DATA" in output
    assert "Macroscopic complete CRS-HIPEC: " in output
    assert "Clavien-Dindo grade 3 or higher postoperative morbidity: " in output
    assert "risk ratio 1.04 (0.88-1.23), P = .74" in output
    assert f"of {len(load_published())} published numbers reproduced" in output
    for name in ("report.html", "report.docx", "tables.xlsx", "ard.csv", "ard.json"):
        assert (out / name).is_file(), name
    assert (out / "figures" / "consort.svg").is_file()
    assert (out / "tables" / "table1.csv").is_file()
    ard = Ard.from_json_text((out / "ard.json").read_text(encoding="utf-8"))
    assert ard.stat("figure", "randomised", "", "total", "n") == 80
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "(SYNTHETIC DATA)</title>" in html
    assert 'id="appendix"' in html
