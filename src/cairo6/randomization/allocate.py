"""The live-service entry point: one allocation from the state and two fresh draws, and its audit.

`allocate` is a pure function of (protocol, state, levels, draws): the state holds only counts of
past allocations, the draws come from the injected source, and nothing here can tell what the
next allocation will be. `verify` recomputes a stored diagnostic and confirms its arm.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

from cairo6.errors import RandomizationError
from cairo6.protocol.models import Protocol, RandomizationMethod
from cairo6.randomization.design import DRAWS_PER_ALLOCATION, Design, as_design
from cairo6.randomization.diagnostic import Allocation, Diagnostic
from cairo6.randomization.draws import DrawSource, check_uniform, take
from cairo6.randomization.levels import check_levels
from cairo6.randomization.state import (
    AllocationState,
    BlockState,
    advance,
    check_state,
    stratum_of,
)
from cairo6.randomization.steps import block_step, minimisation_step, random_step


def allocate(
    protocol: Protocol | Design,
    state: AllocationState,
    levels: Mapping[str, str],
    draws: DrawSource,
) -> tuple[Allocation, AllocationState]:
    """Allocate the next patient, with `levels` from `derive_levels`; returns the allocation (arm
    and diagnostic) and the state that includes it. Consumes exactly two uniforms."""
    design = as_design(protocol)
    check_state(design, state)
    levels = check_levels(design, levels)
    u0, u1 = take(draws, DRAWS_PER_ALLOCATION)
    diagnostic = _decide(design, state, levels, u0, u1)
    arm = design.arms.index(diagnostic.arm)
    block = None
    if diagnostic.block_size is not None and diagnostic.block_counts is not None:
        block = BlockState(diagnostic.block_size, tuple(diagnostic.block_counts.values()))
    return Allocation(diagnostic.arm, diagnostic), advance(design, state, levels, arm, block)


def _named(design: Design, values: Sequence[float]) -> dict[str, float]:
    return {arm: float(v) for arm, v in zip(design.arms, values, strict=True)}


def _named_counts(design: Design, values: Sequence[int]) -> dict[str, int]:
    return dict(zip(design.arms, values, strict=True))


def _decide(
    design: Design,
    state: AllocationState,
    levels: Mapping[str, str],
    u0: float,
    u1: float,
    *,
    sequence: int | None = None,
    level_counts: Mapping[str, Sequence[int]] | None = None,
    block: BlockState | None = None,
) -> Diagnostic:
    """The decision and its record. `sequence`, `level_counts` and `block` override what is read
    from `state` (verification feeds the stored values)."""
    seq = state.allocated + 1 if sequence is None else sequence
    base = Diagnostic(
        method=design.method.value,
        phase="",
        sequence=seq,
        arms=design.arms,
        ratios=design.ratios,
        levels=dict(levels),
        totals=_named_counts(design, state.totals),
        probabilities={},
        draws=(u0, u1),
        arm="",
    )
    if design.method is RandomizationMethod.PERMUTED_BLOCKS:
        stratum = stratum_of(design, levels)
        current = state.block(stratum) if block is None else block
        bstep = block_step(design, current.size, current.counts, u0, u1)
        return replace(
            base,
            phase="permuted_blocks",
            stratum=stratum,
            block_size=bstep.block_size,
            block_counts=_named_counts(design, bstep.counts_before),
            new_block=bstep.new_block,
            probabilities=_named(design, bstep.probabilities),
            arm=design.arms[bstep.arm],
        )
    counts: dict[str, tuple[int, ...]] = {}
    if design.method is RandomizationMethod.MINIMIZATION:
        for f in design.minimisation_factors:
            seen = level_counts.get(f.id) if level_counts is not None else None
            counts[f.id] = state.counts_at(f.id, levels[f.id]) if seen is None else tuple(seen)
    shown = {f: _named_counts(design, c) for f, c in counts.items()}
    if design.method is RandomizationMethod.SIMPLE or seq <= design.initial_random:
        rstep = random_step(design, u1)
        simple = design.method is RandomizationMethod.SIMPLE
        return replace(
            base,
            phase="simple" if simple else "initial_random",
            counts=shown,
            probabilities=_named(design, rstep.probabilities),
            arm=design.arms[rstep.arm],
        )
    mstep = minimisation_step(design, list(counts.values()), u0, u1)
    return replace(
        base,
        phase="minimization",
        counts=shown,
        measure=design.measure.value,
        p=design.p,
        scores=_named(design, mstep.scores),
        preferred=tuple(design.arms[a] for a in mstep.preferred),
        chosen_preferred=design.arms[mstep.chosen_preferred],
        probabilities=_named(design, mstep.probabilities),
        arm=design.arms[mstep.arm],
    )


def check_diagnostic(
    diagnostic: Diagnostic,
    protocol: Protocol | Design,
    state: AllocationState | None = None,
) -> list[str]:
    """What does not reproduce when the diagnostic is recomputed from its stored counts and
    draws (an empty list when it verifies). With `state` (rebuilt from the allocations before
    this one) the stored counts are also checked against the history."""
    design = as_design(protocol)
    problems: list[str] = []
    if diagnostic.method != design.method.value:
        problems.append(f"method {diagnostic.method!r}, protocol says {design.method.value!r}")
    if diagnostic.arms != design.arms or diagnostic.ratios != design.ratios:
        problems.append("arms or ratios differ from the protocol's")
    if len(diagnostic.draws) != DRAWS_PER_ALLOCATION:
        problems.append(f"{len(diagnostic.draws)} draws stored, {DRAWS_PER_ALLOCATION} expected")
    if problems:
        return problems
    try:
        u0, u1 = (check_uniform(u) for u in diagnostic.draws)
        levels = check_levels(design, diagnostic.levels)
        totals = tuple(diagnostic.totals[a] for a in design.arms)
        stored = AllocationState(arms=design.arms, totals=totals)
        counts = {f: tuple(c[a] for a in design.arms) for f, c in diagnostic.counts.items()}
        block = None
        if diagnostic.block_counts is not None and diagnostic.block_size is not None:
            size = 0 if diagnostic.new_block else diagnostic.block_size
            block = BlockState(size, tuple(diagnostic.block_counts[a] for a in design.arms))
        redo = _decide(
            design,
            stored,
            levels,
            u0,
            u1,
            sequence=diagnostic.sequence,
            level_counts=counts if design.method is RandomizationMethod.MINIMIZATION else None,
            block=block,
        )
    except (RandomizationError, KeyError, ValueError) as exc:
        return [f"cannot be recomputed: {exc}"]
    problems += _differences(diagnostic, redo)
    if state is not None:
        problems += _against_state(design, diagnostic, redo, state)
    return problems


def _differences(stored: Diagnostic, redo: Diagnostic) -> list[str]:
    problems = []
    names = ("phase", "preferred", "chosen_preferred", "stratum", "block_size", "block_counts")
    for name in (*names, "arm"):
        if getattr(stored, name) != getattr(redo, name):
            problems.append(
                f"{name}: stored {getattr(stored, name)!r}, recomputed {getattr(redo, name)!r}"
            )
    if stored.new_block != redo.new_block and stored.block_size is not None:
        problems.append(f"new_block: stored {stored.new_block}, recomputed {redo.new_block}")
    for name in ("scores", "probabilities"):
        mine: Mapping[str, float] = getattr(stored, name)
        theirs: Mapping[str, float] = getattr(redo, name)
        if set(mine) != set(theirs) or any(
            not math.isclose(mine[k], theirs[k], rel_tol=1e-12, abs_tol=1e-12) for k in mine
        ):
            problems.append(f"{name}: stored {dict(mine)}, recomputed {dict(theirs)}")
    if stored.measure != redo.measure or stored.p != redo.p:
        problems.append(
            f"measure/p: stored {stored.measure}/{stored.p}, protocol {redo.measure}/{redo.p}"
        )
    return problems


def _against_state(
    design: Design, stored: Diagnostic, redo: Diagnostic, state: AllocationState
) -> list[str]:
    problems = []
    if stored.sequence != state.allocated + 1:
        problems.append(f"sequence {stored.sequence}, history has {state.allocated} before it")
    if tuple(stored.totals[a] for a in design.arms) != state.totals:
        problems.append(f"totals {dict(stored.totals)} differ from the history's")
    for factor, per_arm in stored.counts.items():
        expected = state.counts_at(factor, stored.levels[factor])
        if tuple(per_arm[a] for a in design.arms) != expected:
            problems.append(f"counts for {factor} {dict(per_arm)} differ from the history's")
    if redo.stratum is not None:
        current = state.block(redo.stratum)
        fresh = current.size == 0 or current.complete
        if stored.new_block != fresh or (
            not fresh
            and (
                stored.block_size != current.size
                or tuple((stored.block_counts or {}).values()) != current.counts
            )
        ):
            problems.append("block state differs from the history's")
    return problems


def verify(
    diagnostic: Diagnostic,
    protocol: Protocol | Design,
    state: AllocationState | None = None,
) -> bool:
    """True when recomputing the diagnostic from its stored counts and draws gives the same
    scores, preferred arm(s), probabilities and arm (and, with `state`, the same counts as the
    history before it)."""
    return not check_diagnostic(diagnostic, protocol, state)
