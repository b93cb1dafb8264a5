"""Published vs reproduced: every number printed in the paper against the analysis output.

Each published number is joined with the ARD record of the same key and the computed value is
rounded the way the paper prints it (JAMA rules of `cairo6.analysis.rounding`): counts as
whole numbers, percentages to integers half up, P values to 2 decimals (3 below .01, "< .001"),
risk ratios and every other statistic to the decimals printed (integers for this paper's
means, SDs, medians and ranges). Dates (which the ARD holds as days since 1970-01-01 with the
ISO date in the note) are compared to the precision printed ("2018-03" is a month).

Status: `match`, `differs`, `missing` (no computed value), or `inconsistent_in_paper` for a
difference at an entry the paper contradicts itself on. A percentage inherits the
contradiction of its count or denominator (the paper's "5 (14)" is 5 of 37, so when the count
is not reproduced neither is the percentage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from cairo6.analysis.ard import Ard, ArdRecord
from cairo6.analysis.rounding import jama_number, jama_p, jama_pct
from cairo6.reference.published import Key, PublishedNumber, resolve_reference

__all__ = ["Comparison", "Status", "compare", "summary"]

Status = Literal["match", "differs", "missing", "inconsistent_in_paper"]
_DATE_NOTE = "date="
_EPOCH = dt.date(1970, 1, 1)
_DATE_STATS = ("min", "max")


@dataclass(frozen=True)
class Comparison:
    """One published number next to its reproduction."""

    key: Key
    place: str
    printed: str
    computed: str | None
    status: Status
    inconsistent: str | None = None
    """Why the paper contradicts itself here (own or inherited), if it does."""


def _decimals(value: float | int) -> int:
    if isinstance(value, int):
        return 0
    text = repr(float(value))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def _printed(number: PublishedNumber) -> str:
    if number.stat_name == "date":
        return number.text or ""
    value = number.value
    if value is None:
        return ""
    if number.stat_name == "p_value":
        text = jama_p(value)
        return f"{number.relation} {text}" if number.relation else text
    if number.stat_name == "pct" and not _decimals(value):
        return jama_pct(value)
    return jama_number(Decimal(repr(value)), _decimals(value))


def _date_record(ard: Ard, key: Key) -> ArdRecord | None:
    table, variable, level, group, _ = key
    for stat in _DATE_STATS:
        record = ard.find(table, variable, level, group, stat)
        if record is not None and record.note.startswith(_DATE_NOTE):
            return record
    return None


def _computed(number: PublishedNumber, ard: Ard) -> str | None:
    if number.stat_name == "date":
        record = _date_record(ard, number.key)
        if record is None or not isinstance(record.stat, int | float):
            return None
        day = _EPOCH + dt.timedelta(days=int(record.stat))
        return day.isoformat()[: len(number.text or "")]
    record = ard.find(*number.key)
    if record is None or record.stat is None or isinstance(record.stat, str):
        return None
    stat = record.stat
    if number.stat_name == "p_value":
        return jama_p(stat)
    if number.stat_name == "pct" and not (number.value is not None and _decimals(number.value)):
        # A paper that prints percentages with decimals is compared at its own precision.
        return jama_pct(stat)
    if number.stat_name in ("n", "N"):
        return str(int(stat)) if float(stat).is_integer() else repr(stat)
    digits = _decimals(number.value) if number.value is not None else 0
    return jama_number(stat, digits)


def _inherited(number: PublishedNumber, index: Mapping[Key, PublishedNumber]) -> str | None:
    """The contradiction a percentage inherits from its count or denominator."""
    if number.inconsistent or number.stat_name != "pct":
        return number.inconsistent
    table, variable, level, group, _ = number.key
    sources: list[Key] = []
    if number.numerator:
        sources.append(resolve_reference(number.numerator, group, "n"))
    else:
        sources.append((table, variable, level, group, "n"))
    if number.denominator:
        sources += [resolve_reference(number.denominator, group, s) for s in ("n", "N")]
    for key in sources:
        source = index.get(key)
        if source is not None and source.inconsistent:
            return f"percentage of an inconsistent count ({'/'.join(key)}): {source.inconsistent}"
    return None


def compare(ard: Ard, published: Sequence[PublishedNumber]) -> list[Comparison]:
    """Every published number with the reproduced value rounded as printed, in paper order."""
    index = {number.key: number for number in published}
    out = []
    for number in published:
        printed = _printed(number)
        computed = _computed(number, ard)
        inconsistent = _inherited(number, index)
        status: Status
        if computed is None:
            status = "missing"
        elif computed == printed:
            status = "match"
        elif inconsistent:
            status = "inconsistent_in_paper"
        else:
            status = "differs"
        out.append(Comparison(number.key, number.place, printed, computed, status, inconsistent))
    return out


def summary(comparisons: Iterable[Comparison]) -> str:
    """'N of M published numbers reproduced' with the other statuses counted."""
    items = list(comparisons)
    counts = {s: sum(c.status == s for c in items) for s in ("differs", "missing")}
    contradicted = sum(c.status == "inconsistent_in_paper" for c in items)
    matched = sum(c.status == "match" for c in items)
    text = f"{matched} of {len(items)} published numbers reproduced"
    details = [f"{n} {s}" for s, n in counts.items() if n]
    if contradicted:
        details.append(f"{contradicted} differ where the paper contradicts itself")
    return text + (f" ({'; '.join(details)})" if details else "")
