"""What the allocator knows: counts of past allocations, and nothing about future ones.

`AllocationState` holds, per arm, the number allocated overall and at each factor level, and for
permuted blocks each stratum's current block size and how many of its places each arm has filled.
It is immutable; `allocate` returns a new one. The database layer stores allocations and rebuilds
the state with `state_from_history` inside the transaction that makes the next allocation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from cairo6.errors import RandomizationError
from cairo6.protocol.models import Protocol, RandomizationMethod
from cairo6.randomization.design import Design, as_design
from cairo6.randomization.diagnostic import Allocation
from cairo6.randomization.levels import check_levels

HistoryItem: TypeAlias = (
    tuple[Mapping[str, str], str] | tuple[Mapping[str, str], str, int | None] | Allocation
)
"""A past allocation: (levels, arm), (levels, arm, block size) for permuted blocks, or an
`Allocation` as returned by `allocate`."""


@dataclass(frozen=True)
class BlockState:
    """The current block of one stratum: its size and the places filled per arm."""

    size: int
    counts: tuple[int, ...]

    @property
    def complete(self) -> bool:
        """Whether every place of the block is filled (the next allocation starts a new one)."""
        return sum(self.counts) >= self.size


@dataclass(frozen=True)
class AllocationState:
    """Counts of past allocations: the whole of what the next allocation depends on."""

    arms: tuple[str, ...]
    allocated: int = 0
    totals: tuple[int, ...] = ()
    level_counts: Mapping[str, Mapping[str, tuple[int, ...]]] = field(default_factory=dict)
    """factor id -> level id -> allocations per arm (arm order as `arms`)."""
    blocks: Mapping[tuple[str, ...], BlockState] = field(default_factory=dict)
    """stratum (level ids of the strata factors) -> its current block."""

    def counts_at(self, factor: str, level: str) -> tuple[int, ...]:
        """Allocations per arm among earlier patients at `level` of `factor`."""
        return self.level_counts.get(factor, {}).get(level, (0,) * len(self.arms))

    def block(self, stratum: tuple[str, ...]) -> BlockState:
        """The current block of a stratum (size 0 when none has started)."""
        return self.blocks.get(stratum, BlockState(0, (0,) * len(self.arms)))


def empty_state(protocol: Protocol | Design) -> AllocationState:
    """The state before the first allocation."""
    design = as_design(protocol)
    return AllocationState(arms=design.arms, totals=(0,) * design.k)


def stratum_of(design: Design, levels: Mapping[str, str]) -> tuple[str, ...]:
    """The permuted-block stratum of a patient: its levels of the strata factors, in order."""
    return tuple(levels[f.id] for f in design.strata_factors)


def check_state(design: Design, state: AllocationState) -> None:
    """Refuse a state built for other arms."""
    if state.arms != design.arms or len(state.totals) != design.k:
        raise RandomizationError(
            "state.arms",
            list(state.arms),
            "the protocol's arms " + ", ".join(design.arms),
            "rebuild the state with state_from_history for this protocol",
        )


def advance(
    design: Design,
    state: AllocationState,
    levels: Mapping[str, str],
    arm: int,
    block: BlockState | None = None,
) -> AllocationState:
    """The state after one more allocation of a patient with `levels` to arm index `arm`;
    `block` is the stratum's block before this allocation (permuted blocks only)."""

    def plus_one(counts: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(c + (1 if a == arm else 0) for a, c in enumerate(counts))

    level_counts = {factor: dict(per_level) for factor, per_level in state.level_counts.items()}
    for factor, level in levels.items():
        level_counts.setdefault(factor, {})[level] = plus_one(state.counts_at(factor, level))
    blocks = state.blocks
    if block is not None:
        blocks = dict(state.blocks)
        blocks[stratum_of(design, levels)] = BlockState(block.size, plus_one(block.counts))
    return AllocationState(
        arms=state.arms,
        allocated=state.allocated + 1,
        totals=plus_one(state.totals),
        level_counts=level_counts,
        blocks=blocks,
    )


def _unpack(item: object) -> tuple[Mapping[str, str], str, int | None]:
    if isinstance(item, Allocation):
        return item.diagnostic.levels, item.arm, item.diagnostic.block_size
    if isinstance(item, tuple) and len(item) in (2, 3) and isinstance(item[0], Mapping):
        size = item[2] if len(item) == 3 else None
        if isinstance(item[1], str) and (size is None or isinstance(size, int)):
            return item[0], item[1], size
    raise RandomizationError(
        "history",
        item,
        "(levels, arm), (levels, arm, block_size) or an Allocation",
        "pass the stored allocations in the order they were made",
    )


def state_from_history(
    protocol: Protocol | Design,
    history: Iterable[HistoryItem],
    start: AllocationState | None = None,
) -> AllocationState:
    """Rebuild the state from past allocations, oldest first (see `HistoryItem`).

    For permuted blocks each allocation must carry the size of the block it belonged to
    (recorded in its diagnostic), because a stratum's tally alone cannot tell a completed block of
    2 from half a block of 4. With `start`, the history continues from that state (the
    allocations after those it already counts), so a caller can catch up incrementally.
    """
    design = as_design(protocol)
    if start is not None:
        check_state(design, start)
    state = start if start is not None else empty_state(design)
    blocks_method = design.method is RandomizationMethod.PERMUTED_BLOCKS
    for number, item in enumerate(history, start=state.allocated + 1):
        raw_levels, arm_id, size = _unpack(item)
        levels = check_levels(design, raw_levels)
        if arm_id not in design.arms:
            raise RandomizationError(
                f"history[{number}].arm",
                arm_id,
                "one of " + ", ".join(design.arms),
                "check the stored allocation against the protocol's arms",
            )
        arm = design.arms.index(arm_id)
        block = None
        if blocks_method:
            block = _history_block(design, state, levels, arm, size, number)
        state = advance(design, state, levels, arm, block)
    return state


def _history_block(
    design: Design,
    state: AllocationState,
    levels: Mapping[str, str],
    arm: int,
    size: int | None,
    number: int,
) -> BlockState:
    current = state.block(stratum_of(design, levels))
    if current.size == 0 or current.complete:
        if size not in design.block_sizes:
            raise RandomizationError(
                f"history[{number}].block_size",
                size,
                "one of the protocol's block sizes " + ", ".join(map(str, design.block_sizes)),
                "store each allocation's block size (it is in the diagnostic)",
            )
        current = BlockState(size, (0,) * design.k)
    elif size is not None and size != current.size:
        raise RandomizationError(
            f"history[{number}].block_size",
            size,
            f"{current.size}, the size of the stratum's unfinished block",
            "check the stored allocations of this stratum",
        )
    places = current.size // design.total_ratio * design.ratios[arm]
    if current.counts[arm] >= places:
        raise RandomizationError(
            f"history[{number}].arm",
            design.arms[arm],
            "an arm with a free place in the stratum's current block",
            "check the stored allocations of this stratum; they do not fit permuted blocks",
        )
    return current
