"""The package re-exports one public API."""

from __future__ import annotations

import importlib

import cairo6.scoring as scoring

MODULES = [
    "cc",
    "clavien_dindo",
    "ctcae",
    "dosing",
    "pathology",
    "pci",
    "recist",
    "recist_assessment",
    "rpci",
]


def test_every_module_export_is_re_exported_once() -> None:
    exported: list[str] = []
    for name in MODULES:
        module = importlib.import_module(f"cairo6.scoring.{name}")
        for symbol in module.__all__:
            assert getattr(scoring, symbol) is getattr(module, symbol)
        exported.extend(module.__all__)
    assert len(exported) == len(set(exported))
    assert sorted(scoring.__all__) == sorted(exported)
