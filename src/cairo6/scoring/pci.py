"""Peritoneal Cancer Index (PCI), Jacquet P, Sugarbaker PH. Cancer Treat Res 1996;82:359-374.

The abdomen is divided into 13 regions (0-8 abdominopelvic, 9-12 small bowel). Each region gets a
lesion-size score (LS) from 0 to 3 for its largest implant; the PCI is the sum, 0-39.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from cairo6.errors import ScoringError
from cairo6.scoring._validate import require_int, require_non_negative, token

__all__ = [
    "MAX_PCI",
    "PciResult",
    "Region",
    "RegionKey",
    "lesion_size_score",
    "pci_from_lesion_sizes",
    "pci_total",
]

MAX_PCI = 39
_MAX_LESION_SCORE = 3
# Upper bounds (cm, inclusive) of lesion-size scores 1 and 2.
_LS1_MAX_CM = 0.5
# Exactly 5.0 cm scores LS-2: Jacquet & Sugarbaker define LS-2 as tumour "up to 5.0 cm" and LS-3
# as "greater than 5.0 cm" (or confluence). Some later texts write LS-3 as ">= 5 cm"; we follow
# the original definition, which is also the one in the CAIRO6 protocol summary ("> 5 cm").
_LS2_MAX_CM = 5.0


class Region(Enum):
    """The 13 PCI regions; `value` is the numeric code used on case-report forms."""

    _value_: int

    CENTRAL = 0
    RIGHT_UPPER = 1
    EPIGASTRIUM = 2
    LEFT_UPPER = 3
    LEFT_FLANK = 4
    LEFT_LOWER = 5
    PELVIS = 6
    RIGHT_LOWER = 7
    RIGHT_FLANK = 8
    UPPER_JEJUNUM = 9
    LOWER_JEJUNUM = 10
    UPPER_ILEUM = 11
    LOWER_ILEUM = 12

    @property
    def code(self) -> int:
        """Numeric region code, 0-12."""
        return self._value_

    @property
    def id(self) -> str:
        """Stable string id, e.g. "right_upper"; safe to store in data files."""
        return self.name.lower()

    @property
    def label(self) -> str:
        """Human-readable name, e.g. "Right upper"."""
        return self.name.replace("_", " ").capitalize()

    @classmethod
    def parse(cls, key: RegionKey) -> Region:
        """Region from a Region, a code 0-12 or a string id (case and '-'/' ' tolerated)."""
        if isinstance(key, Region):
            return key
        if isinstance(key, str):
            wanted = token(key)
            for region in cls:
                if region.id == wanted:
                    return region
        elif isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 12:
            return cls(key)
        raise ScoringError(
            "region",
            key,
            "a PCI region: a code 0-12 or an id (" + ", ".join(r.id for r in cls) + ")",
            "use one of the 13 Jacquet-Sugarbaker region codes or ids",
        )


RegionKey = Region | str | int
# Mapping is invariant in its key type, so a plain `Mapping[RegionKey, ...]` parameter would
# refuse a `dict[str, int]`; a bounded TypeVar accepts any one key kind.
_K = TypeVar("_K", bound=RegionKey)
_V = TypeVar("_V")


def lesion_size_score(largest_cm: float | None, confluent: bool = False) -> int:
    """Lesion-size score 0-3 of one region from its largest implant (cm).

    None or 0 means no tumour (LS-0); <= 0.5 cm LS-1; > 0.5 to <= 5.0 cm LS-2 (5.0 cm itself is
    LS-2, see `_LS2_MAX_CM`); > 5.0 cm or confluent disease LS-3.
    """
    return _lesion_size_score(largest_cm, confluent, "largest lesion size")


def _lesion_size_score(largest_cm: float | None, confluent: bool, field: str) -> int:
    if not isinstance(confluent, bool):
        raise ScoringError("confluent", confluent, "True or False", "pass a bool")
    if largest_cm is None:
        # Confluent disease scores 3 whatever its size, so no size is needed.
        return _MAX_LESION_SCORE if confluent else 0
    size = require_non_negative(field, largest_cm, "cm", "enter the largest implant diameter in cm")
    if size == 0:
        if confluent:
            raise ScoringError(
                field,
                largest_cm,
                "a size > 0 cm (or None) when the region is marked confluent",
                "either enter the implant size or unmark confluence",
            )
        return 0
    if confluent or size > _LS2_MAX_CM:
        return _MAX_LESION_SCORE
    return 1 if size <= _LS1_MAX_CM else 2


@dataclass(frozen=True)
class PciResult:
    """A scored PCI: per-region lesion-size scores, ordered by region code.

    `complete` is False for a partial PCI (some regions not scored); its `total` is then a lower
    bound and must not be compared with complete PCIs (e.g. the PCI <= 20 eligibility rule).
    """

    region_scores: tuple[tuple[Region, int], ...]

    def __post_init__(self) -> None:
        regions = [region for region, _ in self.region_scores]
        if not all(isinstance(r, Region) for r in regions) or regions != sorted(
            set(regions), key=lambda r: r.code
        ):
            raise ScoringError(
                "region_scores",
                regions,
                "each region at most once, ordered by code",
                "build the result with pci_total()",
            )
        for region, score in self.region_scores:
            require_int(f"lesion size score ({region.id})", score, 0, _MAX_LESION_SCORE)

    @property
    def total(self) -> int:
        """Sum of the lesion-size scores, 0-39."""
        return sum(score for _, score in self.region_scores)

    @property
    def involved_regions(self) -> int:
        """Number of regions with a score > 0."""
        return sum(1 for _, score in self.region_scores if score > 0)

    @property
    def complete(self) -> bool:
        """True when all 13 regions were scored."""
        return len(self.region_scores) == len(Region)

    @property
    def missing(self) -> tuple[Region, ...]:
        """Regions that were not scored (empty for a complete PCI)."""
        scored = {region for region, _ in self.region_scores}
        return tuple(region for region in Region if region not in scored)

    def score(self, region: RegionKey) -> int | None:
        """Lesion-size score of one region, or None when it was not scored."""
        wanted = Region.parse(region)
        for scored, value in self.region_scores:
            if scored is wanted:
                return value
        return None

    def as_dict(self) -> dict[str, int]:
        """Scores keyed by region id, e.g. {"central": 2, ...}."""
        return {region.id: score for region, score in self.region_scores}


def _by_region(entries: Mapping[_K, _V], field: str) -> dict[Region, _V]:
    if not isinstance(entries, Mapping):
        raise ScoringError(field, entries, "a mapping of region to value", "pass a dict")
    first_key: dict[Region, RegionKey] = {}
    result: dict[Region, _V] = {}
    for key, value in entries.items():
        region = Region.parse(key)
        if region in first_key:
            raise ScoringError(
                "region",
                key,
                "each region once",
                f"remove the duplicate: {first_key[region]!r} and {key!r} are both "
                f"region {region.code} ({region.id})",
            )
        first_key[region] = key
        result[region] = value
    if not result:
        raise ScoringError(field, dict(entries), "at least one region", "score the 13 regions")
    return result


def _check_complete(regions: Collection[Region], allow_partial: bool) -> None:
    missing = tuple(region.id for region in Region if region not in regions)
    if missing and not allow_partial:
        raise ScoringError(
            "missing PCI regions",
            missing,
            "all 13 regions for a complete PCI",
            f"score {', '.join(missing)} (0 when free of tumour), "
            "or pass allow_partial=True to record a partial PCI",
        )


def pci_total(scores: Mapping[_K, int], *, allow_partial: bool = False) -> PciResult:
    """Score a PCI from lesion-size scores (0-3) keyed by Region, code or id.

    All 13 regions are required by default: a region left out is not the same as a region free
    of tumour, and treating it as 0 would understate the PCI. Pass `allow_partial=True` to
    accept missing regions; the result then has `complete == False`.
    """
    by_region = _by_region(scores, "scores")
    checked = [
        (region, require_int(f"lesion size score ({region.id})", value, 0, _MAX_LESION_SCORE))
        for region, value in by_region.items()
    ]
    _check_complete(by_region.keys(), allow_partial)
    return PciResult(tuple(sorted(checked, key=lambda item: item[0].code)))


def pci_from_lesion_sizes(
    sizes_cm: Mapping[_K, float | None],
    *,
    confluent: Collection[RegionKey] = (),
    allow_partial: bool = False,
) -> PciResult:
    """Score a PCI from the largest implant per region (cm, None = no tumour).

    Regions in `confluent` score 3; each must also appear in `sizes_cm` so that a typing error
    in one list cannot add a region the surgeon did not score.
    """
    by_region = _by_region(sizes_cm, "sizes_cm")
    confluent_regions = set()
    for key in confluent:
        region = Region.parse(key)
        if region not in by_region:
            raise ScoringError(
                "confluent",
                key,
                "a region that is also listed in sizes_cm",
                "add the region to sizes_cm (size may be None)",
            )
        confluent_regions.add(region)
    scores = {
        region: _lesion_size_score(
            size, region in confluent_regions, f"largest lesion size ({region.id})"
        )
        for region, size in by_region.items()
    }
    return pci_total(scores, allow_partial=allow_partial)
