"""The generated registry files' shared layout: gzip (or plain) TSV whose ``# key<TAB>value``
header lines say where the data came from and its date (vendors/oui.py, vendors/pen.py)."""

from __future__ import annotations

import datetime as dt
import gzip
from dataclasses import dataclass
from pathlib import Path


@dataclass(slots=True)
class Header:
    """What a file's header lines say."""

    data_as_of: dt.date | None = None
    source: str = ""

    def read(self, line: str) -> bool:
        """Take ``line`` if it is a header line (``#``); True if it was."""
        if not line.startswith("#"):
            return False
        key, _, value = line[1:].strip().partition("\t")
        if key == "data_as_of":
            self.data_as_of = dt.date.fromisoformat(value.strip())
        elif key == "source":
            self.source = value.strip()
        return True


def read_text(path: Path) -> str:
    """A generated file's text, gzip-compressed or not."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8")
