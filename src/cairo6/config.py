"""Typed settings, read once at start-up: environment variables `CAIRO6_*`, then defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cairo6.errors import InvalidValueError

DEFAULT_DB = "cairo6.db"
DEFAULT_WRITE_WAIT_SECONDS = 10.0


# --- P3 safety: e-mail of serious-adverse-event notifications ---------------------------------

DEFAULT_SMTP_PORT = 25


@dataclass(frozen=True)
class MailSettings:
    """Where serious-adverse-event notifications go: an SMTP server and the addresses to tell.

    Unset host or recipients mean "not configured": every notice is then recorded as not sent,
    and the overdue clock on the dashboard still runs.
    """

    smtp_host: str | None = None
    """The SMTP server (CAIRO6_SMTP_HOST)."""
    smtp_port: int = DEFAULT_SMTP_PORT
    """Its port (CAIRO6_SMTP_PORT, default 25)."""
    sender: str = "cairo6@localhost"
    """The From address (CAIRO6_SMTP_FROM)."""
    sae_notify: tuple[str, ...] = ()
    """Who is told of each serious adverse event and report (CAIRO6_SAE_NOTIFY, a comma
    list: the sponsor's pharmacovigilance desk, the coordinating investigator)."""

    @property
    def configured(self) -> bool:
        """Whether there is a server and someone to tell."""
        return bool(self.smtp_host and self.sae_notify)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MailSettings:
        """Mail settings from `CAIRO6_SMTP_*` and `CAIRO6_SAE_NOTIFY`."""
        env = os.environ if environ is None else environ
        raw_port = env.get("CAIRO6_SMTP_PORT", "").strip()
        port = int(raw_port) if raw_port.isdigit() else -1 if raw_port else DEFAULT_SMTP_PORT
        if not 0 < port < 65536:
            raise InvalidValueError(
                "CAIRO6_SMTP_PORT",
                raw_port,
                "a port number 1-65535",
                "set it (25, 587) or unset it",
            )
        notify = tuple(a.strip() for a in env.get("CAIRO6_SAE_NOTIFY", "").split(",") if a.strip())
        for address in notify:
            if address.count("@") != 1 or address.startswith("@") or address.endswith("@"):
                raise InvalidValueError(
                    "CAIRO6_SAE_NOTIFY",
                    address,
                    "comma-separated e-mail addresses (name@example.org)",
                    "correct the address list or unset it",
                )
        return cls(
            smtp_host=env.get("CAIRO6_SMTP_HOST", "").strip() or None,
            smtp_port=port,
            sender=env.get("CAIRO6_SMTP_FROM", "").strip() or cls.sender,
            sae_notify=notify,
        )


@dataclass(frozen=True)
class Settings:
    """Process-wide settings. Build once with `Settings.from_env()` and pass it down."""

    protocol_path: Path | None = None
    """A protocol TOML file to use instead of the bundled CAIRO6 protocol (CAIRO6_PROTOCOL)."""
    database: str = DEFAULT_DB
    """SQLite file path or postgresql:// URL (CAIRO6_DATABASE_URL, else CAIRO6_DB)."""
    user: str | None = None
    """The acting user for the command line (CAIRO6_USER)."""
    audit_key: Path = field(
        default_factory=lambda: Path.home() / ".config" / "cairo6" / "audit-anchor.key"
    )
    """The key that signs the audit trail's anchors, never kept in the database
    (CAIRO6_AUDIT_KEY; default $XDG_CONFIG_HOME/cairo6/audit-anchor.key)."""
    audit_anchors: Path | None = None
    """The append-only anchor file (CAIRO6_AUDIT_ANCHORS; default: beside a SQLite database
    as DATABASE.anchors, for PostgreSQL $XDG_STATE_HOME/cairo6/anchors/HOST-PORT-NAME.anchors)."""
    state_dir: Path = field(default_factory=lambda: Path.home() / ".local" / "state" / "cairo6")
    """Where files that are not settings are kept by default ($XDG_STATE_HOME/cairo6)."""
    write_wait_seconds: float = DEFAULT_WRITE_WAIT_SECONDS
    """How long a change waits for its turn to write before it is refused with "busy, retry"
    (CAIRO6_WRITE_WAIT_SECONDS); a long import or a stuck client never stalls others for
    longer than this."""

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
        home = Path(env.get("HOME", "").strip() or Path.home())
        config_home = Path(env.get("XDG_CONFIG_HOME", "").strip() or home / ".config")
        state_home = Path(env.get("XDG_STATE_HOME", "").strip() or home / ".local" / "state")
        raw_key = env.get("CAIRO6_AUDIT_KEY", "").strip()
        key = Path(raw_key).expanduser() if raw_key else config_home / "cairo6" / "audit-anchor.key"
        raw_anchors = env.get("CAIRO6_AUDIT_ANCHORS", "").strip()
        return cls(
            protocol_path=protocol_path,
            database=database,
            user=user,
            audit_key=key,
            audit_anchors=Path(raw_anchors).expanduser() if raw_anchors else None,
            state_dir=state_home / "cairo6",
            write_wait_seconds=_write_wait(env.get("CAIRO6_WRITE_WAIT_SECONDS", "").strip()),
        )


def _write_wait(raw: str) -> float:
    if not raw:
        return DEFAULT_WRITE_WAIT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 3600:
        raise InvalidValueError(
            "CAIRO6_WRITE_WAIT_SECONDS",
            raw,
            "a number of seconds above 0 and at most 3600",
            f"set CAIRO6_WRITE_WAIT_SECONDS=10 or unset it for {DEFAULT_WRITE_WAIT_SECONDS:g} s",
        )
    return seconds
