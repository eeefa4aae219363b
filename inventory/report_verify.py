"""Check a PDF report: ``camaudit report verify``.

Three checks, one line of output each (more when several pages differ):

1. the PAdES signature covers every byte of the file and still verifies
   (:func:`inventory.report_check.check_signature`);
2. the SHA-256 of the report's canonical JSON data, which the PDF carries in its keywords (with
   the title-page details, so the data can be rebuilt from the store) and in every page
   footer, equals the hash of a JSON copy of the data or of the data rebuilt from the store;
3. every page's text equals what that data renders to (:func:`inventory.report_check.check_text`).

A report passes only when every check does.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from core.files import read_regular
from core.jsonlimits import MAX_FILE_BYTES, JsonLimitError, load_json
from inventory.canonical import sha256_hex
from inventory.report_check import Finding, check_signature, check_text
from inventory.report_data import ReportMeta, report_data_from_store
from inventory.report_pdf import KEYWORD_HASH, KEYWORD_META
from inventory.report_sign import CERT_FILE, certificate_fingerprint, key_folder

if TYPE_CHECKING:
    from inventory.store import Store

_FOOTER = re.compile(r"SHA-256:\s*([0-9a-f]{64})")
_KEY_HASH = re.compile(re.escape(KEYWORD_HASH) + r"([0-9a-f]{64})")
_KEY_META = re.compile(re.escape(KEYWORD_META) + r"([A-Za-z0-9_=-]+)")
HASH_NAME = "SHA-256"


class VerifyError(Exception):
    """The PDF or the data could not be read (as opposed to a mismatch)."""


@dataclass(frozen=True, slots=True)
class PdfStamp:
    """What a report PDF says about its own data."""

    digest: str
    meta: dict[str, Any] | None
    footer_hashes: list[str | None] = field(default_factory=list)  # one per page


@dataclass(frozen=True, slots=True)
class VerifyResult:
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def message(self) -> str:
        return "\n".join(f.line for f in self.findings)


@dataclass(frozen=True, slots=True)
class Trust:
    """Whose signature to accept: certificates (DER) given with ``--trust``, if any."""

    certificates: tuple[bytes, ...] = ()

    @staticmethod
    def own_fingerprint() -> str | None:
        """This installation's signing certificate, if it has one (never creates it)."""
        from cryptography import x509  # noqa: PLC0415
        from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

        try:
            cert = x509.load_pem_x509_certificate((key_folder() / CERT_FILE).read_bytes())
        except (OSError, ValueError):
            return None
        return certificate_fingerprint(cert.public_bytes(Encoding.DER))


def load_trust(paths: Sequence[Path]) -> Trust:
    """Certificates (PEM or DER files) whose signatures ``--trust`` accepts."""
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives.serialization import Encoding  # noqa: PLC0415

    certs = []
    for path in paths:
        try:
            raw = path.read_bytes()
            cert = (
                x509.load_pem_x509_certificate(raw)
                if b"-----BEGIN" in raw
                else x509.load_der_x509_certificate(raw)
            )
        except (OSError, ValueError) as exc:
            raise VerifyError(f"{path}: not a readable certificate ({exc})") from exc
        certs.append(cert.public_bytes(Encoding.DER))
    return Trust(tuple(certs))


# -- the stamp: hash and details in the keywords and footers ----------------------------------


def read_stamp(pdf: Path) -> PdfStamp:
    return stamp_of(_read_pdf(pdf), pdf)


