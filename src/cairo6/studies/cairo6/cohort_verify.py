"""The bookkeeping behind the checks of the SYNTHETIC reference cohort.

A `Checker` collects every comparison with a published number; a `View` groups the rows per
participant and derives each one's modified-ITT group from the treatment started, as the trial's
analysis does, so that a wrong row cannot hide behind a right label.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cairo6.studies.cairo6.cohort_solve import BuildError
from cairo6.studies.cairo6.cohort_stats import half_up, median, sd

Row = dict[str, Any]
Tables = dict[str, list[Row]]
EXP, CTL = "experimental", "control"


def p_text(p: float) -> str:
    """A P value as JAMA prints it: ".74", ".004", "< .001"."""
    if p < 0.001:
        return "< .001"
    if half_up(p, 3) < half_up(0.01, 3):
        return str(half_up(p, 3)).lstrip("0")
    return str(half_up(p, 2)).lstrip("0")


def whole(x: float) -> int:
    """x rounded half up to a whole number."""
    return int(half_up(x, 0))


@dataclass
class Checker:
    """Collects every comparison; `raise_if_failed` reports all misses at once."""

    failures: list[str] = field(default_factory=list)
    passed: int = 0

    def eq(self, name: str, got: object, want: object) -> None:
        """One target: `got` must equal `want`."""
        if got == want:
            self.passed += 1
        else:
            self.failures.append(f"{name}: got {got!r}, published {want!r}")

    def raise_if_failed(self) -> None:
        """Refuse the cohort when any target was missed."""
        if self.failures:
            lines = "\n  - ".join(self.failures)
            raise BuildError(
                f"{len(self.failures)} published number(s) not reproduced:\n  - {lines}"
            )


@dataclass(frozen=True)
class View:
    """The rows grouped per participant, with the modified-ITT group of each."""

    tables: Tables
    arm: dict[str, str]
    group: dict[str, str | None]

    def rows(self, form: str, sn: str) -> list[Row]:
        """A participant's rows of one form."""
        return [r for r in self.tables[form] if r["study_number"] == sn]

    def one(self, form: str, sn: str) -> Row | None:
        """A participant's only row of a form, if any."""
        found = self.rows(form, sn)
        return found[0] if found else None

    def members(self, group: str | None = None) -> list[str]:
        """Study numbers of a modified-ITT group (both groups when None)."""
        return [
            sn for sn, g in self.group.items() if g is not None and (group is None or g == group)
        ]


def view(tables: Tables) -> View:
    """Derive each participant's group from the treatment started (as the analysis does)."""
    arm = {r["study_number"]: r["arm"] for r in tables["randomisation"]}
    neo = {r["study_number"] for r in tables["cycle"] if r["phase"] == "neoadjuvant"}
    operated = {r["study_number"] for r in tables["surgery"]}
    group: dict[str, str | None] = {}
    for sn in arm:
        group[sn] = EXP if sn in neo else (CTL if sn in operated else None)
    return View(tables, arm, group)


def count(v: View, group: str, test: Callable[[str], bool]) -> int:
    return sum(1 for sn in v.members(group) if test(sn))


def both(
    check: Checker, v: View, name: str, test: Callable[[str], bool], want: tuple[int, int]
) -> None:
    check.eq(f"{name} (experimental, control)", (count(v, EXP, test), count(v, CTL, test)), want)


def field_of(v: View, form: str, name: str) -> Callable[[str], Any]:
    def get(sn: str) -> Any:
        row = v.one(form, sn)
        return None if row is None else row[name]

    return get


def values_of(v: View, group: str | None, get: Callable[[str], Any]) -> list[float]:
    return [float(x) for sn in v.members(group) if (x := get(sn)) is not None]


def mean_sd(xs: list[float]) -> tuple[int, int]:
    return whole(sum(xs) / len(xs)), whole(sd(xs))


def median_range(values: Iterable[float]) -> tuple[int, int, int]:
    xs = list(values)
    return whole(median(xs)), whole(min(xs)), whole(max(xs))
