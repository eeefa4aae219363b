"""Device strings that attack the exports (issue 16 item 2): every writer, read back for real.

One device says its model is a terminal escape, another a spreadsheet formula, a third reportlab
markup that would load a local image.  XLSX must be written (``IllegalCharacterError`` broke the
whole export) and show the escape visibly; CSV keeps the data but defuses the formula; JSON is
the same data; the PDF prints the markup as characters.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from core.model import VerdictStatus
from inventory.canonical import normalise
from inventory.exports import write_report
from inventory.report_data import ReportMeta, build_report_data
from inventory.report_pdf import write_pdf
from tests.inventory.factories import T0, device, scan

ESCAPE_MODEL = "\x1b[2J\x1b]0;owned\x07x\x9b31m\u202etxt.exe"
FORMULA_MODEL = '=HYPERLINK("http://198.18.0.99/","open me")'
MARKUP_MODEL = '<img src="/nonexistent/x.png" width="300" height="300"/> &amp; <b>bold</b>'
RAW_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    devices = [
        device("198.18.0.5", "44:19:b6:00:00:01", "hikvision", "hikvision",
               VerdictStatus.COVERED, model=ESCAPE_MODEL, serial="SN\x00\x1f1"),
        device("198.18.0.6", "44:19:b6:00:00:02", "hikvision", "hikvision",
               VerdictStatus.COVERED, model=FORMULA_MODEL, firmware="@SUM(1+1)*cmd|' /C calc'!A0"),
        device("198.18.0.7", "44:19:b6:00:00:03", "hikvision", "hikvision",
               VerdictStatus.COVERED, model=MARKUP_MODEL, location="Lobby\u2028Roof"),
    ]  # fmt: skip
    record = scan(devices)
    record.id = 7
    meta = ReportMeta("Acme <i>Corp</i>", "Main\x1b[31m plant", "alice", generated_at=T0)
    return build_report_data(record, meta)


def _model_of(rows: list[list[Any]], head: list[Any], ip: str) -> Any:
    (row,) = [r for r in rows if r[head.index("IP")] == ip]
    return row[head.index("Model")]


def test_xlsx_is_written_and_shows_each_escape(data: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "hostile.xlsx"
    write_report(data, path, "xlsx")
    sheet = load_workbook(path)["Inventory"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    head = rows[0]
    assert _model_of(rows, head, "198.18.0.5") == "\\x1b[2J\\x1b]0;owned\\x07x\x9b31m\u202etxt.exe"
    assert _model_of(rows, head, "198.18.0.6") == FORMULA_MODEL  # text, never a formula
    (cell,) = [c for c in sheet[3] if c.value == FORMULA_MODEL]
    assert cell.data_type == "s" and cell.quotePrefix
    serials = [r[head.index("Serial")] for r in rows[1:]]
    assert "SN\\x00\\x1f1" in serials
    evidence = [[c.value for c in row] for row in load_workbook(path)["Evidence"].iter_rows()]
    assert any(r[3] == "\\x1b[2J\\x1b]0;owned\\x07x\x9b31m\u202etxt.exe" for r in evidence)


def test_csv_keeps_the_data_and_defuses_formulas(data: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "hostile.csv"
    write_report(data, path, "csv")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    assert _model_of(rows, head, "198.18.0.5") == ESCAPE_MODEL  # the data, unchanged
    assert _model_of(rows, head, "198.18.0.6") == "'" + FORMULA_MODEL
    (row,) = [r for r in rows if r[0] == "198.18.0.6"]
    assert row[head.index("Firmware")] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert _model_of(rows, head, "198.18.0.7") == MARKUP_MODEL


def test_json_is_the_same_data_and_safe_to_print(data: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "hostile.json"
    write_report(data, path, "json")
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == normalise(data)
    assert not RAW_UNSAFE.search(text), "a raw control or bidi character in the JSON file"


def test_pdf_prints_device_markup_as_text(data: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "hostile.pdf"
    write_pdf(data, path)  # markup read as markup would fail on the missing image
    text = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "<img" in flat and "&amp; <b>bold</b>" in flat
    assert "\\x1b[2J\\x1b]0;owned\\x07x\\x9b31m\\u202etxt.exe" in flat
    assert "Acme <i>Corp</i>" in flat and "Main\\x1b[31m plant" in flat
    assert "Lobby\\u2028Roof" in flat
    assert "\ufffd" not in text  # nothing replaced out of sight
