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

from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, islice
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from core import presentation
from core.sanitize import is_formula_like, xlsx_text
from inventory.export_common import (
    EVIDENCE_HEADER,
    Cell,
    binding_policies,
    header,
    iter_evidence_rows,
    not_binding_policies,
    policy_title,
    status_label,
    table_rows,
    verdict_columns,
)

HEADER_FILL = "1F3A5F"
MAX_WIDTH = 60
MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows a worksheet, less the header


def _put(ws: Any, value: Cell) -> Any:
    """A write-only cell holding ``value``: text as an explicit string cell, made safe."""
    if isinstance(value, str):
        cell = WriteOnlyCell(ws)
        cell.value = text = xlsx_text(value)  # set after creation: never parsed as a formula
        cell.data_type = "s"
        if is_formula_like(text):
            cell.quotePrefix = True
        return cell
    return WriteOnlyCell(ws, value=value)


def _sheets(
    wb: Any,
    title: str,
    head: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    fill_columns: Sequence[int] = (),
    max_rows: int = MAX_DATA_ROWS,
) -> None:
    """``rows`` under ``head`` in sheet ``title``, continued in ``title 2``, ``title 3`` ...
    when they pass what one worksheet holds (Excel: 1,048,576 rows, the header included).

    Each sheet: header styled and frozen, auto-filter over the data, columns sized to the text
    of its first 200 rows (held back until the widths are set: a write-only sheet takes them
    before any row).  Cells of ``fill_columns`` (0-based: the verdict columns) get their
    status's light fill.
    """
    stream = iter(rows)
    part = 1
    while True:
        first = list(islice(stream, min(200, max_rows)))
        if not first and part > 1:
            return
        ws = wb.create_sheet(title if part == 1 else f"{title} {part}")
        _fill_sheet(ws, head, first, islice(stream, max_rows - len(first)), fill_columns)
        part += 1


def _fill_sheet(
    ws: Any,
    head: Sequence[str],
    first: list[Sequence[Cell]],
    rest: Iterable[Sequence[Cell]],
    fill_columns: Sequence[int],
) -> None:
    ws.freeze_panes = "A2"
    for col, title in enumerate(head, start=1):
        sample = [len(str(row[col - 1])) for row in first if col - 1 < len(row)]
        width = min(MAX_WIDTH, max([len(title), *sample]) + 2)
        ws.column_dimensions[get_column_letter(col)].width = width
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    titles = []
    for title in head:
        cell = _put(ws, title)
        cell.font, cell.fill = bold, fill
        titles.append(cell)
    ws.append(titles)
    fills = _verdict_fills()
    coloured = set(fill_columns)
    count = 0
    for values in chain(first, rest):
        cells = []
        for c, value in enumerate(values):
            cell = _put(ws, value)
            if c in coloured and (tint := fills.get(str(value))) is not None:
                cell.fill = tint
            cells.append(cell)
        ws.append(cells)
        count += 1
    last = get_column_letter(max(len(head), 1))
    ws.auto_filter.ref = f"A1:{last}{count + 1}"


def _verdict_fills() -> dict[str, PatternFill]:
    """Each status label's light fill (verdict cells: black text on it)."""
    return {
        presentation.label(s): PatternFill("solid", fgColor=presentation.style(s).fill)
        for s in presentation.STATUS_ORDER
    }


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
    for column, width in zip("ABCDE", (24, 60, 14, 24, 16), strict=True):
        ws.column_dimensions[column].width = width
    for values in _summary_rows(data):
        cells = [_put(ws, value) for value in values]
        if cells:
            cells[0].font = Font(bold=True)
        ws.append(cells)


def write_xlsx(data: Mapping[str, Any], path: Path, max_rows: int = MAX_DATA_ROWS) -> None:
    """The workbook, written as it goes (openpyxl's write-only mode: bounded memory)."""
    wb = Workbook(write_only=True)
    _sheets(wb, "Inventory", header(data), table_rows(data), verdict_columns(data), max_rows)
    _summary(wb.create_sheet("Summary"), data)
    _sheets(wb, "Evidence", EVIDENCE_HEADER, iter_evidence_rows(data), max_rows=max_rows)
    wb.save(path)