def stamp_of(raw: bytes, pdf: Path) -> PdfStamp:
    try:
        reader = PdfReader(io.BytesIO(raw))
        info = reader.metadata
        keywords = str(info.get("/Keywords", "")) if info else ""
        footers = [_footer_hash(p.extract_text() or "") for p in reader.pages]
    except (PyPdfError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise VerifyError(f"{pdf}: cannot read as a PDF ({exc})") from exc
    found = _KEY_HASH.search(keywords)
    if not found:
        raise VerifyError(
            f"{pdf}: no camaudit report hash in its metadata (not a camaudit report?)"
        )
    return PdfStamp(found.group(1), _meta(keywords), footers)


def _read_pdf(pdf: Path) -> bytes:
    try:
        return pdf.read_bytes()
    except OSError as exc:
        raise VerifyError(f"{pdf}: cannot read ({exc.strerror or exc})") from exc


def _footer_hash(text: str) -> str | None:
    found = _FOOTER.search(text)
    return found.group(1) if found else None


def _meta(keywords: str) -> dict[str, Any] | None:
    found = _KEY_META.search(keywords)
    if not found:
        return None
    try:
        meta = json.loads(base64.urlsafe_b64decode(found.group(1)))
    except (binascii.Error, ValueError, RecursionError):
        return None
    return meta if isinstance(meta, dict) else None


def _hash_findings(stamp: PdfStamp, digest: str, against: str) -> list[Finding]:
    pages = [n for n, h in enumerate(stamp.footer_hashes, 1) if h != stamp.digest]
    if pages:
        listed = ", ".join(str(n) for n in pages[:10]) + (" ..." if len(pages) > 10 else "")
        return [
            Finding(
                False,
                f"data: the footers of pages {listed} do not carry the hash in the metadata "
                f"({stamp.digest})",
            )
        ]
    if digest != stamp.digest:
        return [
            Finding(
                False,
                f"data: the report was made from different data than {against} "
                f"(report {HASH_NAME} {stamp.digest}, {against} {digest})",
            )
        ]
    return [Finding(True, f"data: the report matches {against} ({HASH_NAME} {digest})")]


# -- the checks together -------------------------------------------------------------------


def _verify(
    pdf: Path, against: str, load_data: Callable[[PdfStamp], Any], trust: Trust
) -> VerifyResult:
    raw = _read_pdf(pdf)
    findings = check_signature(raw, trust.certificates, Trust.own_fingerprint())
    try:
        stamp = stamp_of(raw, pdf)
    except VerifyError as exc:
        if all(f.ok for f in findings) or b"/ByteRange" not in raw:
            raise  # not a (signed) report at all, rather than a damaged one
        return VerifyResult((*findings, Finding(False, f"data: {exc}")))
    data = load_data(stamp)
    digest = sha256_hex(data)
    findings += _hash_findings(stamp, digest, against)
    if digest == stamp.digest:
        findings += check_text(raw, data)
    return VerifyResult(tuple(findings))


def read_data(data_path: Path) -> Any:
    """A report's JSON data, within the limits of :mod:`core.jsonlimits`."""
    try:
        raw = read_regular(data_path, MAX_FILE_BYTES)
    except OSError as exc:
        raise VerifyError(
            f"{data_path}: cannot read the report data ({exc.strerror or exc})"
        ) from exc
    try:
        return load_json(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise VerifyError(f"{data_path}: not UTF-8 text ({exc.reason})") from exc
    except JsonLimitError as exc:
        raise VerifyError(f"{data_path}: {exc}") from exc


def verify_with_json(pdf: Path, data_path: Path, trust: Trust | None = None) -> VerifyResult:
    return _verify(pdf, str(data_path), lambda _stamp: read_data(data_path), trust or Trust())


def verify_with_scan(
    pdf: Path, store: Store, scan_id: int, trust: Trust | None = None
) -> VerifyResult:
    """Rebuild the report data from the stored scan (dispositions as at report time)."""

    def rebuild(stamp: PdfStamp) -> Any:
        if stamp.meta is None:
            raise VerifyError(
                f"{pdf}: the report's details are missing; verify with --json instead"
            )
        try:
            meta = ReportMeta.from_dict(stamp.meta)
        except (KeyError, ValueError, TypeError) as exc:
            raise VerifyError(f"{pdf}: the report's details are unreadable ({exc})") from exc
        return report_data_from_store(store, scan_id, meta)

    return _verify(pdf, f"stored scan {scan_id}", rebuild, trust or Trust())
