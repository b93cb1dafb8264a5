"""The record of one allocation: enough to replay and verify it later, as plain JSON data.

A `Diagnostic` stores what the allocator saw (the counts at the patient's levels, or the block's
filled places), what it computed (each arm's total imbalance, the preferred arm(s), the
probabilities), the two uniforms it consumed and the result. `verify` in `allocate.py` recomputes
everything from the stored counts and draws and confirms the arm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cairo6.errors import RandomizationError


@dataclass(frozen=True)
class Diagnostic:
    """How one allocation was made. JSON-serialisable with `to_dict` / `from_dict`."""

    method: str
    """The protocol's method: minimization, permuted_blocks or simple."""
    phase: str
    """What decided this allocation: minimization, initial_random, permuted_blocks or simple."""
    sequence: int
    """1 for the first allocation of the trial, and so on."""
    arms: tuple[str, ...]
    ratios: tuple[int, ...]
    levels: Mapping[str, str]
    """The patient's factor levels (and centre when used)."""
    totals: Mapping[str, int]
    """Allocations per arm before this one."""
    probabilities: Mapping[str, float]
    """The probability each arm had."""
    draws: tuple[float, ...]
    """The uniforms consumed: u0 (tie-break or block size), u1 (the arm)."""
    arm: str
    """The result."""
    counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Minimisation: factor -> arm -> earlier allocations at the patient's level of that factor."""
    measure: str | None = None
    p: float | None = None
    scores: Mapping[str, float] = field(default_factory=dict)
    """Minimisation: each arm's weighted total imbalance if the patient were assigned to it."""
    preferred: tuple[str, ...] = ()
    """Minimisation: the arm(s) with the smallest total (more than one on a tie)."""
    chosen_preferred: str | None = None
    """Minimisation: the preferred arm after the tie-break."""
    stratum: tuple[str, ...] | None = None
    """Permuted blocks: the stratum (levels of the strata factors)."""
    block_size: int | None = None
    """Permuted blocks: the size of the block this allocation belongs to."""
    block_counts: Mapping[str, int] | None = None
    """Permuted blocks: places of that block filled per arm before this allocation."""
    new_block: bool = False
    """Permuted blocks: whether this allocation started the block (u0 chose its size)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (lists, dicts, str, int, float, bool, None)."""
        return {
            "method": self.method,
            "phase": self.phase,
            "sequence": self.sequence,
            "arms": list(self.arms),
            "ratios": list(self.ratios),
            "levels": dict(self.levels),
            "totals": dict(self.totals),
            "counts": {factor: dict(per_arm) for factor, per_arm in self.counts.items()},
            "measure": self.measure,
            "p": self.p,
            "scores": dict(self.scores),
            "preferred": list(self.preferred),
            "chosen_preferred": self.chosen_preferred,
            "stratum": None if self.stratum is None else list(self.stratum),
            "block_size": self.block_size,
            "block_counts": None if self.block_counts is None else dict(self.block_counts),
            "new_block": self.new_block,
            "probabilities": dict(self.probabilities),
            "draws": list(self.draws),
            "arm": self.arm,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Diagnostic:
        """Rebuild a diagnostic from `to_dict` output (e.g. parsed JSON); refuses malformed data."""
        try:
            stratum = data["stratum"]
            block_counts = data["block_counts"]
            return cls(
                method=_text(data["method"]),
                phase=_text(data["phase"]),
                sequence=_int(data["sequence"]),
                arms=tuple(_text(a) for a in data["arms"]),
                ratios=tuple(_int(r) for r in data["ratios"]),
                levels={_text(k): _text(v) for k, v in data["levels"].items()},
                totals={_text(k): _int(v) for k, v in data["totals"].items()},
                counts={
                    _text(f): {_text(a): _int(n) for a, n in per_arm.items()}
                    for f, per_arm in data["counts"].items()
                },
                measure=None if data["measure"] is None else _text(data["measure"]),
                p=None if data["p"] is None else _float(data["p"]),
                scores={_text(k): _float(v) for k, v in data["scores"].items()},
                preferred=tuple(_text(a) for a in data["preferred"]),
                chosen_preferred=(
                    None if data["chosen_preferred"] is None else _text(data["chosen_preferred"])
                ),
                stratum=None if stratum is None else tuple(_text(s) for s in stratum),
                block_size=None if data["block_size"] is None else _int(data["block_size"]),
                block_counts=(
                    None
                    if block_counts is None
                    else {_text(k): _int(v) for k, v in block_counts.items()}
                ),
                new_block=bool(data["new_block"]),
                probabilities={_text(k): _float(v) for k, v in data["probabilities"].items()},
                draws=tuple(_float(u) for u in data["draws"]),
                arm=_text(data["arm"]),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise RandomizationError(
                "diagnostic",
                f"{type(exc).__name__}: {exc}",
                "the dictionary written by Diagnostic.to_dict()",
                "load the stored diagnostic unchanged",
            ) from exc


@dataclass(frozen=True)
class Allocation:
    """The result of one allocation: the arm, and how it was reached."""

    arm: str
    diagnostic: Diagnostic

    @property
    def sequence(self) -> int:
        """The allocation's number in the trial, from 1."""
        return self.diagnostic.sequence

    @property
    def levels(self) -> Mapping[str, str]:
        """The patient's factor levels."""
        return self.diagnostic.levels


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r}")
    return value


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)
