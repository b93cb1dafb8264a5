"""Who may do what: the one permission table that both the checks and the tests are driven by."""

from __future__ import annotations

from enum import StrEnum

from cairo6.errors import PermissionDeniedError
from cairo6.store.audit import Actor


class Role(StrEnum):
    """The roles of the trial's users."""

    ADMINISTRATOR = "administrator"
    DATA_MANAGER = "data_manager"
    INVESTIGATOR = "investigator"
    RESEARCH_NURSE = "research_nurse"
    RADIOLOGY_REVIEWER = "radiology_reviewer"
    PATHOLOGY_REVIEWER = "pathology_reviewer"
    STATISTICIAN = "statistician"
    DMC_MEMBER = "dmc_member"
    MONITOR = "monitor"


class Action(StrEnum):
    """Everything a user can ask the system to do."""

    MANAGE_CENTRES = "manage_centres"
    MANAGE_USERS = "manage_users"
    SCREEN = "screen"
    ASSESS_ELIGIBILITY = "assess_eligibility"
    RANDOMISE = "randomise"
    RANDOMISE_DEVIATION = "randomise_deviation"
    IMPORT_HISTORY = "import_history"
    RECORD_CLINICAL = "record_clinical"
    RECORD_RADIOLOGY = "record_radiology"
    RECORD_PATHOLOGY = "record_pathology"
    VIEW_PARTICIPANT = "view_participant"
    VIEW_ALLOCATION_DIAGNOSTIC = "view_allocation_diagnostic"
    RAISE_QUERY = "raise_query"
    ANSWER_QUERY = "answer_query"
    CLOSE_QUERY = "close_query"
    EXPORT = "export"
    IMPORT = "import"
    VIEW_REPORT = "view_report"
    VIEW_AUDIT = "view_audit"
    BACKUP = "backup"
    VIEW_QUERIES = "view_queries"
    REOPEN_QUERY = "reopen_query"
    VIEW_ALLOCATION = "view_allocation"
    MARK_COMPLETE = "mark_complete"
    VERIFY_SOURCE = "verify_source"
    SIGN = "sign"
    FREEZE = "freeze"
    LOCK_RECORDS = "lock_records"
    LOCK_DATABASE = "lock_database"
    VIEW_EXPECTED_FORMS = "view_expected_forms"
    REPORT_SAE = "report_sae"
    VIEW_SAFETY = "view_safety"
    VIEW_REVIEW_WORKLIST = "view_review_worklist"
    AMEND_PROTOCOL = "amend_protocol"
    PRINT_CASEBOOK = "print_casebook"


