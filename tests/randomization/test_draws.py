"""Draw sources and the helpers that turn uniforms into choices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cairo6.errors import RandomizationError
from cairo6.randomization import (
    DrawSource,
    GeneratorDrawSource,
    ReplayDrawSource,
    SecureDrawSource,
)
from cairo6.randomization.draws import pick_by_counts, pick_by_cumulative, pick_index, take


def test_secure_source_gives_floats_in_the_unit_interval() -> None:
    source = SecureDrawSource()
    assert isinstance(source, DrawSource)
    values = [source.uniform() for _ in range(20_000)]
    assert all(isinstance(v, float) and 0.0 <= v < 1.0 for v in values)
    assert len(set(values)) == len(values)  # 53-bit floats: a repeat means a broken source
    # Uniform(0, 1): mean 1/2, sd 1/sqrt(12); 5 standard errors
    assert abs(sum(values) / len(values) - 0.5) < 5 / math.sqrt(12 * len(values))


def test_generator_source_replays_the_generator() -> None:
    source = GeneratorDrawSource(np.random.default_rng(7))
    expected = np.random.default_rng(7).random(3)
    assert [source.uniform() for _ in range(3)] == expected.tolist()


def test_replay_source_refuses_when_used_up() -> None:
    source = ReplayDrawSource([0.25, 0.5])
    assert take(source, 2) == (0.25, 0.5)
    assert source.consumed == 2
    assert source.remaining == 0
    with pytest.raises(RandomizationError, match="draws"):
        source.uniform()


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5])
def test_values_outside_the_unit_interval_are_refused(bad: float) -> None:
    with pytest.raises(RandomizationError, match=r"draw: .* is not allowed; allowed: a float"):
        take(ReplayDrawSource([bad]), 1)


def test_choices_from_uniforms() -> None:
    assert [pick_index(u, 3) for u in (0.0, 0.34, 0.67, 0.9999999999999999)] == [0, 1, 2, 2]
    # ratios 2:1:1 -> integer ticket j = floor(4u): 0, 1 -> arm 0; 2 -> arm 1; 3 -> arm 2
    assert [pick_by_counts(u, [2, 1, 1]) for u in (0.0, 0.49, 0.5, 0.74, 0.75)] == [0, 0, 1, 1, 2]
    assert pick_by_counts(0.99, [0, 3, 0]) == 1  # zero weights are never chosen
    assert [pick_by_cumulative(u, [0.2, 1.0]) for u in (0.0, 0.19, 0.2, 0.99)] == [0, 0, 1, 1]
