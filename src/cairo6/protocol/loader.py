"""Turn protocol TOML into a validated `Protocol`, reporting every problem with its TOML key.

`parse_protocol` is pure (text in, model out). Reading the file and the bundled default are
kept apart in `read_protocol_file` and `default_protocol` so callers see where the I/O is.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

from pydantic import TypeAdapter, ValidationError

from cairo6.errors import ProtocolError, ProtocolIssue
from cairo6.protocol.checks import cross_check
from cairo6.protocol.models import Factor, Protocol

DEFAULT_PROTOCOL = "protocol.toml"
"""The protocol file of the default study, `studies/cairo6/`."""


def _key_for(raw: Any, loc: Sequence[int | str]) -> str:
    """Render a pydantic error location as a TOML key, naming list items by their id.

    Walking the raw data as well drops the internal segments pydantic adds for unions
    (`str`, `list[...]`), which are not keys a protocol author could find in the file.
    """
    parts: list[str] = []
    node = raw
    for seg in loc:
        if isinstance(seg, int) and isinstance(node, list) and 0 <= seg < len(node):
            item = node[seg]
            ident = item.get("id") if isinstance(item, dict) else None
            parts.append(f"[{ident}]" if isinstance(ident, str) and ident else f"[{seg}]")
            node = item
        elif isinstance(seg, str) and isinstance(node, dict):
            parts.append(("." if parts else "") + seg)
            node = node.get(seg)
        else:
            break
    return "".join(parts) or "(top level)"


def issues_from_error(
    error: ValidationError, raw: Any, prefix: tuple[str, ...]
) -> list[ProtocolIssue]:
    """Every pydantic error as a problem located by its TOML key (list items by id)."""
    found: dict[str, list[str]] = {}
    for err in error.errors(include_url=False):
        key = _key_for(raw, (*prefix, *err["loc"]))
        message = err["msg"].removeprefix("Value error, ")
        if "input" in err and err["type"] not in ("missing", "extra_forbidden"):
            shown = repr(err["input"])
            if len(shown) <= 60:
                message += f" (got {shown})"
        if err["type"] == "extra_forbidden":
            message = "unknown key; check its spelling against the documented keys"
        found.setdefault(key, [])
        if message not in found[key]:
            found[key].append(message)
    return [ProtocolIssue(key, "; ".join(msgs)) for key, msgs in found.items()]


def _valid_items(annotation: Any, value: Any) -> list[Any] | None:
    """The items of a list section that are valid on their own, for the cross-checks."""
    if get_origin(annotation) is not list or not isinstance(value, list):
        return None
    item_adapter: TypeAdapter[Any] = TypeAdapter(get_args(annotation)[0])
    valid = []
    for item in value:
        try:
            valid.append(item_adapter.validate_python(item))
        except ValidationError:
            continue
    return valid


def _declared_ids(raw: dict[str, Any]) -> dict[str, set[str]]:
    """Ids each list section declares in the raw file, valid or not."""

    def ids(items: Any) -> set[str]:
        if not isinstance(items, list):
            return set()
        return {i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)}

    analysis = raw.get("analysis")
    return {
        "arms": ids(raw.get("arms")),
        "regimens": ids(raw.get("regimens")),
        "endpoints": ids(raw.get("endpoints")),
        "analysis.populations": ids(
            analysis.get("populations") if isinstance(analysis, dict) else None
        ),
    }


def _resolve(raw: Any, key: str) -> bool:
    """Whether an assumption key such as `regimens[CAP].drugs[0].dose` names something."""
    node = raw
    for part in key.replace("]", "").replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("["):
            want = part[1:]
            if not isinstance(node, list):
                return False
            if want.isdigit() and int(want) < len(node):
                node = node[int(want)]
                continue
            node = next((i for i in node if isinstance(i, dict) and i.get("id") == want), None)
            if node is None:
                return False
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    return True


def parse_protocol(text: str, source: str = "<protocol>") -> Protocol:
    """Parse and validate protocol TOML; raise `ProtocolError` listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(source, [ProtocolIssue("(file)", f"not valid TOML: {exc}")]) from exc
    return protocol_from_dict(raw, source)


@cache
def _format_1() -> dict[str, Any]:
    text = resources.files("cairo6.protocol").joinpath("format_1.toml").read_text("utf-8")
    return tomllib.loads(text)


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [names.get(v, v) if isinstance(v, str) else v for v in value]
    return value


