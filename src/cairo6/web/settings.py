"""Web settings: sessions, login throttling and trusted proxies, from `CAIRO6_*` or defaults."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from cairo6.config import MailSettings
from cairo6.errors import InvalidValueError


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise InvalidValueError(name, raw, "a positive number", f"set {name} or unset it")
    return value


def trusted_proxies(raw: str) -> frozenset[str]:
    """The proxy addresses of CAIRO6_TRUSTED_PROXIES (each must be an IP address)."""
    names = frozenset(part.strip() for part in raw.split(",") if part.strip())
    for name in names:
        try:
            ipaddress.ip_address(name)
        except ValueError:
            raise InvalidValueError(
                "CAIRO6_TRUSTED_PROXIES",
                name,
                "comma-separated IP addresses of your reverse proxies",
                "list the proxies' addresses, or unset it when clients connect directly",
            ) from None
    return names


@dataclass(frozen=True)
class WebSettings:
    """How long sessions live and how hard logins are throttled."""

    idle_timeout: dt.timedelta = dt.timedelta(minutes=30)
    """A session unused this long is ended (CAIRO6_SESSION_IDLE_MINUTES)."""
    absolute_lifetime: dt.timedelta = dt.timedelta(hours=12)
    """A session ends this long after sign-in, however busy (CAIRO6_SESSION_MAX_HOURS)."""
    max_failed_logins: int = 5
    """Failed passwords in a row that lock an account (CAIRO6_LOGIN_MAX_FAILURES)."""
    lockout: dt.timedelta = dt.timedelta(minutes=15)
    """How long a locked account stays locked (CAIRO6_LOGIN_LOCKOUT_MINUTES)."""
    max_failed_logins_any_client: int = 50
    """Failed passwords for one account from all clients together that lock it for everyone
    (CAIRO6_LOGIN_MAX_FAILURES_ANY_CLIENT)."""
    max_failed_logins_per_client: int = 30
    """Failed sign-ins from one client, whatever the accounts, that shut that client out
    (CAIRO6_LOGIN_MAX_FAILURES_PER_CLIENT)."""
    login_rate_per_minute: int = 30
    """Sign-in attempts one client may make per minute, per server process
    (CAIRO6_LOGIN_RATE_PER_MINUTE)."""
    hash_concurrency: int = 4
    """Password hashes computed at once per process (argon2id uses 64 MiB each)
    (CAIRO6_HASH_CONCURRENCY)."""
    trusted_proxies: frozenset[str] = frozenset()
    """Addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed;
    from anyone else the socket's address is the client (CAIRO6_TRUSTED_PROXIES, a comma list)."""
    touch_interval: dt.timedelta = dt.timedelta(seconds=60)
    """A session's last-seen time is written at most this often, to spare the write lock."""
    worker_header: bool = False
    """Send the serving process id in `X-Cairo6-Worker` (CAIRO6_WEB_WORKER_HEADER=1; tests)."""
    mail: MailSettings = field(default_factory=MailSettings)
    """Where serious-adverse-event notifications are sent (CAIRO6_SMTP_*, CAIRO6_SAE_NOTIFY)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebSettings:
        """Settings from the environment, falling back to the defaults above."""
        env = os.environ if environ is None else environ
        return cls(
            idle_timeout=dt.timedelta(minutes=_number(env, "CAIRO6_SESSION_IDLE_MINUTES", 30)),
            absolute_lifetime=dt.timedelta(hours=_number(env, "CAIRO6_SESSION_MAX_HOURS", 12)),
            max_failed_logins=int(_number(env, "CAIRO6_LOGIN_MAX_FAILURES", 5)),
            lockout=dt.timedelta(minutes=_number(env, "CAIRO6_LOGIN_LOCKOUT_MINUTES", 15)),
            max_failed_logins_any_client=int(
                _number(env, "CAIRO6_LOGIN_MAX_FAILURES_ANY_CLIENT", 50)
            ),
            max_failed_logins_per_client=int(
                _number(env, "CAIRO6_LOGIN_MAX_FAILURES_PER_CLIENT", 30)
            ),
            login_rate_per_minute=int(_number(env, "CAIRO6_LOGIN_RATE_PER_MINUTE", 30)),
            hash_concurrency=int(_number(env, "CAIRO6_HASH_CONCURRENCY", 4)),
            trusted_proxies=trusted_proxies(env.get("CAIRO6_TRUSTED_PROXIES", "")),
            worker_header=env.get("CAIRO6_WEB_WORKER_HEADER", "").strip() == "1",
            mail=MailSettings.from_env(env),
        )
