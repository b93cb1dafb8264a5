"""The large SYNTHETIC trial generator: consistent copies, the extract's shape, importable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cairo6.analysis.engine import analyse
from cairo6.protocol import default_protocol
from cairo6.studies.cairo6.synthetic_large import (
    SCREENED_PER_RANDOMISED,
    SyntheticTrial,
    generate,
    reference_trial,
    to_extract,
    write_exchange,
)
from tests.trial_setup import REFERENCE, imported_extract


def imported(directory: Path, tmp_path: Path) -> dict[str, pd.DataFrame]:
    """The extract of a fresh database with the exchange files of `directory` imported."""
    return imported_extract(directory, tmp_path / "trial.db")


@pytest.fixture(scope="module")
def trial() -> SyntheticTrial:
    return generate(2_000, seed=7)


def test_sizes_and_numbers(trial: SyntheticTrial) -> None:
    frames = to_extract(trial)
    people = frames["participant"]
    assert len(people) == 2_000
    assert people["study_number"].is_unique
    assert list(people["sequence_number"]) == list(range(1, 2_001))
    assert people["enrolled_on"].is_monotonic_increasing
    assert len(frames["screening"]) == round(2_000 * (1 + SCREENED_PER_RANDOMISED))
    assert frames["screening"]["screening_number"].is_unique
    assert frames["screening"]["study_number"].notna().sum() == 2_000
    known = set(people["study_number"])
    for form in ("baseline", "cycle", "surgery", "complication", "toxicity", "pathology"):
        assert set(frames[form]["study_number"]) <= known, form
        assert frames[form]["id"].is_unique, form
    assert frames["centre"]["name"].str.contains("(synthetic)", regex=False).all()


def test_copies_keep_their_intervals(trial: SyntheticTrial) -> None:
    def intervals(frames: dict[str, pd.DataFrame]) -> set[int]:
        surgery = frames["surgery"].merge(frames["participant"], on="study_number")
        return set((surgery["surgery_date"] - surgery["enrolled_on"]).dt.days)

    generated = intervals(to_extract(trial))
    assert generated <= intervals(to_extract(reference_trial()))
    assert len(generated) > 10


def test_same_seed_same_trial() -> None:
    first, again, other = generate(300, seed=1), generate(300, seed=1), generate(300, seed=2)
    for form, frame in first.tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[form])
    assert not first.tables["baseline"].equals(other.tables["baseline"])


def test_reference_frames_equal_the_database_extract(tmp_path: Path) -> None:
    from_db = imported(REFERENCE, tmp_path)
    generated = to_extract(reference_trial())
    assert list(generated) == list(from_db)
    for form, frame in from_db.items():
        pd.testing.assert_frame_equal(generated[form], frame, obj=form)


def test_exchange_files_import_and_analyse_alike(tmp_path: Path) -> None:
    small = generate(40, seed=3)
    write_exchange(small, tmp_path / "files")
    from_db = imported(tmp_path / "files", tmp_path)
    protocol = default_protocol()
    through_db = analyse(protocol, from_db)
    direct = analyse(protocol, to_extract(small))
    assert through_db.ard == direct.ard
    assert through_db.synthetic
    assert direct.synthetic
    assert through_db.ard.stat("figure", "randomised", "", "total", "n") == 40
