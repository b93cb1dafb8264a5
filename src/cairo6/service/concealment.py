"""Allocation concealment: the one decision on who may see how an allocation was reached.

The minimisation diagnostic (trial-wide arm totals, counts per factor level, random draws,
probabilities, the preferred arm) lets whoever reads consecutive diagnostics predict the next
allocation. Every reader of an allocation — the participant view, the result of randomising, the
audit history (page, API and command line) and the exports — passes what it shows through this
module, and this module asks the permission table (`VIEW_ALLOCATION_DIAGNOSTIC`) and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cairo6.service.permissions import Action, allowed
from cairo6.store.audit import Actor

CONCEALED = "(concealed)"
"""What a reader without the permission sees in place of a diagnostic in the audit history."""

DIAGNOSTIC_COLUMNS: frozenset[tuple[str, str]] = frozenset({("randomisation", "diagnostic")})
"""(table, column) pairs that hold allocation diagnostics, wherever they are read from."""


def may_see_diagnostic(actor: Actor) -> bool:
    """Whether this actor may see how allocations were reached."""
    return allowed(actor.role, Action.VIEW_ALLOCATION_DIAGNOSTIC)


def diagnostic_for(actor: Actor, diagnostic: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The diagnostic if the actor may see it, else None."""
    if diagnostic is None or not may_see_diagnostic(actor):
        return None
    return dict(diagnostic)


def is_diagnostic(table: str, column: str) -> bool:
    """Whether a stored column holds an allocation diagnostic."""
    return (table, column) in DIAGNOSTIC_COLUMNS


def audit_value(actor: Actor, table: str, column: str, value: Any) -> Any:
    """A value of the audit history as this actor may see it (a diagnostic becomes CONCEALED)."""
    if value is None or not is_diagnostic(table, column) or may_see_diagnostic(actor):
        return value
    return CONCEALED
