"""The study's rules on whole frames give what the rules give participant by participant, and
CAIRO6's populations from its definition are the first release's hard-coded ones.

Both on the SYNTHETIC reference cohort, imported through the services and extracted as the
report reads it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from cairo6.analysis.definition import Participant, flatten
from cairo6.analysis.rule_frames import population_flags, rule_on_frames, with_derived_items
from cairo6.protocol import default_protocol
from cairo6.protocol.rules import Condition
from cairo6.scoring.derived import macroscopic_complete
from cairo6.studies.cairo6.derive.populations import analysis_set
from cairo6.study.loader import bundled_study_folder, read_study
from cairo6.study.study import Study
from tests.trial_setup import REFERENCE, imported_extract

Frames = dict[str, pd.DataFrame]


@pytest.fixture(scope="module")
def study() -> Study:
    return read_study(bundled_study_folder("cairo6"))


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory, study: Study) -> Frames:
    extracted = imported_extract(REFERENCE, tmp_path_factory.mktemp("rules") / "trial.db")
    return with_derived_items(study, extracted)


def _plain(value: object) -> Any:
    if value is None or (not isinstance(value, list | dict) and pd.isna(value)):  # type: ignore[arg-type]
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if hasattr(value, "item") else value


def _people(study: Study, frames: Frames) -> list[Participant]:
    """Each participant's records flattened as the definition's report reads them."""
    records: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for form in study.forms:
        frame = frames.get(form.id)
        if frame is None:
            continue
        for row in frame.drop(columns=["id"], errors="ignore").to_dict("records"):
            number = str(row.pop("study_number"))
            one = {k: _plain(v) for k, v in row.items()}
            records.setdefault(number, {}).setdefault(form.id, []).append(one)
    return [
        flatten(n, a, c, records.get(n, {}))
        for n, a, c in frames["participant"][["study_number", "arm", "centre"]].itertuples(
            index=False
        )
    ]


def _rules(study: Study) -> dict[str, Condition]:
    rules = {f"population {p.id}": p.rule for p in study.populations if p.rule is not None}
    rules |= {f"endpoint {e.id}": e.rule for e in study.endpoints if e.rule is not None}
    rules |= {f"flow {s.id}": s.rule for s in study.flow if s.rule and s.source != "screening"}
    return rules


def _index(frames: Frames) -> pd.DataFrame:
    return frames["participant"].set_index("study_number", drop=False)


def test_rules_on_frames_equal_the_rules_per_participant(study: Study, frames: Frames) -> None:
    people = _people(study, frames)
    rules = _rules(study)
    assert len(rules) >= 8
    for name, rule in rules.items():
        whole = rule_on_frames(rule, _index(frames), frames)
        one_by_one = {p.id: rule.evaluate(p.values) for p in people}
        got = {k: (None if pd.isna(v) else bool(v)) for k, v in whole.items()}
        assert got == one_by_one, name
        assert True in got.values(), name
        # Every rule but "randomised" (@randomised) separates the cohort.
        assert name == "flow randomised" or len(set(got.values())) >= 2, name


def _first_release(frames: Frames) -> pd.DataFrame:
    """The populations as the first release computed them in code (kept as the reference):
    modified ITT by the regimen of the first neoadjuvant cycle, or the control arm for upfront
    surgery; surgical = mITT with surgery; CRS-HIPEC = surgical, complete, HIPEC given."""
    protocol = default_protocol()
    people = frames["participant"].set_index("study_number")[["arm"]].copy()
    regimen_arm = {r.id: r.arm for r in protocol.regimens}
    control = next(a.id for a in protocol.arms if a.is_control)
    cycles = frames["cycle"]
    neo = cycles[cycles["phase"] == "neoadjuvant"].sort_values(["study_number", "cycle_number"])
    started = neo.groupby("study_number")["regimen"].first().map(regimen_arm)
    surgery = frames["surgery"].set_index("study_number")
    operated = people.index.isin(surgery.index)
    first_neo = people.index.isin(started.index)
    people["group"] = [
        started.get(n) if n in started.index else (control if op else None)
        for n, op in zip(people.index, operated, strict=True)
    ]
    complete = {
        n: macroscopic_complete(
            str(r["procedure"]),
            None if pd.isna(r["cc_score"]) else int(r["cc_score"]),
            None if pd.isna(r["r_class"]) else str(r["r_class"]),
        )
        for n, r in surgery.iterrows()
    }
    hipec = surgery["hipec_drug"].reindex(people.index).fillna("none") != "none"
    people["itt"] = True
    people["mitt"] = people["group"].notna()
    people["surgical"] = people["mitt"] & operated
    people["crs_hipec"] = (
        people["surgical"] & people.index.map(lambda n: complete.get(n) is True) & hipec
    )
    people["neoadjuvant"] = first_neo
    return people


def test_cairo6_populations_from_its_definition_are_the_first_releases(
    study: Study, frames: Frames
) -> None:
    reference = _first_release(frames)
    people = analysis_set(default_protocol(), frames, study).set_index("study_number")
    flags = population_flags(study, _index(frames), frames)
    assert set(flags.columns) == {"itt", "mitt", "surgical", "crs_hipec", "neoadjuvant"}
    for population in study.populations:
        expected = reference[population.id]
        assert people[population.id].to_dict() == expected.to_dict(), population.id
        assert expected.any()
        assert population.id == "itt" or not expected.all()
        grouping = "arm" if population.grouping == "allocated" else "mitt_group"
        members = expected[expected].index
        wanted = reference.loc[members, "group" if grouping != "arm" else "arm"]
        assert people.loc[members, grouping].to_dict() == wanted.to_dict(), population.id


def test_k_of_n_not_and_exists_where_as_per_participant() -> None:
    frames: Frames = {
        "participant": pd.DataFrame(
            {"study_number": ["A", "B", "C", "D"], "arm": ["x", "y", "x", "y"], "centre": "1"}
        ),
        "visit": pd.DataFrame(
            {
                "study_number": ["A", "A", "B", "C"],
                "score": [3, None, 7, None],
                "ok": [True, None, False, True],
            }
        ),
        "baseline": pd.DataFrame({"study_number": ["A", "B", "C"], "age": [70, 40, None]}),
    }
    rules = [
        Condition.model_validate(
            {
                "any": [
                    {"field": "baseline.age", "op": "ge", "value": 65},
                    {"field": "visit.score", "op": "gt", "value": 5},
                    {"field": "@arm", "op": "eq", "value": "x"},
                ],
                "at_least": 2,
            }
        ),
        Condition.model_validate({"not": {"field": "visit.ok", "op": "eq", "value": True}}),
        Condition.model_validate(
            {"exists": "visit", "where": {"field": "visit.score", "op": "lt", "value": 5}}
        ),
    ]
    records: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for form in ("visit", "baseline"):
        for row in frames[form].to_dict("records"):
            number = row.pop("study_number")
            one = {k: _plain(v) for k, v in row.items()}
            records.setdefault(number, {}).setdefault(form, []).append(one)
    people = [
        flatten(n, a, "1", records.get(n, {}))
        for n, a in frames["participant"][["study_number", "arm"]].itertuples(index=False)
    ]
    for rule in rules:
        whole = rule_on_frames(rule, _index(frames), frames)
        got = {k: (None if pd.isna(v) else bool(v)) for k, v in whole.items()}
        assert got == {p.id: rule.evaluate(p.values) for p in people}, rule.describe()
