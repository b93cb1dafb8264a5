"""The indomethacin trial runs from its definition folder and public data with no trial code.

Expected values are the paper's (Elmunzer et al., N Engl J Med 2012;366:1414-22): post-ERCP
pancreatitis 27/295 (9.2%) with indomethacin vs 52/307 (16.9%) with placebo, P = .005.
"""

from __future__ import annotations

import tomllib

import pytest

from cairo6.analysis.definition import binary_endpoints, flatten
from cairo6.study import bundled_study_folder, read_study
from cairo6.study.data import read_study_data


@pytest.fixture(scope="module")
def ard() -> dict[tuple[str, str, str], object]:
    study = read_study(bundled_study_folder("indo_rct"))
    people = [flatten(p.participant, p.arm, p.centre, p.forms) for p in read_study_data(study)]
    assert len(people) == 602
    return {(r.variable, r.group, r.stat_name): r.stat for r in binary_endpoints(study, people)}


def test_primary_outcome_counts_match_the_paper(ard: dict[tuple[str, str, str], object]) -> None:
    key = "post_ercp_pancreatitis"
    assert (ard[key, "indomethacin", "n"], ard[key, "indomethacin", "N"]) == (27, 295)
    assert (ard[key, "placebo", "n"], ard[key, "placebo", "N"]) == (52, 307)
    assert round(float(ard[key, "indomethacin", "pct"]), 1) == 9.2  # type: ignore[arg-type]
    assert round(float(ard[key, "placebo", "pct"]), 1) == 16.9  # type: ignore[arg-type]


def test_primary_p_value_is_the_papers_and_rs(ard: dict[tuple[str, str, str], object]) -> None:
    # R: chisq.test(matrix(c(27, 268, 52, 255), 2, byrow = TRUE), correct = FALSE)$p.value
    #    = 0.004681602 (expected counts all >= 5, so the plan's rule chooses chi-square).
    key = "post_ercp_pancreatitis"
    assert ard[key, "comparison", "test"] == "chi2"
    assert ard[key, "comparison", "p_value"] == pytest.approx(0.004681602, rel=1e-6)
    # Risk ratio (27/295) / (52/307) = 8289/15340 exactly.
    assert ard[key, "comparison", "rr"] == pytest.approx(8289 / 15340, rel=1e-12)


def test_published_file_agrees_with_the_reproduced_numbers(
    ard: dict[tuple[str, str, str], object],
) -> None:
    folder = bundled_study_folder("indo_rct")
    published = tomllib.loads((folder / "published.toml").read_text(encoding="utf-8"))["number"]
    for number in published:
        got = ard[number["variable"], number["group"], number["stat_name"]]
        digits = 3 if number["stat_name"] == "p_value" else 1
        assert round(float(got), digits) == number["value"], number["place"]  # type: ignore[arg-type]
