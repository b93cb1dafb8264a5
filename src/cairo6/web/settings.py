"""Web settings: session lifetimes and login lockout, from `CAIRO6_*` variables or defaults."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

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
    touch_interval: dt.timedelta = dt.timedelta(seconds=60)
    """A session's last-seen time is written at most this often, to spare the write lock."""
    worker_header: bool = False
    """Send the serving process id in `X-Cairo6-Worker` (CAIRO6_WEB_WORKER_HEADER=1; tests)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebSettings:
        """Settings from the environment, falling back to the defaults above."""
        env = os.environ if environ is None else environ
        return cls(
            idle_timeout=dt.timedelta(minutes=_number(env, "CAIRO6_SESSION_IDLE_MINUTES", 30)),
            absolute_lifetime=dt.timedelta(hours=_number(env, "CAIRO6_SESSION_MAX_HOURS", 12)),
            max_failed_logins=int(_number(env, "CAIRO6_LOGIN_MAX_FAILURES", 5)),
            lockout=dt.timedelta(minutes=_number(env, "CAIRO6_LOGIN_LOCKOUT_MINUTES", 15)),
            worker_header=env.get("CAIRO6_WEB_WORKER_HEADER", "").strip() == "1",
        )
