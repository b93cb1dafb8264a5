"""Recruitment: centres opening on given days, each recruiting as a Poisson process.

Together the centres form one Poisson process whose rate steps up as centres open; entry times
are drawn by inverting its cumulative intensity, and each patient's centre is drawn among the
centres open at that time in proportion to their rates. Times are in years from the day the
first centre could recruit (day 0); a month is 1/12 year and a year 365.25 days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cairo6.design import _checks as check
from cairo6.errors import InvalidValueError

FloatArray = NDArray[np.float64]
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Centre:
    """A recruiting centre: the day it opens and its patients per month."""

    start_day: float
    rate_per_month: float

    def __post_init__(self) -> None:
        check.non_negative("centre start_day", self.start_day)
        check.non_negative("centre rate_per_month", self.rate_per_month)

    @classmethod
    def parse(cls, text: str) -> Centre:
        """A centre from `START_DAY:RATE_PER_MONTH`, e.g. `0:0.5`."""
        try:
            start, rate = (float(part) for part in text.split(":"))
        except ValueError as exc:
            raise InvalidValueError(
                "--centre", text, "START_DAY:RATE_PER_MONTH, e.g. 0:0.5", "give each centre so"
            ) from exc
        return cls(start, rate)


DEFAULT_CENTRES: tuple[Centre, ...] = (
    *(Centre(0.0, 0.5) for _ in range(6)),
    Centre(90.0, 0.5),
    Centre(180.0, 0.5),
    Centre(270.0, 0.5),
)
"""ASSUMED recruitment for phase 3 (no source gives centre-level rates): the protocol's nine
centres, each 0.5 patients a month (phase 2 enrolled 80 patients from nine centres in about a
year and a half, roughly 0.5 per centre-month); six recruit from day 0 and three open 3, 6 and 9
months later. With these, 358 patients take about 6.8 years to enrol."""

ASSUMED_CENTRES_NOTE = (
    "ASSUMED: 9 centres at 0.5 patients/month each (about the phase 2 pace); 6 open on day 0, "
    "3 on days 90, 180, 270"
)


@dataclass(frozen=True)
class Schedule:
    """The combined recruitment rate as a step function of time (years)."""

    starts: tuple[float, ...]
    """Times (years) at which the combined rate changes, first 0."""
    rates: tuple[float, ...]
    """Patients per year from each start on."""
    cumulative: tuple[float, ...]
    """Expected patients enrolled by each start."""


def schedule(centres: Sequence[Centre]) -> Schedule:
    """The combined rate of `centres`; refuses a set that never recruits."""
    if not centres or sum(c.rate_per_month for c in centres) <= 0:
        raise InvalidValueError(
            "centres",
            [(c.start_day, c.rate_per_month) for c in centres],
            "at least one centre with a rate above 0",
            "give centres as START_DAY:RATE_PER_MONTH",
        )
    starts = sorted({0.0, *(c.start_day / DAYS_PER_YEAR for c in centres)})
    rates = [
        12.0 * sum(c.rate_per_month for c in centres if c.start_day / DAYS_PER_YEAR <= s)
        for s in starts
    ]
    cumulative = [0.0]
    for k in range(1, len(starts)):
        cumulative.append(cumulative[-1] + rates[k - 1] * (starts[k] - starts[k - 1]))
    return Schedule(tuple(starts), tuple(rates), tuple(cumulative))


def time_of_intensity(plan: Schedule, intensity: FloatArray) -> FloatArray:
    """The time at which the expected number enrolled reaches `intensity` (any shape)."""
    starts = np.asarray(plan.starts)
    rates = np.asarray(plan.rates)
    cumulative = np.asarray(plan.cumulative)
    # side="right" skips steps of rate 0 (nobody recruiting yet): they add no intensity.
    step = np.searchsorted(cumulative, intensity, side="right") - 1
    rate = rates[step]
    safe = np.where(rate > 0, rate, 1.0)
    times: FloatArray = starts[step] + (intensity - cumulative[step]) / safe
    return times


def draw_entries(
    plan: Schedule, rng: np.random.Generator, trials: int, patients: int
) -> FloatArray:
    """Entry times (years), sorted, shape (trials, patients)."""
    gaps = rng.standard_exponential((trials, patients))
    return time_of_intensity(plan, np.cumsum(gaps, axis=1))


def draw_centres(
    centres: Sequence[Centre], entries: FloatArray, rng: np.random.Generator
) -> NDArray[np.int16]:
    """Each patient's centre index, among the centres open at entry, in proportion to rates."""
    opens = [c.start_day / DAYS_PER_YEAR for c in centres]
    total = np.zeros(entries.shape)
    for start, centre in zip(opens, centres, strict=True):
        total += np.where(entries >= start, centre.rate_per_month, 0.0)
    target = rng.random(entries.shape) * total
    chosen = np.zeros(entries.shape, dtype=np.int16)
    running = np.zeros(entries.shape)
    # The chosen centre is the first whose running rate exceeds the target; closed centres
    # add nothing to the running rate, so they are passed over.
    for start, centre in zip(opens[:-1], centres[:-1], strict=True):
        running += np.where(entries >= start, centre.rate_per_month, 0.0)
        chosen += running <= target
    return chosen


def expected_entries(plan: Schedule, patients: int) -> FloatArray:
    """Approximate mean entry time of each patient: when the expected count reaches i - 1/2."""
    return time_of_intensity(plan, np.arange(patients, dtype=np.float64) + 0.5)


def expected_accrual_years(centres: Sequence[Centre], patients: int) -> float:
    """Expected years until `patients` have entered."""
    return float(expected_entries(schedule(centres), check.whole("patients", patients))[-1])
