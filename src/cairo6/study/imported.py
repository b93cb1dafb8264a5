"""What an importer of another tool's definition hands back: forms, checks and what did not map.

The REDCap and ODM importers are pure (text in, models out). Whatever part of the source has no
place in a cairo6 definition is kept as an `Unmapped` entry, shown by the command and written
next to the forms, so that nothing is dropped silently.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from cairo6.study.models import CodeList, EditCheck, Form

# Only real tags (`<b>`, `</span>`, `<br/>`): "CC-1 < 2.5 mm; CC-3 > 2.5 cm" keeps its signs.
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_NOT_ID = re.compile(r"[^a-z0-9_]+")
_CODE_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+/ -]*$")


@dataclass(frozen=True)
class Unmapped:
    """One part of the source definition that has no place in the cairo6 definition."""

    where: str
    """The form, item or element it belongs to (`demographics.sex`, `ConditionDef C.1`)."""
    what: str
    """What kind of thing it is (`field type 'file'`, `branching logic`, `RangeCheck`)."""
    detail: str
    """The source text, so that it can be carried over by hand."""
    why: str
    """Why it did not map, and what to do about it."""


@dataclass(frozen=True)
class ImportResult:
    """Forms, code lists and edit checks read from another tool, and what did not map."""

    source: str
    """What was read (`REDCap data dictionary dictionary.csv`)."""
    forms: tuple[Form, ...]
    codelists: tuple[CodeList, ...]
    checks: tuple[EditCheck, ...] = ()
    unmapped: tuple[Unmapped, ...] = ()
    study_id: str | None = None
    title: str | None = None


@dataclass
class Ids:
    """Hands out unique snake-case ids within one scope (a form's items, the code lists)."""

    taken: set[str] = field(default_factory=set)

    def new(self, text: str, fallback: str) -> str:
        """A snake-case id made from `text`, unique in this scope."""
        base = snake_id(text, fallback)
        candidate, n = base, 2
        while candidate in self.taken:
            candidate = f"{base}_{n}"
            n += 1
        self.taken.add(candidate)
        return candidate


def snake_id(text: str, fallback: str = "item", max_length: int = 100) -> str:
    """A valid definition id (`^[a-z][a-z0-9_]*$`) made from any text."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    core = _NOT_ID.sub("_", ascii_text.lower()).strip("_")[:max_length].strip("_")
    if not core:
        return fallback
    return core if core[0].isalpha() else f"{fallback}_{core}"


def plain_text(text: str) -> str:
    """Label text without HTML tags or entities, with white space collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def code_value(raw: str) -> str:
    """A stored code the definition accepts; codes such as `-1` become `minus_1`."""
    value = raw.strip()
    if _CODE_OK.match(value):
        return value
    if value.startswith("-") and _CODE_OK.match(value[1:]):
        return "minus_" + value[1:]
    cleaned = re.sub(r"[^A-Za-z0-9_.+/ -]", "_", value).lstrip("_.+/ -")
    return cleaned or "code"


def unmapped_markdown(result: ImportResult) -> str:
    """The report of what did not map, as Markdown, grouped by kind."""
    lines = [
        "# Not mapped",
        "",
        f"Imported from {result.source}: {len(result.forms)} forms, "
        f"{sum(len(f.items()) for f in result.forms)} items, {len(result.codelists)} code lists, "
        f"{len(result.checks)} edit checks.",
        "",
    ]
    if not result.unmapped:
        lines.append("Everything in the source mapped onto the definition.")
        return "\n".join(lines) + "\n"
    lines.append(
        f"{len(result.unmapped)} part(s) of the source have no place in the definition as "
        "written. Carry each over by hand (forms.toml, checks.toml) or accept its loss."
    )
    for what, entries in _grouped(result.unmapped):
        lines += ["", f"## {what}", "", "| where | source | why / what to do |", "|---|---|---|"]
        lines += [f"| {_cell(u.where)} | {_cell(u.detail)} | {_cell(u.why)} |" for u in entries]
    return "\n".join(lines) + "\n"


def _grouped(entries: Iterable[Unmapped]) -> list[tuple[str, list[Unmapped]]]:
    groups: dict[str, list[Unmapped]] = {}
    for entry in entries:
        groups.setdefault(entry.what, []).append(entry)
    return list(groups.items())


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or " "
