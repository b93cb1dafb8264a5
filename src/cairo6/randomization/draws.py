"""Where the randomness comes from: an injected source of uniforms in [0, 1).

Every decision is derived from uniforms by the two helpers below, in exactly the same floating
point operations in the sequential and the vectorised engine, so both consume identical draws and
make identical decisions. The live service uses `SecureDrawSource` (the operating system's secure
generator); simulations use `GeneratorDrawSource`; audits and tests use `ReplayDrawSource`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from cairo6.errors import RandomizationError


@runtime_checkable
class DrawSource(Protocol):
    """Anything that hands out independent uniforms in [0, 1)."""

    def uniform(self) -> float:
        """The next uniform in [0, 1)."""
        ...


class SecureDrawSource:
    """Uniforms from the operating system's secure source (`secrets.SystemRandom`), for live use."""

    def __init__(self) -> None:
        self._random = secrets.SystemRandom()

    def uniform(self) -> float:
        """The next uniform in [0, 1), 53 random bits."""
        return self._random.random()


class GeneratorDrawSource:
    """Uniforms from a numpy `Generator`, for simulation."""

    def __init__(self, generator: np.random.Generator) -> None:
        self._generator = generator

    def uniform(self) -> float:
        """The next uniform in [0, 1) from the generator."""
        return float(self._generator.random())


class ReplayDrawSource:
    """Replays a recorded sequence of uniforms, e.g. from diagnostics or a simulation array."""

    def __init__(self, values: Iterable[float]) -> None:
        self._values = [float(v) for v in values]
        self._next = 0

    @property
    def consumed(self) -> int:
        """How many values have been handed out."""
        return self._next

    @property
    def remaining(self) -> int:
        """How many values are left."""
        return len(self._values) - self._next

    def uniform(self) -> float:
        """The next recorded value; refuses when the recording is used up."""
        if self._next >= len(self._values):
            raise RandomizationError(
                "draws",
                f"{len(self._values)} recorded values",
                "enough recorded uniforms for every allocation replayed",
                "replay with the complete sequence of recorded draws",
            )
        value = self._values[self._next]
        self._next += 1
        return value


def take(source: DrawSource, count: int) -> tuple[float, ...]:
    """`count` uniforms from `source`, each checked to lie in [0, 1)."""
    values = tuple(source.uniform() for _ in range(count))
    for value in values:
        check_uniform(value)
    return values


def check_uniform(value: float) -> float:
    """`value` if it is a float in [0, 1), else a `RandomizationError`."""
    if not (isinstance(value, float) and 0.0 <= value < 1.0):
        raise RandomizationError(
            "draw", value, "a float in [0, 1)", "use a draw source that yields uniforms in [0, 1)"
        )
    return value


def pick_index(u: float, n: int) -> int:
    """floor(u * n), kept below n: a uniform choice among n (numpy: the same operations)."""
    return min(int(u * n), n - 1)


def pick_by_counts(u: float, weights: Sequence[int]) -> int:
    """The index chosen with probability proportional to integer `weights` (first of ties)."""
    j = pick_index(u, sum(weights))
    running = 0
    for index, weight in enumerate(weights):
        running += weight
        if j < running:
            return index
    raise AssertionError("unreachable: j < sum(weights)")  # pragma: no cover


def pick_by_cumulative(u: float, cumulative: Sequence[float]) -> int:
    """The first index whose cumulative probability exceeds u (the last index otherwise)."""
    for index, bound in enumerate(cumulative[:-1]):
        if u < bound:
            return index
    return len(cumulative) - 1
