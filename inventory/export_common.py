"""What every export shares: the inventory columns and formula-injection neutralising.

A cell whose text came from a device or an imported file is hostile: a value that starts with
``= + - @`` (also after leading whitespace), a TAB or a CR would run as a formula in Excel or
LibreOffice (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``).  CSV gets a leading ``'``; XLSX
writes such values as plain string cells with the quote-prefix style (see export_xlsx).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_FORMULA_START = frozenset("=+-@\t\r")

Cell = str | float | int | None

BASE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("IP", "ip"),
    ("MAC", "mac"),
    ("Brand", "brand"),
    ("Maker", "maker"),
    ("Relationship", "relationship"),
    ("Model", "model"),
    ("Firmware", "firmware"),
    ("Serial", "serial"),
    ("Confidence", "confidence"),
)
TAIL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Disposition", "disposition"),
    ("Location", "location"),
    ("First seen", "first_seen"),
    ("Last seen", "last_seen"),
    ("How identified", "how_identified"),
    ("Device key", "key"),
)
VERDICT_PREFIX = "Verdict: "


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula (or a DDE payload)."""
    if not text:
        return False
    if text[0] in _FORMULA_START:
        return True
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in _FORMULA_START


def neutralise_csv(value: Cell) -> Cell:
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def policy_names(data: Mapping[str, Any]) -> list[str]:
    return [p["id"] for p in data.get("policies", [])]


def disposition_text(record: Mapping[str, Any]) -> str:
    d = record.get("disposition")
    if not d:
        return ""
    text = str(d["status"])
    if d.get("date"):
        text += f" {d['date']}"
    return f"{text}: {d['reason']} ({d['by']}, {str(d['recorded_at'])[:10]})"


def header(data: Mapping[str, Any]) -> list[str]:
    verdicts = [VERDICT_PREFIX + p for p in policy_names(data)]
    return [h for h, _ in BASE_COLUMNS] + verdicts + [h for h, _ in TAIL_COLUMNS]


def row(record: Mapping[str, Any], policies: list[str]) -> list[Cell]:
    """One device's cells in header order (raw values: exporters neutralise as they write)."""
    cells: list[Cell] = [_cell(record.get(k)) for _, k in BASE_COLUMNS]
    for policy in policies:
        verdict = record["verdicts"].get(policy)
        cells.append(verdict["status"] if verdict else "")
    for _, key in TAIL_COLUMNS:
        cells.append(disposition_text(record) if key == "disposition" else _cell(record.get(key)))
    return cells


def _cell(value: Any) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def table(data: Mapping[str, Any]) -> tuple[list[str], list[list[Cell]]]:
    policies = policy_names(data)
    return header(data), [row(r, policies) for r in data["devices"]]


def evidence_rows(data: Mapping[str, Any]) -> list[list[Cell]]:
    """Device key, IP, field, value, source, time: one row per evidence item."""
    out: list[list[Cell]] = []
    for r in data["devices"]:
        for e in r["evidence"]:
            out.append(
                [r["key"], r["ip"] or "", e["field"], _cell(e["value"]), e["source"], e["seen_at"]]
            )
    return out


EVIDENCE_HEADER = ["Device key", "IP", "Field", "Value", "Source", "Seen at"]
