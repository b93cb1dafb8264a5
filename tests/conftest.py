"""Shared fixtures: the bundled protocol, its raw TOML, and a second, unrelated protocol."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from cairo6.protocol import Protocol, default_protocol, default_protocol_text, read_protocol_file

TESTS = Path(__file__).parent
THREE_ARM = TESTS / "protocol" / "data" / "three_arm.toml"


@pytest.fixture(scope="session")
def cairo6() -> Protocol:
    """The CAIRO6 protocol shipped in the package."""
    return default_protocol()


@pytest.fixture(scope="session")
def _raw_cairo6() -> dict[str, Any]:
    return tomllib.loads(default_protocol_text())


@pytest.fixture
def raw_cairo6(_raw_cairo6: dict[str, Any]) -> dict[str, Any]:
    """A fresh deep copy of the CAIRO6 TOML as plain data, for tests that break it."""
    return copy.deepcopy(_raw_cairo6)


@pytest.fixture(scope="session")
def three_arm() -> Protocol:
    """A made-up three-arm 2:1:1 protocol with other factors."""
    return read_protocol_file(THREE_ARM)
