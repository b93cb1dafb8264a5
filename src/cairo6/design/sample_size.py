"""Sample size: two proportions, time to event, dropout inflation, and the CAIRO6 phase 3 steps.

Conventions: `ratio` is n_experimental / n_control; `sided` 2 means alpha is split over both
tails (z_{1-alpha/2}); `power` is 1 - beta. Raw (unrounded) numbers are kept next to the rounded
ones so a reader can follow each step of a protocol's calculation.

Formulas
* Two proportions, normal approximation (Fleiss, Levin & Paik 2003, eq. 4.14; the formula of
  R's `power.prop.test` for r = 1, of rpact's `getSampleSizeRates` and of Stata's `sampsi`):
  n_c = [z_a sqrt((r+1) pbar qbar) + z_b sqrt(r p_c q_c + p_e q_e)]^2 / (r delta^2),
  pbar = (p_c + r p_e) / (1 + r).
* With continuity correction (Fleiss, Tytun & Ury, Biometrics 1980;36:343-346, eq. 3-4; Stata
  `sampsi`, Hmisc `ftuss`): n_c' = n_c / 4 * (1 + sqrt(1 + 2 (r+1) / (n_c r delta)))^2.
* Arcsine (Cohen's h, R `pwr::pwr.2p.test`): power = P(|Z| > z_a) with mean h sqrt(n_c r/(1+r)).
* Events for a hazard ratio: Schoenfeld (Biometrika 1981;68:316-319; Biometrics 1983;39:499-503)
  D = (z_a + z_b)^2 / (p (1-p) ln(HR)^2), p the experimental share; Freedman (Stat Med 1982;
  1:121-129) D = (z_a + z_b)^2 (1 + r HR)^2 / (r (1 - HR)^2).
* Patients from events (exponential survival, uniform accrual over a, analysis at a + f, the
  model of rpact's `getSampleSizeSurvival`): N = D / P(event), with, per arm,
  P = l/(l+e) * [1 - (exp(-(l+e) f) - exp(-(l+e)(a+f))) / ((l+e) a)], e the dropout hazard.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Literal

from scipy.optimize import brentq  # type: ignore[import-untyped]
from scipy.stats import norm  # type: ignore[import-untyped]

from cairo6.design import _checks as check
from cairo6.errors import InvalidValueError
from cairo6.protocol.models import Protocol, SampleSize

ROUNDING_NOTE = (
    "rounded up, never down (rounding down would lose power), to the next multiple of the "
    "allocation-ratio sum (2 for 1:1), so that the arms can be exactly the planned ratio"
)


def z_alpha(alpha: float, sided: int) -> float:
    """The critical value z_{1 - alpha/sided}."""
    return float(norm.isf(check.open_unit("alpha", alpha) / check.sided("sided", sided)))


def z_power(power: float) -> float:
    """z_{power}, the normal quantile of 1 - beta."""
    return float(norm.ppf(check.open_unit("power", power)))


def _ratio(value: float) -> float:
    return check.positive("ratio", value)


def _rates(control_rate: float, experimental_rate: float) -> tuple[float, float]:
    p_c = check.open_unit("control_rate", control_rate)
    p_e = check.open_unit("experimental_rate", experimental_rate)
    if p_c == p_e:
        raise InvalidValueError(
            "experimental_rate",
            experimental_rate,
            f"a rate different from control_rate ({control_rate}): equal rates need no trial",
            "give the rate the experimental arm is expected to reach",
        )
    return p_c, p_e


@dataclass(frozen=True)
class ProportionsSize:
    """Patients per arm for comparing two proportions, before and after rounding up."""

    method: Literal["normal", "normal_cc", "arcsine"]
    control: float
    experimental: float

    @property
    def per_arm(self) -> tuple[int, int]:
        """(control, experimental), each rounded up to a whole patient."""
        return math.ceil(self.control - 1e-9), math.ceil(self.experimental - 1e-9)

    @property
    def total(self) -> int:
        """Both arms after rounding each up."""
        return sum(self.per_arm)


def two_proportions(
    control_rate: float,
    experimental_rate: float,
    *,
    alpha: float = 0.05,
    power: float = 0.80,
    sided: int = 2,
    ratio: float = 1.0,
    continuity_correction: bool = False,
) -> ProportionsSize:
    """Normal-approximation sample size for two proportions (optionally continuity-corrected)."""
    p_c, p_e = _rates(control_rate, experimental_rate)
    r = _ratio(ratio)
    za, zb = z_alpha(alpha, sided), z_power(power)
    delta = abs(p_e - p_c)
    pbar = (p_c + r * p_e) / (1 + r)
    spread = math.sqrt((r + 1) * pbar * (1 - pbar))
    separate = math.sqrt(r * p_c * (1 - p_c) + p_e * (1 - p_e))
    n_c = (za * spread + zb * separate) ** 2 / (r * delta**2)
    if continuity_correction:
        n_c = n_c / 4 * (1 + math.sqrt(1 + 2 * (r + 1) / (n_c * r * delta))) ** 2
    return ProportionsSize("normal_cc" if continuity_correction else "normal", n_c, r * n_c)


def cohens_h(control_rate: float, experimental_rate: float) -> float:
    """Cohen's effect size h = 2 asin(sqrt(p_e)) - 2 asin(sqrt(p_c)) (R `pwr::ES.h`)."""
    p_c, p_e = _rates(control_rate, experimental_rate)
    return 2 * math.asin(math.sqrt(p_e)) - 2 * math.asin(math.sqrt(p_c))


