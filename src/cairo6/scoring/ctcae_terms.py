"""The CTCAE v5.0 term list: every adverse-event term, its MedDRA code and system organ class,
and the grades the term defines.

The list is NCI's own (CTCAE v5.0, 27 Nov 2017; a work of the US government, in the public
domain in the US), read from `data/ctcae_v5.csv`; `data/SOURCE.md` says where the file came
from and how it was converted. A term is looked up by its MedDRA code or its exact words
(case ignored); anything else is refused with the nearest terms as a suggestion, so that
"diarhea" is never stored. Not every term has every grade: alopecia stops at 2, fatigue at 3,
and many terms have no grade 5.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
from dataclasses import dataclass
from importlib import resources

from cairo6.errors import ScoringError

__all__ = [
    "CTCAE_VERSION",
    "CtcaeTerm",
    "check_grade_of_term",
    "check_specified",
    "ctcae_term",
    "ctcae_terms",
    "suggest_terms",
]

CTCAE_VERSION = "CTCAE v5.0"
_OTHER = " - Other, specify"


@dataclass(frozen=True)
class CtcaeTerm:
    """One CTCAE term: MedDRA code, system organ class, term, and its grade criteria."""

    code: str
    soc: str
    term: str
    grades: tuple[tuple[int, str], ...]
    """(grade, NCI's criterion text) for the grades this term defines, in order."""
    definition: str

    @property
    def allowed_grades(self) -> tuple[int, ...]:
        """The grades the term defines (e.g. 1-2 for alopecia)."""
        return tuple(grade for grade, _ in self.grades)

    @property
    def needs_specification(self) -> bool:
        """An "Other, specify" term: the event itself must be named in words."""
        return self.term.endswith(_OTHER)

    def criterion(self, grade: int) -> str:
        """NCI's text for a grade of this term ("" when the term has no such grade)."""
        return dict(self.grades).get(grade, "")


@functools.cache
def ctcae_terms() -> tuple[CtcaeTerm, ...]:
    """Every CTCAE v5.0 term, in NCI's order (by system organ class)."""
    text = resources.files("cairo6.scoring").joinpath("data/ctcae_v5.csv").read_text("utf-8")
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        grades = tuple(
            (grade, row[f"grade_{grade}"]) for grade in range(1, 6) if row[f"grade_{grade}"]
        )
        out.append(
            CtcaeTerm(row["meddra_code"], row["soc"], row["term"], grades, row["definition"])
        )
    return tuple(out)


@functools.cache
def _index() -> dict[str, CtcaeTerm]:
    index: dict[str, CtcaeTerm] = {}
    for term in ctcae_terms():
        index[term.code] = term
        index[term.term.casefold()] = term
    return index


def suggest_terms(text: str, limit: int = 3) -> list[str]:
    """The CTCAE terms nearest to what was typed ("diarhea" -> ["Diarrhea", ...])."""
    wanted = " ".join(str(text).split()).casefold()
    if not wanted:
        return []
    names = {t.term.casefold(): t.term for t in ctcae_terms()}
    close = difflib.get_close_matches(wanted, list(names), n=limit, cutoff=0.6)
    # A fragment ("neutrophil") is matched by the words it starts, before spelling distance.
    starts = [name for key, name in names.items() if wanted in key and key not in close]
    return [names[c] for c in close] + starts[: max(0, limit - len(close))]


def ctcae_term(value: str | int) -> CtcaeTerm:
    """The term a MedDRA code or the term's words name; a ScoringError suggests the nearest."""
    found = _index().get(" ".join(str(value).split()).casefold())
    if found is not None:
        return found
    near = suggest_terms(str(value))
    hint = f"did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
    raise ScoringError(
        "CTCAE term",
        value,
        f"a term of {CTCAE_VERSION} ({len(ctcae_terms())} terms)",
        (hint + " " if hint else "") + "choose the term from the list",
    )


def check_grade_of_term(term: CtcaeTerm, grade: int) -> None:
    """Refuse a grade the term does not define (fatigue has no grade 4)."""
    if grade not in term.allowed_grades:
        allowed = term.allowed_grades
        contiguous = allowed == tuple(range(allowed[0], allowed[-1] + 1))
        span = f"{allowed[0]}-{allowed[-1]}" if contiguous else ", ".join(map(str, allowed))
        raise ScoringError(
            f"CTCAE grade of {term.term}",
            grade,
            f"grade {span} ({CTCAE_VERSION} defines no grade {grade} for this term)",
            "check the grade against the term's criteria",
        )


def check_specified(term: CtcaeTerm, specification: str | None) -> None:
    """An "Other, specify" term needs the event named in words."""
    if term.needs_specification and not (specification or "").strip():
        raise ScoringError(
            "CTCAE term",
            term.term,
            "an 'Other, specify' term with the event named",
            "name the event in the specification item",
        )
