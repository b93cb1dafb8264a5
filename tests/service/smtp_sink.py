"""A real SMTP server (aiosmtpd) on a free local port that keeps every message it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from cairo6.config import MailSettings


@dataclass
class Sink:
    """The server's handler: the messages received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def free_port() -> int:
    """A local TCP port nobody listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_sink() -> Iterator[tuple[Sink, MailSettings]]:
    """A running SMTP server and the mail settings that point at it."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield (
            sink,
            MailSettings(
                smtp_host="127.0.0.1",
                smtp_port=port,
                sender="trial@example.org",
                sae_notify=("pv@sponsor.example.org", "pi@example.org"),
            ),
        )
    finally:
        controller.stop()