def from_format_1(raw: dict[str, Any]) -> dict[str, Any]:
    """A protocol of the first release's format (`format_1.toml`) in today's terms; any other
    protocol unchanged. A database created then keeps its protocol text in that format."""
    if "index_procedure" in raw or "assessment" in raw:
        return raw
    old = _format_1()
    out = dict(raw)
    changed = False
    regimens = raw.get("regimens")
    if isinstance(regimens, list):
        keys: dict[str, str] = old["regimen_keys"]
        out["regimens"] = [
            {keys.get(k, k): v for k, v in r.items()} if isinstance(r, dict) else r
            for r in regimens
        ]
        changed |= any(isinstance(r, dict) and keys.keys() & r.keys() for r in regimens)
    windows = raw.get("windows")
    if isinstance(windows, list):
        names = {"event": old["events"], "anchor": old["events"], "requires": old["requires"]}
        new = [
            {k: _renamed(v, names[k]) if k in names else v for k, v in w.items()}
            if isinstance(w, dict)
            else w
            for w in windows
        ]
        changed |= new != windows
        out["windows"] = new
    if not changed:
        return raw
    out |= old["sections"]
    fields = raw.get("fields")
    variant = old["variant_field"]["id"]
    if isinstance(fields, list) and any(
        isinstance(f, dict) and f.get("id") == variant for f in fields
    ):
        out["index_procedure"] = {**out["index_procedure"], "variant_field": variant}
    return out


def protocol_from_dict(raw: dict[str, Any], source: str = "<protocol>") -> Protocol:
    """Validate a protocol already parsed into plain data (the first release's format too)."""
    raw = from_format_1(raw)
    issues: list[ProtocolIssue] = []
    parts: dict[str, Any] = {}
    for name in raw:
        if name not in Protocol.model_fields:
            issues.append(
                ProtocolIssue(name, "unknown section; allowed: " + ", ".join(Protocol.model_fields))
            )
    for name, info in Protocol.model_fields.items():
        if name not in raw:
            if info.is_required():
                issues.append(ProtocolIssue(name, "required section is missing"))
            continue
        # The field's own constraints (min_length, ...) travel with it in Annotated.
        adapter: TypeAdapter[Any] = TypeAdapter(Annotated[info.annotation, info])  # type: ignore[arg-type]
        try:
            parts[name] = adapter.validate_python(raw[name])
        except ValidationError as exc:
            issues += issues_from_error(exc, raw, (name,))
            salvaged = _valid_items(info.annotation, raw[name])
            if salvaged is not None:
                parts[name] = salvaged
    # Factor levels carry rules over fields; check them even when another randomisation
    # setting (say p) is wrong, so one run reports both.
    rand = raw.get("randomization")
    if isinstance(rand, dict):
        factors = _valid_items(list[Factor], rand.get("factors"))
        if factors is not None:
            parts["randomization.factors"] = factors
    issues += cross_check(parts, _declared_ids(raw))
    for i, assumption in enumerate(raw.get("assumptions") or []):
        key = assumption.get("key") if isinstance(assumption, dict) else None
        if isinstance(key, str) and not _resolve(raw, key):
            issues.append(
                ProtocolIssue(f"assumptions[{i}].key", f"'{key}' names nothing in this protocol")
            )
    if issues:
        raise ProtocolError(source, issues)
    return Protocol.model_validate(raw)


def read_protocol_file(path: str | Path) -> Protocol:
    """Read and validate a protocol file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(
            str(p), [ProtocolIssue("(file)", f"cannot be read: {exc.strerror}")]
        ) from exc
    return parse_protocol(text, str(p))


@cache
def default_protocol() -> Protocol:
    """The CAIRO6 protocol shipped inside the package."""
    text = resources.files("cairo6.studies").joinpath("cairo6", DEFAULT_PROTOCOL).read_text("utf-8")
    return parse_protocol(text, f"cairo6:{DEFAULT_PROTOCOL}")


def default_protocol_text() -> str:
    """The TOML text of the bundled CAIRO6 protocol (a template for new trials)."""
    return resources.files("cairo6.studies").joinpath("cairo6", DEFAULT_PROTOCOL).read_text("utf-8")
