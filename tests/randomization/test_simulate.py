"""The simulator's summaries, prevalence handling and argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cairo6.errors import RandomizationError
from cairo6.protocol import Protocol, RandomizationMethod
from cairo6.randomization import parse_prevalence, resolve_prevalence, simulate
from cairo6.randomization.design import design_from_protocol
from cairo6.randomization.prevalence import ASSUMED
from cairo6.randomization.summary import Histogram


@pytest.mark.parametrize("n", [1, 2, 7, 100, 1001])
def test_histogram_statistics_follow_carat(n: int) -> None:
    # carat compRand: 95% quantile = ceil(0.95 N)-th smallest; median the usual middle value(s).
    values = np.random.default_rng(n).integers(0, 30, size=n)
    hist = Histogram()
    hist.add(values[: n // 2])
    hist.add(values[n // 2 :])
    ordered = np.sort(values)
    stats = hist.stats()
    assert stats.max == ordered[-1]
    assert stats.p95 == ordered[math.ceil(0.95 * n) - 1]
    assert stats.median == np.median(values)
    assert stats.mean == pytest.approx(values.mean())
    assert hist.share_above(10) == pytest.approx((values > 10).mean())


def test_histogram_in_units_of_a_half() -> None:
    hist = Histogram(unit=2)
    hist.add(np.array([1, 3, 4]))  # 0.5, 1.5, 2.0
    assert hist.stats().max == 2.0
    assert hist.stats().median == 1.5
    assert hist.share_above(1.5) == pytest.approx(1 / 3)
    assert hist.distribution() == [(0.5, 1), (1.5, 1), (2.0, 1)]


CSV = "factor,level,prevalence\npci,0-10,0.7\npci,11-20,0.3\n"
TOML = """
[[prevalence]]
factor = "pci"
level = "0-10"
prevalence = 0.7

[[prevalence]]
factor = "pci"
level = "11-20"
prevalence = 0.3
"""


def test_prevalence_files(cairo6: Protocol) -> None:
    assert parse_prevalence(CSV, "csv") == parse_prevalence(TOML, "toml")
    factors = design_from_protocol(cairo6).factors
    resolved = resolve_prevalence(factors, 0, parse_prevalence(CSV, "csv"), "prev.csv")
    assert resolved.probabilities["pci"] == (0.7, 0.3)
    assert resolved.probabilities["onset"] == (0.5, 0.5)
    assert resolved.source["pci"] == "from prev.csv"
    assert resolved.source["onset"] == ASSUMED
    assert "ASSUMED equal per level" in resolved.describe()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("factor,level\npci,0-10\n", "columns"),
        ("factor,level,prevalence\npci,0-10,0.7\npci,11-20,0.2\n", "summing to 1"),
        ("factor,level,prevalence\npci,0-10,1.0\n", "exactly the levels"),
        ("factor,level,prevalence\nsex,female,1.0\n", "protocol's factor ids"),
        ("factor,level,prevalence\npci,0-10,abc\npci,11-20,0.5\n", "row 1"),
        ("factor,level,prevalence\npci,0-10,0.5\npci,0-10,0.5\n", "each factor and level once"),
    ],
)
def test_bad_prevalence_is_refused(cairo6: Protocol, text: str, message: str) -> None:
    factors = design_from_protocol(cairo6).factors
    with pytest.raises(RandomizationError, match=message):
        resolve_prevalence(factors, 0, parse_prevalence(text, "csv"))


def test_prevalence_shapes_the_simulated_patients(cairo6: Protocol) -> None:
    entries = parse_prevalence("factor,level,prevalence\npci,0-10,1\npci,11-20,0\n", "csv")
    result = simulate(
        cairo6, [RandomizationMethod.SIMPLE], patients=50, trials=500,
        rng=np.random.default_rng(1), prevalence=entries, chunk_size=200,
    )  # fmt: skip
    method = result.methods[0]
    assert method.row("marginal", "pci", "11-20").stats.max == 0  # nobody at PCI 11-20
    # with every patient at PCI 0-10 that margin is the overall imbalance
    assert method.row("marginal", "pci", "0-10").stats == method.row("overall").stats


def test_result_layout(cairo6: Protocol) -> None:
    methods = list(RandomizationMethod)
    result = simulate(
        cairo6, methods, patients=40, trials=300, rng=np.random.default_rng(2),
        chunk_size=128, thresholds=(1, 3),
    )  # fmt: skip
    assert [m.method for m in result.methods] == methods
    assert [m.label for m in result.methods] == ["minimization p=0.8 range", "blocks 2/4", "simple"]
    for method in result.methods:
        kinds = [r.kind for r in method.rows]
        assert kinds.count("marginal") == 8
        assert kinds.count("stratum") == 16
        assert sum(count for _, count in method.overall) == 300
        assert [k for k, _ in method.above] == [1, 3]
        assert 0 < method.predictability < 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patients": 0}, "patients"),
        ({"trials": -5}, "trials"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"p": 0.3}, "p: 0.3"),
    ],
)
def test_bad_arguments_are_refused(cairo6: Protocol, kwargs: dict[str, int], message: str) -> None:
    arguments = {"patients": 10, "trials": 10, "chunk_size": 10} | kwargs
    with pytest.raises(RandomizationError, match=message):
        simulate(
            cairo6, [RandomizationMethod.MINIMIZATION], rng=np.random.default_rng(3), **arguments
        )
