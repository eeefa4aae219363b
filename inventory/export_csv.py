"""CSV export: the inventory table, one row per device, formula-neutralised.

Rows are written as the devices are read (a stored scan's devices come from the database a
batch at a time), so a million-device export holds a few hundred rows in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from inventory.export_common import header, neutralise_csv, table_rows


def csv_text(data: Mapping[str, Any]) -> str:
    buf = io.StringIO()
    _write(data, buf)
    return buf.getvalue()


def write_csv(data: Mapping[str, Any], path: Path) -> None:
    # utf-8-sig: Excel reads the BOM and shows non-ASCII names (Ł, 海康) correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        _write(data, out)


def _write(data: Mapping[str, Any], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise_csv(h) for h in header(data)])  # names come from pack files
    writer.writerows([neutralise_csv(c) for c in r] for r in table_rows(data))
