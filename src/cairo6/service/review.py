"""Central review at a glance: what each blinded reviewer still has to review.

The dashboard of a role holding `VIEW_REVIEW_WORKLIST` shows, per kind of central review the
study has (its forms' `recorded_by`) and the role may record, how many reviews are still to do
and how many participants have them, with a link to the worklist. Counts come from the same
worklist the reviewer works from (`web_support.review_worklist`), so they agree with it and
carry no arm: the worklist is built for a blinded reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from cairo6.service.permissions import Action, allowed
from cairo6.service.records import RECORD_ACTION
from cairo6.service.trial import Trial
from cairo6.service.web_support import review_forms, review_worklist
from cairo6.store.audit import Actor

REVIEW_KINDS = ("radiology", "pathology")
"""The central reviews a form can be recorded by (`Form.recorded_by` other than clinical)."""


@dataclass(frozen=True)
class ReviewCount:
    """One kind of central review on the dashboard."""

    kind: str
    label: str
    href: str
    pending: int
    """Reviews still to do (a participant may owe several, one per time point or site)."""
    participants: int
    """Participants with at least one review still to do."""


def review_panel(trial: Trial, actor: Actor) -> list[ReviewCount] | None:
    """The actor's central reviews still to do; None for a role without a review worklist."""
    if not allowed(actor.role, Action.VIEW_REVIEW_WORKLIST) or trial.study is None:
        return None
    out = []
    for kind in REVIEW_KINDS:
        forms = review_forms(trial.study, kind)
        if not forms or not allowed(actor.role, RECORD_ACTION[kind]):
            continue
        rows = review_worklist(trial, actor, kind)
        out.append(
            ReviewCount(
                kind,
                forms[0].label,
                f"/review/{kind}",
                sum(len(r.pending) for r in rows),
                sum(1 for r in rows if r.pending),
            )
        )
    return out
