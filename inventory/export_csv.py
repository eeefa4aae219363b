"""CSV export: the inventory table, one row per device, formula-neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inventory.export_common import neutralise_csv, table


def csv_text(data: Mapping[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    head, rows = table(data)
    writer.writerow([neutralise_csv(h) for h in head])  # policy names come from pack files
    writer.writerows([neutralise_csv(c) for c in r] for r in rows)
    return buf.getvalue()


def write_csv(data: Mapping[str, Any], path: Path) -> None:
    # utf-8-sig: Excel reads the BOM and shows non-ASCII names (Ł, 海康) correctly.
    path.write_text(csv_text(data), encoding="utf-8-sig", newline="")
