"""The two derivations of a time-to-event endpoint agree: the frame-wise one the table engine
uses (`analysis.time_to_event`) and the per-participant one of the report generated from a
definition (`analysis.tte`, admiral's `derive_param_tte`), on the SYNTHETIC reference cohort."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cairo6.analysis.time_to_event import endpoint_times
from cairo6.analysis.tte import derive_tte
from cairo6.service import exchange
from cairo6.service.study_data import analysis_people
from cairo6.store.extract import extract
from cairo6.study.models import EndpointType
from tests.trial_setup import REFERENCE, trial_with_data_manager


def _starts(frames: dict[str, pd.DataFrame], start: str) -> pd.Series:
    if start == "@randomised_on":
        return frames["participant"].set_index("study_number")["enrolled_on"]
    form, _, item = start.partition(".")
    first = frames[form].drop_duplicates("study_number").set_index("study_number")[item]
    return pd.to_datetime(first.dropna())


def test_frame_and_participant_derivations_give_the_same_times(tmp_path: Path) -> None:
    with trial_with_data_manager(tmp_path / "trial.db") as (trial, dm):
        exchange.import_directory(trial, dm, REFERENCE)
        frames = extract(trial.db)
        people = analysis_people(trial)
        study = trial.definition()
    endpoints = [e for e in study.endpoints if e.type is EndpointType.TIME_TO_EVENT]
    assert len(endpoints) >= 3
    for endpoint in endpoints:
        assert endpoint.start is not None
        derived, _missing = derive_tte(study, endpoint, people)
        assert derived, endpoint.id
        framewise = endpoint_times(frames, endpoint, _starts(frames, endpoint.start))
        for one in derived:
            row = framewise.loc[one.participant]
            assert bool(row["event"]) == one.event, (endpoint.id, one.participant)
            assert row["time"] == pytest.approx(one.time_months), (endpoint.id, one.participant)
