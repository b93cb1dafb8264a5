"""From extracted frames to the written report: analyse, compare with the paper, write.

The one place that joins the analysis, the published-number comparison and the writers, so the
CLI and the benchmark run exactly the same path. The protocol supplies the words the analysis
result does not carry: arm names, window limits and which outcomes are primary.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cairo6.analysis.engine import analyse
from cairo6.analysis.result import AnalysisResult
from cairo6.analysis.spec import TablesSpec, parse_spec, spec_for
from cairo6.protocol import Protocol
from cairo6.reference.compare import Comparison, compare, summary
from cairo6.reference.published import PublishedNumber, parse_published
from cairo6.report.document import PrimaryOutcome, Report, ReportInput
from cairo6.report.files import write_report
from cairo6.report.painter import Painter
from cairo6.study.models import EndpointType
from cairo6.study.study import Study

__all__ = ["RunOutcome", "primary_outcomes", "published_for", "report_input", "run_report"]

Progress = Callable[[str], None]


@dataclass
class RunOutcome:
    """What a report run made, and how long each part took (seconds)."""

    result: AnalysisResult
    report: Report
    files: list[Path]
    comparisons: list[Comparison] | None
    seconds: dict[str, float] = field(default_factory=dict)


def primary_outcomes(protocol: Protocol, spec: TablesSpec) -> list[PrimaryOutcome]:
    """The protocol's primary endpoints with the ARD key of their effect estimate."""
    out = []
    for endpoint in protocol.endpoints:
        if endpoint.kind != "primary":
            continue
        for table in spec.tables:
            for row in table.rows:
                if row.endpoint == endpoint.id:
                    out.append(
                        PrimaryOutcome(
                            endpoint.label,
                            row.effect_table or table.id,
                            row.variable,
                            row.event_level or "",
                        )
                    )
    return out


def report_input(
    protocol: Protocol,
    spec: TablesSpec,
    result: AnalysisResult,
    comparisons: list[Comparison] | None,
    source: str = "",
    generated: str = "",
    study: Study | None = None,
    data_status: str = "",
) -> ReportInput:
    """The analysis result with the protocol's arm names, window limits and primary outcomes."""
    return ReportInput(
        result=result,
        title=spec.name or f"{protocol.trial.acronym} report",
        subtitle=protocol.trial.title,
        arm_labels={arm.id: arm.label for arm in protocol.arms},
        window_limits={w.id: (w.min_days, w.max_days) for w in protocol.windows},
        primary=primary_outcomes(protocol, spec),
        comparisons=comparisons,
        comparison_summary=summary(comparisons) if comparisons is not None else "",
        source=source,
        generated=generated or dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        flow_layout=spec.flow_diagram,
        survival_note=survival_note(study) if study is not None else "",
        data_status=data_status,
    )


def survival_note(study: Study) -> str:
    """Where each time-to-event endpoint's clock starts and whom it counts, from the study's
    definition: "Overall survival from randomisation (Intention-to-treat, as allocated)"."""
    parts = []
    for endpoint in study.endpoints:
        if endpoint.type is not EndpointType.TIME_TO_EVENT or endpoint.start is None:
            continue
        if endpoint.start.startswith("@"):
            start = "randomisation" if endpoint.start == "@randomised_on" else endpoint.start[1:]
        else:
            start = study.item(endpoint.start)[1].label.lower()
        population = study.population(endpoint.population)
        grouping = "as allocated" if population.grouping == "allocated" else "by treatment started"
        parts.append(f"{endpoint.label} from {start} ({population.label}, {grouping})")
    return "; ".join(parts) + "." if parts else ""


def bundled(trial_id: str) -> Study | None:
    """The bundled study with this trial id, if there is one."""
    from cairo6.study.loader import bundled_study_for

    return bundled_study_for(trial_id)


def published_for(trial_id: str) -> list[PublishedNumber] | None:
    """The published numbers of the bundled study with this trial id, if it carries a paper's."""
    study = bundled(trial_id)
    if study is None or study.published_text is None:
        return None
    return parse_published(study.published_text)


def run_report(
    protocol: Protocol,
    frames: Mapping[str, pd.DataFrame],
    out: Path,
    *,
    spec: TablesSpec | None = None,
    study: Study | None = None,
    published: Sequence[PublishedNumber] | None = None,
    source: str = "",
    progress: Progress | None = None,
    data_status: str = "",
    painter: Painter | None = None,
) -> RunOutcome:
    """Analyse the frames and write every report output into `out` (the layout and the
    endpoints are the `study`'s, by default those of the bundled study of the trial);
    `data_status` labels it INTERIM or FINAL (`service.lifecycle.report_status`); a `painter`
    draws the figures in its workers while the rest is written."""
    step = progress or (lambda _: None)
    if spec is None and study is not None and study.layout_text is not None:
        spec = parse_spec(study.layout_text)
    layout = spec or spec_for(protocol.trial.id)
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    step("analysing")
    result = analyse(protocol, frames, layout, study)
    seconds["analysis"] = time.perf_counter() - start
    comparisons = None
    if published is None and study is not None and study.published_text is not None:
        published = parse_published(study.published_text)
    if published is None:
        published = published_for(protocol.trial.id)
    if published:
        step("comparing with the published numbers")
        comparisons = compare(result.ard, published)
    start = time.perf_counter()
    given = report_input(
        protocol,
        layout,
        result,
        comparisons,
        source,
        study=study or bundled(protocol.trial.id),
        data_status=data_status,
    )
    report, files = write_report(given, out, step, painter)
    seconds["report"] = time.perf_counter() - start
    return RunOutcome(result, report, files, comparisons, seconds)
