"""`design sample-size`, `design boundaries` and `design simulate` through Typer's test runner."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cairo6.cli.common import console, err_console
from cairo6.cli.design import design_app

app = typer.Typer()
app.add_typer(design_app, name="design")
runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    # Table cells wrap at the terminal width; a wide console keeps each row on one line.
    saved = console.width, err_console.width
    console.width = err_console.width = 240
    yield
    console.width, err_console.width = saved


def test_sample_size_reproduces_the_protocol() -> None:
    result = runner.invoke(app, ["design", "sample-size"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "169.31" in text
    assert "170 + 170" in text
    assert "340 / (1 - 0.05) = 357.89" in text
    assert re.search(r"4\. final N .*358", text)
    assert "Matches the protocol's planned total (358)" in text
    assert "= 0.621" in text
    assert "Schoenfeld 138.8 -> 139 events" in text
    assert "rounded up, never down" in text


def test_sample_size_overrides() -> None:
    result = runner.invoke(app, ["design", "sample-size", "--continuity-correction"])
    assert result.exit_code == 0, result.output
    assert "183 + 183" in result.output
    assert "366 / (1 - 0.05) = 385.26" in result.output
    assert "Does not match the protocol's planned total (358): this gives 386" in result.output
    result = runner.invoke(app, ["design", "sample-size", "--power", "0.9", "--dropout", "0"])
    assert result.exit_code == 0, result.output
    assert "Does not match" in result.output


def test_sample_size_survival() -> None:
    result = runner.invoke(
        app, ["design", "sample-size", "--method", "survival", "--accrual-years", "4"]
    )
    assert result.exit_code == 0, result.output
    assert "ln(0.65) / ln(0.5)" in result.output
    assert "138.78, rounded up" in result.output
    assert "uniform accrual 4.00 y, follow-up 3.00 y" in result.output
    default = runner.invoke(app, ["design", "sample-size", "--method", "survival"])
    assert "Accrual 6.78 years is ASSUMED" in default.output


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [("--power", "1.2", "power"), ("--alpha", "0", "alpha"), ("--control-rate", "0.65", "rate")],
)
def test_sample_size_bad_input(option: str, value: str, field: str) -> None:
    result = runner.invoke(app, ["design", "sample-size", option, value])
    assert result.exit_code == 2
    assert field in result.output
    assert "Traceback" not in result.output


def test_boundaries_command() -> None:
    result = runner.invoke(
        app,
        ["design", "boundaries", "--look", "0.333333333", "--look", "0.666666667", "--look", "1"],
    )
    assert result.exit_code == 0, result.output
    for value in ("3.710", "2.511", "1.993", "0.05000"):
        assert value in result.output
    bad = runner.invoke(app, ["design", "boundaries", "--look", "0.7", "--look", "0.3"])
    assert bad.exit_code == 2
    assert "information_fraction" in bad.output


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_simulate_local_with_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["design", "simulate", "--trials", "400", "--seed", "5", "--hr", "1", "--hr", "0.62",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Simulation (not trial data)" in text
    assert "ASSUMED: 9 centres" in text
    assert "149 planned events" in text
    assert "HR 1.000" in text
    assert "HR 0.620" in text
    assert "± " in text
    rows = _rows(out / "design-simulation.csv")
    assert [float(r["hazard_ratio"]) for r in rows] == [1.0, 0.62]
    assert all(r["trials"] == "400" and r["seed"] == "5" for r in rows)
    for suffix in ("png", "svg"):
        assert (out / f"design-simulation.{suffix}").stat().st_size > 1000


def test_simulate_dask_workers_match_local(tmp_path: Path) -> None:
    common = ["design", "simulate", "--trials", "150", "--seed", "9", "--hr", "0.7",
              "--accrual-scale", "1", "--accrual-scale", "2", "--allocation", "simple"]  # fmt: skip
    local = runner.invoke(app, [*common, "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    remote = runner.invoke(
        app, [*common, "--engine", "dask", "--workers", "1", "--out", str(tmp_path / "dask")]
    )
    assert remote.exit_code == 0, remote.output
    assert "engine dask" in remote.output
    assert _rows(tmp_path / "local" / "design-simulation.csv") == _rows(
        tmp_path / "dask" / "design-simulation.csv"
    )


def test_simulate_bad_input() -> None:
    result = runner.invoke(app, ["design", "simulate", "--trials", "100", "--hr", "0"])
    assert result.exit_code == 2
    assert "hazard_ratio" in result.output
    result = runner.invoke(app, ["design", "simulate", "--centre", "zero"])
    assert result.exit_code == 2
    assert "--centre" in result.output
