"""Usernames: one normal form (NFKC, case-folded), and refusal of look-alike duplicates.

`ＤＭ`, `DM` and `dm` are one account; `аdmin` (with a Cyrillic а) is refused while `admin`
exists, because both reduce to the same skeleton. The look-alike table is Unicode's
confusables data as shipped by the `confusable-homoglyphs` package (MIT licence).
"""

from __future__ import annotations

import functools
import unicodedata

from cairo6.errors import InvalidValueError

MAX_USERNAME = 64


def normalise(username: str) -> str:
    """The stored and compared form of a username: NFKC, case-folded, trimmed."""
    return unicodedata.normalize("NFKC", username).casefold().strip()


def check_username(username: str) -> str:
    """The normal form of an acceptable username, or `InvalidValueError`."""
    name = normalise(username)
    if not name or len(name) > MAX_USERNAME or not name.replace(".", "").replace("_", "").isalnum():
        raise InvalidValueError(
            "username", username, "1-64 letters, digits, '.' or '_'", "choose another username"
        )
    return name


@functools.cache
def _look_alikes() -> dict[str, list[str]]:
    from confusable_homoglyphs.utils import load

    table: dict[str, list[dict[str, str]]] = load("confusables.json")
    return {char: [h["c"] for h in glyphs] for char, glyphs in table.items()}


@functools.cache
def _prototype(char: str) -> str:
    # The ASCII character a glyph is confused with, if any (the smallest, so that l, | and 1
    # meet); otherwise the character itself.
    candidates = [char, *_look_alikes().get(char, [])]
    plain = sorted(c for c in candidates if len(c) == 1 and c.isascii())
    return plain[0] if plain else char


def skeleton(username: str) -> str:
    """What a username looks like: two names with one skeleton are confusable."""
    return "".join(_prototype(c) for c in normalise(username))
