"""The plan's choice of test and the categorical comparison as public functions."""

from __future__ import annotations

import tomllib

import pytest

from cairo6.analysis.plan import compare_counts, planned_test
from cairo6.errors import ProtocolError
from cairo6.protocol import Endpoint, default_protocol, default_protocol_text, protocol_from_dict
from cairo6.protocol.models import Test as PlanTest


def _endpoint(test: str) -> Endpoint:
    return Endpoint(
        id="e", label="E", kind="secondary", trial_phase="2", type="binary", population="itt",
        definition="d", summary="n_pct", test=PlanTest(test),
    )  # fmt: skip


def test_planned_test_follows_endpoint_then_row_then_default() -> None:
    assert planned_test(_endpoint("auto_categorical"), "t_test", "none") == "auto"
    assert planned_test(_endpoint("fisher"), None, "auto") == "fisher"
    assert planned_test(_endpoint("logrank"), None, "auto") == "none"
    assert planned_test(None, "mann_whitney", "none") == "mann_whitney"
    assert planned_test(None, None, "auto") == "auto"


def test_auto_rule_uses_fisher_below_expected_five() -> None:
    plan = default_protocol().analysis
    small = compare_counts([[1, 4], [20, 18]], ["yes", "no"], plan, "auto")
    large = compare_counts([[20, 14], [20, 28]], ["yes", "no"], plan, "auto")
    assert small.test is not None
    assert small.test.test == "fisher"
    assert large.test is not None
    assert large.test.test == "chi2"
    forced = compare_counts([[1, 4], [20, 18]], ["yes", "no"], plan, "chi2")
    assert forced.test is not None
    assert forced.test.warning == "small_expected"
    assert forced.test.min_expected == pytest.approx(5 * 21 / 43)


def test_case7_risk_ratio_when_every_patient_has_the_event() -> None:
    # 12/12 vs 15/15: no test (one non-empty column), but the risk ratio is 1.00 (1.00-1.00)
    # (R epitools::riskratio.wald gives 1 (1-1)); cairo6 skipped it with the refused test.
    plan = default_protocol().analysis
    result = compare_counts([[12, 15], [0, 0]], ["yes", "no"], plan, "auto", event_level="yes")
    assert result.test is None
    assert result.problems
    assert result.risk_ratio is not None
    rr = result.risk_ratio
    assert (rr.rr, rr.low, rr.high, rr.corrected) == (1.0, 1.0, 1.0, False)


def test_methods_are_settings_of_the_plan() -> None:
    data = tomllib.loads(default_protocol_text())
    assert default_protocol().analysis.methods.cox_ties == "efron"  # R coxph's default
    data["analysis"]["methods"] = {"cox_ties": "breslow", "mann_whitney": "exact"}
    methods = protocol_from_dict(data).analysis.methods
    assert (methods.cox_ties, methods.mann_whitney) == ("breslow", "exact")
    assert methods.cox_tolerance == 1e-9  # R coxph.control(eps)
    data["analysis"]["methods"] = {"median_rule": "latest"}
    with pytest.raises(ProtocolError, match=r"analysis\.methods\.median_rule"):
        protocol_from_dict(data)
