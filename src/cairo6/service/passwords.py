"""Passwords: the policy (OWASP ASVS 2.1), argon2id hashing and bounded verification.

The policy: 12 to 1024 characters, not the username, and not on the list of common and
breached passwords shipped with the `zxcvbn` package (MIT licence; its `passwords` list holds
the 30,000 most frequent passwords of public breach corpora), checked offline, ignoring case.
No composition rules (ASVS 2.1.9).

Hashing is deliberately slow and memory-hungry (argon2id, 64 MiB a hash), so at most
`slots` hashes run at once in a process; a request that cannot get a slot in time is told the
system is busy instead of the server running out of memory.
"""

from __future__ import annotations

import functools
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cairo6.errors import InvalidValueError, StateError

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
DEFAULT_SLOTS = 4
SLOT_WAIT_SECONDS = 20.0
_HASHER = PasswordHasher()


class _Slots:
    """A resizable bound on concurrent hashing; counts hashes done and the most at once."""

    def __init__(self, size: int) -> None:
        self.semaphore = threading.BoundedSemaphore(size)
        self.size = size
        self.done = 0
        self.running = 0
        self.peak = 0
        self._lock = threading.Lock()

    def resize(self, size: int) -> None:
        with self._lock:
            if size != self.size:
                self.semaphore = threading.BoundedSemaphore(size)
                self.size = size

    @contextmanager
    def hold(self) -> Iterator[None]:
        semaphore = self.semaphore
        if not semaphore.acquire(timeout=SLOT_WAIT_SECONDS):
            raise StateError(
                "the system is busy checking passwords", "wait a few seconds and try again"
            )
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            yield
        finally:
            with self._lock:
                self.running -= 1
                self.done += 1
            semaphore.release()


_SLOTS = _Slots(DEFAULT_SLOTS)


def set_concurrency(slots: int) -> None:
    """How many password hashes this process computes at once (from the settings)."""
    _SLOTS.resize(max(1, slots))


def hashes_done() -> int:
    """Password hashes and verifications computed by this process so far."""
    return _SLOTS.done


def hashing_peak(reset: bool = False) -> int:
    """The most password hashes this process has computed at once (since the last reset)."""
    with _SLOTS._lock:
        peak = _SLOTS.peak
        if reset:
            _SLOTS.peak = _SLOTS.running
    return peak


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common and breached passwords, lower-cased."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def check_password_rules(password: str, username: str) -> None:
    """Refuse a password that is too short or long, the username, or a common one."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidValueError(
            "password",
            "(hidden)",
            f"{MIN_PASSWORD} to {MAX_PASSWORD} characters",
            "choose a longer password; a few unrelated words work well",
        )
    folded = password.strip().casefold()
    if folded == username.strip().casefold():
        raise InvalidValueError(
            "password", "(hidden)", "something other than the username", "choose another"
        )
    if folded in common_passwords() or len(set(folded)) < 4:
        raise InvalidValueError(
            "password",
            "(hidden)",
            "a password that is not on the list of common and breached passwords",
            "choose another; a few unrelated words work well",
        )


def hash_password(password: str, username: str) -> str:
    """An argon2id hash of an acceptable password."""
    check_password_rules(password, username)
    with _SLOTS.hold():
        return _HASHER.hash(password)


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(16))


def verify_password(stored: str | None, password: str) -> bool:
    """Whether the password matches. Always costs one verification, whatever `stored` is, so
    an unknown, locked or inactive account answers in the same time as a known one."""
    with _SLOTS.hold():
        try:
            return _HASHER.verify(stored or _dummy_hash(), password[:MAX_PASSWORD]) and bool(stored)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
