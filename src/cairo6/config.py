"""Typed settings, read once at start-up: environment variables `CAIRO6_*`, then defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cairo6.errors import InvalidValueError

DEFAULT_DB = "cairo6.db"


@dataclass(frozen=True)
class Settings:
    """Process-wide settings. Build once with `Settings.from_env()` and pass it down."""

    protocol_path: Path | None = None
    """A protocol TOML file to use instead of the bundled CAIRO6 protocol (CAIRO6_PROTOCOL)."""
    database: str = DEFAULT_DB
    """SQLite file path or postgresql:// URL (CAIRO6_DATABASE_URL, else CAIRO6_DB)."""
    user: str | None = None
    """The acting user for the command line (CAIRO6_USER)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from `CAIRO6_*` environment variables, falling back to defaults."""
        env = os.environ if environ is None else environ
        raw_protocol = env.get("CAIRO6_PROTOCOL", "").strip()
        protocol_path = Path(raw_protocol) if raw_protocol else None
        if protocol_path is not None and not protocol_path.is_file():
            raise InvalidValueError(
                "CAIRO6_PROTOCOL",
                raw_protocol,
                "the path of an existing protocol TOML file",
                "point CAIRO6_PROTOCOL at a protocol file or unset it to use CAIRO6",
            )
        database = (
            env.get("CAIRO6_DATABASE_URL", "").strip()
            or env.get("CAIRO6_DB", "").strip()
            or DEFAULT_DB
        )
        user = env.get("CAIRO6_USER", "").strip() or None
        return cls(protocol_path=protocol_path, database=database, user=user)
