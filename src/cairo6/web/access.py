"""Which permission each route stands for, from the one permission table.

The services enforce every permission; this table does not grant anything. The pages use it to
hide links a user would be refused, and the tests walk it, for every route and every role, to
check that the services refuse exactly what `PERMISSIONS` says they should.
"""

from __future__ import annotations

from typing import Literal

from cairo6.service.permissions import Action

Access = Action | Literal["signed_in", "public", "form"]

ROUTE_ACCESS: dict[str, Access] = {
    # pages
    "login_page": "public",
    "login": "public",
    "setup_page": "public",
    "setup": "public",
    "logout": "signed_in",
    "account": "signed_in",
    "account_password": "signed_in",
    "dashboard": "signed_in",
    "query_fields": "signed_in",
    "screening_list": Action.SCREEN,
    "screening_add": Action.SCREEN,
    "screening_detail": Action.ASSESS_ELIGIBILITY,
    "eligibility_save": Action.ASSESS_ELIGIBILITY,
    "randomise_confirm": Action.RANDOMISE,
    "randomise": Action.RANDOMISE,
    "participant_list": Action.VIEW_PARTICIPANT,
    "participant_page": Action.VIEW_PARTICIPANT,
    "participant_audit": Action.VIEW_AUDIT,
    # the forms of a study definition: "form" is the permission of the form's `recorded_by`
    "record_new": "form",
    "record_save": "form",
    "record_edit": "form",
    "record_update": "form",
    "study_definition": "signed_in",
    "form_schema": "signed_in",
    "participant_records": Action.VIEW_PARTICIPANT,
    "enter_record": "form",
    "correct_record": "form",
    "query_raise": Action.RAISE_QUERY,
    "query_list": Action.VIEW_QUERIES,
    "query_answer": Action.ANSWER_QUERY,
    "query_close": Action.CLOSE_QUERY,
    "radiology_worklist": Action.RECORD_RADIOLOGY,
    "pathology_worklist": Action.RECORD_PATHOLOGY,
    "admin_users": Action.MANAGE_USERS,
    "admin_user_add": Action.MANAGE_USERS,
    "admin_user_password": Action.MANAGE_USERS,
    "admin_user_active": Action.MANAGE_USERS,
    "admin_centres": Action.MANAGE_CENTRES,
    "admin_centre_add": Action.MANAGE_CENTRES,
    "admin_centre_start": Action.MANAGE_CENTRES,
    # P1 form lifecycle: "form" for completing (whoever records the form may complete it)
    "record_lifecycle": Action.VIEW_PARTICIPANT,
    "record_complete": "form",
    "record_sdv": Action.VERIFY_SOURCE,
    "record_sdv_save": Action.VERIFY_SOURCE,
    "record_sign_page": Action.SIGN,
    "record_sign": Action.SIGN,
    "record_freeze": Action.FREEZE,
    "record_lock": Action.LOCK_RECORDS,
    "database_lock_page": Action.LOCK_DATABASE,
    "database_lock_change": Action.LOCK_DATABASE,
    "api_participant_lifecycle": Action.VIEW_PARTICIPANT,
    "reports_page": Action.VIEW_REPORT,
    "report_html": Action.VIEW_REPORT,
    "report_generate": Action.VIEW_REPORT,
    # P6 casebook + print
    "casebook_list": Action.PRINT_CASEBOOK,
    "casebook_participant": Action.PRINT_CASEBOOK,
    "casebook_centre": Action.PRINT_CASEBOOK,
    # P2 queries + expected forms
    "query_new": Action.RAISE_QUERY,
    "query_reopen": Action.REOPEN_QUERY,
    "expected_list": Action.VIEW_EXPECTED_FORMS,
    "expected_csv": Action.VIEW_EXPECTED_FORMS,
    # JSON API
    "api_login": "public",
    "api_logout": "signed_in",
    "api_session": "signed_in",
    "api_dashboard": "signed_in",
    "api_screening_list": Action.SCREEN,
    "api_screening_add": Action.SCREEN,
    "api_eligibility": Action.ASSESS_ELIGIBILITY,
    "api_randomise": Action.RANDOMISE,
    "api_participant_list": Action.VIEW_PARTICIPANT,
    "api_participant": Action.VIEW_PARTICIPANT,
    "api_participant_audit": Action.VIEW_AUDIT,
    "api_query_list": Action.VIEW_QUERIES,
    "api_query_raise": Action.RAISE_QUERY,
    "api_query_answer": Action.ANSWER_QUERY,
    "api_query_close": Action.CLOSE_QUERY,
    "api_radiology_worklist": Action.RECORD_RADIOLOGY,
    "api_pathology_worklist": Action.RECORD_PATHOLOGY,
    "api_centres": Action.MANAGE_CENTRES,
    "api_centre_add": Action.MANAGE_CENTRES,
    "api_users": Action.MANAGE_USERS,
    "api_user_add": Action.MANAGE_USERS,
    # P3 safety
    "safety_list": Action.VIEW_SAFETY,
    "safety_csv": Action.VIEW_SAFETY,
    "safety_event": Action.VIEW_SAFETY,
    "safety_pdf": Action.VIEW_SAFETY,
    "safety_report": Action.REPORT_SAE,
    # P2 queries + expected forms
    "api_query_reopen": Action.REOPEN_QUERY,
    "api_query": Action.VIEW_QUERIES,
    "api_expected": Action.VIEW_EXPECTED_FORMS,
    # P5 amendments
    "admin_versions": Action.AMEND_PROTOCOL,
    "admin_version_add": Action.AMEND_PROTOCOL,
}
"""Route name -> the action it needs; "form" means the form's own action (`records.RECORD_ACTION`
of its `recorded_by`),
"signed_in" any signed-in user, "public" nobody in particular."""
