"""The monitoring committee's view of the phase 3 primary endpoint: the observed log-rank
statistic against the Lan-DeMets boundary at the information fraction actually reached.

Information is the observed number of events over the events the design needs (Schoenfeld, for
the hazard ratio equivalent to the protocol's rates); the boundary is recomputed at that
fraction, so an unplanned look spends exactly what the spending function allows.
"""

from __future__ import annotations

import math

from scipy.stats import norm  # type: ignore[import-untyped]

from cairo6.analysis.ard import Ard
from cairo6.analysis.result import StoppingVerdict
from cairo6.design.boundaries import GroupSequentialDesign, Spending, monitor
from cairo6.design.sample_size import hazard_ratio_from_rates, schoenfeld_events
from cairo6.protocol import Protocol

TABLE = "survival"


def _stat(ard: Ard, variable: str, level: str, group: str, stat: str) -> float | None:
    record = ard.find(TABLE, variable, level, group, stat)
    value = None if record is None else record.stat
    return float(value) if isinstance(value, int | float) else None


def interim_look(protocol: Protocol, ard: Ard) -> StoppingVerdict | None:
    """The efficacy-boundary check for the primary time-to-event endpoint, if it was analysed."""
    design = protocol.sample_size
    if design is None:
        return None
    endpoint = design.endpoint
    p_value = _stat(ard, endpoint, "logrank", "comparison", "p_value")
    hazard = _stat(ard, endpoint, "hazard_ratio", "comparison", "rr")
    events = _stat(ard, endpoint, "", "total", "n")
    if p_value is None or hazard is None or events is None or events <= 0:
        return None
    planned_hr = hazard_ratio_from_rates(design.control_rate, design.experimental_rate)
    planned = math.ceil(
        schoenfeld_events(planned_hr, alpha=design.alpha, power=design.power, sided=design.sided)
    )
    fraction = min(events / planned, 1.0)
    # The two-sided log-rank P fixes |z|; the hazard ratio gives its sign (positive favours the
    # experimental arm, as the boundaries module expects).
    z = float(norm.isf(p_value / 2)) * (1.0 if hazard < 1 else -1.0)
    result = monitor(
        z,
        fraction,
        GroupSequentialDesign(
            alpha=design.alpha, sided=design.sided, spending=Spending(design.interim_spending)
        ),
    )
    label = protocol.endpoint(endpoint).label
    return StoppingVerdict(
        rule_id=f"interim_{endpoint}",
        label=(
            f"Interim monitoring of {label.lower()}: Lan-DeMets {design.interim_spending}-like "
            f"efficacy boundary"
        ),
        observed=(
            f"z = {z:.2f} (hazard ratio {hazard:.2f}) at information {fraction:.2f} "
            f"({int(events)} of {planned} planned events)"
        ),
        threshold=f"|z| >= {result.boundary:.2f} (nominal P {result.nominal_p:.4f})",
        met=result.crossed,
    )
