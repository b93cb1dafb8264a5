"""The report run: protocol words in, the published comparison only for CAIRO6."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cairo6.analysis.spec import default_spec
from cairo6.protocol import Protocol, default_protocol
from cairo6.report.run import primary_outcomes, run_report
from cairo6.studies.cairo6.synthetic_large import reference_trial, to_extract


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return to_extract(reference_trial())


def test_primary_outcomes_from_protocol_and_spec() -> None:
    primary = primary_outcomes(default_protocol(), default_spec())
    assert [(p.table, p.variable, p.level) for p in primary] == [
        ("results", "cytoreductive_surgery", "macroscopic_complete"),
        ("results", "clavien_dindo_ge3", "yes"),
    ]
    assert primary[0].label == "Macroscopic complete CRS-HIPEC"


def test_cairo6_is_compared_with_the_paper(frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    outcome = run_report(default_protocol(), frames, tmp_path)
    assert outcome.comparisons is not None
    assert outcome.report.input.comparison_summary.startswith(
        f"{sum(c.status == 'match' for c in outcome.comparisons)} of "
    )
    assert set(outcome.seconds) == {"analysis", "report"}
    assert outcome.report.synthetic


def test_another_trial_has_no_published_appendix(
    frames: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    cairo6 = default_protocol()
    other: Protocol = cairo6.model_copy(
        update={"trial": cairo6.trial.model_copy(update={"id": "OTHER", "acronym": "OTHER"})}
    )
    outcome = run_report(other, frames, tmp_path)
    assert outcome.comparisons is None
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="appendix"' not in html
    assert not (tmp_path / "tables" / "comparison.csv").exists()
