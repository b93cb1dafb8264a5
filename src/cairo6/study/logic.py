"""Simple logic expressions of other tools (REDCap branching logic) as rules of the rule language.

Understood: comparisons `[field] = '1'`, `<>`/`!=`, `<`, `<=`, `>`, `>=` of a field with a
literal or another field, checkbox choices `[field(2)] = '1'`, `and`/`or` and parentheses, and
(for branching) the "is filled in" test `[field] <> ''` on text, coded and yes/no items.
Anything else (functions, events, "is blank" tests, smart variables) raises `LogicError` with
the reason, so that the caller lists the expression as not mapped instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from cairo6.protocol.rules import Condition, Op
from cairo6.study.models import DataType


class LogicError(ValueError):
    """An expression, or a part of it, that has no rule in the rule language."""


@dataclass(frozen=True)
class Target:
    """What an expression's field reference resolves to in the definition."""

    name: str
    """The name a rule uses: the item id on its own form, else `form.item`."""
    type: DataType
    codes: Mapping[str, str] = field(default_factory=dict)
    """Coded items: the source's code -> the stored code."""


Resolve = Callable[[str, str | None], Target]
"""(field name, checkbox choice or None) -> its target; raises `LogicError` when unknown."""

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\[(?P<name>[A-Za-z0-9_]+)(?:\((?P<choice>[^()\]]*)\))?\])
    | (?P<str>'(?P<s1>[^']*)'|"(?P<s2>[^"]*)")
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<op><=|>=|<>|!=|==|=|<|>)
    | (?P<paren>[()])
    | (?P<bool>&&|\|\|)
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
_OPS: dict[str, str] = {
    "=": "eq",
    "==": "eq",
    "<>": "ne",
    "!=": "ne",
    "<": "lt",
    "<=": "le",
    ">": "gt",
    ">=": "ge",
}
_FLIP = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n"}


@dataclass(frozen=True)
class _Tok:
    kind: Literal["ref", "str", "num", "op", "paren", "and", "or", "word", "end"]
    text: str
    choice: str | None = None


def _tokens(text: str, bare_names: bool) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise LogicError(f"cannot read '{text[pos:].strip()[:30]}'")
        pos = m.end()
        if m.group("ref"):
            if out and out[-1].kind == "ref":
                raise LogicError(f"[{out[-1].text}] names another event; rules read one record")
            out.append(_Tok("ref", m.group("name"), m.group("choice")))
        elif m.group("str") is not None:
            s = m.group("s1") if m.group("s1") is not None else m.group("s2")
            out.append(_Tok("str", s))
        elif m.group("num"):
            out.append(_Tok("num", m.group("num")))
        elif m.group("op"):
            out.append(_Tok("op", _OPS[m.group("op")]))
        elif m.group("paren"):
            out.append(_Tok("paren", m.group("paren")))
        elif m.group("bool"):
            out.append(_Tok("and" if m.group("bool") == "&&" else "or", m.group("bool")))
        else:
            word = m.group("word")
            if word.lower() in ("and", "or"):
                out.append(_Tok(cast(Literal["and", "or"], word.lower()), word))
            elif text[pos:].lstrip().startswith("("):
                raise LogicError(f"function '{word}(...)' has no rule form")
            elif bare_names:
                out.append(_Tok("ref", word))
            else:
                raise LogicError(f"'{word}' is not a [field], a quoted value or and/or")
    out.append(_Tok("end", ""))
    return out


class _Parser:
    def __init__(self, tokens: list[_Tok], resolve: Resolve, filled_tests: bool) -> None:
        self.tokens = tokens
        self.pos = 0
        self.resolve = resolve
        self.filled_tests = filled_tests

    def peek(self) -> _Tok:
        return self.tokens[self.pos]

    def take(self) -> _Tok:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Condition:
        cond = self.either()
        if self.peek().kind != "end":
            raise LogicError(f"unexpected '{self.peek().text}'")
        return cond

    def either(self) -> Condition:
        parts = [self.both()]
        while self.peek().kind == "or":
            self.take()
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else Condition(any=_flat(parts, "any"))

    def both(self) -> Condition:
        parts = [self.atom()]
        while self.peek().kind == "and":
            self.take()
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else Condition(all=_flat(parts, "all"))

    def atom(self) -> Condition:
        tok = self.peek()
        if tok.kind == "paren" and tok.text == "(":
            self.take()
            inner = self.either()
            close = self.take()
            if close.kind != "paren" or close.text != ")":
                raise LogicError("a '(' is not closed")
            return inner
        left = self.take()
        op = self.take()
        if op.kind != "op":
            raise LogicError(f"expected a comparison after '{left.text}', found '{op.text}'")
        right = self.take()
        return self.compare(left, op.text, right)

    def compare(self, left: _Tok, op: str, right: _Tok) -> Condition:
        if left.kind != "ref" and right.kind == "ref":
            left, right, op = right, left, _FLIP[op]
        if left.kind != "ref":
            raise LogicError(f"'{left.text} ... {right.text}' compares no field")
        target = self.resolve(left.text, left.choice)
        if right.kind == "ref":
            other = self.resolve(right.text, right.choice)
            if other.type is not target.type or target.type is DataType.CODED:
                raise LogicError(
                    f"[{left.text}] and [{right.text}] are not two items of one ordered type"
                )
            return Condition(field=target.name, op=cast(Op, op), other=other.name)
        if right.kind not in ("str", "num"):
            raise LogicError(f"expected a value after '{left.text}', found '{right.text}'")
        if right.kind == "str" and not right.text.strip() and op == "ne" and self.filled_tests:
            return _filled(target, left.text)
        return _leaf(target, op, right.text, left.text)


