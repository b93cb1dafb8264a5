"""The self-check of the computed numbers: every total is the sum of the arms.

The data-quality checks of the records themselves are the study's (its derivations); this one
holds for any table of any study.
"""

from __future__ import annotations

from collections.abc import Sequence

from cairo6.analysis.ard import TOTAL, Ard
from cairo6.analysis.common import WarningLog

__all__ = ["check_ard"]


def check_ard(ard: Ard, arms: Sequence[str], log: WarningLog) -> None:
    """Self-check of the computed numbers: every total is the sum of the arms.

    The paper's Table 2 abscess row (2 + 1 printed as a total of 2) is the kind of slip this
    catches; on computed numbers it would point at participants outside every arm.
    """
    counts: dict[tuple[str, str, str], dict[str, int]] = {}
    for record in ard:
        if record.stat_name == "n" and isinstance(record.stat, int):
            key = (record.table, record.variable, record.variable_level)
            counts.setdefault(key, {})[record.group] = record.stat
    for (table, variable, level), by_group in counts.items():
        if TOTAL in by_group and all(arm in by_group for arm in arms):
            summed = sum(by_group[arm] for arm in arms)
            if summed != by_group[TOTAL]:
                where = f"{variable}/{level}" if level else variable
                log.add(
                    "",
                    table,
                    where,
                    f"total {by_group[TOTAL]} is not the sum of the arms ({summed})",
                )