R = Role
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.MANAGE_CENTRES: frozenset({R.ADMINISTRATOR}),
    Action.MANAGE_USERS: frozenset({R.ADMINISTRATOR}),
    Action.SCREEN: frozenset({R.INVESTIGATOR, R.RESEARCH_NURSE, R.DATA_MANAGER}),
    Action.ASSESS_ELIGIBILITY: frozenset({R.INVESTIGATOR, R.RESEARCH_NURSE, R.DATA_MANAGER}),
    Action.RANDOMISE: frozenset({R.INVESTIGATOR, R.DATA_MANAGER}),
    Action.RANDOMISE_DEVIATION: frozenset({R.DATA_MANAGER}),
    Action.IMPORT_HISTORY: frozenset({R.DATA_MANAGER}),
    Action.RECORD_CLINICAL: frozenset({R.INVESTIGATOR, R.RESEARCH_NURSE, R.DATA_MANAGER}),
    Action.RECORD_RADIOLOGY: frozenset({R.RADIOLOGY_REVIEWER, R.DATA_MANAGER}),
    Action.RECORD_PATHOLOGY: frozenset({R.PATHOLOGY_REVIEWER, R.DATA_MANAGER}),
    Action.VIEW_PARTICIPANT: frozenset(
        {
            R.INVESTIGATOR,
            R.RESEARCH_NURSE,
            R.DATA_MANAGER,
            R.MONITOR,
            R.STATISTICIAN,
            R.RADIOLOGY_REVIEWER,
            R.PATHOLOGY_REVIEWER,
        }
    ),
    Action.VIEW_ALLOCATION_DIAGNOSTIC: frozenset({R.STATISTICIAN}),
    Action.RAISE_QUERY: frozenset({R.DATA_MANAGER, R.MONITOR}),
    Action.ANSWER_QUERY: frozenset({R.INVESTIGATOR, R.RESEARCH_NURSE, R.DATA_MANAGER}),
    Action.CLOSE_QUERY: frozenset({R.DATA_MANAGER, R.MONITOR}),
    Action.REOPEN_QUERY: frozenset({R.DATA_MANAGER, R.MONITOR}),
    Action.EXPORT: frozenset({R.DATA_MANAGER, R.STATISTICIAN}),
    Action.IMPORT: frozenset({R.DATA_MANAGER}),
    Action.VIEW_REPORT: frozenset({R.STATISTICIAN, R.DMC_MEMBER, R.DATA_MANAGER}),
    Action.VIEW_AUDIT: frozenset(
        {R.ADMINISTRATOR, R.DATA_MANAGER, R.MONITOR, R.INVESTIGATOR, R.RESEARCH_NURSE}
    ),
    Action.BACKUP: frozenset({R.ADMINISTRATOR}),
    Action.VIEW_QUERIES: frozenset({R.DATA_MANAGER, R.MONITOR, R.INVESTIGATOR, R.RESEARCH_NURSE}),
    # Central reviewers are blinded: they are the only roles that may never see an arm.
    Action.VIEW_ALLOCATION: frozenset(
        {
            R.ADMINISTRATOR,
            R.DATA_MANAGER,
            R.INVESTIGATOR,
            R.RESEARCH_NURSE,
            R.STATISTICIAN,
            R.DMC_MEMBER,
            R.MONITOR,
        }
    ),
    # The form lifecycle: in progress -> complete -> verified (SDV) -> signed -> frozen -> locked.
    # Reviewers complete the review forms they record (the service also asks for the form's
    # own recording permission, so nobody completes a form they may not enter).
    Action.MARK_COMPLETE: frozenset(
        {
            R.INVESTIGATOR,
            R.RESEARCH_NURSE,
            R.DATA_MANAGER,
            R.RADIOLOGY_REVIEWER,
            R.PATHOLOGY_REVIEWER,
        }
    ),
    Action.VERIFY_SOURCE: frozenset({R.MONITOR}),
    Action.SIGN: frozenset({R.INVESTIGATOR}),
    Action.FREEZE: frozenset({R.DATA_MANAGER}),
    Action.LOCK_RECORDS: frozenset({R.DATA_MANAGER}),
    Action.LOCK_DATABASE: frozenset({R.DATA_MANAGER}),
    Action.VIEW_EXPECTED_FORMS: frozenset(
        {R.DATA_MANAGER, R.INVESTIGATOR, R.RESEARCH_NURSE, R.MONITOR}
    ),
    Action.REPORT_SAE: frozenset({R.INVESTIGATOR, R.RESEARCH_NURSE, R.DATA_MANAGER}),
    Action.VIEW_SAFETY: frozenset(
        {R.INVESTIGATOR, R.RESEARCH_NURSE, R.DATA_MANAGER, R.MONITOR, R.DMC_MEMBER}
    ),
    Action.VIEW_REVIEW_WORKLIST: frozenset(
        {R.RADIOLOGY_REVIEWER, R.PATHOLOGY_REVIEWER, R.DATA_MANAGER}
    ),
    Action.AMEND_PROTOCOL: frozenset({R.ADMINISTRATOR}),
    Action.PRINT_CASEBOOK: frozenset({R.INVESTIGATOR, R.RESEARCH_NURSE, R.DATA_MANAGER, R.MONITOR}),
}

CENTRE_BOUND: frozenset[Role] = frozenset({R.INVESTIGATOR, R.RESEARCH_NURSE})
"""Roles that see and change only their own centre's participants."""


def allowed(role: str, action: Action) -> bool:
    """Whether a role may perform an action at all."""
    return role in PERMISSIONS[action]


def require(actor: Actor, action: Action, centre_id: int | None = None) -> None:
    """Raise `PermissionDeniedError` unless the actor may do this, for this centre's data."""
    if not allowed(actor.role, action):
        why = f"role {actor.role} lacks this permission"
    elif centre_id is not None and actor.role in CENTRE_BOUND and actor.centre_id != centre_id:
        why = "the record belongs to another centre"
    else:
        return
    raise PermissionDeniedError(
        actor.username, actor.role, action.value, why, ", ".join(sorted(PERMISSIONS[action]))
    )
