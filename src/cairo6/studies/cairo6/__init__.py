"""The CAIRO6 study: its definition (TOML beside this file), the SYNTHETIC reference cohort and
its builder, the large synthetic cohorts for benchmarks, and the phase 2 paper's numbers.

Everything CAIRO6 lives here; the engine under `cairo6` reads it only as a study definition.
"""

from pathlib import Path

REFERENCE_DATA = Path(__file__).resolve().parent / "data"
"""The SYNTHETIC reference cohort in the import format (what `make demo` imports)."""
