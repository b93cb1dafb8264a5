"""Allocation concealment: the one decision on who may see how an allocation was reached.

The minimisation diagnostic (trial-wide arm totals, counts per factor level, random draws,
probabilities, the preferred arm) lets whoever reads consecutive diagnostics predict the next
allocation. Every reader of an allocation — the participant view, the result of randomising, the
audit history (page, API and command line) and the exports — passes what it shows through this
module, and this module asks the permission table (`VIEW_ALLOCATION_DIAGNOSTIC`) and nothing else.

Blinded review goes one step further: the roles without `VIEW_ALLOCATION` (the central
reviewers) see no arm at all. The arm itself, the treatment calendar built from it, the forms a
study marks `reveals_allocation = true`, the randomisation and those forms' audit records are
withheld from them by the functions below, which every reader of a participant calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cairo6.errors import PermissionDeniedError
from cairo6.service.permissions import PERMISSIONS, Action, allowed
from cairo6.store.audit import Actor
from cairo6.study.models import Form
from cairo6.study.study import Study

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


# --- blinded review: who may see an arm at all --------------------------------------------------

BLINDED = "not shown (blinded review)"
"""What a blinded reader sees where the arm would be."""

ALLOCATION_TABLES: frozenset[str] = frozenset({"randomisation"})
"""Stored tables whose every row names an arm (their audit records are withheld when blinded)."""


def may_see_allocation(actor: Actor) -> bool:
    """Whether this actor may see which arm a participant is in (`VIEW_ALLOCATION`)."""
    return allowed(actor.role, Action.VIEW_ALLOCATION)


def arm_for(actor: Actor, arm: str) -> str | None:
    """The arm if the actor may see it, else None."""
    return arm if may_see_allocation(actor) else None


def revealing_forms(study: Study | None) -> frozenset[str]:
    """The forms of the study whose records tell the arm (`reveals_allocation = true`)."""
    return frozenset(f.id for f in study.forms if f.reveals_allocation) if study else frozenset()


def hidden_forms(actor: Actor, study: Study | None) -> frozenset[str]:
    """The forms this actor may not see a record of (none for an unblinded actor)."""
    return frozenset() if may_see_allocation(actor) else revealing_forms(study)


def require_unblinded_for(actor: Actor, form: Form) -> None:
    """Refuse a blinded actor any record of a form that reveals the allocation."""
    if form.reveals_allocation and not may_see_allocation(actor):
        raise PermissionDeniedError(
            actor.username,
            actor.role,
            Action.VIEW_ALLOCATION.value,
            f"the {form.label} form reveals the allocation and this role is blinded",
            ", ".join(sorted(PERMISSIONS[Action.VIEW_ALLOCATION])),
        )
