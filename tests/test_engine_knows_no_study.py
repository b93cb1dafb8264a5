"""The engine knows no study: no module outside the study folders and the clinical scoring
library names a CAIRO6 form or item (CAIRO6's words come from its definition).

A module that names CAIRO6's surgery, PCI grid or HIPEC drug fails here. The only exceptions
are the migrations, which are history; the protocol's reader of the first release's stored
text is data (protocol/format_1.toml), not a module.
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
# Migrations are history: they name the first release's per-form tables because they created
# them (0001) and carried their rows into the generic form store (0006).
HISTORY = {
    "store/migrations/versions/0001_initial_schema.py",
    "store/migrations/versions/0006_per_form_tables_into_form_record.py",
}


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
    for path in (*SRC.rglob("*.py"), *SRC.rglob("*.html"), *SRC.rglob("*.jinja")):
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(("studies/", "scoring/")):
            continue
        names = sorted(set(pattern.findall(path.read_text(encoding="utf-8"))))
        if names:
            found[relative] = names
    return found


def test_no_module_names_a_cairo6_form_or_item() -> None:
    named = {k: v for k, v in _modules_naming_cairo6().items() if k not in HISTORY}
    assert named == {}, "move these CAIRO6 names into studies/cairo6 (the definition)"


def test_the_history_exemptions_still_name_cairo6() -> None:
    # An exemption that no longer applies would hide a future module of the same name.
    assert set(_modules_naming_cairo6()) >= HISTORY
