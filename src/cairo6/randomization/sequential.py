"""The sequential engine run over simulation arrays: `allocate`, one patient at a time.

This is the live service's code path applied to the vectorised engine's inputs, so the two can be
compared allocation by allocation and timed against each other. Trial t replays the draws
`draws[:, :, t]` (u0, u1 for patient 0, then patient 1, ...) through a `ReplayDrawSource`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from cairo6.randomization.allocate import allocate
from cairo6.randomization.design import CENTRE, Design
from cairo6.randomization.draws import ReplayDrawSource
from cairo6.randomization.state import empty_state
from cairo6.randomization.vectorised import check_inputs


def centre_id(index: int) -> str:
    """The centre id the simulator uses for centre index `index` (0-based)."""
    return f"centre-{index + 1}"


def level_mappings(
    design: Design, levels: NDArray[np.integer], trial: int, n_centres: int = 0
) -> list[dict[str, str]]:
    """The patients of one simulated trial as `derive_levels`-style mappings."""
    out = []
    for row in levels[:, :, trial].tolist():
        mapping = {f.id: f.levels[row[c]] for c, f in enumerate(design.factors)}
        if n_centres > 0:
            mapping[CENTRE] = centre_id(row[len(design.factors)])
        out.append(mapping)
    return out


def run_sequential(
    design: Design,
    levels: NDArray[np.integer],
    draws: NDArray[np.float64],
    *,
    n_centres: int = 0,
) -> NDArray[np.int8]:
    """Arm indices (patients, trials), allocating with `allocate` trial by trial."""
    check_inputs(design, levels, draws, n_centres)
    n, _, t = levels.shape
    arms = np.empty((n, t), dtype=np.int8)
    for trial in range(t):
        source = ReplayDrawSource(draws[:, :, trial].ravel().tolist())
        state = empty_state(design)
        patients = level_mappings(design, levels, trial, n_centres)
        if not design.uses_centre:
            patients = [{k: v for k, v in p.items() if k != CENTRE} for p in patients]
        for i, patient in enumerate(patients):
            allocation, state = allocate(design, state, patient, source)
            arms[i, trial] = design.arms.index(allocation.arm)
    return arms
