"""The analysis plan's choices, as public functions of the plan and the data.

Which test a row gets (`planned_test`) and what a categorical comparison yields
(`compare_counts`: the plan's test and, for a risk-ratio endpoint, the risk ratio, each computed
whether or not the other could be). The conventions behind them are the plan's `methods`
(`cairo6.protocol.models.Methods`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cairo6.analysis.stats import (
    CategoricalRule,
    RiskRatio,
    TestResult,
    categorical_test,
    risk_ratio,
)
from cairo6.errors import InvalidValueError
from cairo6.protocol.models import AnalysisPlan, Endpoint

__all__ = ["CountComparison", "compare_counts", "planned_test"]

# The protocol's names of tests that are decided by the table or belong to another section.
_ENDPOINT_TESTS = {"auto_categorical": "auto", "logrank": "none"}


def planned_test(endpoint: Endpoint | None, row_test: str | None, default: str) -> str:
    """The test a row gets: its endpoint's test in the plan, else the row's own, else `default`.

    "auto" leaves the choice between chi-square and Fisher to the table (the plan's categorical
    rule); "none" means no test (a log-rank endpoint is tested in the survival section).
    """
    if endpoint is not None:
        test = endpoint.test.value
        return _ENDPOINT_TESTS.get(test, test)
    return row_test or default


@dataclass(frozen=True)
class CountComparison:
    """A categorical comparison between arms; a part that could not be computed says why."""

    test: TestResult | None
    risk_ratio: RiskRatio | None
    problems: tuple[str, ...] = ()


def compare_counts(
    counts: Sequence[Sequence[int]],
    levels: Sequence[str],
    plan: AnalysisPlan,
    rule: str,
    event_level: str | None = None,
) -> CountComparison:
    """The plan's test on `counts` (levels x arms) and the risk ratio of `event_level` (first
    arm vs second) when given.

    The risk ratio does not depend on the test: when every participant has the event, the
    table has one non-empty column and no test, yet the ratio is 1.00 (1.00-1.00).
    """
    problems: list[str] = []
    test: TestResult | None = None
    if rule != "none":
        try:
            test = categorical_test(
                counts,
                rule=_categorical_rule(rule),
                expected_below=plan.categorical_rule.expected_below,
                correction=plan.categorical_rule.chi2_correction,
            )
        except InvalidValueError as exc:
            problems.append(str(exc))
    ratio: RiskRatio | None = None
    if event_level is not None and event_level in levels and len(counts[0]) == 2:
        events = counts[list(levels).index(event_level)]
        totals = [sum(column) for column in zip(*counts, strict=True)]
        try:
            ratio = risk_ratio(
                events[0],
                totals[0],
                events[1],
                totals[1],
                level=plan.ci_level,
                zero_correction=True,
            )
        except InvalidValueError as exc:
            problems.append(str(exc))
    return CountComparison(test, ratio, tuple(problems))


def _categorical_rule(rule: str) -> CategoricalRule:
    if rule not in ("auto", "chi2", "fisher"):
        raise InvalidValueError("test", rule, "'auto', 'chi2' or 'fisher' for a categorical row")
    return rule  # type: ignore[return-value]
