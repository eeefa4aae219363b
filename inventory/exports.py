"""Writing one report file in any format: the one path the CLI and the GUI both take."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inventory.report_sign import SigningKey

FORMATS = ("pdf", "xlsx", "csv", "json")


def format_of(path: Path) -> str | None:
    """The format a file name asks for (``.pdf`` -> ``pdf``), or None."""
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else None


def write_report(
    data: Mapping[str, Any],
    path: Path,
    fmt: str,
    paper: str = "letter",
    signing: SigningKey | None = None,
) -> str:
    """Write report ``data`` to ``path`` (0600) as ``fmt``; return the SHA-256 of the data.

    A PDF is signed with ``signing``, by default this installation's key.
    """
    # Each writer loads its library (reportlab, openpyxl) only when that format is asked for.
    from core.files import open_private  # noqa: PLC0415
    from inventory.canonical import sha256_hex  # noqa: PLC0415

    if fmt == "pdf":
        from inventory.report_pdf import PdfOptions  # noqa: PLC0415
        from inventory.report_sign import installation_key, write_signed_pdf  # noqa: PLC0415
        from vendors.catalogue import display_names  # noqa: PLC0415

        options = PdfOptions(paper=paper, names=display_names())
        return write_signed_pdf(data, path, options, signing or installation_key())
    if fmt in FORMATS:
        open_private(path)  # the writer truncates it and keeps the mode
    if fmt == "xlsx":
        from inventory.export_xlsx import write_xlsx  # noqa: PLC0415

        write_xlsx(data, path)
    elif fmt == "csv":
        from inventory.export_csv import write_csv  # noqa: PLC0415

        write_csv(data, path)
    elif fmt == "json":
        from inventory.export_json import write_json  # noqa: PLC0415

        write_json(data, path)
    else:
        raise ValueError(f"unknown report format {fmt!r} (use {', '.join(FORMATS)})")
    return sha256_hex(data)


def written(path: Path, fmt: str, scan_id: int, data: Mapping[str, Any], digest: str) -> str:
    """The line that says what was written."""
    count = len(data["devices"])
    return f"wrote {path} ({fmt}, scan {scan_id}, {count} devices, SHA-256 {digest})"
