"""Analysis Results Data records: validation, the collection, exports and the helpers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairo6.analysis.ard import (
    COLUMNS,
    STAT_NAMES,
    TEXT_STATS,
    Ard,
    ArdRecord,
    add_comparison,
    add_count,
    add_descriptives,
    add_interval,
    add_population,
)
from cairo6.analysis.stats import (
    chi_square,
    clopper_pearson,
    describe_continuous,
    fisher_exact,
    mann_whitney,
    risk_ratio,
    t_test,
)
from cairo6.errors import InvalidValueError, NotFoundError

PROPERTY = settings(database=None, deadline=None)
T2 = "table2"


def primary_ard() -> Ard:
    """Macroscopic complete CRS-HIPEC as in Table 2: 33/37 vs 36/42, Fisher, RR."""
    ard = Ard()
    add_count(ard, T2, "crs", "complete", "experimental", 33, 37)
    add_count(ard, T2, "crs", "complete", "control", 36, 42)
    add_count(ard, T2, "crs", "complete", "total", 69, 79)
    add_comparison(ard, T2, "crs", fisher_exact([[33, 4], [36, 6]]), rr=risk_ratio(33, 37, 36, 42))
    return ard


def test_record_validation() -> None:
    record = ArdRecord(T2, "crs", "complete", "experimental", "n", np.int64(33))  # type: ignore[arg-type]
    assert record.stat == 33
    assert type(record.stat) is int
    assert type(ArdRecord(T2, "crs", "", "control", "pct", np.float64(85.7)).stat) is float
    assert ArdRecord(T2, "crs", "", "arm_b2", "n", 1).group == "arm_b2"
    for bad in (
        {"stat_name": "mode"},
        {"group": ""},
        {"group": "Experimental"},
        {"group": "arm-b"},
        {"table": ""},
        {"variable": " "},
        {"stat": "33"},
        {"stat": True},
        {"stat": float("nan")},
        {"stat": float("inf")},
        {"stat_name": "test", "stat": 1.0},
        {"variable_level": None},
    ):
        fields = {
            "table": T2,
            "variable": "crs",
            "variable_level": "complete",
            "group": "experimental",
            "stat_name": "n",
            "stat": 33,
        }
        fields.update(bad)
        with pytest.raises(InvalidValueError):
            ArdRecord(**fields)  # type: ignore[arg-type]


def test_record_is_frozen() -> None:
    record = ArdRecord(T2, "crs", "complete", "experimental", "n", 33)
    with pytest.raises(AttributeError):
        record.stat = 34  # type: ignore[misc]


def test_add_count_records_n_pct_and_population_once() -> None:
    ard = primary_ard()
    assert ard.stat(T2, "crs", "complete", "experimental", "n") == 33
    # Unrounded: rounding is the report's job.
    assert ard.stat(T2, "crs", "complete", "experimental", "pct") == pytest.approx(89.189189189)
    assert ard.stat(T2, "population", "", "experimental", "N") == 37
    assert ard.stat(T2, "population", "", "total", "N") == 79
    add_count(ard, T2, "crs", "open_close", "experimental", 4, 37)
    assert sum(r.stat_name == "N" for r in ard) == 3


def test_add_count_with_other_denominator() -> None:
    ard = Ard()
    add_population(ard, T2, "experimental", 37)
    # HIPEC regimen among the 33 who had HIPEC: the variable gets its own N.
    add_count(ard, T2, "hipec", "mitomycin", "experimental", 28, 33)
    add_count(ard, T2, "hipec", "oxaliplatin", "experimental", 5, 33)
    assert ard.stat(T2, "hipec", "", "experimental", "N") == 33
    assert ard.stat(T2, "population", "", "experimental", "N") == 37
    assert ard.stat(T2, "hipec", "oxaliplatin", "experimental", "pct") == pytest.approx(
        100 * 5 / 33
    )
    with pytest.raises(InvalidValueError, match="denominator"):
        add_count(ard, T2, "hipec", "none", "experimental", 1, 34)
    with pytest.raises(InvalidValueError, match="population N"):
        add_population(ard, T2, "experimental", 38)
    with pytest.raises(InvalidValueError):
        add_count(ard, T2, "x", "y", "experimental", 5, 4)
    with pytest.raises(InvalidValueError):
        add_count(ard, T2, "x", "y", "experimental", True, 4)


def test_add_count_with_zero_denominator() -> None:
    ard = Ard()
    add_count(ard, "t", "v", "yes", "control", 0, 0)
    assert ard.stat("t", "v", "yes", "control", "pct") is None


def test_add_comparison() -> None:
    ard = primary_ard()
    assert ard.stat(T2, "crs", "", "comparison", "test") == "fisher"
    assert ard.stat(T2, "crs", "", "comparison", "p_value") == pytest.approx(0.7426191, abs=5e-8)
    assert ard.stat(T2, "crs", "", "comparison", "rr") == pytest.approx(1.0405405)
    assert ard.stat(T2, "crs", "", "comparison", "rr_low") == pytest.approx(0.8806646)
    assert ard.stat(T2, "crs", "", "comparison", "rr_high") == pytest.approx(1.2294404)


def test_add_comparison_notes_warning_and_correction() -> None:
    from cairo6.analysis.stats import chi_square

    ard = Ard()
    rr = risk_ratio(0, 10, 3, 10, zero_correction=True)
    add_comparison(ard, "t", "cd4", chi_square([[3, 34], [2, 40]]), rr=rr, level="yes")
    test = ard.find("t", "cd4", "yes", "comparison", "test")
    assert test is not None
    assert (test.stat, test.note) == ("chi2", "small_expected")
    rr_record = ard.find("t", "cd4", "yes", "comparison", "rr")
    assert rr_record is not None
    assert rr_record.note == "corrected"


@pytest.mark.parametrize(
    ("summary", "names"),
    [
        ("mean_sd", ["n", "mean", "sd"]),
        ("median_range", ["n", "median", "min", "max"]),
        ("median_iqr", ["n", "median", "p25", "p75"]),
        ("all", ["n", "mean", "sd", "median", "p25", "p75", "min", "max"]),
    ],
)
def test_add_descriptives(summary: str, names: list[str]) -> None:
    ard = Ard()
    desc = describe_continuous([6, 8, 16, None])
    add_descriptives(ard, T2, "los", "experimental", desc, summary)  # type: ignore[arg-type]
    assert [r.stat_name for r in ard] == names
    assert ard[0].note == "missing=1"
    assert ard.stat(T2, "los", "", "experimental", "n") == 3


def test_add_descriptives_single_value_and_bad_summary() -> None:
    ard = Ard()
    add_descriptives(ard, T2, "los", "control", describe_continuous([4]))
    assert ard.stat(T2, "los", "", "control", "sd") is None
    with pytest.raises(InvalidValueError):
        add_descriptives(ard, T2, "x", "control", describe_continuous([4]), "mode")  # type: ignore[arg-type]


def test_add_interval() -> None:
    ard = Ard()
    add_interval(ard, "response", "radiologic", "objective", "experimental", clopper_pearson(9, 32))
    assert ard.stat("response", "radiologic", "objective", "experimental", "ci_low") == (
        pytest.approx(0.1374569, abs=5e-8)
    )


def test_collection_behaviour() -> None:
    ard = primary_ard()
    assert len(ard) == 15  # 3 x (n, pct), population N x 3, P, test, min_expected, RR x 3
    assert ard[0].stat_name == "N"
    assert [r.stat_name for r in ard[1:3]] == ["n", "pct"]
    assert ard.find(T2, "crs", "complete", "experimental", "mean") is None
    with pytest.raises(NotFoundError):
        ard.stat(T2, "crs", "complete", "experimental", "mean")
    with pytest.raises(InvalidValueError, match="once"):
        ard.add(T2, "crs", "complete", "experimental", "n", 34)
    with pytest.raises(InvalidValueError):
        ard.add(T2, "crs", "complete", "experimental", "median_x", 34)
    with pytest.raises(InvalidValueError):
        ard.append("record")  # type: ignore[arg-type]
    assert Ard(list(ard)) == ard
    assert ard != list(ard)
    assert "15 records" in repr(ard)


def test_to_frame_columns_and_types() -> None:
    frame = primary_ard().to_frame()
    assert list(frame.columns) == list(COLUMNS)
    assert frame["stat"].dtype == object
    row = frame[(frame["group"] == "comparison") & (frame["stat_name"] == "test")]
    assert row["stat"].tolist() == ["fisher"]
    assert Ard().to_frame().columns.tolist() == list(COLUMNS)


def test_round_trips() -> None:
    ard = primary_ard()
    add_descriptives(ard, T2, "los", "control", describe_continuous([4]))
    assert Ard.from_frame(ard.to_frame()) == ard
    assert Ard.from_json_text(ard.to_json_text()) == ard
    with pytest.raises(InvalidValueError):
        Ard.from_frame(ard.to_frame().drop(columns=["note"]))
    with pytest.raises(InvalidValueError):
        Ard.from_json_text('{"table": "t"}')
    with pytest.raises(InvalidValueError):
        Ard.from_records([{"table": "t"}])


def test_from_frame_reads_nan_as_none() -> None:
    frame = pd.DataFrame(
        [["t", "v", np.nan, "control", "sd", np.nan, np.nan, "x"]], columns=list(COLUMNS)
    )
    record = Ard.from_frame(frame)[0]
    assert (record.variable_level, record.stat, record.label, record.note) == ("", None, "", "x")


def test_text_exports_are_stable() -> None:
    ard = Ard()
    add_count(ard, "t", "v", "yes", "experimental", 33, 37)
    add_descriptives(ard, "t", "w", "experimental", describe_continuous([4]))
    csv_text = ard.to_csv_text()
    lines = csv_text.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert lines[1] == "t,population,,experimental,N,37,,"
    assert lines[3] == "t,v,yes,experimental,pct,89.1891891891892,,"
    assert "t,w,,experimental,sd,,," in lines
    assert csv_text == ard.to_csv_text()
    records = json.loads(ard.to_json_text())
    assert list(records[0]) == list(COLUMNS)
    assert records[2]["stat"] == pytest.approx(89.1891891891892)
    assert ard.to_json_text() == Ard(list(ard)).to_json_text()


@PROPERTY
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["experimental", "control", "total", "comparison", "arm_3"]),
            st.sampled_from(STAT_NAMES),
            st.one_of(
                st.none(),
                st.integers(0, 10**6),
                st.floats(allow_nan=False, allow_infinity=False),
            ),
        ),
        max_size=20,
    )
)
def test_json_and_frame_round_trip_property(
    rows: list[tuple[str, str, float | int | None]],
) -> None:
    ard = Ard()
    for i, (group, stat_name, stat) in enumerate(rows):
        value = "fisher" if stat_name in TEXT_STATS else stat
        ard.add("t", f"v{i}", "", group, stat_name, value)
    assert Ard.from_json_text(ard.to_json_text()) == ard
    assert Ard.from_frame(ard.to_frame()) == ard


def test_tests_keep_what_rederives_their_p_value() -> None:
    # As R's cards keeps them: chisq.test(matrix(c(3, 34, 2, 40), 2))$statistic with its
    # parameter (df) and min(expected); wilcox.test's W; t.test(var.equal = TRUE)'s t and df.
    ard = Ard()
    add_comparison(ard, "t", "chi", chi_square([[3, 34], [2, 40]]))
    add_comparison(ard, "t", "mw", mann_whitney([1, 2, 3, 4], [3, 5, 6, 7, 8]))
    add_comparison(ard, "t", "tt", t_test([1.0, 2.0, 3.5], [2.0, 4.0, 5.0, 6.5]))
    add_comparison(ard, "t", "fisher", fisher_exact([[3, 34], [2, 40]]))

    def stats(variable: str) -> dict[str, object]:
        return {r.stat_name: r.stat for r in ard if r.variable == variable}

    chi = stats("chi")
    assert chi["df"] == 1
    assert chi["min_expected"] == pytest.approx(5 * 37 / 79)
    assert chi["statistic"] == pytest.approx(0.371519, abs=1e-6)
    assert stats("mw")["statistic"] == 1.5
    assert stats("mw")["method"] == "normal approximation, continuity correction"
    assert stats("tt")["df"] == 5
    assert "statistic" not in stats("fisher")
    assert stats("fisher")["min_expected"] == pytest.approx(5 * 37 / 79)
