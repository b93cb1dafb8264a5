"""cairo6's survival statistics against R's survival package on 1,000 random datasets.

The datasets and R's values are committed (tests/analysis/r_reference: `generate.py` draws the
datasets, `generate.R` holds the R calls: survfit with conf.type "log-log" and "log",
quantile(), summary(times = 36), survdiff, coxph with Efron and Breslow ties). Regenerate with
`python tests/analysis/r_reference/generate.py`. Each dataset goes through `compare_survival`,
the entry point the report's survival table uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from cairo6.analysis.survival import SurvivalComparison, compare_survival
from cairo6.protocol.models import Methods

HERE = Path(__file__).parent / "r_reference"
GROUPS = {"control": "c", "experimental": "e", "total": "total"}
# Medians and CI limits are observed times (or midpoints of two), so they agree exactly; the
# rest are floating-point sums that agree to rounding. Cox: both fits stop at R's criterion
# (relative log-likelihood change <= 1e-9) after the same Newton-Raphson steps.
TOLERANCE = {"time": 1e-9, "rate": 1e-9, "logrank": 1e-8, "cox": 1e-7}


@cache
def _data() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.read_csv(HERE / "datasets.csv.gz")
    reference = pd.read_csv(HERE / "reference.csv", keep_default_na=True).set_index("dataset")
    return data, reference


def _run(part: pd.DataFrame, methods: Methods) -> SurvivalComparison:
    return compare_survival(
        part["time"].tolist(),
        part["event"].astype(bool).tolist(),
        part["arm"].tolist(),
        arms=["c", "e"],
        control="c",
        methods=methods,
    )


def _same(ours: float | None, theirs: float, tolerance: float) -> bool:
    if ours is None or math.isnan(theirs):
        return ours is None and math.isnan(theirs)
    return math.isclose(ours, theirs, rel_tol=tolerance, abs_tol=tolerance)


def _pairs(
    comparison: SurvivalComparison, logs: SurvivalComparison, breslow: SurvivalComparison
) -> Iterator[tuple[str, str, float | None]]:
    """(quantity, tolerance kind, our value) named as the reference file's columns."""
    for name, code in GROUPS.items():
        group = next((g for g in comparison.groups if g.group == code), None)
        log_group = next((g for g in logs.groups if g.group == code), None)
        if group is None or log_group is None:
            continue
        yield f"{name}_median", "time", group.km.median.value
        yield f"{name}_lcl", "time", group.km.median.low
        yield f"{name}_ucl", "time", group.km.median.high
        yield f"{name}_lcl_log", "time", log_group.km.median.low
        yield f"{name}_ucl_log", "time", log_group.km.median.high
        yield f"{name}_s36", "rate", group.landmark.value
        yield f"{name}_s36_lcl", "rate", group.landmark.low
        yield f"{name}_s36_ucl", "rate", group.landmark.high
        yield f"{name}_fu", "time", group.follow_up.value
        yield f"{name}_fu_lcl", "time", group.follow_up.low
        yield f"{name}_fu_ucl", "time", group.follow_up.high
    if comparison.logrank is not None:
        yield "logrank_chisq", "logrank", comparison.logrank.chi2
        yield "logrank_p", "logrank", comparison.logrank.p_value
    for ties, result in (("efron", comparison), ("breslow", breslow)):
        fit = result.cox
        if fit is None:
            continue
        yield f"cox_{ties}_coef", "cox", fit.coef
        yield f"cox_{ties}_se", "cox", fit.se
        yield f"cox_{ties}_hr", "cox", fit.hazard_ratio
        yield f"cox_{ties}_lcl", "cox", fit.low
        yield f"cox_{ties}_ucl", "cox", fit.high


def _expected(row: pd.Series, column: str) -> float:
    """R's value, read as a statistician reads R's output.

    A Cox estimate that R warns may be infinite, or whose Wald interval R gives as 0 to
    infinity (coxph stops near |b| = 20 with an SE in the thousands on a monotone likelihood),
    is no estimate; so is R's 1 (1-1) with an SE of 0 when no event happened while both arms
    were at risk (zero information, which coxph's generalised inverse turns into 0). A log-rank
    chi-square on 0 degrees of freedom (survdiff: every event where only one arm was at risk,
    so no variance) is no test.
    """
    if column.startswith("cox_"):
        ties = column.split("_")[1]
        infinite = row[f"cox_{ties}_warning"] == "infinite" or not row[f"cox_{ties}_ucl"] < math.inf
        if infinite or row[f"cox_{ties}_lcl"] == 0 or row[f"cox_{ties}_se"] == 0:
            return math.nan
    if column.startswith("logrank_") and not row["logrank_df"] > 0:
        return math.nan
    return float(row[column])


def disagreements() -> tuple[int, int, list[str]]:
    """(datasets, quantities compared, the disagreements as text)."""
    data, reference = _data()
    compared = 0
    problems = []
    for dataset, part in data.groupby("dataset"):
        row = reference.loc[int(str(dataset))]
        comparison = _run(part, Methods())
        logs = _run(part, Methods(km_ci_transform="log"))
        breslow = _run(part, Methods(cox_ties="breslow"))
        for column, kind, ours in _pairs(comparison, logs, breslow):
            compared += 1
            theirs = _expected(row, column)
            if not _same(ours, theirs, TOLERANCE[kind]):
                problems.append(f"dataset {dataset} {column}: cairo6 {ours}, R {theirs}")
    return int(data["dataset"].nunique()), compared, problems


@pytest.mark.slow
def test_survival_agrees_with_r_on_every_dataset() -> None:
    datasets, compared, problems = disagreements()
    assert datasets >= 1000
    assert compared > 30 * datasets
    assert problems == []


if __name__ == "__main__":
    n, k, found = disagreements()
    print(f"{n} datasets, {k} values compared, {len(found)} disagreements")
    print("\n".join(found[:40]))