def two_proportions_arcsine(
    control_rate: float,
    experimental_rate: float,
    *,
    alpha: float = 0.05,
    power: float = 0.80,
    sided: int = 2,
    ratio: float = 1.0,
) -> ProportionsSize:
    """Sample size by the arcsine transformation, solved on the power function as `pwr` does
    (two-sided power counts both tails)."""
    h = abs(cohens_h(control_rate, experimental_rate))
    r = _ratio(ratio)
    za = z_alpha(alpha, sided)
    target = check.open_unit("power", power)

    def shortfall(n_c: float) -> float:
        shift = h * math.sqrt(n_c * r / (1 + r))
        reached = float(norm.sf(za - shift))
        if sided == 2:
            reached += float(norm.cdf(-za - shift))
        return reached - target

    n_c = float(brentq(shortfall, 1e-9, 1e9, xtol=1e-10, rtol=1e-14))
    return ProportionsSize("arcsine", n_c, r * n_c)


def hazard_from_rate(rate: float, horizon_years: float) -> float:
    """The constant hazard with survival `rate` at `horizon_years`: -ln(rate) / horizon."""
    return -math.log(check.open_unit("rate", rate)) / check.positive("horizon_years", horizon_years)


def hazard_ratio_from_rates(control_rate: float, experimental_rate: float) -> float:
    """The hazard ratio (experimental / control) that turns one survival rate at a fixed time
    into the other under proportional hazards: ln(S_e) / ln(S_c)."""
    p_c, p_e = _rates(control_rate, experimental_rate)
    return math.log(p_e) / math.log(p_c)


def schoenfeld_events(
    hazard_ratio: float,
    *,
    alpha: float = 0.05,
    power: float = 0.80,
    sided: int = 2,
    ratio: float = 1.0,
) -> float:
    """Events needed for a log-rank test to detect `hazard_ratio` (Schoenfeld)."""
    hr = check.hazard_ratio("hazard_ratio", hazard_ratio)
    share = _ratio(ratio) / (1 + ratio)
    z = z_alpha(alpha, sided) + z_power(power)
    return z**2 / (share * (1 - share) * math.log(hr) ** 2)


def freedman_events(
    hazard_ratio: float,
    *,
    alpha: float = 0.05,
    power: float = 0.80,
    sided: int = 2,
    ratio: float = 1.0,
) -> float:
    """Events needed for a log-rank test to detect `hazard_ratio` (Freedman)."""
    hr = check.hazard_ratio("hazard_ratio", hazard_ratio)
    r = _ratio(ratio)
    z = z_alpha(alpha, sided) + z_power(power)
    return z**2 * (1 + r * hr) ** 2 / (r * (1 - hr) ** 2)


