"""The live entry point: allocate, state, history, diagnostics, verification and tampering."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pytest

from cairo6.errors import RandomizationError
from cairo6.protocol import Protocol, RandomizationMethod
from cairo6.randomization import (
    Allocation,
    AllocationState,
    Design,
    Diagnostic,
    GeneratorDrawSource,
    ReplayDrawSource,
    allocate,
    check_diagnostic,
    design_from_protocol,
    empty_state,
    state_from_history,
    verify,
)
from cairo6.randomization.sequential import level_mappings
from tests.randomization.conftest import random_inputs

PATIENT = {"pci": "0-10", "onset": "synchronous", "previous_systemic_therapy": "no",
           "hipec_drug": "mitomycin_c"}  # fmt: skip


def _run(
    design: Design, patients: list[dict[str, str]], seed: int
) -> tuple[list[Allocation], list[AllocationState]]:
    source = GeneratorDrawSource(np.random.default_rng(seed))
    state = empty_state(design)
    allocations, states = [], [state]
    for patient in patients:
        allocation, state = allocate(design, state, patient, source)
        allocations.append(allocation)
        states.append(state)
    return allocations, states


def _patients(design: Design, n: int, seed: int, n_centres: int = 0) -> list[dict[str, str]]:
    levels, _ = random_inputs(design, n, 1, seed, n_centres)
    return level_mappings(design, levels, 0, n_centres)


def test_known_minimisation_decision(cairo6: Protocol) -> None:
    # Counts at the patient's levels (experimental, control): pci 3-1, onset 2-2,
    # previous therapy 0-1, HIPEC drug 5-4. Range after assigning experimental:
    # 3 + 1 + 0 + 2 = 6; after control: 1 + 1 + 2 + 0 = 4. Control is preferred with p = 0.8,
    # so u1 < 0.2 gives experimental and u1 >= 0.2 control.
    counts = {"pci": (3, 1), "onset": (2, 2), "previous_systemic_therapy": (0, 1),
              "hipec_drug": (5, 4)}  # fmt: skip
    state = AllocationState(
        arms=("experimental", "control"),
        allocated=9,
        totals=(5, 4),
        level_counts={f: {PATIENT[f]: c} for f, c in counts.items()},
    )
    low, _ = allocate(cairo6, state, PATIENT, ReplayDrawSource([0.3, 0.1999]))
    high, new_state = allocate(cairo6, state, PATIENT, ReplayDrawSource([0.3, 0.2]))
    assert low.diagnostic.scores == {"experimental": 6.0, "control": 4.0}
    assert low.diagnostic.preferred == ("control",)
    assert low.diagnostic.probabilities == {"experimental": pytest.approx(0.2), "control": 0.8}
    assert (low.arm, high.arm) == ("experimental", "control")
    assert high.sequence == 10
    assert new_state.totals == (5, 5)
    assert new_state.counts_at("pci", "0-10") == (3, 2)


def test_a_tie_is_broken_by_u0_and_each_allocation_uses_two_draws(cairo6: Protocol) -> None:
    state = empty_state(cairo6)
    first = ReplayDrawSource([0.49, 0.5, 0.51, 0.5])
    a, _ = allocate(cairo6, state, PATIENT, first)
    b, _ = allocate(cairo6, state, PATIENT, first)
    assert first.consumed == 4
    assert a.diagnostic.preferred == b.diagnostic.preferred == ("experimental", "control")
    assert (a.diagnostic.chosen_preferred, b.diagnostic.chosen_preferred) == (
        "experimental",
        "control",
    )
    assert (a.arm, b.arm) == ("experimental", "control")  # u1 = 0.5 < 0.8 keeps the preferred


@pytest.mark.parametrize(
    "method",
    [RandomizationMethod.MINIMIZATION, RandomizationMethod.PERMUTED_BLOCKS,
     RandomizationMethod.SIMPLE],
)  # fmt: skip
def test_diagnostics_survive_json_and_verify(three_arm_211: Protocol, method: Any) -> None:
    design = dataclasses.replace(
        design_from_protocol(three_arm_211, method=method), initial_random=4
    )
    patients = _patients(design, 40, seed=1, n_centres=3)
    allocations, states = _run(design, patients, seed=2)
    phases = set()
    for allocation, before in zip(allocations, states, strict=False):
        stored = Diagnostic.from_dict(json.loads(json.dumps(allocation.diagnostic.to_dict())))
        assert stored == allocation.diagnostic
        assert check_diagnostic(stored, design, before) == []
        assert verify(stored, design)
        phases.add(stored.phase)
    expected = {
        RandomizationMethod.MINIMIZATION: {"initial_random", "minimization"},
        RandomizationMethod.PERMUTED_BLOCKS: {"permuted_blocks"},
        RandomizationMethod.SIMPLE: {"simple"},
    }[method]
    assert phases == expected


def _tampered(diagnostic: Diagnostic, **changes: Any) -> Diagnostic:
    data = diagnostic.to_dict()
    data.update(changes)
    return Diagnostic.from_dict(data)


def test_tampered_diagnostics_fail_verification(cairo6: Protocol) -> None:
    design = design_from_protocol(cairo6)
    allocations, states = _run(design, _patients(design, 30, seed=3), seed=4)
    diagnostic = allocations[-1].diagnostic
    before = states[-2]
    assert verify(diagnostic, cairo6, before)
    other = next(a for a in design.arms if a != diagnostic.arm)
    assert not verify(_tampered(diagnostic, arm=other), cairo6)
    counts = {f: dict(c) for f, c in diagnostic.counts.items()}
    counts["pci"]["control"] += 3
    assert not verify(_tampered(diagnostic, counts=counts), cairo6)
    u0, _u1 = diagnostic.draws
    flipped = 0.0 if diagnostic.arm == "control" else 0.999
    assert not verify(_tampered(diagnostic, draws=[u0, flipped]), cairo6)
    assert not verify(_tampered(diagnostic, draws=[u0, 1.5]), cairo6)
    assert not verify(_tampered(diagnostic, p=0.9), cairo6)
    # consistent on its own, but not with the history before it
    assert verify(_tampered(diagnostic, sequence=3), cairo6)
    assert not verify(_tampered(diagnostic, sequence=3), cairo6, before)
    problems = check_diagnostic(_tampered(diagnostic, arm=other), cairo6)
    assert any(p.startswith("arm: stored") for p in problems)


def test_tampered_block_diagnostic_fails(cairo6: Protocol) -> None:
    design = design_from_protocol(cairo6, method=RandomizationMethod.PERMUTED_BLOCKS)
    allocations, states = _run(design, [PATIENT] * 7, seed=5)
    diagnostic = allocations[-1].diagnostic
    assert diagnostic.block_size in (2, 4)
    assert verify(diagnostic, design, states[-2])
    assert not verify(_tampered(diagnostic, block_size=6), design)
    assert not verify(_tampered(diagnostic, new_block=not diagnostic.new_block), design, states[-2])


def test_state_from_history_matches_the_live_state(three_arm_211: Protocol) -> None:
    for method in RandomizationMethod:
        design = design_from_protocol(three_arm_211, method=method)
        allocations, states = _run(design, _patients(design, 60, seed=6, n_centres=4), seed=7)
        assert state_from_history(design, allocations) == states[-1]
        if method is RandomizationMethod.PERMUTED_BLOCKS:
            with pytest.raises(RandomizationError, match="block_size"):
                state_from_history(design, [(a.levels, a.arm) for a in allocations])
            rebuilt = [(a.levels, a.arm, a.diagnostic.block_size) for a in allocations]
        else:
            rebuilt = [(a.levels, a.arm) for a in allocations]
        assert state_from_history(design, rebuilt) == states[-1]


def test_history_that_cannot_have_happened_is_refused(cairo6: Protocol) -> None:
    with pytest.raises(RandomizationError, match=r"history\[1\]\.arm: 'placebo'"):
        state_from_history(cairo6, [(PATIENT, "placebo")])
    with pytest.raises(RandomizationError, match="factor 'pci'"):
        state_from_history(cairo6, [({**PATIENT, "pci": "40"}, "control")])
    blocks = design_from_protocol(cairo6, method=RandomizationMethod.PERMUTED_BLOCKS)
    three_in_a_row = [(PATIENT, "control", 2), (PATIENT, "control", 2), (PATIENT, "control", 2)]
    with pytest.raises(RandomizationError, match=r"history\[2\]\.arm"):
        state_from_history(blocks, three_in_a_row)


def test_state_holds_counts_only(cairo6: Protocol) -> None:
    design = design_from_protocol(cairo6)
    _, states = _run(design, _patients(design, 10, seed=8), seed=9)
    final = states[-1]
    assert {f.name for f in dataclasses.fields(final)} == {
        "arms",
        "allocated",
        "totals",
        "level_counts",
        "blocks",
    }
    assert final.allocated == 10
    assert sum(final.totals) == 10
    levels_total = {f: sum(sum(c) for c in per.values()) for f, per in final.level_counts.items()}
    assert set(levels_total.values()) == {10}


def test_state_for_other_arms_is_refused(cairo6: Protocol, three_arm_211: Protocol) -> None:
    with pytest.raises(RandomizationError, match=r"state\.arms"):
        allocate(cairo6, empty_state(three_arm_211), PATIENT, ReplayDrawSource([0.1, 0.1]))
