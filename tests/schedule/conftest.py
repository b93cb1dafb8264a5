"""Shared fixtures for the treatment-calendar tests."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from typing import Any

import pytest

from cairo6.protocol import Protocol, default_protocol, default_protocol_text, protocol_from_dict


@pytest.fixture(scope="session")
def protocol() -> Protocol:
    """The bundled CAIRO6 protocol."""
    return default_protocol()


@pytest.fixture
def protocol_with() -> Callable[..., Protocol]:
    """Build a protocol from the CAIRO6 TOML with some windows' values changed."""

    def build(**windows: dict[str, Any]) -> Protocol:
        raw = tomllib.loads(default_protocol_text())
        for window in raw["windows"]:
            window.update(windows.get(window["id"], {}))
        return protocol_from_dict(raw)

    return build
