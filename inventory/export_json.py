"""JSON export: the report data itself, readable (indented) and checkable.

The file parses back to the very dict whose canonical SHA-256 a PDF report prints, so
``camaudit report verify REPORT.pdf --json FILE`` accepts it.  JSON has no formula cells, so
values are written as they are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inventory.canonical import canonical_bytes


def write_json(data: Mapping[str, Any], path: Path, *, canonical: bool = False) -> None:
    if canonical:
        path.write_bytes(canonical_bytes(data))
        return
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
