"""A study's own derivations, which its definition cannot say as rules yet, loaded by name.

The table engine is generic: it runs the rows of a layout. What only one study needs (how its
populations follow from its records, the columns it derives, row kinds of its own, its
data-quality checks) the study supplies as a `Derivations` in a module
of its own, named by its layout (`[spec] derivations = "<module>"`); the engine imports it by
that name and never names a study.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from cairo6.analysis.context import Context
from cairo6.analysis.result import TimingPoint
from cairo6.analysis.spec import RowSpec, TableSpec, TablesSpec
from cairo6.errors import InvalidValueError
from cairo6.protocol import Protocol
from cairo6.study.study import Study

__all__ = ["Derivations", "Handler", "derivations_of"]

Handler = Callable[[Context, TableSpec, RowSpec], None]
Frames = Mapping[str, pd.DataFrame]


def _nothing(_: Context) -> None:
    return None


def _no_timing(_: Context) -> list[TimingPoint]:
    return []


@dataclass(frozen=True)
class Derivations:
    """What a study adds to the generic engine.

    `prepare` turns the extracted frames (with the study definition, when there is one) into
    the analysis context (clean frames, the
    participant frame with a boolean column per population, the wide frame, event frames);
    `rows` are the study's own row kinds; `before_rows` runs once before the tables (e.g. to
    judge time windows); `timing` gives the points of the timing figure.
    """

    prepare: Callable[[Protocol, Frames, TablesSpec, Study | None], Context]
    rows: Mapping[str, Handler] = field(default_factory=dict)
    before_rows: Callable[[Context], None] = _nothing
    timing: Callable[[Context], list[TimingPoint]] = _no_timing


def derivations_of(spec: TablesSpec) -> Derivations:
    """The derivations the layout names (imported by module name)."""
    if not spec.derivations:
        raise InvalidValueError(
            "spec.derivations",
            "",
            "the module of the study's derivations",
            "name it in the layout ([spec] derivations = ...)",
        )
    try:
        module = importlib.import_module(spec.derivations)
    except ImportError as exc:
        raise InvalidValueError(
            "spec.derivations", spec.derivations, "an importable module", "check the name"
        ) from exc
    found = getattr(module, "DERIVATIONS", None)
    if not isinstance(found, Derivations):
        raise InvalidValueError(
            "spec.derivations",
            spec.derivations,
            "a module with DERIVATIONS = Derivations(...)",
            "define DERIVATIONS in that module",
        )
    return found
