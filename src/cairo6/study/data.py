"""Read a study's bundled data file through its mapping (the I/O edge of `mapping.py`)."""

from __future__ import annotations

import csv
import tomllib

from cairo6.errors import StudyError, StudyIssue
from cairo6.study.mapping import DataMapping, ParticipantData, map_rows
from cairo6.study.study import Study


def read_mapping(study: Study) -> DataMapping:
    """The study's `mapping.toml`, validated."""
    if study.folder is None or study.manifest.mapping is None:
        raise StudyError(
            study.id, [StudyIssue("study.toml", "mapping", "the study has no mapping")]
        )
    text = (study.folder / study.manifest.mapping).read_text(encoding="utf-8")
    return DataMapping.model_validate(tomllib.loads(text))


def read_study_data(study: Study) -> list[ParticipantData]:
    """Every participant of the study's data file, mapped onto its forms and checked."""
    mapping = read_mapping(study)
    assert study.folder is not None
    folder = study.folder / (study.manifest.data or ".")
    with (folder / mapping.source).open(encoding="utf-8", newline="") as handle:
        return map_rows(csv.DictReader(handle), mapping, study)
