"""core.sanitize: one sanitiser, one function per exit (terminal, XLSX, CSV, JSON, PDF)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.sanitize import (
    XLSX_MAX_CELL,
    csv_cell,
    has_lone_surrogate,
    is_formula_like,
    json_text,
    pdf_text,
    terminal_safe,
    terminal_text,
    xlsx_text,
)

# What may never reach a terminal raw: C0 (but LF and TAB where lines are kept), DEL, C1,
# line/paragraph separators, bidirectional controls, lone surrogates.
RAW_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
HOSTILE = "\x1b[2J\x1b]0;owned\x07\x9b31m\u202eexe.pdf\u2028\x7f\x00\r\nend"


def test_terminal_escapes_every_control_visibly() -> None:
    shown = terminal_safe(HOSTILE)
    assert not RAW_UNSAFE.search(shown)
    assert shown == (
        "\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u202eexe.pdf\\u2028\\x7f\\x00\\x0d\\x0aend"
    )


def test_terminal_keeps_ordinary_text_of_any_script() -> None:
    for text in ("Hikvision DS-2CD2385G1-I", "杭州海康威视", "Łódź kamera", "tab\tless? no"):
        expected = text.replace("\t", "\\x09")
        assert terminal_safe(text) == expected


def test_terminal_cuts_long_values_and_says_so() -> None:
    assert terminal_safe("x" * 250) == "x" * 200 + "... (+50 chars)"
    assert terminal_safe("x" * 250, None) == "x" * 250


def test_terminal_text_keeps_line_breaks_of_prose_only() -> None:
    assert terminal_text("line one\n\tline two\x1b[2J\u202e") == (
        "line one\n\tline two\\x1b[2J\\u202e"
    )


def test_lone_surrogates_are_escaped_not_fatal() -> None:
    text = "a\ud800b"
    assert has_lone_surrogate(text) and not has_lone_surrogate("a😀b")
    for shown in (terminal_safe(text), xlsx_text(text), pdf_text(text), str(csv_cell(text))):
        assert shown == "a\\ud800b"
        shown.encode("utf-8")  # what failed before: 'surrogates not allowed'


def test_json_text_is_the_same_data_and_safe_to_cat() -> None:
    value = {"model": HOSTILE, "lone": "a\ud800b", "names": ["杭州", "\u2066x\u2069"], "n": 1}
    text = json_text(value, indent=2, sort_keys=True)
    assert json.loads(text) == value
    assert not RAW_UNSAFE.search(text.replace("\n", ""))
    assert "杭州" in text  # non-ASCII stays readable, only the dangerous characters are escaped


def test_xlsx_escapes_what_a_worksheet_cannot_hold() -> None:
    text = xlsx_text("\x1b[2Jx\x00\x08\x0b\x0c\x1f\ufffe\uffff ok\ttab\nline\rcr")
    assert text == "\\x1b[2Jx\\x00\\x08\\x0b\\x0c\\x1f\\ufffe\\uffff ok\ttab\nline\rcr"
    assert not ILLEGAL_CHARACTERS_RE.search(text)


def test_xlsx_cuts_past_excels_cell_limit_with_a_marker() -> None:
    text = xlsx_text("y" * 100_000)
    assert len(text) <= XLSX_MAX_CELL
    assert text.endswith("... (cut: 100,000 characters in all, see the JSON export)")
    assert xlsx_text("y" * XLSX_MAX_CELL) == "y" * XLSX_MAX_CELL


@pytest.mark.parametrize(
    ("text", "risky"),
    [
        ('=HYPERLINK("http://x","y")', True),
        ("+cmd|' /C calc'!A0", True),
        ("-2+3", True),
        ("@SUM(A1)", True),
        ("\t=1", True),
        ("\r=1", True),
        ("  =1+1", True),
        ("DS-2CD2385G1-I", False),
        ("a=b", False),
        ("", False),
    ],
)
def test_csv_neutralises_formulas_and_leaves_data_alone(text: str, risky: bool) -> None:
    assert is_formula_like(text) is risky
    cell = csv_cell(text)
    assert cell == ("'" + text if risky else text)
    assert csv_cell(3) == 3 and csv_cell(0.5) == 0.5 and csv_cell(None) is None
    assert csv_cell("\x1b[2Jx") == "\x1b[2Jx"  # CSV data is unchanged: JSON-like fidelity


def test_pdf_text_is_visible_and_capped() -> None:
    assert pdf_text("<b>x</b>\x1b") == "<b>x</b>\\x1b"  # markup escaping is the report's job
    assert pdf_text("z" * 10, 4) == "zzzz… (+6 chars)"


@given(st.text())
def test_every_exit_holds_for_any_text(text: str) -> None:
    assert not RAW_UNSAFE.search(terminal_safe(text, None))
    assert not RAW_UNSAFE.search(pdf_text(text))
    assert not ILLEGAL_CHARACTERS_RE.search(xlsx_text(text))
    assert not has_lone_surrogate(xlsx_text(text))
    assert json.loads(json_text(text)) == text
    assert not RAW_UNSAFE.search(json_text(text))
    cell = csv_cell(text)
    assert isinstance(cell, str) and not is_formula_like(cell)
