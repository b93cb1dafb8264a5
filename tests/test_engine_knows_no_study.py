"""The engine knows no study: no module outside the study folders and the clinical scoring
library names a CAIRO6 form or item, except the first release's modules that still do.

`STILL_CAIRO6` is the list of those modules, which the move of CAIRO6's records into the
generic form store empties; a new module that names CAIRO6's surgery, PCI grid or HIPEC drug
fails here, and so does a listed module once it no longer needs to be listed.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "cairo6"
STUDY = SRC / "studies" / "cairo6"
# Words every trial may use (a baseline visit, a follow-up, a deviation, the central review
# roles of the permission table) are not CAIRO6's.
GENERIC = {
    "baseline", "cycle", "discharge", "readmission", "reoperation", "deviation", "follow_up",
    "off_study", "visit_date", "radiology", "pathology",
}  # fmt: skip
STILL_CAIRO6 = {
    "cli/calendar.py",
    "cli/protocol.py", "errors.py", "protocol/checks.py", "protocol/models.py",
    "protocol/rules.py", "schedule/course.py", "schedule/cycles.py", "schedule/events.py",
    "schedule/plan.py", "schedule/sequence.py", "schedule/validate.py", "schedule/windows.py",
    "service/dictionary.py", "service/enrolment.py", "service/exchange.py",
    "service/exchange_import.py", "service/exchange_tables.py", "service/forms.py",
    "service/participants.py", "service/web_support.py",
    "store/migrations/versions/0001_initial_schema.py", "store/schema.py", "web/api.py",
    "web/formfields.py", "web/pages_trial.py",
}  # fmt: skip


def _cairo6_names() -> set[str]:
    forms = tomllib.loads((STUDY / "forms.toml").read_text(encoding="utf-8"))["forms"]
    names = {form["id"] for form in forms}
    for form in forms:
        for group in form["groups"]:
            # Short or one-word item ids (grade, term, phase) are ordinary words.
            names |= {i["id"] for i in group["items"] if "_" in i["id"] and len(i["id"]) > 6}
    return names - GENERIC


def _modules_naming_cairo6() -> dict[str, list[str]]:
    pattern = re.compile(r"\b(" + "|".join(sorted(_cairo6_names())) + r")\b")
    found: dict[str, list[str]] = {}
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(("studies/", "scoring/")):
            continue
        names = sorted(set(pattern.findall(path.read_text(encoding="utf-8"))))
        if names:
            found[relative] = names
    return found


def test_no_new_module_names_a_cairo6_form_or_item() -> None:
    new = {k: v for k, v in _modules_naming_cairo6().items() if k not in STILL_CAIRO6}
    assert new == {}, "move these CAIRO6 names into studies/cairo6 (the definition)"


def test_the_list_of_modules_still_naming_cairo6_only_shrinks() -> None:
    cleaned = STILL_CAIRO6 - set(_modules_naming_cairo6())
    assert cleaned == set(), "these no longer name CAIRO6: take them off STILL_CAIRO6"
