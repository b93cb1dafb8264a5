"""The study definition: what a trial collects, checks and reports, read from a folder of TOML.

The engine knows no study. A new trial is a definition folder (and its data), checked with
`cairo6 study check DIR`; CAIRO6 ships as `studies/cairo6/`.
"""

from cairo6.study.loader import (
    bundled_studies,
    bundled_study_folder,
    read_study,
    study_from_texts,
)
from cairo6.study.models import (
    CodeList,
    DataType,
    EditCheck,
    EndpointDef,
    Form,
    Item,
    ItemGroup,
    PopulationDef,
    Severity,
)
from cairo6.study.study import Study

__all__ = [
    "CodeList",
    "DataType",
    "EditCheck",
    "EndpointDef",
    "Form",
    "Item",
    "ItemGroup",
    "PopulationDef",
    "Severity",
    "Study",
    "bundled_studies",
    "bundled_study_folder",
    "read_study",
    "study_from_texts",
]
