"""Protocols and simulated inputs shared by the randomisation tests.

Variants are built from the bundled CAIRO6 TOML inside the tests, so each test states the
configuration it checks (arms and ratios, factors, weights, centre, initial random allocations).
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from cairo6.protocol import Protocol, default_protocol_text, protocol_from_dict
from cairo6.randomization import Design

_RAW = tomllib.loads(default_protocol_text())

PS_FACTOR = {
    "id": "ps",
    "label": "WHO performance status",
    "weight": 2.0,
    "levels": [
        {
            "id": "0",
            "label": "0",
            "when": {"field": "who_performance_status", "op": "eq", "value": 0},
        },
        {
            "id": "1",
            "label": "1",
            "when": {"field": "who_performance_status", "op": "eq", "value": 1},
        },
        {
            "id": "2+",
            "label": "2+",
            "when": {"field": "who_performance_status", "op": "ge", "value": 2},
        },
    ],
}


def build(change: Callable[[dict[str, Any]], None] | None = None) -> Protocol:
    """The CAIRO6 protocol with `change` applied to its raw TOML data, validated again."""
    raw = copy.deepcopy(_RAW)
    if change is not None:
        change(raw)
    return protocol_from_dict(raw)


def three_arm_raw(raw: dict[str, Any]) -> None:
    """2:1:1 (experimental twice as often), a third three-level factor of weight 2, centre as a
    factor of weight 0.5, permuted blocks of 4 or 8 stratified by centre."""
    raw["arms"][0]["ratio"] = 2
    raw["arms"].append({"id": "observation", "label": "Observation", "ratio": 1})
    rand = raw["randomization"]
    rand["factors"].append(copy.deepcopy(PS_FACTOR))
    rand["centre_as_factor"] = True
    rand["centre_weight"] = 0.5
    rand["block_sizes"] = [4, 8]
    rand["stratify_blocks_by_centre"] = True


@pytest.fixture(scope="session")
def three_arm_211() -> Protocol:
    """A made-up three-arm 2:1:1 protocol (see `three_arm_raw`)."""
    return build(three_arm_raw)


def random_inputs(
    design: Design, patients: int, trials: int, seed: int, n_centres: int = 0
) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    """Equally likely levels (patients, columns, trials) and uniforms (patients, 2, trials)."""
    rng = np.random.default_rng(seed)
    columns = [rng.integers(0, len(f.levels), size=(patients, 1, trials)) for f in design.factors]
    if n_centres:
        columns.append(rng.integers(0, n_centres, size=(patients, 1, trials)))
    levels = np.concatenate(columns, axis=1).astype(np.int8)
    return levels, rng.random((patients, 2, trials))
