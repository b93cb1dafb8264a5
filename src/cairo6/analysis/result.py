"""What an analysis run hands to the report: the ARD and the few things that are not numbers.

Every number the report prints comes from `ard`; the renderers compute nothing. The other
fields carry what a table of numbers cannot: per-participant intervals for the timing plots,
the stopping-rule verdicts in words, and data-quality warnings naming participant and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from cairo6.analysis.ard import Ard
from cairo6.analysis.survival import SurvivalCurve
from cairo6.protocol.models import AnalysisPlan


@dataclass(frozen=True)
class QualityWarning:
    """A problem in the data found while analysing; the report lists every one."""

    participant: str
    form: str
    field: str
    message: str


@dataclass(frozen=True)
class StoppingVerdict:
    """One pre-specified stopping rule evaluated on the data."""

    rule_id: str
    label: str
    observed: str
    threshold: str
    met: bool
    """True when the stopping criterion is met (the trial should stop)."""


@dataclass(frozen=True)
class TimingPoint:
    """Days from a window's anchor to its event for one participant (for the violin plots)."""

    study_number: str
    group: str
    window_id: str
    window_label: str
    days: int
    within: bool


@dataclass
class AnalysisResult:
    """The complete output of one analysis run."""

    ard: Ard
    warnings: list[QualityWarning] = field(default_factory=list)
    stopping: list[StoppingVerdict] = field(default_factory=list)
    timing: list[TimingPoint] = field(default_factory=list)
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    """Display labels by (table, variable) and (table, variable + '/' + level)."""
    synthetic: bool = False
    """True when the data are labelled synthetic (the reference cohort); the report says so."""
    data_source: Literal["database", "files"] = "database"
    survival: list[SurvivalCurve] = field(default_factory=list)
    """Kaplan-Meier steps and numbers at risk per endpoint and arm (empty without follow-up)."""
    plan: AnalysisPlan | None = None
    """The analysis plan the numbers were computed under (for the report's methods note)."""

    def timing_frame(self) -> pd.DataFrame:
        """The timing points as a DataFrame (one row per participant and window)."""
        return pd.DataFrame([p.__dict__ for p in self.timing])
