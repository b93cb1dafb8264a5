"""The transcription of the CAIRO6 phase 2 paper's numbers: well-formed and internally checked.

Every percentage is recomputed from its count and denominator, arm columns are added up against
the total column, flow-diagram boxes against the boxes they split into, and event counts against
patient counts. Where the paper itself disagrees, the entry must carry `inconsistent`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import pytest

from cairo6.reference.published import (
    GROUPS,
    RELATIONS,
    STAT_NAMES,
    TABLES,
    Key,
    PublishedNumber,
    by_key,
    inconsistencies,
    load_published,
    resolve_reference,
)

NUMBERS = load_published()
INDEX = by_key()
SNAKE_VARIABLE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
SNAKE_LEVEL = re.compile(r"^([a-z0-9]+(_[a-z0-9]+)*)?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
ARMS = ("experimental", "control")


def value(key: Key) -> float | int:
    number = INDEX[key]
    assert number.value is not None, key
    return number.value


def pct_of(n: float | int, denominator: float | int) -> int:
    """A percentage as JAMA prints it: rounded half up to an integer."""
    exact = Decimal(int(n)) * 100 / Decimal(int(denominator))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def numerator_key(number: PublishedNumber) -> Key:
    if number.numerator is not None:
        return resolve_reference(number.numerator, number.group, "n")
    return (number.table, number.variable, number.variable_level, number.group, "n")


def denominator_key(number: PublishedNumber) -> Key:
    if number.denominator is not None:
        reference = resolve_reference(number.denominator, number.group, "n")
        # A reference to a box or a row is its count; to a population or an N row, its N.
        if reference in INDEX:
            return reference
        return (*reference[:4], "N")
    own = (number.table, number.variable, "", number.group, "N")
    if own in INDEX:
        return own
    return (number.table, "population", "", number.group, "N")


def is_marked(*keys: Key) -> bool:
    return any(key in INDEX and INDEX[key].inconsistent is not None for key in keys)


def test_the_file_loads() -> None:
    assert len(NUMBERS) > 700
    assert {number.table for number in NUMBERS} == set(TABLES)
    assert load_published() == NUMBERS  # cached, and a fresh list each time
    assert load_published() is not NUMBERS


def test_keys_are_unique() -> None:
    seen: dict[Key, str] = {}
    for number in NUMBERS:
        assert number.key not in seen, f"{number.key} at {number.place} and {seen[number.key]}"
        seen[number.key] = number.place
    assert len(INDEX) == len(NUMBERS)


@pytest.mark.parametrize("number", NUMBERS, ids=lambda number: "/".join(number.key))
def test_entry_is_well_formed(number: PublishedNumber) -> None:
    assert number.table in TABLES
    assert number.group in GROUPS
    assert number.stat_name in STAT_NAMES
    assert SNAKE_VARIABLE.match(number.variable)
    assert SNAKE_LEVEL.match(number.variable_level)
    assert number.place.strip()
    assert number.relation is None or number.relation in RELATIONS
    if number.stat_name == "date":
        assert number.value is None
        assert number.text is not None
        assert ISO_DATE.match(number.text)
        return
    assert number.text is None
    assert number.value is not None
    if number.stat_name in ("n", "N"):
        assert isinstance(number.value, int)
        assert number.value >= 0
    if number.stat_name == "pct":
        assert isinstance(number.value, int)
        assert 0 <= number.value <= 100
    if number.stat_name == "p_value":
        assert 0 < number.value <= 1
    is_between_arms = number.stat_name in ("p_value", "rr", "rr_low", "rr_high")
    assert (number.group == "comparison") == is_between_arms


def test_references_resolve() -> None:
    for number in NUMBERS:
        if number.numerator is not None or number.denominator is not None:
            assert number.stat_name == "pct", number.key
            assert numerator_key(number) in INDEX, number.numerator
            assert denominator_key(number) in INDEX, number.denominator


def _pct_mismatches() -> list[tuple[PublishedNumber, int]]:
    mismatches = []
    for number in NUMBERS:
        if number.stat_name != "pct":
            continue
        n, denominator = value(numerator_key(number)), value(denominator_key(number))
        if pct_of(n, denominator) != number.value:
            mismatches.append((number, pct_of(n, denominator)))
    return mismatches


def test_every_percentage_has_its_count_and_denominator() -> None:
    for number in NUMBERS:
        if number.stat_name == "pct":
            assert numerator_key(number) in INDEX, f"no count for {number.key}"
            assert denominator_key(number) in INDEX, f"no denominator for {number.key}"


def test_every_percentage_matches_count_over_denominator() -> None:
    wrong = [
        f"{'/'.join(number.key)} = {number.value}, computed {computed} ({number.place})"
        for number, computed in _pct_mismatches()
        if number.inconsistent is None
    ]
    assert not wrong, "\n".join(wrong)


def test_totals_are_the_sum_of_the_arms() -> None:
    wrong = []
    for number in NUMBERS:
        if number.group != "total" or number.stat_name not in ("n", "N"):
            continue
        arms = [(*number.key[:3], arm, number.stat_name) for arm in ARMS]
        if not all(key in INDEX for key in arms):
            continue
        total = sum(value(key) for key in arms)
        if total != number.value and not is_marked(number.key, *arms):
            wrong.append(f"{'/'.join(number.key)} = {number.value}, arms add to {total}")
    assert not wrong, "\n".join(wrong)


def test_total_ranges_and_means_agree_with_the_arms() -> None:
    for number in NUMBERS:
        if number.group != "total" or number.stat_name not in ("min", "max", "mean"):
            continue
        arms = [(*number.key[:3], arm, number.stat_name) for arm in ARMS]
        if number.stat_name == "min":
            assert number.value == min(value(key) for key in arms), number.key
        elif number.stat_name == "max":
            assert number.value == max(value(key) for key in arms), number.key
        else:
            sizes = [value((number.table, "population", "", arm, "N")) for arm in ARMS]
            pooled = sum(s * value(k) for s, k in zip(sizes, arms, strict=True)) / sum(sizes)
            assert number.value is not None
            assert abs(pooled - number.value) <= 1, number.key  # each printed mean is rounded


def n(table: str, variable: str, level: str = "", group: str = "experimental") -> int:
    return int(value((table, variable, level, group, "n")))


def levels_sum(table: str, variable: str, group: str, stat: str = "n") -> int:
    return sum(
        int(value(number.key))
        for number in NUMBERS
        if (number.table, number.variable, number.group, number.stat_name)
        == (table, variable, group, stat)
        and number.variable_level
    )


F = "figure"
E, C, T = "experimental", "control", "total"

# (description, left side, right side): Figure boxes against the boxes they split into.
FLOW: list[tuple[str, Callable[[], int], Callable[[], int]]] = [
    (
        "screened = not approached + refused + randomised",
        lambda: n(F, "potentially_eligible", group=T),
        lambda: (
            n(F, "not_approached", group=T) + n(F, "refused", group=T) + n(F, "randomised", group=T)
        ),
    ),
    (
        "refusal reasons",
        lambda: n(F, "refused", group=T),
        lambda: levels_sum(F, "refusal_reason", T),
    ),
    (
        "randomised = assigned",
        lambda: n(F, "randomised", group=T),
        lambda: n(F, "assigned", group=E) + n(F, "assigned", group=C),
    ),
    (
        "itt = randomised",
        lambda: n(F, "itt_population", group=T),
        lambda: n(F, "randomised", group=T),
    ),
    (
        "started neoadjuvant",
        lambda: n(F, "started_neoadjuvant"),
        lambda: n(F, "assigned") - n(F, "palliative_treatment") - n(F, "preferred_upfront_surgery"),
    ),
    (
        "upfront surgery",
        lambda: n(F, "underwent_surgery", group=C),
        lambda: n(F, "assigned", group=C) + n(F, "preferred_upfront_surgery"),
    ),
    (
        "mitt",
        lambda: n(F, "mitt_population", group=T),
        lambda: n(F, "started_neoadjuvant") + n(F, "underwent_surgery", group=C),
    ),
    (
        "surgical population = mitt",
        lambda: n(F, "surgical_population", group=T),
        lambda: n(F, "mitt_population", group=T),
    ),
    (
        "neoadjuvant regimens",
        lambda: n(F, "started_neoadjuvant"),
        lambda: levels_sum(F, "neoadjuvant_regimen", E),
    ),
    (
        "neoadjuvant completed or stopped",
        lambda: n(F, "started_neoadjuvant"),
        lambda: (
            n(F, "completed_all_neoadjuvant") + levels_sum(F, "neoadjuvant_stopped_after_cycles", E)
        ),
    ),
    *[
        (
            f"neoadjuvant stop reasons {stop}",
            lambda stop=stop: n(F, "neoadjuvant_stopped_after_cycles", stop),
            lambda stop=stop: levels_sum(F, f"neoadjuvant_stop_reason_{stop}", E),
        )
        for stop in ("capox_b_1", "capox_b_2", "capox_b_3")
    ],
    ("restaging", lambda: n(F, "restaging_ct"), lambda: levels_sum(F, "restaging_result", E)),
    (
        "all starting neoadjuvant had surgery",
        lambda: n(F, "underwent_surgery"),
        lambda: n(F, "started_neoadjuvant"),
    ),
    *[
        (
            f"surgery = complete + stopped ({arm})",
            lambda arm=arm: n(F, "underwent_surgery", group=arm),
            lambda arm=arm: (
                n(F, "macroscopic_complete_crs_hipec", group=arm)
                + n(F, "stopped_at_surgery", group=arm)
            ),
        )
        for arm in ARMS
    ],
    (
        "control stop reasons",
        lambda: n(F, "stopped_at_surgery", group=C),
        lambda: levels_sum(F, "stopped_at_surgery_reason", C),
    ),
    (
        "crs-hipec population",
        lambda: n(F, "crs_hipec_population", group=T),
        lambda: (
            n(F, "macroscopic_complete_crs_hipec") + n(F, "macroscopic_complete_crs_hipec", group=C)
        ),
    ),
    (
        "started adjuvant",
        lambda: n(F, "started_adjuvant"),
        lambda: n(F, "macroscopic_complete_crs_hipec") - n(F, "stopped_before_adjuvant"),
    ),
    (
        "reasons for no adjuvant",
        lambda: n(F, "stopped_before_adjuvant"),
        lambda: levels_sum(F, "stopped_before_adjuvant_reason", E),
    ),
    (
        "adjuvant regimens",
        lambda: n(F, "started_adjuvant"),
        lambda: levels_sum(F, "adjuvant_regimen", E),
    ),
    (
        "adjuvant completed or stopped",
        lambda: n(F, "started_adjuvant"),
        lambda: n(F, "completed_all_adjuvant") + levels_sum(F, "adjuvant_stopped_after_cycles", E),
    ),
    *[
        (
            f"adjuvant stop reasons {stop}",
            lambda stop=stop: n(F, "adjuvant_stopped_after_cycles", stop),
            lambda stop=stop: levels_sum(F, f"adjuvant_stop_reason_{stop}", E),
        )
        for stop in ("capox_2", "capox_3")
    ],
    (
        "table 3 adjuvant population = figure",
        lambda: n(F, "started_adjuvant"),
        lambda: int(value(("table3", "population", "adjuvant", E, "N"))),
    ),
]


@pytest.mark.parametrize(("left", "right"), [f[1:] for f in FLOW], ids=[f[0] for f in FLOW])
def test_flow_diagram_adds_up(left: Callable[[], int], right: Callable[[], int]) -> None:
    assert left() == right()


# Variables whose levels are exhaustive: their counts add up to the denominator.
EXHAUSTIVE = {
    "table1": [
        "sex", "who_performance_status", "primary_tumor_location", "histology",
        "primary_tumor_status", "t_category", "n_category", "previous_systemic_chemotherapy",
        "previous_resection_extraperitoneal_metastases", "onset_peritoneal_metastases",
        "planned_hipec_regimen",
    ],
    "table2": [
        "cytoreductive_surgery", "primary_tumor_resection", "bowel_anastomosis",
        "ostomy_formation", "readmission", "reoperation", "clavien_dindo_ge2",
        "clavien_dindo_ge3", "clavien_dindo_4",
    ],
    "table4": [
        f"{system}_{site}"
        for system in ("trg", "prgs")
        for site in ("peritoneal_metastases", "primary_tumor", "lymph_nodes", "overall")
    ],
    "results": ["recist_response"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("table", "variable"), [(t, v) for t, variables in EXHAUSTIVE.items() for v in variables]
)
def test_categories_add_up_to_the_denominator(table: str, variable: str) -> None:
    groups = {number.group for number in NUMBERS if number.key[:2] == (table, variable)}
    for group in groups - {"comparison"}:
        own = (table, variable, "", group, "N")
        whole = own if own in INDEX else (table, "population", "", group, "N")
        assert levels_sum(table, variable, group) == value(whole), (variable, group)


def test_radiologic_pci_categories_do_not_add_up_and_are_marked() -> None:
    parts = ("complete_response", "partial_response", "stable_disease", "progressive_disease")
    keys = [("results", "radiologic_pci_response", level, E, "n") for level in parts]
    evaluable = ("results", "radiologic_pci_response", "", E, "N")
    assert sum(value(key) for key in keys) == 34 != value(evaluable) == 32
    pcts = [("results", "radiologic_pci_response", level, E, "pct") for level in parts]
    assert sum(value(key) for key in pcts) == 106
    assert all(INDEX[key].inconsistent for key in [evaluable, *keys, *pcts])


def events(table: str, variable: str, group: str, suffix: str = "") -> int:
    return sum(
        int(value(number.key))
        for number in NUMBERS
        if number.key[:2] == (table, variable)
        and number.group == group
        and number.stat_name == "n"
        and number.variable_level.endswith(suffix)
    )


@pytest.mark.parametrize(
    ("table", "patients", "level", "event_variable", "suffix"),
    [
        ("table2", "clavien_dindo_ge3", "yes", "clavien_dindo_ge3_event", ""),
        ("table2", "clavien_dindo_4", "yes", "clavien_dindo_ge3_event", "_grade_4"),
        ("table3", "ctcae_ge3", "any", "ctcae_ge3_event", ""),
        ("table3", "ctcae_4", "any", "ctcae_ge3_event", "_grade_4"),
    ],
)
def test_at_least_one_listed_event_per_patient(
    table: str, patients: str, level: str, event_variable: str, suffix: str
) -> None:
    """Footnotes allow more events than patients (several per patient), never fewer."""
    for group in ("experimental", "control", "total"):
        key = (table, patients, level, group, "n")
        if key not in INDEX:
            continue
        event_keys = [
            number.key
            for number in NUMBERS
            if number.key[:2] == (table, event_variable)
            and number.group == group
            and number.stat_name == "n"
            and number.variable_level.endswith(suffix)
        ]
        if events(table, event_variable, group, suffix) < value(key):
            assert is_marked(key, *event_keys), (key, events(table, event_variable, group, suffix))


def test_reoperations_are_among_the_clavien_dindo_events() -> None:
    for number in NUMBERS:
        if number.variable != "reoperation_event" or number.stat_name != "n":
            continue
        if number.variable_level == "tumor_obstruction_grade_3":  # footnote i: not a complication
            continue
        other = ("table2", "clavien_dindo_ge3_event", *number.key[2:])
        if number.value is not None and number.value > value(other):
            assert is_marked(number.key, other), number.key


def test_spot_checks() -> None:
    t2 = "table2"
    assert value((t2, "cytoreductive_surgery", "macroscopic_complete", E, "n")) == 33
    assert value((t2, "population", "", E, "N")) == 37
    assert value((t2, "cytoreductive_surgery", "macroscopic_complete", E, "pct")) == 89
    assert value((t2, "cytoreductive_surgery", "macroscopic_complete", C, "n")) == 36
    assert value((t2, "cytoreductive_surgery", "macroscopic_complete", C, "pct")) == 86
    assert value((t2, "cytoreductive_surgery", "", "comparison", "p_value")) == 0.74
    rr = ("results", "cytoreductive_surgery", "macroscopic_complete", "comparison")
    assert [value((*rr, s)) for s in ("rr", "rr_low", "rr_high")] == [1.04, 0.88, 1.23]
    assert value((t2, "clavien_dindo_ge3", "yes", E, "n")) == 8
    assert value((t2, "clavien_dindo_ge3", "yes", E, "pct")) == 22
    assert value((t2, "clavien_dindo_ge3", "yes", C, "n")) == 14
    assert value((t2, "clavien_dindo_ge3", "yes", C, "pct")) == 33
    assert value((t2, "clavien_dindo_ge3", "", "comparison", "p_value")) == 0.25
    rr = ("results", "clavien_dindo_ge3", "yes", "comparison")
    assert [value((*rr, s)) for s in ("rr", "rr_low", "rr_high")] == [0.65, 0.31, 1.37]
    assert value((F, "potentially_eligible", "", T, "n")) == 233
    major = INDEX[("results", "trg_peritoneal_metastases", "grade_1_2", E, "pct")]
    assert value(major.key) == 38
    assert value(numerator_key(major)) == 13
    assert value(denominator_key(major)) == 34
    assert value(("table4", "trg_peritoneal_metastases", "grade_1", E, "pct")) == 24
    assert INDEX[("results", "enrolment_first", "", T, "date")].text == "2017-06-15"
    assert INDEX[("results", "enrolment_last", "", T, "date")].text == "2019-01-09"
    assert "abstract" in INDEX[(t2, "cytoreductive_surgery", "", "comparison", "p_value")].also_in


def test_known_inconsistencies_are_marked() -> None:
    marked = {number.key for number in inconsistencies()}
    assert all(number.inconsistent for number in inconsistencies())
    # 1. Radiologic PCI response: 32 evaluable, but 1 + 8 + 23 + 2 = 34.
    assert ("results", "radiologic_pci_response", "", E, "N") in marked
    # 2. Table 2, Clavien-Dindo >=3 details, intra-abdominal abscess grade 4: 2 + 1, total "2 (3)".
    abscess = ("table2", "clavien_dindo_ge3_event", "intra_abdominal_abscess_grade_4", T)
    assert value((*abscess, "n")) == 2
    assert (*abscess, "n") in marked
    # 3. Table 2, Reoperations, control: "1 (1)" where 1 of 42 is 2%.
    for level in ("intra_abdominal_abscess_grade_4", "postoperative_hemorrhage_grade_3",
                  "bowel_perforation_grade_3"):  # fmt: skip
        key = ("table2", "reoperation_event", level, C, "pct")
        assert value(key) == 1
        assert key in marked
    # 4. Table 3: 5 patients with a CTCAE grade 4 effect, only 4 grade 4 events listed.
    assert ("table3", "ctcae_4", "any", E, "n") in marked


def test_marked_percentages_are_those_that_disagree() -> None:
    """Each percentage that fails count/denominator is marked, and the marks are not stale."""
    failing = {number.key for number, _ in _pct_mismatches()}
    assert failing == {
        ("table2", "reoperation_event", level, C, "pct")
        for level in (
            "intra_abdominal_abscess_grade_4",
            "postoperative_hemorrhage_grade_3",
            "bowel_perforation_grade_3",
        )
    }


def test_repeats_in_abstract_and_text_are_cross_referenced() -> None:
    counts: dict[str, int] = defaultdict(int)
    for number in NUMBERS:
        for place in number.also_in:
            counts[place.split(" ")[0]] += 1
    assert counts["abstract"] > 0
    assert counts["results"] > 0
