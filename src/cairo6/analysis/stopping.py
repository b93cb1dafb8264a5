"""The protocol's stopping rules evaluated on the data, with their verdict in words.

Proportions are compared exactly (fractions), so a result on the threshold falls as the rule is
worded: "fewer than 50%" is not met at 50%, "more than 20% higher" is not met at 20 points.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from fractions import Fraction

import pandas as pd

from cairo6.analysis.common import as_datetime
from cairo6.analysis.context import RateCounts
from cairo6.analysis.result import StoppingVerdict
from cairo6.analysis.rounding import jama_pct
from cairo6.protocol import Protocol
from cairo6.protocol.models import StoppingRule

__all__ = ["accrual_verdict", "accrual_window", "evaluate_stopping"]


def _pct(value: Fraction) -> str:
    return f"{jama_pct(float(value) * 100)}%"


def _threshold(rule: StoppingRule) -> Fraction:
    return Fraction(repr(float(rule.threshold or 0)))


def _not_evaluable(rule: StoppingRule, why: str) -> StoppingVerdict:
    return StoppingVerdict(rule.id, rule.label, f"not evaluable: {why}", "", False)


def _min_proportion(rates: Mapping[str, RateCounts], rule: StoppingRule) -> StoppingVerdict:
    counts = rates.get(rule.endpoint or "", {})
    if rule.arm not in counts or counts[rule.arm][1] == 0:
        return _not_evaluable(rule, f"no {rule.endpoint} counts for {rule.arm}")
    n, total = counts[rule.arm]
    observed = Fraction(n, total)
    limit = _threshold(rule)
    return StoppingVerdict(
        rule.id,
        rule.label,
        f"{n} of {total} ({_pct(observed)}) in the {rule.arm} arm",
        f"stop if below {_pct(limit)}",
        observed < limit,
    )


def _max_difference(rates: Mapping[str, RateCounts], rule: StoppingRule) -> StoppingVerdict:
    counts = rates.get(rule.endpoint or "", {})
    arm, other = rule.arm or "", rule.comparator_arm or ""
    if any(g not in counts or counts[g][1] == 0 for g in (arm, other)):
        return _not_evaluable(rule, f"no {rule.endpoint} counts for {arm} and {other}")
    (a, n1), (b, n2) = counts[arm], counts[other]
    p1, p2 = Fraction(a, n1), Fraction(b, n2)
    limit = _threshold(rule)
    if rule.scale == "absolute":
        excess = p1 - p2
        shown = f"{float(excess) * 100:+.1f} percentage points"
        bound = f"stop if more than {float(limit) * 100:g} percentage points higher"
    else:
        if p2 == 0:
            return _not_evaluable(rule, f"no events in the {other} arm for a relative difference")
        excess = p1 / p2 - 1
        shown = f"{float(excess) * 100:+.1f}% relative"
        bound = f"stop if more than {float(limit) * 100:g}% higher (relative)"
    observed = f"{a} of {n1} ({_pct(p1)}) vs {b} of {n2} ({_pct(p2)}): {shown}"
    return StoppingVerdict(rule.id, rule.label, observed, bound, excess > limit)


def accrual_window(
    rule: StoppingRule, enrolled: pd.Series, centre_starts: pd.Series
) -> tuple[dt.date, dt.date, int] | None:
    """(anchor, deadline, enrolled by the deadline) of an accrual rule; None without anchor."""
    dates = as_datetime(enrolled).dropna()
    anchors = as_datetime(centre_starts if rule.anchor == "last_centre_start" else dates)
    anchors = anchors.dropna()
    if anchors.empty:
        return None
    last = rule.anchor == "last_centre_start"
    anchor: dt.date = (anchors.max() if last else anchors.min()).date()
    deadline = anchor + dt.timedelta(days=rule.within_days or 0)
    return anchor, deadline, int((dates.dt.date <= deadline).sum())


def accrual_verdict(
    rule: StoppingRule, enrolled: pd.Series, centre_starts: pd.Series
) -> StoppingVerdict:
    """Enrolled by the deadline (anchor + within_days) against the target."""
    days, target = rule.within_days or 0, rule.target or 0
    window = accrual_window(rule, enrolled, centre_starts)
    if window is None:
        return _not_evaluable(rule, f"no date for the anchor ({rule.anchor})")
    anchor, deadline, within = window
    what = "the last centre started" if rule.anchor == "last_centre_start" else "first enrolment"
    return StoppingVerdict(
        rule.id,
        rule.label,
        f"{within} enrolled by {deadline.isoformat()} ({days} days after {what} on "
        f"{anchor.isoformat()})",
        f"stop if fewer than {target}",
        within < target,
    )


def evaluate_stopping(
    protocol: Protocol,
    rates: Mapping[str, RateCounts],
    enrolled: pd.Series,
    centre_starts: pd.Series,
) -> list[StoppingVerdict]:
    """Every stopping rule of the protocol, in protocol order.

    `rates`: per endpoint, per group, (events, denominator); `enrolled`: enrolment dates;
    `centre_starts`: the dates the centres started recruiting.
    """
    verdicts = []
    for rule in protocol.stopping_rules:
        if rule.kind == "min_proportion":
            verdicts.append(_min_proportion(rates, rule))
        elif rule.kind == "max_difference":
            verdicts.append(_max_difference(rates, rule))
        else:
            verdicts.append(accrual_verdict(rule, enrolled, centre_starts))
    return verdicts
