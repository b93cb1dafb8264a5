"""The table spec: parsed strictly, shipped with the package, driving the layout."""

from __future__ import annotations

import re

import pytest

from cairo6.analysis.engine import analyse
from cairo6.analysis.spec import KINDS, default_spec, parse_spec
from cairo6.errors import InvalidValueError
from cairo6.protocol import Protocol

from ._cohort import frames

MINIMAL = """
[spec]
derivations = "cairo6.studies.cairo6.derive"

[[tables]]
id = "baseline"
population = "mitt"
columns = ["arms"]

[[tables.rows]]
variable = "sex"
kind = "categorical"
value = "baseline.sex"
levels = ["male", "female"]
"""


def test_default_spec_covers_every_display_item() -> None:
    spec = default_spec()
    assert [t.id for t in spec.tables] == [
        "figure",
        "table1",
        "table2",
        "table3",
        "table4",
        "results",
    ]
    kinds = {row.kind for table in spec.tables for row in table.rows}
    assert kinds == set(KINDS)
    assert spec.regimen_levels["CAP"] == "capecitabine"
    assert spec.events["reoperation"].grade == "match:complication"


def test_minimal_spec_parses() -> None:
    spec = parse_spec(MINIMAL)
    row = spec.table("baseline").rows[0]
    assert (row.kind, row.variable, row.levels, row.test) == (
        "categorical",
        "sex",
        ("male", "female"),
        None,
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('kind = "categorical"', 'kind = "pie"'), "not one of"),
        (('levels = ["male", "female"]', 'levels = ["male"]\nbins = 3'), "unknown key"),
        (('variable = "sex"', 'variable = ""'), "needs a variable"),
        (('value = "baseline.sex"', 'value = "baseline.sex"\ntest = "anova"'), "not one of"),
        (('id = "baseline"', "id = 3"), "needs an id"),
        (("[[tables.rows]]", "[[tables.rowz]]"), "at least one row"),
        (("[[tables]]", "[tables"), "not valid TOML"),
    ],
)
def test_malformed_spec_is_refused(change: tuple[str, str], problem: str) -> None:
    with pytest.raises(InvalidValueError, match=problem):
        parse_spec(MINIMAL.replace(*change))


def test_another_layout_is_a_spec_not_code(cairo6: Protocol) -> None:
    # The same engine with a one-row layout: only that table, the auto rule's test, no others.
    result = analyse(cairo6, frames(), parse_spec(MINIMAL))
    assert {record.table for record in result.ard} == {"baseline"}
    # mITT: experimental T-E1 male, T-E2 female; control T-E3, T-C1..3 male, female, male, male
    assert result.ard.stat("baseline", "sex", "male", "experimental", "n") == 1
    assert result.ard.stat("baseline", "sex", "male", "control", "n") == 3
    assert result.ard.stat("baseline", "sex", "", "comparison", "test") == "fisher"
    assert result.labels == {}


def test_the_flow_diagram_layout_is_checked() -> None:
    good = MINIMAL + '[flow_diagram]\ntop = [{ variable = "screened" }]\n'
    assert parse_spec(good).flow_diagram is not None
    assert parse_spec(MINIMAL).flow_diagram is None
    for bad, named in (
        ('[flow_diagram]\ntop = [{ variable = "x", colour = "red" }]\n', "colour"),
        ('[flow_diagram]\narms = [{ variable = "x", side = 1 }]\n', "arms[0].side"),
        ('[flow_diagram]\nbottom = [{ details = ["y"] }]\n', "flow_diagram.bottom[0].variable"),
        ("[flow_diagram]\nmiddle = []\n", "middle"),
    ):
        with pytest.raises(InvalidValueError, match=re.escape(named)):
            parse_spec(MINIMAL + bad)


def test_a_layout_names_an_importable_module_of_derivations(cairo6: Protocol) -> None:
    layout = MINIMAL.replace("cairo6.studies.cairo6.derive", "cairo6.studies.no_such_study")
    with pytest.raises(InvalidValueError, match="an importable module"):
        analyse(cairo6, frames(), parse_spec(layout))
    # A module without DERIVATIONS is refused, not half-used.
    layout = MINIMAL.replace("cairo6.studies.cairo6.derive", "cairo6.analysis.stats")
    with pytest.raises(InvalidValueError, match="DERIVATIONS"):
        analyse(cairo6, frames(), parse_spec(layout))
    unnamed = MINIMAL.replace('derivations = "cairo6.studies.cairo6.derive"', "")
    with pytest.raises(InvalidValueError, match=r"spec\.derivations"):
        analyse(cairo6, frames(), parse_spec(unnamed))
