"""Central radiology and pathology review of the SYNTHETIC reference cohort (Table 4, Results).

Only the 37 patients who started neoadjuvant therapy are reviewed. Responses are dealt out by a
response score (a lower PCI at surgery means a better response, with noise) so that the
responders by radiology and by pathology tend to be the same patients, as one would expect.

Radiologic PCI (Results): the paper prints "32 evaluable: 1 CR, 8 PR, 23 SD, 2 PD", which adds
up to 34. This cohort follows the reading that keeps the 9 of 32 (28%) response rate and the two
progressions: 32 evaluable = 1 CR + 8 PR + 21 SD + 2 PD; the 5 others have a baseline
radiologic PCI of 0 (not evaluable).

RECIST 1.1: 13 evaluable (1 CR, 1 PR, 11 SD); the 24 others have no measurable disease. A lesion
that disappears cannot be entered as 0 mm (the form refuses sizes <= 0), so the complete
responder's only target is a lymph node whose short axis falls below 10 mm (normal, = CR).

Pathology (Table 4): the overall row is not the worst site grade (its counts contradict that);
it is the pathologist's overall grade, recorded per patient as printed: the peritoneal grade,
except for one patient without evaluable peritoneal tissue (overall from the primary tumour)
and two with a resected primary tumour that changes the overall grade.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cairo6.studies.cairo6.cohort_people import (
    OPEN_CLOSE_EXPERIMENTAL,
    Patient,
    Site,
    by_key,
    groups,
)
from cairo6.studies.cairo6.cohort_solve import BuildError

PRGS_OF_TRG = {1: 1, 2: 2, 3: 2, 4: 3, 5: 4}
"""PRGS given a Mandard grade: both complete = 1; major/partial regression = 2; little = 3/4."""

_NOT_EVALUABLE = (
    "No peritoneal metastases found at surgery; no peritoneal tissue to review",
    "No peritoneal tissue received for central review",
    "Insufficient peritoneal tissue for grading",
)


def _response_order(rng: np.random.Generator, people: Sequence[Patient]) -> list[Patient]:
    """Best responders first: lower PCI at surgery, with noise."""
    scores = [p.surgery_pci + float(rng.normal(0, 4)) for p in people]
    return [people[int(i)] for i in np.argsort(scores, kind="stable")]


def assign_radiology(rng: np.random.Generator, people: Sequence[Patient]) -> None:
    """Radiologic PCI at baseline and restaging, and RECIST lesions, for the 37."""
    exp, _ = groups(people)
    keys = by_key(people)
    progression = [keys["E07"], keys["E30"]]
    others = [p for p in exp if p not in progression]
    not_evaluable = [others[int(i)] for i in rng.choice(len(others), 5, replace=False)]
    ranked = _response_order(rng, [p for p in others if p not in not_evaluable])
    categories = ["CR"] + ["PR"] * 8 + ["SD"] * 21
    for p, category in zip(ranked, categories, strict=True):
        p.rpci = _rpci(rng, category)
    for p in progression:
        before = int(rng.integers(4, 10))
        p.rpci = (before, before + int(rng.integers(max(2, before // 4 + 1), 8)))
    for p in not_evaluable:
        p.rpci = (0, 0)
    # RECIST: the best rPCI responder is also the RECIST complete responder; one partial
    # responder and 11 stable patients have measurable disease; progression is not measurable.
    rest = [p for p in others if p not in ranked[:2]]
    evaluable = [rest[int(i)] for i in rng.choice(len(rest), 11, replace=False)]
    for p in exp:
        if p is ranked[0]:
            p.lesions = _node_complete_response(rng)
        elif p is ranked[1]:
            p.lesions = _measurable(rng, "PR")
        elif p in evaluable:
            p.lesions = _measurable(rng, "SD")
        else:
            p.lesions = _not_measurable(rng)


def _rpci(rng: np.random.Generator, category: str) -> tuple[int, int]:
    before = int(rng.integers(2, 17))
    if category == "CR":
        return before, 0
    if category == "PR":
        # At least a 30% decrease, but some disease left.
        return before, int(rng.integers(1, int(np.floor(before * 0.7)) + 1))
    # Stable: more than a 30% decrease is response, 20% or more increase is progression.
    choices = [a for a in range(0, 40) if -0.3 < (a - before) / before < 0.2]
    return before, int(rng.choice(choices))


_ORGANS = ("peritoneum (omentum)", "peritoneum (pelvis)", "ovary", "peritoneum (mesentery)")


def _lesion(number: int, organ: str, node: bool, size: float) -> dict[str, object]:
    # Whole millimetres, as radiologists report them.
    return {"id": f"L{number}", "organ": organ, "lymph_node": node, "diameter_mm": int(size)}


def _node_complete_response(
    rng: np.random.Generator,
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    before = float(rng.integers(16, 24))
    after = float(rng.integers(5, 9))
    organ = "lymph node (mesenteric)"
    return [_lesion(1, organ, True, before)], [_lesion(1, organ, True, after)]


def _measurable(
    rng: np.random.Generator, category: str
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    count = int(rng.integers(1, 3))
    before_sizes = [float(rng.integers(12, 46)) for _ in range(count)]
    total = sum(before_sizes)
    while True:
        factor = rng.uniform(0.45, 0.66) if category == "PR" else rng.uniform(0.78, 1.12)
        after_sizes = [
            max(1.0, float(round(s * factor * rng.uniform(0.95, 1.05)))) for s in before_sizes
        ]
        change = (sum(after_sizes) - total) / total
        if (category == "PR" and change <= -0.31) or (category == "SD" and -0.28 < change < 0.18):
            break
    organs = [str(rng.choice(_ORGANS)) for _ in range(count)]
    before = [_lesion(i + 1, organs[i], False, before_sizes[i]) for i in range(count)]
    after = [_lesion(i + 1, organs[i], False, after_sizes[i]) for i in range(count)]
    return before, after


def _not_measurable(
    rng: np.random.Generator,
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    if rng.random() < 0.5:
        return [], []
    # A small implant (< 10 mm) is a non-target lesion: present, but not measurable.
    size = float(rng.integers(5, 10))
    organ = str(rng.choice(_ORGANS))
    return [_lesion(1, organ, False, size)], [_lesion(1, organ, False, size)]


def _prgs(rng: np.random.Generator, worst: int) -> tuple[int, ...]:
    """PRGS per biopsy (1-4 biopsies) whose worst is `worst`."""
    n = int(rng.integers(1, 5))
    rest = [int(rng.integers(1, worst + 1)) for _ in range(n - 1)]
    return tuple(sorted([worst, *rest], reverse=True))


def _site(rng: np.random.Generator, site: str, trg: int) -> Site:
    return Site(site, True, None, trg, _prgs(rng, PRGS_OF_TRG[trg]))


def assign_pathology(rng: np.random.Generator, people: Sequence[Patient]) -> None:
    """Table 4 per site, and the patient whose CPM central review found unproven."""
    exp, _ = groups(people)
    keys = by_key(people)
    resected = [p for p in exp if p.primary_resection]
    x = next(p for p in resected if p.surgery_pci == 0)
    others = [p for p in resected if p is not x]
    a_, b_ = others[0], others[1]  # overall grade worse / better than the peritoneal one
    open_close = [keys[k] for k in OPEN_CLOSE_EXPERIMENTAL]
    pool = [p for p in exp if p not in resected and p not in open_close]
    y, z = (pool[int(i)] for i in rng.choice(len(pool), 2, replace=False))
    peritoneal: dict[str, int] = {"E07": 5, "E30": 5, "E01": 5, "E31": 4}
    # The resected primaries (not X): A' peritoneal TRG2, B' TRG5, the others 2-4.
    for p, trg in zip(others, (2, 5, 3, 3, 3, 4, 2), strict=True):
        peritoneal[p.key] = trg
    rest = [p for p in exp if p.key not in peritoneal and p not in (x, y, z)]
    remaining = [1] * 8 + [2] * 3 + [3] * 8 + [4] * 3 + [5] * 1
    for p, trg in zip(_response_order(rng, rest), remaining, strict=True):
        peritoneal[p.key] = trg
    primary = {a_.key: 3, b_.key: 4}
    primary_rest = [2, 3, 3, 3, 4]
    for p, trg in zip(others[2:], rng.permutation(primary_rest), strict=True):
        primary[p.key] = int(trg)
    nodes = [3, 3, 3, 3, 4, 4, 4]
    node_trg = {p.key: int(t) for p, t in zip(others, rng.permutation(nodes), strict=True)}
    for p in exp:
        sites: list[Site] = []
        if p in (x, y, z):
            reason = _NOT_EVALUABLE[(x, y, z).index(p)]
            sites.append(Site("peritoneal", False, reason))
        else:
            sites.append(_site(rng, "peritoneal", peritoneal[p.key]))
        if p is x:
            sites += [_site(rng, "primary_tumour", 1), _site(rng, "lymph_nodes", 1)]
            sites.append(_site(rng, "overall", 1))
        elif p in others:
            sites += [
                _site(rng, "primary_tumour", primary[p.key]),
                _site(rng, "lymph_nodes", node_trg[p.key]),
            ]
            overall = {a_.key: 3, b_.key: 4}.get(p.key, peritoneal[p.key])
            sites.append(_site(rng, "overall", overall))
        elif p in (y, z):
            sites.append(Site("overall", False, "No evaluable tissue"))
        else:
            sites.append(_site(rng, "overall", peritoneal[p.key]))
        p.pathology = sites
    # "Another patient" than the one randomised with a deviation (WHO PS 2).
    unproven = [
        p
        for p in exp
        if peritoneal.get(p.key) == 3 and p not in others and p.randomisation_deviation is None
    ]
    if not unproven:
        raise BuildError("no patient for the unproven-CPM deviation")
    chosen = unproven[int(rng.integers(len(unproven)))]
    chosen.deviations.append(
        (
            "eligibility",
            "Central pathology review: peritoneal metastases were not pathologically proven "
            "before enrolment (the eligibility checklist said proven)",
        )
    )
