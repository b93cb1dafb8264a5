"""The cycle sequence of one phase: which regimen, and which of its own cycles, each cycle is.

Counting after a switch. A switch (for intolerance) replaces the drugs, not the treatment plan,
so the new regimen covers the share of the planned course not yet given: with g of the old
regimen's n_old cycles given, the new regimen contributes ceil((n_old - g) / n_old * n_new)
cycles, rounded up so that a switch never shortens treatment. Those cycles are the *last* ones
of the new regimen's own schedule, so its per-cycle rules (an antiangiogenic drug in cycles 1-4,
the response assessment after cycle 4) apply at the matching point of the course. Cycle numbers
continue across the switch.

Where every regimen of a phase lasts equally long (say 4 x 21 or 6 x 14 days), this keeps the
planned 12 weeks: a 4 x 21-day regimen switched after cycle 1 to a 6 x 14-day one gives that
regimen's cycles 2-6 of its own schedule as course cycles 2-6; after cycle 2 it gives its cycles
4-6 as course cycles 3-5. A 6 x 14-day regimen switched after cycle 4 to a 4 x 21-day one gives
two 3-week cycles. Protocols rarely fix a rule; this one is documented as ours.
"""

from __future__ import annotations

from dataclasses import dataclass

from cairo6.protocol import Drug, Regimen

__all__ = ["Slot", "assessment_cycle", "cycle_slots", "switch_share"]


@dataclass(frozen=True)
class Slot:
    """Course cycle `number` is cycle `position` of `regimen`'s own schedule."""

    number: int
    regimen: Regimen
    position: int

    @property
    def drugs(self) -> tuple[Drug, ...]:
        """The drugs planned for this cycle."""
        return tuple(self.regimen.drugs_in_cycle(self.position))

    @property
    def antiangiogenic(self) -> bool:
        """Whether an antiangiogenic drug is planned in this cycle."""
        return self.position in self.regimen.antiangiogenic_cycles


def switch_share(old: Regimen, new: Regimen, given: int) -> int:
    """How many cycles of `new` replace the `old` cycles left after `given` were given."""
    left = old.cycles - given
    return -(-left * new.cycles // old.cycles)


def cycle_slots(initial: Regimen, switch: tuple[int, Regimen] | None = None) -> tuple[Slot, ...]:
    """Every planned cycle of a phase, given its first regimen and an optional (at_cycle, regimen).

    The caller has checked that 2 <= at_cycle <= initial.cycles.
    """
    if switch is None:
        return tuple(Slot(k, initial, k) for k in range(1, initial.cycles + 1))
    at_cycle, new = switch
    given = at_cycle - 1
    share = switch_share(initial, new, given)
    first_position = new.cycles - share + 1
    before = [Slot(k, initial, k) for k in range(1, at_cycle)]
    after = [Slot(at_cycle + i, new, first_position + i) for i in range(share)]
    return (*before, *after)


def assessment_cycle(slots: tuple[Slot, ...]) -> int | None:
    """The first course cycle at or past its regimen's assessment point, if any regimen has one."""
    for slot in slots:
        point = slot.regimen.assessment_after_cycle
        if point is not None and slot.position >= point:
            return slot.number
    return None
