"""Writes this folder's CSV fixtures (see README.md): ``python tests/data/csv/make_fixtures.py``.

Each file imitates one program's documented CSV output; the same three cameras are in every
file, so a test can ask that each reads to the same devices.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEAD = ["IP Address", "MAC Address", "Manufacturer", "Model", "Serial Number", "Location", "Notes"]
ROWS = [
    [
        "198.18.0.5",
        "44:19:B6:00:00:01",
        "Hikvision",
        'Dome 1/3" sensor, IR',
        "DS-2CD2143G0-I20200101AACH123456789",
        "Lobby, east",
        "Mounted 2024\nchecked by J. O'Brien",
    ],
    [
        "198.18.0.6",
        "00-40-8C-00-00-02",
        "Axis",
        "P1455-LE",
        "ACCC8E000002",
        "Car park",
        'Says "Axis" on the label',
    ],
    ["198.18.0.7", "3c:ef:8c:00:00:03", "Dahua", "IPC-HDW2431T", "0012345678", "Gate; north", ""],
]
PORTS = ["80", "443", "554"]


def minimal(rows: list[list[str]], delimiter: str = ",", end: str = "\r\n") -> str:
    """Quotes only where needed, ``""`` inside quotes: what Excel and most tools write."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=end).writerows(rows)
    return out.getvalue()


def excel_utf8() -> bytes:
    """Excel "CSV UTF-8 (Comma delimited)": BOM, CRLF between rows, LF inside a cell."""
    return b"\xef\xbb\xbf" + minimal([HEAD, *ROWS]).encode("utf-8")


def excel_semicolon_cp1252() -> bytes:
    """Excel "CSV (Comma delimited)" where the list separator is ';' (German locale):
    Windows-1252, CRLF; one location with a non-ASCII letter."""
    rows = [row[:] for row in ROWS]
    rows[1][5] = "Büro, 1. OG"
    return minimal([HEAD, *rows], delimiter=";").encode("cp1252")


def excel_sep_line() -> bytes:
    """The 'sep=;' first line users add so Excel on any locale splits the file right."""
    return ("sep=;\r\n" + minimal([HEAD, *ROWS], delimiter=";")).encode("utf-8")


def libreoffice_quote_all() -> bytes:
    """LibreOffice Calc "Text CSV" with "Quote all text cells": UTF-8, LF, numbers bare."""

    def cell(value: str) -> str:
        if value.isdigit() and not value.startswith("0"):
            return value
        return '"' + value.replace('"', '""') + '"' if value else ""

    lines = [",".join(cell(h) for h in [*HEAD, "Open ports"])]
    lines += [
        ",".join(cell(v) for v in [*row, ports]) for row, ports in zip(ROWS, PORTS, strict=True)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def asset_register() -> bytes:
    """An asset register's export with Snipe-IT's asset columns, every field quoted, CRLF."""
    head = ["Asset Tag", "Asset Name", "Serial", "Model", "Manufacturer", "Location", "Notes"]
    rows = [[*head, "MAC Address", "IP Address"]]
    for n, r in enumerate(ROWS, 1):
        rows.append([f"CAM-{n:04d}", f"camera-{n}", r[4], r[3], r[2], r[5], r[6], r[1], r[0]])
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def tab_separated() -> bytes:
    """Tab-separated text ("Text (Tab delimited)", many tools' TSV export), LF rows."""
    return minimal([HEAD, *ROWS], delimiter="\t", end="\n").encode("utf-8")


FIXTURES = {
    "excel_utf8_bom_crlf.csv": excel_utf8,
    "excel_semicolon_cp1252.csv": excel_semicolon_cp1252,
    "excel_sep_line.csv": excel_sep_line,
    "libreoffice_quote_all_lf.csv": libreoffice_quote_all,
    "asset_register_quote_all.csv": asset_register,
    "tab_separated.tsv": tab_separated,
}


if __name__ == "__main__":
    for name, make in FIXTURES.items():
        (HERE / name).write_bytes(make())
        print(name)
