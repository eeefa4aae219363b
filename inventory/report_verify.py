"""Check that a PDF report matches its data: ``camaudit report verify``.

The PDF carries the SHA-256 of its canonical JSON data twice: in its keywords (with the
report's title-page details, so the data can be rebuilt from the store) and in every page
footer.  Verification reads both with pypdf, checks they agree, and compares them with the
hash of a JSON copy of the data or of the data rebuilt from the stored scan.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from inventory.canonical import sha256_hex
from inventory.report_data import ReportMeta, report_data_from_store
from inventory.report_pdf import KEYWORD_HASH, KEYWORD_META

if TYPE_CHECKING:
    from inventory.store import Store

_FOOTER = re.compile(r"SHA-256:\s*([0-9a-f]{64})")
_KEY_HASH = re.compile(re.escape(KEYWORD_HASH) + r"([0-9a-f]{64})")
_KEY_META = re.compile(re.escape(KEYWORD_META) + r"([A-Za-z0-9_=-]+)")


class VerifyError(Exception):
    """The PDF or the data could not be read (as opposed to a mismatch)."""


@dataclass(frozen=True, slots=True)
class PdfStamp:
    """What a report PDF says about its own data."""

    digest: str
    meta: dict[str, Any] | None
    footer_hashes: list[str | None] = field(default_factory=list)  # first and last page


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    message: str


def read_stamp(pdf: Path) -> PdfStamp:
    try:
        reader = PdfReader(str(pdf))
        info = reader.metadata
        keywords = str(info.get("/Keywords", "")) if info else ""
        pages = reader.pages
        ends = [pages[0], pages[-1]] if len(pages) > 1 else list(pages)
        footers = [_footer_hash(p.extract_text() or "") for p in ends]
    except (OSError, PdfReadError, ValueError, KeyError, IndexError) as exc:
        raise VerifyError(f"{pdf}: cannot read as a PDF ({exc})") from exc
    found = _KEY_HASH.search(keywords)
    if not found:
        raise VerifyError(
            f"{pdf}: no camaudit report hash in its metadata (not a camaudit report?)"
        )
    return PdfStamp(found.group(1), _meta(keywords), footers)


def _footer_hash(text: str) -> str | None:
    found = _FOOTER.search(text)
    return found.group(1) if found else None


def _meta(keywords: str) -> dict[str, Any] | None:
    found = _KEY_META.search(keywords)
    if not found:
        return None
    try:
        meta = json.loads(base64.urlsafe_b64decode(found.group(1)))
    except (binascii.Error, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _compare(stamp: PdfStamp, digest: str, against: str) -> VerifyResult:
    bad_pages = [h for h in stamp.footer_hashes if h != stamp.digest]
    if bad_pages:
        return VerifyResult(
            False,
            "MISMATCH: the PDF's page footers and its metadata name different data "
            f"(metadata {stamp.digest}, footers {', '.join(str(h) for h in bad_pages)}): "
            "the PDF was altered",
        )
    if digest != stamp.digest:
        return VerifyResult(
            False,
            f"MISMATCH: the report was made from different data than {against}\n"
            f"  report:  {stamp.digest}\n  {against}: {digest}",
        )
    return VerifyResult(True, f"OK: the report matches {against} ({HASH_NAME} {digest})")


HASH_NAME = "SHA-256"


def verify_with_json(pdf: Path, data_path: Path) -> VerifyResult:
    stamp = read_stamp(pdf)
    try:
        data = json.loads(data_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerifyError(f"{data_path}: cannot read the report data ({exc})") from exc
    return _compare(stamp, sha256_hex(data), str(data_path))


def verify_with_scan(pdf: Path, store: Store, scan_id: int) -> VerifyResult:
    """Rebuild the report data from the stored scan (dispositions as at report time)."""
    stamp = read_stamp(pdf)
    if stamp.meta is None:
        raise VerifyError(f"{pdf}: the report's details are missing; verify with --json instead")
    try:
        meta = ReportMeta.from_dict(stamp.meta)
    except (KeyError, ValueError) as exc:
        raise VerifyError(f"{pdf}: the report's details are unreadable ({exc})") from exc
    data = report_data_from_store(store, scan_id, meta)
    return _compare(stamp, sha256_hex(data), f"stored scan {scan_id}")
