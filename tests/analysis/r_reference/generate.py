"""Random two-arm survival datasets and R's reference values for them.

    python tests/analysis/r_reference/generate.py [--datasets 1000] [--seed 20261203]

writes `datasets.csv.gz` here (dataset, time, event, arm) and runs `generate.R` on it (R with the
survival package: `apt-get install r-base-core r-cran-survival`) to write `reference.csv`.
`tests/analysis/test_r_reference.py` compares cairo6's survival code with both; it needs no R.

The datasets are built to reach the awkward cases: heavy ties (times rounded to whole months),
no events, everything censored, every event in one arm, no censoring, arms of 1 to 400,
curves that stay at exactly 0.5, follow-up that ends before or after the 36-month landmark,
times in whole days converted to months as the report does.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
SCENARIOS = (
    "plain",
    "ties",
    "no_events",
    "one_arm_events",
    "no_censoring",
    "half_plateau",
    "small",
    "large",
    "days",
)
MONTH_DAYS = 365.25 / 12


def _arm(rng: np.random.Generator, n: int, scenario: str, rate: float) -> pd.DataFrame:
    event_time = rng.exponential(1 / rate, n)
    censor_time = rng.uniform(6, 72, n)
    if scenario == "no_censoring":
        censor_time[:] = np.inf
    time = np.minimum(event_time, censor_time)
    event = event_time <= censor_time
    if scenario == "no_events":
        event[:] = False
    if scenario == "half_plateau":
        # An even number of deaths at 1..n/2 and the rest censored after: S = 0.5 to the end.
        time = np.concatenate([np.arange(1, n // 2 + 1), np.full(n - n // 2, n / 2 + 3.0)])
        event = np.arange(n) < n // 2
    if scenario == "days":
        # As the report computes them: whole days in months, full floating-point precision.
        time = np.ceil(time * MONTH_DAYS) / MONTH_DAYS
    elif scenario in ("ties", "half_plateau", "small") or rng.random() < 0.3:
        time = np.ceil(time)
    else:
        time = np.round(time, 1)
    return pd.DataFrame({"time": np.maximum(time, 0.1), "event": event.astype(int)})


def datasets(count: int, seed: int) -> pd.DataFrame:
    """`count` datasets, the scenarios in turn."""
    rng = np.random.default_rng(seed)
    parts = []
    for dataset in range(count):
        scenario = SCENARIOS[dataset % len(SCENARIOS)]
        if scenario == "small":
            sizes = rng.integers(1, 8, 2)
        elif scenario == "large":
            sizes = rng.integers(100, 401, 2)
        else:
            sizes = rng.integers(5, 80, 2)
        rates = rng.uniform(0.005, 0.08, 2)
        for arm, n, rate in zip(("c", "e"), sizes, rates, strict=True):
            frame = _arm(rng, int(n), scenario, float(rate))
            if scenario == "one_arm_events" and arm == "c":
                frame["event"] = 0
            frame.insert(0, "dataset", dataset)
            frame["arm"] = arm
            parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    data = datasets(args.datasets, args.seed)
    data_file = HERE / "datasets.csv.gz"
    # Shortest round-trip text of each time: 12.3 stays 12.3, a time in days keeps every digit.
    data.to_csv(data_file, index=False, compression={"method": "gzip", "mtime": 0})
    subprocess.run(
        ["Rscript", str(HERE / "generate.R"), str(data_file), str(HERE / "reference.csv")],
        check=True,
    )


if __name__ == "__main__":
    main()
