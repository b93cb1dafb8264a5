"""`simulate randomization` through Typer's test runner, on a throwaway app."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cairo6.cli.common import console, err_console
from cairo6.cli.simulate import simulate_app

app = typer.Typer()
app.add_typer(simulate_app, name="simulate")
runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    # Table cells wrap at the terminal width; a wide console keeps each row on one line.
    saved = console.width, err_console.width
    console.width = err_console.width = 240
    yield
    console.width, err_console.width = saved


def test_three_methods_side_by_side_with_files(tmp_path: Path) -> None:
    prevalence = tmp_path / "prevalence.csv"
    prevalence.write_text(
        "factor,level,prevalence\nonset,synchronous,0.6\nonset,metachronous,0.4\n"
    )
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "simulate", "randomization",
            "--method", "minimization", "--method", "blocks", "--method", "simple",
            "--patients", "60", "--trials", "500", "--chunk-size", "180", "--seed", "7",
            "--prevalence", str(prevalence), "--out", str(out), "-k", "3",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Simulation (not trial data)" in text
    assert "seed 7" in text
    assert "60 patients" in text
    assert "500 simulated trials" in text
    assert f"onset: from {prevalence}" in text
    assert "pci, previous_systemic_therapy, hipec_drug: ASSUMED equal per level" in text
    for label in ("minimization p=0.8 range", "blocks 2/4", "simple"):
        assert label in text
    assert "overall |n experimental − n control|" in text
    assert "pci = 11-20" in text
    assert "within stratum (16 strata pooled)" in text
    assert "P(overall imbalance > 3)" in text
    assert "predictability (correct guesses)" in text
    stem = "randomization-simulation"
    for suffix in (".csv", ".png", ".svg"):
        assert (out / f"{stem}{suffix}").stat().st_size > 1000
    assert (out / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in (out / f"{stem}.svg").read_bytes()[:500]
    with (out / f"{stem}.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["method"] for r in rows} == {"minimization p=0.8 range", "blocks 2/4", "simple"}
    overall = [r for r in rows if r["kind"] == "overall" and r["statistic"] == "mean"]
    assert len(overall) == 3
    assert all(r["trials"] == "500" and r["seed"] == "7" for r in rows)


def test_same_seed_same_table() -> None:
    args = ["simulate", "randomization", "--patients", "30", "--trials", "200", "--seed", "3"]
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    assert first.exit_code == second.exit_code == 0
    assert first.output == second.output
    assert "minimization p=0.8 range" in first.output
    assert "blocks" not in first.output


def test_bad_p_exits_2_with_a_clear_message() -> None:
    result = runner.invoke(app, ["simulate", "randomization", "--p", "1.5", "--trials", "10"])
    assert result.exit_code == 2
    assert "p: 1.5 is not allowed" in result.output
    assert "0.5 to 1" in result.output


def test_bad_prevalence_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "prevalence.csv"
    bad.write_text("factor,level,prevalence\npci,0-10,0.9\npci,11-20,0.9\n")
    result = runner.invoke(
        app, ["simulate", "randomization", "--trials", "10", "--prevalence", str(bad)]
    )
    assert result.exit_code == 2
    assert "summing to 1" in result.output
