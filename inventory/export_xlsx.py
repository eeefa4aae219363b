"""XLSX export (openpyxl): Inventory, Summary and Evidence sheets.

Policies read as in the PDF (see export_common): verdict columns for the packs that bind the
site, headed by display name and holding status labels on the status's light fill, the raw
codes in ``<id> (code)`` columns; the Summary sheet lists the other packs once as "not
applicable here".

Every text cell is written as an explicit string cell: openpyxl would otherwise turn a value
starting with ``=`` into a live formula (and ``#N/A`` into an error).  Formula-like text also
gets the quote-prefix style, which Excel and LibreOffice keep as "this is text" when a user
edits the cell.  Characters a worksheet cannot hold (a device's ``ESC[2J``) are written as
visible escapes (``\\x1b[2J``) and text past Excel's 32,767 characters is cut with a marker:
core.sanitize.xlsx_text, so one hostile string cannot break the whole export.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from core import presentation
from core.sanitize import is_formula_like, xlsx_text
from inventory.export_common import (
    EVIDENCE_HEADER,
    Cell,
    binding_policies,
    evidence_rows,
    not_binding_policies,
    policy_title,
    status_label,
    table,
    verdict_columns,
)

HEADER_FILL = "1F3A5F"
MAX_WIDTH = 60


def _put(ws: Any, row: int, col: int, value: Cell) -> Any:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        value = xlsx_text(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    return cell


def _sheet(ws: Any, head: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    """Header styled and frozen, auto-filter over the data, columns sized to their text."""

    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for col, title in enumerate(head, start=1):
        cell = _put(ws, 1, col, title)
        cell.font, cell.fill = bold, fill
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            _put(ws, r, c, value)
    last = get_column_letter(max(len(head), 1))
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    ws.freeze_panes = "A2"
    for col, title in enumerate(head, start=1):
        sample = [len(str(row[col - 1])) for row in rows[:200] if col - 1 < len(row)]
        width = min(MAX_WIDTH, max([len(title), *sample]) + 2)
        ws.column_dimensions[get_column_letter(col)].width = width


def _colour_verdicts(ws: Any, columns: Sequence[int], nrows: int) -> None:
    """Each verdict cell (0-based ``columns``) on its status's light fill, black text."""
    fills = {
        presentation.label(s): PatternFill("solid", fgColor=presentation.style(s).fill)
        for s in presentation.STATUS_ORDER
    }
    for col in (c + 1 for c in columns):
        for r in range(2, nrows + 2):
            cell = ws.cell(row=r, column=col)
            fill = fills.get(str(cell.value))
            if fill is not None:
                cell.fill = fill


def _summary_rows(data: Mapping[str, Any]) -> list[list[Cell]]:
    scan, meta, counts = data["scan"], data["meta"], data["counts"]
    binding, others = binding_policies(data), not_binding_policies(data)
    rows: list[list[Cell]] = [
        ["Organisation", meta["organisation"]],
        ["Site", meta["site"]],
        ["Run by", meta["run_by"]],
        ["Generated", meta["generated_at"]],
        ["Scan", scan["id"]],
        ["Targets", ", ".join(scan["targets"])],
        ["Methods", ", ".join(scan["methods"])],
        ["Started", scan["started_at"]],
        ["Ended", scan["ended_at"] or ""],
        ["Status", scan["status"]],
        ["Devices", counts["devices"]],
        ["Policies that bind the site", "; ".join(policy_title(p) for p in binding) or "none"],
    ]
    if others:
        rows.append(["Not applicable here", "; ".join(policy_title(p) for p in others)])
    rows += [[], ["Headline verdict", "Devices", "Status code"]]
    rows += [[status_label(status), n, status] for status, n in counts["by_status"].items()]
    rows += [[], ["Maker", "Devices"]]
    rows += [[maker, n] for maker, n in counts["by_maker"].items()]
    rows += [[], ["Policy", "Verdict", "Devices", "Policy id", "Status code"]]
    rows += [
        [policy_title(p), status_label(status), n, p["id"], status]
        for p in binding
        for status, n in counts["by_policy"].get(p["id"], {}).items()
    ]
    rows += [[], ["Data", "Version"]]
    rows += [[k, v] for k, v in scan["data_versions"].items()]
    return rows


def _summary(ws: Any, data: Mapping[str, Any]) -> None:

    rows = _summary_rows(data)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = _put(ws, r, c, value)
            if c == 1:
                cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 14
    ws.column_dimensions["D"].width = 24
    ws.column_dimensions["E"].width = 16


def write_xlsx(data: Mapping[str, Any], path: Path) -> None:

    wb = Workbook()
    inventory = wb.active
    inventory.title = "Inventory"
    head, rows = table(data)
    _sheet(inventory, head, rows)
    _colour_verdicts(inventory, verdict_columns(data), len(rows))
    _summary(wb.create_sheet("Summary"), data)
    _sheet(wb.create_sheet("Evidence"), EVIDENCE_HEADER, evidence_rows(data))
    wb.save(path)
