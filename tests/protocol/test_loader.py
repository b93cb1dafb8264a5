"""Loading and validating protocol files: the default, a second trial, and broken files."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from cairo6.errors import ProtocolError
from cairo6.protocol import (
    DoseUnit,
    Phase,
    Protocol,
    Requirement,
    default_protocol_text,
    parse_protocol,
    protocol_from_dict,
    read_protocol_file,
)


def _issues(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ProtocolError) as info:
        protocol_from_dict(raw, "broken.toml")
    return {issue.key: issue.message for issue in info.value.issues}


def test_cairo6_has_the_published_design(cairo6: Protocol) -> None:
    assert [a.id for a in cairo6.arms] == ["experimental", "control"]
    assert [a.ratio for a in cairo6.arms] == [1, 1]
    assert [f.id for f in cairo6.randomization.factors] == [
        "pci",
        "onset",
        "previous_systemic_therapy",
        "hipec_drug",
    ]
    assert cairo6.randomization.p == 0.8
    assert cairo6.assumed("randomization.p") is not None
    assert cairo6.assumed("randomization.method") is None


def test_cairo6_regimens_match_the_domain_table(cairo6: Protocol) -> None:
    capox = cairo6.regimen("CAPOX-B")
    assert (capox.cycles, capox.cycle_length_days, capox.phase) == (4, 21, Phase.NEOADJUVANT)
    assert capox.antiangiogenic_cycles == [1, 2, 3]
    assert capox.assessment_after_cycle == 3
    oxali = capox.drugs[0]
    assert (oxali.name, oxali.dose, oxali.unit) == ("oxaliplatin", 130, DoseUnit.MG_M2)
    bev = next(d for d in capox.drugs if d.antiangiogenic)
    assert (bev.dose, bev.unit) == (7.5, DoseUnit.MG_KG)
    for rid in ("FOLFOX-B", "FOLFIRI-B"):
        reg = cairo6.regimen(rid)
        assert (reg.cycles, reg.cycle_length_days) == (6, 14)
        assert reg.antiangiogenic_cycles == [1, 2, 3, 4]
        assert reg.assessment_after_cycle == 4
    assert cairo6.regimen("FOLFIRI-B").switch_to == ["CAPOX-B", "FOLFOX-B"]
    assert set(cairo6.regimen("FOLFIRI-B").adjuvant_options) == {"CAP", "5FU-LV"}
    assert [r.id for r in cairo6.regimens if r.phase is Phase.ADJUVANT] == [
        "CAPOX",
        "FOLFOX",
        "CAP",
        "5FU-LV",
    ]
    # Lookup is case-insensitive because sites type regimen names by hand.
    assert cairo6.regimen("capox-b") is capox


def test_cairo6_windows_and_stopping_rules(cairo6: Protocol) -> None:
    by_id = {w.id: w for w in cairo6.windows}
    assert by_id["neoadjuvant_start"].max_days == 28
    assert by_id["surgery_after_last_cycle"].max_days == 42
    assert by_id["surgery_after_bevacizumab"].min_days == 42
    assert by_id["adjuvant_start"].max_days == 84
    assert by_id["adjuvant_start"].requires == [Requirement.INDEX_COMPLETE]
    assert by_id["control_surgery"].arm == "control"
    rules = {r.id: r for r in cairo6.stopping_rules}
    assert rules["complete_crs_hipec"].threshold == 0.5
    assert rules["major_morbidity_excess"].threshold == 0.2
    assert (rules["accrual"].target, rules["accrual"].within_days) == (80, 365)
    assert cairo6.sample_size is not None
    assert cairo6.sample_size.target_total == 358


def test_every_eligibility_criterion_of_the_domain_is_a_rule(cairo6: Protocol) -> None:
    ids = {c.id for c in cairo6.eligibility}
    assert {
        "adult",
        "performance_status",
        "proven_colorectal_pm",
        "signet_ring_cells",
        "resectable_pci",
        "no_systemic_metastases",
        "no_recent_systemic_therapy",
        "no_previous_crs_hipec",
        "fit",
        "anaemia",
        "neutropenia",
        "thrombocytopenia",
        "renal_function",
        "bilirubin",
        "transaminases",
        "dpd_deficiency",
        "drug_intolerance",
        "active_infection",
        "concurrent_malignancy",
        "bevacizumab_contraindication",
    } <= ids


def test_second_protocol_three_arms_two_to_one(three_arm: Protocol) -> None:
    assert [a.ratio for a in three_arm.arms] == [2, 1, 1]
    assert [f.id for f in three_arm.randomization.factors] == ["age_group", "sex"]
    assert len(three_arm.randomization.factors[0].levels) == 3
    assert three_arm.randomization.centre_as_factor
    assert three_arm.regimens == []


def test_round_trip_through_toml(raw_cairo6: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "copy.toml"
    path.write_text(tomli_w.dumps(raw_cairo6), encoding="utf-8")
    assert read_protocol_file(path) == protocol_from_dict(raw_cairo6)


def test_every_error_is_reported_with_its_key(raw_cairo6: dict[str, Any]) -> None:
    raw_cairo6["arms"][0]["ratio"] = 0
    raw_cairo6["regimens"][2]["drugs"][0]["dose"] = -5
    raw_cairo6["regimens"][0]["switch_to"] = ["NOPE"]
    raw_cairo6["windows"][0]["arm"] = "exp"
    raw_cairo6["randomization"]["factors"][0]["levels"][0]["when"]["field"] = "pci_staging"
    raw_cairo6["randomization"]["factors"][1]["levels"][0]["when"]["value"] = "sync"
    raw_cairo6["endpoints"][0]["colour"] = "red"
    raw_cairo6["bogus"] = 1
    issues = _issues(raw_cairo6)
    assert set(issues) == {
        "arms[experimental].ratio",
        "regimens[FOLFIRI-B].drugs[0].dose",
        "regimens[CAPOX-B].switch_to",
        "windows[neoadjuvant_start].arm",
        "randomization.factors[pci].levels[0-10].when",
        "randomization.factors[onset].levels[synchronous].when",
        "endpoints[macroscopic_complete].colour",
        "bogus",
    }
    assert "-5" in issues["regimens[FOLFIRI-B].drugs[0].dose"]
    assert "'NOPE' is not defined" in issues["regimens[CAPOX-B].switch_to"]
    assert "'sync' does not fit" in issues["randomization.factors[onset].levels[synchronous].when"]


@pytest.mark.parametrize(
    ("path", "value", "key", "fragment"),
    [
        (("regimens", 0, "drugs", 0, "days"), [1, 30], "regimens[CAPOX-B]", "outside the 21-day"),
        (("regimens", 0, "assessment_after_cycle"), 7, "regimens[CAPOX-B]", "after the last cycle"),
        (("regimens", 0, "drugs", 0, "unit"), "mg/l", "regimens[CAPOX-B].drugs[0].unit", "mg/m2"),
        (("windows", 0, "max_days"), -1, "windows[neoadjuvant_start].max_days", "-1"),
        (("randomization", "p"), 1.5, "randomization.p", "1.5"),
        (("randomization", "imbalance"), "entropy", "randomization.imbalance", "range"),
        (("randomization", "block_sizes"), [3], "randomization.block_sizes", "multiples"),
        (("stopping_rules", 1, "threshold"), None, "stopping_rules[major_morbidity_excess]", ""),
        (("eligibility", 0, "rule"), {"field": "age_years"}, "eligibility[adult].rule", "op"),
        (("eligibility", 0, "rule"), {"all": []}, "eligibility[adult].rule", "at least one"),
        (("eligibility", 1, "rule", "op"), "gt", "eligibility[performance_status].rule", "list"),
        (("assumptions", 0, "key"), "randomization.q", "assumptions[0].key", "names nothing"),
        (("sample_size", "experimental_rate"), 0.5, "sample_size.experimental_rate", "equals"),
    ],
)
def test_single_faults(
    raw_cairo6: dict[str, Any], path: tuple[Any, ...], value: Any, key: str, fragment: str
) -> None:
    node: Any = raw_cairo6
    for part in path[:-1]:
        node = node[part]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    issues = _issues(raw_cairo6)
    assert key in issues, issues
    assert fragment in issues[key]


def test_duplicate_ids_and_ordered_op_on_category(raw_cairo6: dict[str, Any]) -> None:
    raw_cairo6["regimens"][1]["id"] = "CAPOX-B"
    raw_cairo6["randomization"]["factors"][1]["levels"][0]["when"]["op"] = "lt"
    issues = _issues(raw_cairo6)
    assert "used 2 times" in issues["regimens[CAPOX-B]"]
    assert (
        "needs an ordered field" in issues["randomization.factors[onset].levels[synchronous].when"]
    )


def test_missing_sections_and_bad_toml() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_protocol("[trial]\nid = 'X'\n", "tiny.toml")
    keys = {i.key for i in info.value.issues}
    assert {"arms", "randomization", "eligibility", "endpoints", "analysis", "accrual"} <= keys
    assert "trial.title" in keys
    with pytest.raises(ProtocolError, match="not valid TOML"):
        parse_protocol("[trial\n", "bad.toml")


def test_unreadable_file_is_a_protocol_error(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="cannot be read"):
        read_protocol_file(tmp_path / "missing.toml")


def test_the_hipec_variant_field_is_declared_and_its_levels_are_the_hipec_ids() -> None:
    raw = tomllib.loads(default_protocol_text())
    raw["index_procedure"]["variant_field"] = "no_such_field"
    assert "is not defined" in _issues(raw)["index_procedure.variant_field"]
    raw = tomllib.loads(default_protocol_text())
    raw["hipec"][0]["id"] = "cisplatin"
    assert "not a level of field 'planned_hipec'" in _issues(raw)["hipec[cisplatin]"]
    # Without a variant field (a trial with no HIPEC factor) the ids are not checked.
    del raw["index_procedure"]["variant_field"]
    assert protocol_from_dict(raw).hipec[0].id == "cisplatin"


PERIOPERATIVE = ("index_procedure", "assessment", "deviation_record")
OLD_EVENTS = {
    "assessment_cycle": "restaging_cycle",
    "assessment": "restaging_ct",
    "index_procedure": "surgery",
}
OLD_REGIMEN_KEYS = {
    "assessment_after_cycle": "restaging_after_cycle",
    "switch_why": "switch_reason",
}


def _first_release(raw: dict[str, Any]) -> dict[str, Any]:
    """The bundled protocol as the first release wrote it (fixed names, no perioperative
    sections): what a database created then stores."""
    old = {k: v for k, v in raw.items() if k not in PERIOPERATIVE}
    old["regimens"] = [
        {OLD_REGIMEN_KEYS.get(k, k): v for k, v in r.items()} for r in raw["regimens"]
    ]
    old["windows"] = []
    for w in raw["windows"]:
        requires = [
            "macroscopic_complete" if r == "index_complete" else r for r in w.get("requires", [])
        ]
        old["windows"].append(
            w
            | {"event": OLD_EVENTS.get(w["event"], w["event"])}
            | {"anchor": OLD_EVENTS.get(w["anchor"], w["anchor"]), "requires": requires}
        )
    return old


def test_a_protocol_stored_by_the_first_release_reads_as_today(cairo6: Protocol) -> None:
    raw = tomllib.loads(default_protocol_text())
    old = _first_release(raw)
    assert "index_procedure" not in old
    assert protocol_from_dict(old) == cairo6


def test_a_protocol_without_the_first_release_names_is_read_as_written() -> None:
    toy = Path(__file__).resolve().parents[1] / "study" / "data" / "toy" / "protocol.toml"
    protocol = read_protocol_file(toy)
    assert protocol.index_procedure.label == "index procedure"
    assert protocol.index_procedure.variant_field == ""
    assert protocol.deviation_record is None