def schoenfeld_power(
    events: float, hazard_ratio: float, *, alpha: float = 0.05, sided: int = 2, ratio: float = 1.0
) -> float:
    """Power of a log-rank test with `events` events (Schoenfeld's approximation)."""
    d = check.positive("events", events)
    hr = check.hazard_ratio("hazard_ratio", hazard_ratio, allow_one=True)
    share = _ratio(ratio) / (1 + ratio)
    shift = math.sqrt(d * share * (1 - share)) * abs(math.log(hr))
    za = z_alpha(alpha, sided)
    reached = float(norm.sf(za - shift))
    return reached + (float(norm.cdf(-za - shift)) if sided == 2 else 0.0)


def freedman_power(
    events: float, hazard_ratio: float, *, alpha: float = 0.05, sided: int = 2, ratio: float = 1.0
) -> float:
    """Power of a log-rank test with `events` events (Freedman's approximation)."""
    d = check.positive("events", events)
    hr = check.hazard_ratio("hazard_ratio", hazard_ratio, allow_one=True)
    r = _ratio(ratio)
    shift = math.sqrt(d * r) * abs(1 - hr) / (1 + r * hr)
    za = z_alpha(alpha, sided)
    reached = float(norm.sf(za - shift))
    return reached + (float(norm.cdf(-za - shift)) if sided == 2 else 0.0)


def event_probability(
    hazard: float, *, accrual_years: float, follow_up_years: float, dropout_hazard: float = 0.0
) -> float:
    """P(an event is observed) for exponential survival, uniform accrual over `accrual_years`
    and the analysis `follow_up_years` after the last entry (competing exponential dropout)."""
    lam = check.positive("hazard", hazard)
    a = check.non_negative("accrual_years", accrual_years)
    f = check.non_negative("follow_up_years", follow_up_years)
    eta = check.non_negative("dropout_hazard", dropout_hazard)
    total = lam + eta
    if a == 0.0:
        unobserved = math.exp(-total * f)
    else:
        unobserved = (math.exp(-total * f) - math.exp(-total * (a + f))) / (total * a)
    return lam / total * (1.0 - unobserved)


def round_up_to_multiple(value: float, multiple: int) -> int:
    """`value` rounded up to a multiple of `multiple` (tolerant of floating-point dust)."""
    return math.ceil(value / multiple - 1e-9) * multiple


