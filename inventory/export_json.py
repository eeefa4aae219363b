"""JSON export: the report data itself, readable (indented) and checkable.

The file parses back to the very dict whose canonical SHA-256 a PDF report prints, so
``camaudit report verify REPORT.pdf --json FILE`` accepts it.  JSON has no formula cells, so
values are written as they are; DEL, C1 controls, bidirectional controls and separators go in
as ``\\uXXXX`` escapes (core.sanitize.json_text), the same data for a parser and harmless in a
terminal (``cat``).

A report's device list may be read from the store as it is written (a lazy sequence, see
inventory.report_data): :func:`json_chunks` writes it one device at a time, so the JSON of a
million devices never sits in memory whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from core.sanitize import json_text
from inventory.canonical import canonical_chunks, is_lazy

INDENT = 2


def write_json(data: Mapping[str, Any], path: Path, *, canonical: bool = False) -> None:
    if canonical:
        with path.open("wb") as out:
            out.writelines(canonical_chunks(data))
        return
    with path.open("w", encoding="utf-8") as text:
        write_json_to(data, text)


def write_json_to(value: Any, out: TextIO) -> None:
    """``value`` as indented, key-sorted, terminal-safe JSON on ``out``, then a line break."""
    out.writelines(json_chunks(value))
    out.write("\n")


def _holds_lazy(value: Any) -> bool:
    return isinstance(value, Mapping) and any(is_lazy(v) or _holds_lazy(v) for v in value.values())


def json_chunks(value: Any, level: int = 0) -> Iterator[str]:
    """The text ``json_text(value, indent=2, sort_keys=True)`` gives, in pieces; a lazy
    sequence inside ``value`` is iterated, never held whole."""
    pad, inner = " " * INDENT * level, " " * INDENT * (level + 1)
    if _holds_lazy(value):
        yield "{"
        for i, key in enumerate(sorted(value)):
            yield ("," if i else "") + "\n" + inner + json_text(str(key)) + ": "
            yield from json_chunks(value[key], level + 1)
        yield "\n" + pad + "}"
    elif is_lazy(value):
        empty = True
        for item in value:
            yield ("[" if empty else ",") + "\n" + inner + _indented(item, inner)
            empty = False
        yield "[]" if empty else "\n" + pad + "]"
    else:
        yield _indented(value, pad)


def _indented(value: Any, pad: str) -> str:
    # json_text escapes line breaks inside strings, so every "\n" left is the layout's own.
    text = json_text(value, indent=INDENT, sort_keys=True, allow_nan=False)
    return text.replace("\n", "\n" + pad) if pad else text
