"""Selecting an analysis population from the participant frame the study's derivations build.

The frame has one row per randomised participant, a boolean column per population (named by
the population's id) and the columns the populations are grouped by: `arm` (as allocated) or
a column the study derives (e.g. the arm of the treatment actually started). Which population
is grouped by which column is the study's (`Derivations.grouping`); nothing here names one.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cairo6.errors import InvalidValueError

__all__ = ["population"]


def population(
    people: pd.DataFrame, name: str, grouping: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The rows of one population with a `group` column (the allocated arm unless the
    population is grouped by another column)."""
    if name not in people.columns or people[name].dtype != bool:
        known = [c for c in people.columns if people[c].dtype == bool]
        raise InvalidValueError("population", name, ", ".join(known), "name a population")
    out = people[people[name].to_numpy()].copy()
    out["group"] = out[(grouping or {}).get(name, "arm")]
    return out