def _flat(parts: list[Condition], kind: Literal["all", "any"]) -> list[Condition]:
    out: list[Condition] = []
    for part in parts:
        inner = getattr(part, kind)
        out += inner if inner is not None and part.at_least is None else [part]
    return out


def _filled(target: Target, name: str) -> Condition:
    """`[field] <> ''`: true for every recorded value, unknown (so hidden) when not recorded."""
    if target.type is DataType.TEXT:
        return Condition(field=target.name, op="ne", value="")
    if target.type is DataType.CODED:
        return Condition(
            field=target.name, op="in", value=list(dict.fromkeys(target.codes.values()))
        )
    if target.type is DataType.BOOLEAN:
        return Condition(field=target.name, op="in", value=[True, False])
    raise LogicError(f"a test of the {target.type.value} [{name}] for being filled in has no rule")


def _leaf(target: Target, op: str, text: str, name: str) -> Condition:
    if text.strip() == "":
        raise LogicError(f"a test of [{name}] for a blank value has no rule form")
    value: Any
    if target.type is DataType.BOOLEAN:
        if op not in ("eq", "ne") or text.lower() not in _TRUE | _FALSE:
            raise LogicError(f"[{name}] is yes/no; only = or <> with 1 or 0 map")
        value = text.lower() in _TRUE
    elif target.type is DataType.CODED:
        return _coded(target, op, text, name)
    elif target.type is DataType.INTEGER:
        try:
            value = int(text)
        except ValueError as exc:
            raise LogicError(f"'{text}' is not a whole number for [{name}]") from exc
    elif target.type is DataType.DECIMAL:
        try:
            value = float(text)
        except ValueError as exc:
            raise LogicError(f"'{text}' is not a number for [{name}]") from exc
    elif target.type is DataType.DATE:
        try:
            value = dt.date.fromisoformat(text)
        except ValueError as exc:
            raise LogicError(f"'{text}' is not a YYYY-MM-DD date for [{name}]") from exc
    elif target.type is DataType.DATETIME:
        raise LogicError(f"[{name}] is a date-time; rules compare dates, not date-times")
    else:
        value = text
    return Condition(field=target.name, op=cast(Op, op), value=value)


def _coded(target: Target, op: str, text: str, name: str) -> Condition:
    if op in ("eq", "ne"):
        if text not in target.codes:
            raise LogicError(f"'{text}' is not one of the choices of [{name}]")
        return Condition(field=target.name, op=cast(Op, op), value=target.codes[text])
    # An ordered test on numeric choices (pain score > 3) is the set of choices it admits.
    try:
        bound = float(text)
        numeric = {float(code): stored for code, stored in target.codes.items()}
    except ValueError as exc:
        raise LogicError(f"'{op}' on the non-numeric choices of [{name}]") from exc
    tests = {"lt": bound.__gt__, "le": bound.__ge__, "gt": bound.__lt__, "ge": bound.__le__}
    chosen = [stored for code, stored in numeric.items() if tests[op](code)]
    if not chosen:
        raise LogicError(f"no choice of [{name}] is {op} {text}; the branch is never shown")
    return Condition(field=target.name, op="in", value=cast(list[Any], chosen))


def parse_logic(
    text: str, resolve: Resolve, bare_names: bool = False, filled_tests: bool = False
) -> Condition:
    """The rule an expression states; `LogicError` names the part that does not map.

    `bare_names` reads unbracketed names as fields (ODM formal expressions name items by OID).
    `filled_tests` reads `[field] <> ''` as "recorded": right for a branching condition, where
    unknown hides the item, and wrong for anything that is negated later.
    """
    if not text.strip():
        raise LogicError("empty expression")
    return _Parser(_tokens(text, bare_names), resolve, filled_tests).parse()


def negate(rule: Condition) -> Condition:
    """`not rule`, written as the opposite comparison when it is a single one."""
    if rule.not_ is not None:
        return rule.not_
    opposite = {
        "eq": "ne",
        "ne": "eq",
        "lt": "ge",
        "ge": "lt",
        "gt": "le",
        "le": "gt",
        "in": "not_in",
        "not_in": "in",
    }
    if rule.field is not None and rule.op in opposite:
        return rule.model_copy(update={"op": opposite[rule.op]})
    return Condition.model_validate({"not": rule})
