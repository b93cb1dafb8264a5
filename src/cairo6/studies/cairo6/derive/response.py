"""CAIRO6's response rates: radiologic PCI and RECIST 1.1 (baseline against restaging scans)
and the pathologic tumour regression grade, as the row kind `response` of its layout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping

import pandas as pd

from cairo6.analysis.common import as_json, is_missing
from cairo6.analysis.context import Context, members, record_rate
from cairo6.analysis.events import site_grades, whole
from cairo6.analysis.spec import RowSpec, TableSpec, opt_str
from cairo6.errors import Cairo6Error, InvalidValueError
from cairo6.scoring import (
    FollowUp,
    Lesion,
    RecistAssessment,
    is_major_pathologic_response,
    rpci_response,
)

__all__ = ["response"]


# --- response rates --------------------------------------------------------------------------

_CATEGORY = {"CR": "CR", "PR": "PR", "SD": "SD", "PD": "PD", "non-CR/non-PD": "SD"}


def _lesions(raw: object) -> list[Lesion]:
    items = as_json(raw)
    if not isinstance(items, list):
        raise InvalidValueError("lesions", raw, "a list of lesions")
    lesions = []
    for item in items:
        if not isinstance(item, dict):
            raise InvalidValueError("lesion", item, "id, organ, lymph_node, diameter_mm")
        node = bool(item.get("lymph_node", False))
        size = item.get("diameter_mm")
        lesions.append(
            Lesion(
                str(item["id"]),
                str(item.get("organ", "unknown")),
                node,
                None if node else size,
                size if node else None,
            )
        )
    return lesions


def _recist(before: Mapping[Hashable, object], after: Mapping[Hashable, object]) -> str | None:
    """RECIST 1.1 overall response; None when there is no measurable disease at baseline."""
    baseline = _lesions(before["lesions"])
    if not baseline:
        return None
    assessment = RecistAssessment(baseline)
    if not assessment.selection.targets:
        return None
    now = {lesion.lesion_id: lesion.size_mm for lesion in _lesions(after["lesions"])}
    targets = {t.lesion_id: now.get(t.lesion_id) for t in assessment.selection.targets}
    non_targets: dict[str, str] = {}
    for lesion in assessment.selection.non_targets:
        size = now.get(lesion.lesion_id)
        if size is None:
            non_targets[lesion.lesion_id] = "not evaluated"
        elif size == 0 or (lesion.is_lymph_node and size < 10):
            non_targets[lesion.lesion_id] = "absent"
        elif bool(after["non_target_progression"]):
            non_targets[lesion.lesion_id] = "unequivocal progression"
        else:
            non_targets[lesion.lesion_id] = "present"
    follow_up = FollowUp(targets, non_targets, bool(after["new_lesions"]))
    return assessment.evaluate([follow_up])[0].overall.value


def _rpci(before: Mapping[Hashable, object], after: Mapping[Hashable, object]) -> str | None:
    result = rpci_response(whole(before["radiologic_pci"]), whole(after["radiologic_pci"]))
    return None if result.category.value == "NE" else result.category.value


def _radiology(ctx: Context, frame: pd.DataFrame, method: str) -> dict[Hashable, str | None]:
    scans = ctx.frames["radiology"]
    scans = scans[scans["study_number"].isin(frame.index)]
    scans = scans.drop_duplicates(["study_number", "timepoint"])
    before = scans[scans["timepoint"] == "baseline"].set_index("study_number")
    after = scans[scans["timepoint"] == "restaging"].set_index("study_number")
    both = before.index.intersection(after.index)
    fields = ["radiologic_pci", "lesions", "new_lesions", "non_target_progression"]
    pairs = zip(
        both,
        before.loc[both, fields].to_dict("records"),
        after.loc[both, fields].to_dict("records"),
        strict=True,
    )
    out: dict[Hashable, str | None] = {}
    score = _recist if method == "recist" else _rpci
    # Each distinct pair of readings is scored once (rPCI pairs repeat a great deal in a large
    # cohort); a pair that cannot be scored is logged for every participant who has it.
    scored: dict[str, tuple[str | None, Exception | None]] = {}
    for number, first, second in pairs:
        key = repr((first, second))
        if key not in scored:
            try:
                scored[key] = (score(first, second), None)
            except (ValueError, TypeError, KeyError, Cairo6Error) as exc:
                scored[key] = (None, exc)
        category, problem = scored[key]
        if problem is None:
            out[number] = category
        else:
            ctx.log.add(number, "radiology", method, f"response not assessable: {problem}")
    return out


def _pathologic(ctx: Context, frame: pd.DataFrame, row: RowSpec) -> dict[Hashable, str | None]:
    site = opt_str(row.options, "site", row.variable, "peritoneal")
    records = ctx.frames["pathology"]
    records = records[records["study_number"].isin(frame.index) & (records["site"] == site)]
    grades = site_grades(ctx, records.drop_duplicates("study_number"), "pathology", "trg")
    return {
        number: f"grade_{int(g)}" if not is_missing(g) else None for number, g in grades.items()
    }


def response(ctx: Context, table: TableSpec, row: RowSpec) -> None:
    """Response categories among evaluable patients and the objective (or major) response rate."""
    frame = ctx.population(ctx.population_name(table, row))
    method = opt_str(row.options, "method", row.variable)
    if method in ("rpci", "recist"):
        categories = _radiology(ctx, frame, method)
        responders = {"CR", "PR"}
    elif method == "trg":
        categories = _pathologic(ctx, frame, row)
        top = int(row.options.get("max_grade", 2))  # type: ignore[call-overload]
        responders = {f"grade_{g}" for g in range(1, top + 1)}
        if not all(is_major_pathologic_response(g) for g in range(1, top + 1)):
            ctx.log.add("", table.id, row.variable, f"TRG 1-{top} is not major response")
    else:
        raise InvalidValueError("method", method, "rpci, recist or trg")
    objective = opt_str(row.options, "objective", row.variable, "objective_response")
    ctx.label(table.id, row.variable, row.label, row.level_labels)
    for group in ctx.columns(table, row):
        mine = set(members(frame, group))
        evaluable = Counter(
            _CATEGORY.get(str(c), str(c))
            for n, c in categories.items()
            if n in mine and c is not None
        )
        total = sum(evaluable.values())
        if method != "trg":
            for raw, level in row.level_map.items():
                record_rate(ctx, table.id, row.variable, level, group, evaluable[raw], total)
        hits = sum(v for k, v in evaluable.items() if k in responders)
        record_rate(ctx, table.id, row.variable, objective, group, hits, total, interval=True)
