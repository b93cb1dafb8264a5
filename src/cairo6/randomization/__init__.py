"""Randomisation: biased-coin minimisation, permuted blocks and simple randomisation.

A pure domain core: no I/O, no database, no settings and no global randomness (draws are
injected). The live service calls `allocate(protocol, state, levels, draws)` with a
`SecureDrawSource`; the database layer rebuilds `state` with `state_from_history`; an auditor
replays a stored `Diagnostic` with `verify`. `run_vectorised` runs many simulated trials at once
with the same semantics, and `simulate` summarises them.
"""

from cairo6.randomization.allocate import allocate, check_diagnostic, verify
from cairo6.randomization.design import (
    CENTRE,
    DRAWS_PER_ALLOCATION,
    Design,
    FactorSpec,
    design_from_protocol,
    han_probabilities,
)
from cairo6.randomization.diagnostic import Allocation, Diagnostic
from cairo6.randomization.draws import (
    DrawSource,
    GeneratorDrawSource,
    ReplayDrawSource,
    SecureDrawSource,
)
from cairo6.randomization.levels import derive_levels
from cairo6.randomization.prevalence import Prevalence, parse_prevalence, resolve_prevalence
from cairo6.randomization.sequential import run_sequential
from cairo6.randomization.simulate import MethodResult, Row, SimulationResult, simulate
from cairo6.randomization.state import (
    AllocationState,
    BlockState,
    HistoryItem,
    empty_state,
    state_from_history,
)
from cairo6.randomization.summary import Stats
from cairo6.randomization.vectorised import EngineResult, run_vectorised

__all__ = [
    "CENTRE",
    "DRAWS_PER_ALLOCATION",
    "Allocation",
    "AllocationState",
    "BlockState",
    "Design",
    "Diagnostic",
    "DrawSource",
    "EngineResult",
    "FactorSpec",
    "GeneratorDrawSource",
    "HistoryItem",
    "MethodResult",
    "Prevalence",
    "ReplayDrawSource",
    "Row",
    "SecureDrawSource",
    "SimulationResult",
    "Stats",
    "allocate",
    "check_diagnostic",
    "derive_levels",
    "design_from_protocol",
    "empty_state",
    "han_probabilities",
    "parse_prevalence",
    "resolve_prevalence",
    "run_sequential",
    "run_vectorised",
    "simulate",
    "state_from_history",
    "verify",
]
