"""The command line starts light: each command imports only what it uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cairo6
from cairo6.cli import COMMANDS, load_command

HEAVY = ("pandas", "matplotlib", "scipy", "lifelines", "dask", "fastapi")

# Runs the real entry point in a fresh interpreter and reports which heavy packages it loaded.
PROBE = """
import json, sys
from cairo6.cli import main
sys.argv = ["cairo6", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = {heavy!r}
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""


def loaded_heavy_modules(*args: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(cairo6.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("args", [("--help",), ("version",)])
def test_help_and_version_import_no_heavy_package(args: tuple[str, ...]) -> None:
    assert loaded_heavy_modules(*args) == []


def test_the_probe_sees_heavy_imports_when_a_command_needs_them() -> None:
    # Guards the test above against passing vacuously: `design --help` loads scipy.
    assert any(m.startswith("scipy") for m in loaded_heavy_modules("design", "--help"))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_listed_summary_is_the_commands_own_help(name: str) -> None:
    command = load_command(name)
    own = (command.help or "").strip().split("\n\n")[0].replace("\n", " ")
    assert COMMANDS[name].summary == own
