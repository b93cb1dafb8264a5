"""How often each factor level occurs among simulated patients.

ASSUMPTION: the protocol holds no prevalence data, so unless a data file says otherwise every
level of a factor is equally likely, factors are independent, and patients come from every centre
equally often (the default of R carat's `evalRand.sim`, pr = 0.5 for each level of two-level
covariates). A file with columns factor, level, prevalence (CSV, or TOML `[[prevalence]]` tables
with those keys) overrides the factors it lists; each listed factor must list all its levels, and
its prevalences must sum to 1.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cairo6.errors import RandomizationError
from cairo6.randomization.design import CENTRE, FactorSpec

ASSUMED = "ASSUMED equal per level (no prevalence data)"


@dataclass(frozen=True)
class Prevalence:
    """Level probabilities per factor (levels in protocol order) and where each came from."""

    probabilities: Mapping[str, tuple[float, ...]]
    source: Mapping[str, str]

    def describe(self) -> str:
        """One line per source, e.g. `pci, onset: ASSUMED equal per level (no prevalence data)`."""
        by_source: dict[str, list[str]] = {}
        for factor, origin in self.source.items():
            by_source.setdefault(origin, []).append(factor)
        return "; ".join(f"{', '.join(names)}: {origin}" for origin, names in by_source.items())


Entries = dict[tuple[str, str], float]


def parse_prevalence(text: str, fmt: str) -> Entries:
    """(factor, level) -> prevalence from CSV (`fmt="csv"`) or TOML (`fmt="toml"`) text."""
    rows: list[Mapping[str, object]]
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = {"factor", "level", "prevalence"} - set(reader.fieldnames or [])
        if missing:
            raise _file_error("columns", reader.fieldnames, "factor, level, prevalence")
        rows = list(reader)
    elif fmt == "toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _file_error("TOML", str(exc), "valid TOML with [[prevalence]] tables") from exc
        found = data.get("prevalence")
        if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
            raise _file_error("prevalence", found, "[[prevalence]] tables")
        rows = found
    else:
        raise _file_error("format", fmt, "csv or toml")
    entries: Entries = {}
    for number, row in enumerate(rows, start=1):
        factor, level, value = row.get("factor"), row.get("level"), row.get("prevalence")
        try:
            share = float(str(value))
        except ValueError:
            share = math.nan
        if not isinstance(factor, str) or level is None or not 0 <= share <= 1:
            raise _file_error(
                f"row {number}", dict(row), "factor, level and a prevalence in [0, 1]"
            )
        key = (factor.strip(), str(level).strip())
        if key in entries:
            raise _file_error(f"row {number}", dict(row), "each factor and level once")
        entries[key] = share
    return entries


def _file_error(where: str, value: object, allowed: str) -> RandomizationError:
    return RandomizationError(
        f"prevalence file ({where})",
        value,
        allowed,
        "fix the prevalence file: one row per factor level with columns factor, level, prevalence",
    )


def centre_levels(n_centres: int) -> tuple[str, ...]:
    """The simulated centres' ids."""
    return tuple(f"centre-{c + 1}" for c in range(n_centres))


def resolve_prevalence(
    factors: Sequence[FactorSpec],
    n_centres: int,
    entries: Entries | None = None,
    source_name: str = "file",
) -> Prevalence:
    """Probabilities for every factor (and centre when `n_centres > 0`): from `entries` for the
    factors they list, else the ASSUMED equal prevalence."""
    entries = entries or {}
    known = {f.id: f.levels for f in factors}
    if n_centres > 0:
        known[CENTRE] = centre_levels(n_centres)
    unknown = sorted({factor for factor, _ in entries} - set(known))
    if unknown:
        raise _file_error("factor", unknown, "the protocol's factor ids: " + ", ".join(known))
    probabilities: dict[str, tuple[float, ...]] = {}
    source: dict[str, str] = {}
    for factor, levels in known.items():
        listed = {level: p for (f, level), p in entries.items() if f == factor}
        if not listed:
            probabilities[factor] = tuple(1 / len(levels) for _ in levels)
            source[factor] = ASSUMED
            continue
        if set(listed) != set(levels):
            raise _file_error(
                f"factor {factor}", sorted(listed), "exactly the levels " + ", ".join(levels)
            )
        shares = tuple(listed[level] for level in levels)
        if not math.isclose(sum(shares), 1.0, abs_tol=1e-6):
            raise _file_error(f"factor {factor}", sum(shares), "prevalences summing to 1")
        probabilities[factor] = shares
        source[factor] = f"from {source_name}"
    return Prevalence(probabilities, source)
