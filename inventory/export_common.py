"""What every export shares: the inventory columns and formula-injection neutralising.

Policies read as the PDF reads them (core.presentation, issue 14): one verdict column per pack
that binds the site, headed by the pack's display name ("NDAA §889") and holding the status
label ("Likely covered"); packs that do not bind the site are left out of the table, as the
PDF leaves them out of its inventory (the XLSX Summary sheet lists them once as "not
applicable here", the JSON export keeps every verdict).  For machines, each binding pack also
has a column headed ``<id> (code)`` (``ndaa889 (code)``) with the raw status code.

A cell whose text came from a device or an imported file is hostile: a value that starts with
``= + - @`` (also after leading whitespace), a TAB or a CR would run as a formula in Excel or
LibreOffice (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``); a control character breaks an XLSX
file.  What each format does about it is core.sanitize's, the one sanitiser of every exit: CSV
gets a leading ``'`` (:func:`neutralise_csv`); XLSX escapes what a worksheet cannot hold and
writes formula-like values as plain string cells with the quote-prefix style (export_xlsx).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from core import presentation
from core.sanitize import csv_cell

# The redundant alias is the explicit re-export (mypy strict): exporters' tests use this name.
from core.sanitize import is_formula_like as is_formula_like  # noqa: PLC0414

Cell = str | float | int | None

BASE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("IP", "ip"),
    ("MAC", "mac"),
    ("Brand", "brand"),
    ("Maker", "maker"),
    ("Type", "device_type"),
    ("MAC registrant", "registrant"),
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
CODE_SUFFIX = " (code)"
_TYPE_COLUMN = [k for _, k in BASE_COLUMNS].index("device_type")


def neutralise_csv(value: Cell) -> Cell:
    """A CSV cell safe to open in a spreadsheet (core.sanitize.csv_cell)."""
    return csv_cell(value)


def policy_names(data: Mapping[str, Any]) -> list[str]:
    """Every policy id the report data holds, the site's main policy first."""
    return [p["id"] for p in data.get("policies", [])]


def binding_policies(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The policies that bind the site (the site's main policy first): the table's columns."""
    return [p for p in data.get("policies", []) if p.get("applies", True)]


def not_binding_policies(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [p for p in data.get("policies", []) if not p.get("applies", True)]


def policy_title(policy: Mapping[str, Any]) -> str:
    """A policy's display name ("NDAA §889"), never a bare id."""
    return str(policy.get("name") or presentation.display_name(policy["id"]))


def code_header(policy_id: str) -> str:
    return policy_id + CODE_SUFFIX


def status_label(status: str) -> str:
    """A status as people read it; a code no view knows is kept as it is."""
    try:
        return presentation.label(status)
    except KeyError:
        return status


def disposition_text(record: Mapping[str, Any]) -> str:
    d = record.get("disposition")
    if not d:
        return ""
    text = str(d["status"])
    if d.get("date"):
        text += f" {d['date']}"
    return f"{text}: {d['reason']} ({d['by']}, {str(d['recorded_at'])[:10]})"


def header(data: Mapping[str, Any]) -> list[str]:
    """Device columns, a verdict column per binding pack, the tail, then the code columns."""
    binding = binding_policies(data)
    return (
        [h for h, _ in BASE_COLUMNS]
        + [policy_title(p) for p in binding]
        + [h for h, _ in TAIL_COLUMNS]
        + (["Site"] if is_estate(data) else [])
        + [code_header(p["id"]) for p in binding]
    )


def is_estate(data: Mapping[str, Any]) -> bool:
    """A report over several sites (inventory.report_data.estate_report_data): rows name
    their site."""
    return bool(data.get("scan", {}).get("options", {}).get("estate"))


def verdict_columns(data: Mapping[str, Any]) -> range:
    """Where the (labelled) verdict columns are in ``header``: 0-based indexes."""
    return range(len(BASE_COLUMNS), len(BASE_COLUMNS) + len(binding_policies(data)))


def row(record: Mapping[str, Any], policies: Sequence[str], estate: bool = False) -> list[Cell]:
    """One device's cells in header order (raw values: exporters neutralise as they write);
    ``policies`` are the ids of the binding packs; ``estate``: a site column too."""
    codes = [_status_code(record, p) for p in policies]
    cells: list[Cell] = [_cell(record.get(k)) for _, k in BASE_COLUMNS]
    at = _TYPE_COLUMN
    cells[at] = str(cells[at]).replace("_", " ")  # "access_point" -> "access point"
    cells.extend(status_label(c) if c else "" for c in codes)
    for _, key in TAIL_COLUMNS:
        cells.append(disposition_text(record) if key == "disposition" else _cell(record.get(key)))
    if estate:
        cells.append(_cell(record.get("site")) or "-")
    cells.extend(codes)
    return cells


def _status_code(record: Mapping[str, Any], policy: str) -> str:
    verdict = record["verdicts"].get(policy)
    return str(verdict["status"]) if verdict else ""


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
    return header(data), list(table_rows(data))


def table_rows(data: Mapping[str, Any]) -> Iterator[list[Cell]]:
    """The inventory's rows, one device at a time (a stored scan's devices are read lazily)."""
    policies = [p["id"] for p in binding_policies(data)]
    estate = is_estate(data)
    for r in data["devices"]:
        yield row(r, policies, estate)


def evidence_rows(data: Mapping[str, Any]) -> list[list[Cell]]:
    return list(iter_evidence_rows(data))


def iter_evidence_rows(data: Mapping[str, Any]) -> Iterator[list[Cell]]:
    """Device key, IP, field, value, source, time: one row per evidence item."""
    for r in data["devices"]:
        for e in r["evidence"]:
            yield [
                r["key"],
                r["ip"] or "",
                e["field"],
                _cell(e["value"]),
                e["source"],
                e["seen_at"],
            ]


EVIDENCE_HEADER = ["Device key", "IP", "Field", "Value", "Source", "Seen at"]
