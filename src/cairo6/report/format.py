"""Turning ARD records into the strings a reader sees, JAMA style; no statistic is computed here.

Every function takes the records of one ARD key (table, variable, level, group) as a mapping
stat_name -> record and only rounds and joins what is there: a count with its percentage
("33 (89)"), a mean with its SD, a median with its range or IQR, a risk ratio with its CI, an
exact CI of a rate, a P value (".74", "< .001"), a date held in a record's note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from cairo6.analysis.ard import ArdRecord, StatValue
from cairo6.analysis.rounding import (
    jama_ci,
    jama_mean_sd,
    jama_median_iqr,
    jama_median_range,
    jama_number,
    jama_p,
    jama_pct,
)

__all__ = [
    "DATE_NOTE",
    "NOT_AVAILABLE",
    "TEST_NAMES",
    "Stats",
    "format_cell",
    "format_ci",
    "format_count",
    "format_p",
    "format_rr",
    "humanise",
    "record_date",
]

Stats = Mapping[str, ArdRecord]
DATE_NOTE = "date="
NOT_AVAILABLE = "NA"
"""What a cell shows for a statistic the analysis could not estimate (stored as None)."""

TEST_NAMES: Mapping[str, str] = {
    "chi2": "χ² test",
    "fisher": "Fisher exact test",
    "t_test": "t test",
    "t_pooled": "t test (pooled variance)",
    "t_welch": "Welch t test",
    "mann_whitney": "Mann-Whitney U test",
}
TEST_WARNINGS: Mapping[str, str] = {
    "small_expected": "expected count below 5 in at least one cell",
    "small_arms_normal": "normal approximation in a small arm; the exact test is preferable",
}

# Regimen codes and abbreviations read better in capitals; the analysis labels most levels, and
# these only cover the levels it leaves unlabelled (e.g. the Figure's regimens).
_UPPER = {
    "capox", "folfox", "folfiri", "folfoxiri", "hipec", "crs", "ct", "pci", "who", "ctcae",
    "trg", "prgs", "recist", "itt", "mitt", "fu", "lv", "cc", "ggt",
}  # fmt: skip
_WORDS = {"pm": "peritoneal metastases", "mitomycin": "mitomycin", "ge": "≥"}
_GRADE = re.compile(r"^(?P<term>.+?)_grade_(?P<grade>\d+)(?P<rest>(_.*)?)$")
_CYCLES = re.compile(r"^(?P<regimen>.+?)_(?P<cycles>\d+)$")


def _value(stats: Stats, name: str) -> StatValue:
    record = stats.get(name)
    return None if record is None else record.stat


def _number(value: StatValue) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _count(value: StatValue) -> int | None:
    number = _number(value)
    if number is None or not float(number).is_integer():
        return None
    return int(number)


def _words(tokens: list[str]) -> str:
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token == "b" and i and tokens[i - 1] in _UPPER:
            out[-1] += "-B"  # CAPOX-B: the regimen with bevacizumab
        elif token.isdigit() and i and tokens[i - 1].isdigit():
            out[-1] += f"-{token}"  # "grade_1_2" -> "grade 1-2", "0_3" -> "0-3"
        elif token in _UPPER:
            out.append(token.upper())
        else:
            out.append(_WORDS.get(token, token))
    text = " ".join(out)
    return text[:1].upper() + text[1:]


def humanise(name: str, variable: str = "") -> str:
    """A readable fallback label for a snake_case variable or level the analysis left unlabelled.

    "capox_b" -> "CAPOX-B"; "anastomotic_leakage_grade_3" -> "Anastomotic leakage, grade 3";
    a level of a `*_after_cycles` variable "capox_b_2" -> "CAPOX-B, after 2 cycles".
    """
    if not name:
        return ""
    if variable.endswith("_after_cycles"):
        match = _CYCLES.match(name)
        if match:
            cycles = int(match["cycles"])
            plural = "" if cycles == 1 else "s"
            return f"{_words(match['regimen'].split('_'))}, after {cycles} cycle{plural}"
    match = _GRADE.match(name)
    if match:
        text = f"{_words(match['term'].split('_'))}, grade {match['grade']}"
        rest = match["rest"].lstrip("_").replace("_", " ")
        return f"{text} ({rest})" if rest else text
    return _words(name.split("_"))


def record_date(stats: Stats) -> str | None:
    """The ISO date a record carries in its note (the ARD holds dates as day numbers)."""
    for record in stats.values():
        if record.note.startswith(DATE_NOTE):
            return record.note[len(DATE_NOTE) :]
    return None


def format_p(stats: Stats) -> str:
    """The P value of a comparison key, JAMA style, or "" when there is none."""
    if "p_value" not in stats:
        return ""
    p = _number(_value(stats, "p_value"))
    return NOT_AVAILABLE if p is None else jama_p(p)


def format_rr(stats: Stats, digits: int = 2) -> str:
    """A risk ratio with its 95% CI: "1.04 (0.88-1.23)"; "" when there is none."""
    if "rr" not in stats:
        return ""
    rr = _number(_value(stats, "rr"))
    low, high = _number(_value(stats, "rr_low")), _number(_value(stats, "rr_high"))
    if rr is None:
        return NOT_AVAILABLE
    text = jama_number(rr, digits)
    if low is None or high is None:
        return text
    return f"{text} ({jama_ci(low, high, digits)})"


def format_ci(stats: Stats, digits: int = 0) -> str:
    """An exact CI of a percentage: "82-99"; "" when the key has none."""
    low, high = _number(_value(stats, "ci_low")), _number(_value(stats, "ci_high"))
    if "ci_low" not in stats or "ci_high" not in stats:
        return ""
    if low is None or high is None:
        return NOT_AVAILABLE
    return jama_ci(low, high, digits)


def format_count(stats: Stats, with_denominator: bool = True) -> str:
    """n with its percentage, "n/N (pct)" when the key holds its own N; "" without a count."""
    n = _count(_value(stats, "n"))
    pct = _number(_value(stats, "pct"))
    total = _count(_value(stats, "N"))
    if n is None:
        if "pct" in stats:
            return f"({NOT_AVAILABLE if pct is None else jama_pct(pct)})"
        return "" if total is None else str(total)
    count = f"{n}/{total}" if with_denominator and total is not None else str(n)
    if "pct" not in stats:
        return count
    # No percentage of an empty group (N = 0), as `fmt_n_pct` prints it.
    return count if pct is None else f"{count} ({jama_pct(pct)})"


def _summary(stats: Stats, digits: int) -> str:
    def num(name: str) -> float | int | None:
        return _number(_value(stats, name))

    mean, sd, median = num("mean"), num("sd"), num("median")
    if "mean" in stats:
        return NOT_AVAILABLE if mean is None else jama_mean_sd(mean, sd, digits)
    if "median" not in stats:
        return ""
    if median is None:
        return NOT_AVAILABLE
    p25, p75, low, high = num("p25"), num("p75"), num("min"), num("max")
    if p25 is not None and p75 is not None:
        return jama_median_iqr(median, p25, p75, digits)
    if low is not None and high is not None:
        return jama_median_range(median, low, high, digits)
    return jama_number(median, digits)


def format_cell(stats: Stats, digits: int = 0) -> str:
    """Everything one group's key holds, as one table cell (the P value has its own column)."""
    date = record_date(stats)
    if date is not None:
        return date
    summary = _summary(stats, digits)
    # A continuous row's n is its count of non-missing values, not something the cell shows.
    parts = [summary] if summary else [format_count(stats)]
    rr = format_rr(stats)
    if rr:
        parts.append(f"RR {rr}")
    ci = format_ci(stats)
    if ci:
        parts.append(f"[95% CI, {ci}]")
    return " ".join(p for p in parts if p)
