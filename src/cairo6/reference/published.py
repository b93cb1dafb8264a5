"""The numbers published in the CAIRO6 phase 2 paper, as Analysis Results Data-like records.

`published.toml` (next to this module) holds one entry per number printed in the paper's Figure,
Tables 1-4 and Results text, keyed by (table, variable, variable_level, group, stat_name) so that
a published-vs-reproduced comparison is a join with the analysis output. The conventions are
documented at the top of the TOML file. These numbers are reference data for tests and for that
comparison only; the analysis must never read them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "GROUPS",
    "STAT_NAMES",
    "TABLES",
    "Key",
    "PublishedNumber",
    "by_key",
    "inconsistencies",
    "load_published",
    "parse_published",
    "resolve_reference",
]

TABLES: tuple[str, ...] = ("figure", "table1", "table2", "table3", "table4", "results")
GROUPS: tuple[str, ...] = ("experimental", "control", "total", "comparison")
STAT_NAMES: tuple[str, ...] = (
    "n", "N", "pct", "mean", "sd", "median", "p25", "p75", "min", "max",
    "rr", "rr_low", "rr_high", "p_value", "ci_low", "ci_high", "date",
)  # fmt: skip
RELATIONS: tuple[str, ...] = ("<", "<=", ">", ">=")

Key = tuple[str, str, str, str, str]

_RESOURCE = "published.toml"
_STRING_FIELDS = ("table", "variable", "variable_level", "group", "stat_name", "place")
_OPTIONAL_STRINGS = ("text", "relation", "inconsistent", "numerator", "denominator")
_KNOWN = {*_STRING_FIELDS, *_OPTIONAL_STRINGS, "value", "also_in"}


@dataclass(frozen=True)
class PublishedNumber:
    """One number as printed in the paper, and where to find it."""

    table: str
    variable: str
    variable_level: str
    group: str
    stat_name: str
    value: float | int | None
    text: str | None
    place: str
    relation: str | None = None
    inconsistent: str | None = None
    also_in: tuple[str, ...] = ()
    numerator: str | None = None
    denominator: str | None = None

    @property
    def key(self) -> Key:
        """The ARD key (table, variable, variable_level, group, stat_name)."""
        return (self.table, self.variable, self.variable_level, self.group, self.stat_name)


def _parse(raw: dict[str, Any], position: int) -> PublishedNumber:
    where = f"published.toml entry {position}"
    unknown = set(raw) - _KNOWN
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}")
    strings: dict[str, str] = {}
    for name in _STRING_FIELDS:
        item = raw.get(name)
        if not isinstance(item, str):
            raise ValueError(f"{where}: {name!r} must be a string, got {item!r}")
        strings[name] = item
    optional: dict[str, str | None] = {}
    for name in _OPTIONAL_STRINGS:
        item = raw.get(name)
        if item is not None and not (isinstance(item, str) and item):
            raise ValueError(f"{where}: {name!r} must be a non-empty string, got {item!r}")
        optional[name] = item
    value = raw.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ValueError(f"{where}: 'value' must be a number, got {value!r}")
    also_in = raw.get("also_in", [])
    if not isinstance(also_in, list) or not all(isinstance(x, str) and x for x in also_in):
        raise ValueError(f"{where}: 'also_in' must be a list of non-empty strings")
    return PublishedNumber(
        table=strings["table"],
        variable=strings["variable"],
        variable_level=strings["variable_level"],
        group=strings["group"],
        stat_name=strings["stat_name"],
        value=value,
        text=optional["text"],
        place=strings["place"],
        relation=optional["relation"],
        inconsistent=optional["inconsistent"],
        also_in=tuple(also_in),
        numerator=optional["numerator"],
        denominator=optional["denominator"],
    )


def parse_published(text: str) -> list[PublishedNumber]:
    """The numbers of any study's published file (TOML text, `[[number]]` tables)."""
    document = tomllib.loads(text)
    entries = document.get("number")
    if not isinstance(entries, list) or not entries:
        raise ValueError("published.toml: expected a non-empty array of [[number]] tables")
    return [_parse(raw, position) for position, raw in enumerate(entries, start=1)]


@cache
def _load() -> tuple[PublishedNumber, ...]:
    source = resources.files("cairo6.studies").joinpath("cairo6", _RESOURCE)
    return tuple(parse_published(source.read_text(encoding="utf-8")))


def load_published() -> list[PublishedNumber]:
    """Every published number, in the order of the file (Figure, Tables 1-4, Results)."""
    return list(_load())


def by_key() -> dict[Key, PublishedNumber]:
    """The published numbers indexed by their ARD key (keys are unique in the file)."""
    return {number.key: number for number in _load()}


def inconsistencies() -> list[PublishedNumber]:
    """The entries where the paper contradicts itself (those with `inconsistent` set)."""
    return [number for number in _load() if number.inconsistent is not None]


def resolve_reference(reference: str, group: str, stat_name: str) -> Key:
    """The key named by a `numerator` / `denominator` reference.

    A reference is "table/variable/variable_level" (the group of the entry that holds it) or
    "table/variable/variable_level/group".
    """
    parts = reference.split("/")
    if len(parts) == 3:
        table, variable, level = parts
    elif len(parts) == 4:
        table, variable, level, group = parts
    else:
        raise ValueError(f"bad reference {reference!r}: expected table/variable/level[/group]")
    return (table, variable, level, group, stat_name)