def ratio_multiple(ratios: Sequence[int]) -> int:
    """The allocation-ratio sum after removing a common factor (2 for 1:1, 3 for 2:1)."""
    if not ratios or any(isinstance(r, bool) or not isinstance(r, int) or r < 1 for r in ratios):
        raise InvalidValueError("ratios", list(ratios), "whole numbers of at least 1 per arm")
    common = reduce(math.gcd, ratios)
    return sum(r // common for r in ratios)


@dataclass(frozen=True)
class SurvivalSize:
    """Events and patients for a log-rank comparison."""

    method: Literal["schoenfeld", "freedman"]
    hazard_ratio: float
    events: float
    event_probability: float
    patients: float
    multiple: int

    @property
    def events_rounded(self) -> int:
        """Events, rounded up to a whole event."""
        return math.ceil(self.events - 1e-9)

    @property
    def patients_rounded(self) -> int:
        """Patients, rounded up to a multiple of the ratio sum."""
        return round_up_to_multiple(self.patients, self.multiple)


def survival_sample_size(
    *,
    control_rate: float,
    hazard_ratio: float,
    horizon_years: float,
    accrual_years: float,
    follow_up_years: float,
    alpha: float = 0.05,
    power: float = 0.80,
    sided: int = 2,
    ratios: tuple[int, int] = (1, 1),
    dropout_hazard: float = 0.0,
    method: Literal["schoenfeld", "freedman"] = "schoenfeld",
) -> SurvivalSize:
    """Events (Schoenfeld or Freedman) and patients (exponential survival with the control
    rate `control_rate` at `horizon_years`, uniform accrual); `ratios` is (control, experimental).
    """
    if method not in ("schoenfeld", "freedman"):
        raise InvalidValueError("method", method, "schoenfeld or freedman")
    multiple = ratio_multiple(ratios)
    r = ratios[1] / ratios[0]
    compute = schoenfeld_events if method == "schoenfeld" else freedman_events
    events = compute(hazard_ratio, alpha=alpha, power=power, sided=sided, ratio=r)
    lam_c = hazard_from_rate(control_rate, horizon_years)
    shares = (1 / (1 + r), r / (1 + r))
    probability = sum(
        share
        * event_probability(
            lam,
            accrual_years=accrual_years,
            follow_up_years=follow_up_years,
            dropout_hazard=dropout_hazard,
        )
        for share, lam in zip(shares, (lam_c, lam_c * hazard_ratio), strict=True)
    )
    return SurvivalSize(method, hazard_ratio, events, probability, events / probability, multiple)


@dataclass(frozen=True)
class DropoutInflation:
    """n / (1 - dropout), rounded up to a multiple of the allocation-ratio sum."""

    before: int
    dropout: float
    inflated: float
    multiple: int

    @property
    def final(self) -> int:
        """The inflated total, rounded up (see `ROUNDING_NOTE`)."""
        return round_up_to_multiple(self.inflated, self.multiple)


def inflate_for_dropout(
    total: int, dropout: float, ratios: Sequence[int] = (1, 1)
) -> DropoutInflation:
    """Inflate `total` patients for a `dropout` share lost to follow-up."""
    before = check.whole("total", total)
    share = check.unit_from_zero("dropout", dropout)
    return DropoutInflation(before, share, before / (1 - share), ratio_multiple(ratios))


@dataclass(frozen=True)
class ProtocolSampleSize:
    """A protocol's sample-size steps, reproduced: per arm, total, dropout, final N."""

    inputs: SampleSize
    ratios: tuple[int, int]
    proportions: ProportionsSize
    dropout: DropoutInflation
    hazard_ratio: float
    schoenfeld_events: float
    freedman_events: float

    @property
    def per_arm(self) -> tuple[int, int]:
        """(control, experimental) patients before dropout."""
        return self.proportions.per_arm

    @property
    def total(self) -> int:
        """Patients before dropout."""
        return self.proportions.total

    @property
    def final_total(self) -> int:
        """Patients to enrol."""
        return self.dropout.final

    @property
    def matches_target(self) -> bool:
        """Whether the reproduction gives the protocol's planned total."""
        return self.final_total == self.inputs.target_total


def two_arm_ratios(protocol: Protocol) -> tuple[int, int]:
    """(control, experimental) allocation ratios of a two-arm protocol."""
    controls = [a for a in protocol.arms if a.is_control]
    others = [a for a in protocol.arms if not a.is_control]
    if len(protocol.arms) != 2 or len(controls) != 1:
        raise InvalidValueError(
            "arms",
            [a.id for a in protocol.arms],
            "exactly two arms, one marked is_control",
            "the phase 3 design functions compare one experimental arm with one control arm",
        )
    return controls[0].ratio, others[0].ratio


def protocol_sample_size(
    sample_size: SampleSize, ratios: tuple[int, int] = (1, 1)
) -> ProtocolSampleSize:
    """Reproduce the protocol's steps: two-proportion n per arm, total, / (1 - dropout), final N;
    and the hazard-ratio equivalent of the two rates with Schoenfeld and Freedman events."""
    ss = sample_size
    ratio_multiple(ratios)  # refuses ratios that are not whole numbers >= 1
    r = ratios[1] / ratios[0]
    proportions = two_proportions(
        ss.control_rate,
        ss.experimental_rate,
        alpha=ss.alpha,
        power=ss.power,
        sided=ss.sided,
        ratio=r,
        continuity_correction=ss.continuity_correction,
    )
    hr = hazard_ratio_from_rates(ss.control_rate, ss.experimental_rate)
    return ProtocolSampleSize(
        inputs=ss,
        ratios=ratios,
        proportions=proportions,
        dropout=inflate_for_dropout(proportions.total, ss.dropout, ratios),
        hazard_ratio=hr,
        schoenfeld_events=schoenfeld_events(
            hr, alpha=ss.alpha, power=ss.power, sided=ss.sided, ratio=r
        ),
        freedman_events=freedman_events(
            hr, alpha=ss.alpha, power=ss.power, sided=ss.sided, ratio=r
        ),
    )
