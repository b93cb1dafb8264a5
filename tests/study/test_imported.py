"""Ids, codes and the report of what did not map, shared by the importers."""

from __future__ import annotations

import re

from cairo6.study.imported import (
    Ids,
    ImportResult,
    Unmapped,
    code_value,
    plain_text,
    snake_id,
    unmapped_markdown,
)
from cairo6.study.models import Code, CodeList

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+/ -]*$")


def test_snake_ids_from_any_text() -> None:
    assert snake_id("Vital signs - V1") == "vital_signs_v1"
    assert snake_id("symptoms___2") == "symptoms___2"
    assert snake_id("2nd visit", "form") == "form_2nd_visit"
    assert snake_id("¿?", "group") == "group"
    assert snake_id("Ärztliche Angaben") == "arztliche_angaben"
    for text in ("Ärztliche Angaben", "  x  ", "_a_", "123", "IG.DEMOG.1"):
        assert SNAKE.match(snake_id(text))


def test_ids_are_unique_in_their_scope() -> None:
    ids = Ids()
    assert [ids.new("Sex", "item") for _ in range(3)] == ["sex", "sex_2", "sex_3"]


def test_codes_the_definition_refuses_are_rewritten() -> None:
    assert code_value(" 1 ") == "1"
    assert code_value("-1") == "minus_1"
    for raw in ("-1", "(a)", "__x", "é", ""):
        assert CODE.match(code_value(raw)), raw


def test_plain_text_drops_markup() -> None:
    assert plain_text("<b>Age</b>&nbsp;(years)\n") == "Age (years)"


def test_the_report_groups_entries_and_escapes_table_cells() -> None:
    result = ImportResult(
        source="a test",
        forms=(),
        codelists=(CodeList(id="yn", codes=[Code(value="1", label="Yes")]),),
        unmapped=(
            Unmapped("f.a", "branching logic", "[a] = '1' | [b] = '2'", "why a"),
            Unmapped("f.b", "field type 'file'", "Upload", "why b"),
            Unmapped("f.c", "branching logic", "x", "why c"),
        ),
    )
    text = unmapped_markdown(result)
    assert "0 forms, 0 items, 1 code lists, 0 edit checks" in text
    assert text.count("## branching logic") == 1
    assert "[a] = '1' \\| [b] = '2'" in text
    assert text.index("| f.c |") < text.index("## field type 'file'")
    empty = unmapped_markdown(ImportResult(source="x", forms=(), codelists=()))
    assert "Everything in the source mapped" in empty
