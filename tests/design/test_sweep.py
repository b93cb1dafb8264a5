"""Sweeps: per-scenario seeds, and identical results in process and on a dask cluster."""

from __future__ import annotations

import numpy as np
import pytest
from distributed import Client, LocalCluster

from cairo6.design import Scenario, TrialSpec, run_sweep, scenario_seeds, scenarios
from cairo6.errors import InvalidValueError


@pytest.fixture(scope="module")
def items() -> list[Scenario]:
    return scenarios(TrialSpec(), [1.0, 0.62], [1.0, 1.5])


def test_scenarios_keep_the_design_plan(items: list[Scenario]) -> None:
    assert len(items) == 4
    assert len({item.spec.planned_events for item in items}) == 1
    assert items[3].spec.centres[0].rate_per_month == pytest.approx(0.75)
    assert items[1].label == "HR 0.620, accrual x1"


def test_seeds_are_spawned_children() -> None:
    seeds = scenario_seeds(42, 3)
    expected = np.random.SeedSequence(42).spawn(3)
    assert [s.spawn_key for s in seeds] == [e.spawn_key for e in expected]
    draws = [np.random.default_rng(s).random() for s in seeds]
    assert len(set(draws)) == 3


def test_local_and_dask_give_identical_results(items: list[Scenario]) -> None:
    local = run_sweep(items, 300, 7, chunk_size=128)
    # Threads in one process keep the test fast; the CLI test covers worker processes.
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        done: list[int] = []
        remote = run_sweep(
            items, 300, 7, executor=client.get_executor(), chunk_size=128, progress=done.append
        )
    assert remote.results == local.results
    assert done == [300, 600, 900, 1200]
    assert [r.hazard_ratio for r in remote.results] == [1.0, 0.62, 1.0, 0.62]


def test_bad_sweeps() -> None:
    with pytest.raises(InvalidValueError):
        scenarios(TrialSpec(), [])
    with pytest.raises(InvalidValueError) as caught:
        scenarios(TrialSpec(), [0.0])
    assert caught.value.field == "hazard_ratio"
    with pytest.raises(InvalidValueError) as caught:
        scenarios(TrialSpec(), [0.7], [-1.0])
    assert caught.value.field == "accrual_scale"
    with pytest.raises(InvalidValueError) as caught:
        run_sweep([], 10, 1)
    assert caught.value.field == "scenarios"
