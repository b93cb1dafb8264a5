"""One semantics, two engines: identical draws give identical allocations, for every method.

The sequential engine is `allocate` (the live service's code) fed trial t's uniforms
`draws[:, :, t]` through a `ReplayDrawSource`; the vectorised engine gets the whole arrays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from cairo6.protocol import ImbalanceMeasure, Protocol, RandomizationMethod
from cairo6.randomization import Design, design_from_protocol, run_sequential, run_vectorised
from cairo6.randomization.vectorised import _minimisation_general, _minimisation_two_arm_range
from tests.randomization.conftest import build, three_arm_raw

M, B, S = (
    RandomizationMethod.MINIMIZATION,
    RandomizationMethod.PERMUTED_BLOCKS,
    RandomizationMethod.SIMPLE,
)
RANGE, VARIANCE, SD = ImbalanceMeasure.RANGE, ImbalanceMeasure.VARIANCE, ImbalanceMeasure.SD


def _cairo6(raw: dict[str, Any]) -> None:
    raw["randomization"]["block_sizes"] = [2, 4, 6]


def _cairo6_centre(raw: dict[str, Any]) -> None:
    raw["randomization"]["centre_as_factor"] = True
    raw["randomization"]["initial_random"] = 10
    raw["randomization"]["stratify_blocks_by_centre"] = True


def _unequal_weights(raw: dict[str, Any]) -> None:
    raw["randomization"]["factors"][0]["weight"] = 2.0
    raw["randomization"]["factors"][2]["weight"] = 0.5


def _two_to_one(raw: dict[str, Any]) -> None:
    raw["arms"][0]["ratio"] = 2
    raw["randomization"]["block_sizes"] = [3, 6]


def _three_arm_p1(raw: dict[str, Any]) -> None:
    three_arm_raw(raw)
    raw["randomization"]["initial_random"] = 5


CASES: list[
    tuple[
        str,
        Callable[[dict[str, Any]], None],
        RandomizationMethod,
        float | None,
        ImbalanceMeasure | None,
        int,
    ]
] = [
    ("2 arms range p0.8", _cairo6, M, 0.8, RANGE, 0),
    ("2 arms range p1", _cairo6, M, 1.0, RANGE, 0),
    ("2 arms variance", _cairo6, M, 0.8, VARIANCE, 0),
    ("2 arms sd", _cairo6, M, 0.75, SD, 0),
    ("2 arms unequal weights", _unequal_weights, M, 0.8, RANGE, 0),
    ("2 arms centre + initial random", _cairo6_centre, M, 0.8, RANGE, 4),
    ("2:1 range", _two_to_one, M, 0.8, RANGE, 0),
    ("2:1:1 range centre", three_arm_raw, M, 0.8, RANGE, 3),
    ("2:1:1 range p1 initial random", _three_arm_p1, M, 1.0, RANGE, 3),
    ("2:1:1 variance", three_arm_raw, M, 0.9, VARIANCE, 3),
    ("2:1:1 sd initial random", _three_arm_p1, M, 0.8, SD, 3),
    ("2 arms blocks", _cairo6, B, None, None, 0),
    ("2 arms blocks by centre", _cairo6_centre, B, None, None, 4),
    ("2:1 blocks", _two_to_one, B, None, None, 0),
    ("2:1:1 blocks by centre", three_arm_raw, B, None, None, 3),
    ("2 arms simple", _cairo6, S, None, None, 0),
    ("2:1:1 simple", three_arm_raw, S, None, None, 3),
]


def _inputs(
    design: Design, patients: int, trials: int, seed: int, n_centres: int
) -> tuple[np.ndarray, np.ndarray]:
    # Few levels in use, so ties, empty levels and full blocks all occur often.
    rng = np.random.default_rng(seed)
    columns = [rng.integers(0, len(f.levels), size=(patients, 1, trials)) for f in design.factors]
    if n_centres:
        columns.append(rng.integers(0, n_centres, size=(patients, 1, trials)))
    return np.concatenate(columns, axis=1).astype(np.int8), rng.random((patients, 2, trials))


@pytest.mark.parametrize(
    ("name", "change", "method", "p", "measure", "centres"), CASES, ids=[c[0] for c in CASES]
)
def test_sequential_and_vectorised_engines_agree(
    name: str,
    change: Callable[[dict[str, Any]], None],
    method: RandomizationMethod,
    p: float | None,
    measure: ImbalanceMeasure | None,
    centres: int,
) -> None:
    protocol: Protocol = build(change)
    design = design_from_protocol(protocol, method=method, p=p, measure=measure)
    levels, draws = _inputs(design, patients=70, trials=24, seed=len(name), n_centres=centres)
    sequential = run_sequential(design, levels, draws, n_centres=centres)
    vectorised = run_vectorised(design, levels, draws, n_centres=centres).arms
    assert vectorised.shape == (70, 24)
    mismatches = np.argwhere(sequential != vectorised)
    assert mismatches.size == 0, f"first mismatch (patient, trial): {mismatches[:1].tolist()}"
    # the comparison is not vacuous: every arm is used
    assert set(np.unique(vectorised).tolist()) == set(range(design.k))


@pytest.mark.parametrize("ratios", [(1, 1), (2, 1), (1, 3)])
def test_two_arm_fast_path_equals_the_general_path(ratios: tuple[int, int]) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["arms"][0]["ratio"], raw["arms"][1]["ratio"] = ratios
        raw["randomization"]["initial_random"] = 3
        raw["randomization"]["block_sizes"] = [sum(ratios)]

    design = design_from_protocol(build(change))
    levels, draws = _inputs(design, patients=150, trials=1500, seed=sum(ratios), n_centres=0)
    fast = _minimisation_two_arm_range(design, levels, draws, 0, True)
    general = _minimisation_general(design, levels, draws, 0, True)
    assert np.array_equal(fast.arms, general.arms)
    assert fast.correct_guesses == general.correct_guesses


def test_equal_weights_scale_does_not_change_allocations() -> None:
    design = design_from_protocol(build(_cairo6))
    heavy = dataclasses.replace(
        design,
        factors=tuple(dataclasses.replace(f, weight=3.0) for f in design.factors),
    )
    levels, draws = _inputs(design, patients=100, trials=300, seed=11, n_centres=0)
    a = run_vectorised(design, levels, draws).arms
    b = _minimisation_general(heavy, levels, draws, 0, False).arms
    assert np.array_equal(a, b)
