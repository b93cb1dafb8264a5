"""Run every benchmark (`make bench`): each `bench_*.py` in its own process, one after another.

Separate processes keep one benchmark's memory and warmed caches from flattering the next.
Targets are ratios measured within one run, so the figures mean the same on any machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    """Run all benchmarks; return non-zero if any failed to run."""
    here = Path(__file__).parent
    failures = 0
    for script in sorted(here.glob("bench_*.py")):
        print(f"\n=== {script.stem} ===", flush=True)
        failures += subprocess.run([sys.executable, str(script)], check=False).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
