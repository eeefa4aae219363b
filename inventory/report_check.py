"""The two checks ``report verify`` adds to the data hash: the signature and the page text.

- :func:`check_signature`: the report's PAdES signature is intact and valid and covers every
  byte of the file: an edited byte anywhere, bytes appended after the signature (an
  incremental update, which PDF editors use to change a signed file), a truncated file or a
  changed signature value each give a finding.
- :func:`check_text`: every page's text equals what the report data renders to now, so a
  report re-signed with another key after an edit still shows the edit.

Each check returns :class:`Finding` values, one line of output each.
"""

from __future__ import annotations

import io
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from core.sanitize import terminal_safe
from inventory.report_pdf import PdfOptions, write_pdf
from inventory.report_sign import SIGNATURE_FIELD, certificate_fingerprint

MAX_PAGE_LINES = 5  # differing pages named one per line; the rest are counted
A4_WIDTH = 595.3


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of one check: a line of ``report verify`` output."""

    ok: bool
    text: str

    @property
    def line(self) -> str:
        return f"{'OK' if self.ok else 'MISMATCH'}: {self.text}"


def _bad(text: str) -> Finding:
    return Finding(False, text)


# -- the signature -----------------------------------------------------------------------------


def check_signature(
    raw: bytes, trusted: Iterable[bytes] = (), own_fingerprint: str | None = None
) -> list[Finding]:
    """Findings about the report's signature; ``trusted``: DER certificates to require."""
    try:
        reader = PdfFileReader(io.BytesIO(raw), strict=True)
        found = list(reader.embedded_signatures)
    except Exception as exc:  # pyHanko's reader raises many kinds on a damaged file
        return [_bad(f"signature: the file no longer reads as a signed PDF ({_why(exc)})")]
    if not found:
        return [_bad("signature: the report is not signed (made before signing, or stripped)")]
    if len(found) > 1 or found[0].field_name != SIGNATURE_FIELD:
        names = ", ".join(terminal_safe(s.field_name) for s in found)
        return [_bad(f"signature: expected one camaudit signature, found {names}")]
    sig = found[0]
    problems = _byte_problems(raw, sig)
    if problems:
        return problems
    return _validate(sig, list(trusted), own_fingerprint, len(raw))


def _why(exc: BaseException) -> str:
    return terminal_safe(f"{type(exc).__name__}: {exc}", 160)


def _byte_problems(raw: bytes, sig: EmbeddedPdfSignature) -> list[Finding]:
    """What the byte range and the signature value say before any cryptography."""
    byte_range = [int(x) for x in sig.byte_range]
    if len(byte_range) != 4 or byte_range[0] != 0:
        return [_bad(f"signature: unusual byte range {byte_range}: not a whole-file signature")]
    _, first, start, length = byte_range
    end = start + length
    if end < len(raw):
        return [
            _bad(
                f"signature: {len(raw) - end} bytes were added after the signed part "
                "(an incremental update or appended data)"
            )
        ]
    if end > len(raw):
        return [_bad(f"signature: the file is {end - len(raw)} bytes shorter than it was signed")]
    if raw[first : first + 1] != b"<" or raw[start - 1 : start] != b">":
        return [_bad("signature: the signed ranges do not frame the signature value")]
    if any(sig.pkcs7_content[_der_length(sig.pkcs7_content) :]):
        return [_bad("signature: the padding after the signature value was changed")]
    return []


def _cms_problem(content: bytes) -> str | None:
    """Whether the parts of the signature value that its own signature cannot cover (CMS
    version numbers, the list of digest algorithms, algorithm parameters) are as written.

    A CMS reader tolerates edits there, so without this an edited byte could go unnoticed.
    """
    der = content[: _der_length(content)]
    info = cms.ContentInfo.load(der)
    signed = info["content"]
    signers = signed["signer_infos"]
    digest = signers[0]["digest_algorithm"]
    algorithm = signers[0]["signature_algorithm"]
    as_written = (
        info.dump(force=True) == der,
        signed["version"].native == "v1",
        len(signers) == 1 and signers[0]["version"].native == "v1",
        [a.dump() for a in signed["digest_algorithms"]] == [digest.dump()],
        digest["parameters"].dump() in _NO_PARAMETERS,
        algorithm["algorithm"].native == "rsassa_pss"
        or algorithm["parameters"].dump() in _NO_PARAMETERS,
    )
    if all(as_written):
        return None
    return "signature: the signature value's unsigned fields were changed"


_NO_PARAMETERS = (b"", b"\x05\x00")  # absent, or ASN.1 NULL


def _der_length(der: bytes) -> int:
    """Length of the DER value at the start of ``der`` (its header included)."""
    if len(der) < 2:
        return len(der)
    first = der[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    return 2 + count + int.from_bytes(der[2 : 2 + count], "big")


def _validate(
    sig: EmbeddedPdfSignature, trusted: list[bytes], own: str | None, size: int
) -> list[Finding]:
    try:
        signer = sig.signer_cert
        roots = [asn1_x509.Certificate.load(t) for t in trusted] or [signer]
        status = validate_pdf_signature(
            sig,
            ValidationContext(trust_roots=roots),
            key_usage_settings=_usage(signer),
            skip_diff=True,
        )
        failure = _cms_problem(sig.pkcs7_content) or _status_problem(status)
    except Exception as exc:  # a mangled signature value: CMS, ASN.1 or crypto errors
        return [_bad(f"signature: the signature value is unreadable ({_why(exc)})")]
    if failure:
        return [_bad(failure)]
    fingerprint = certificate_fingerprint(signer.dump())
    who = f"signed by {terminal_safe(signer.subject.human_friendly)} (certificate SHA-256 "
    who += f"{fingerprint}, {_whose(fingerprint, own, bool(trusted))})"
    if trusted and not status.trusted:
        return [_bad(f"signature: intact, but {who}, which the given --trust certificates do not")]
    return [Finding(True, f"signature: valid over the whole file ({size} bytes), {who}")]


def _usage(cert: asn1_x509.Certificate) -> KeyUsageConstraints:
    """A signing certificate's key usage, when it states one, must allow signing (RFC 5280:
    no key usage extension means no restriction)."""
    if cert.key_usage_value is None:
        return KeyUsageConstraints()
    return KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"})


def _status_problem(status: PdfSignatureStatus) -> str | None:
    if not status.intact:
        return "signature: the signed bytes were changed after signing (digest mismatch)"
    if not status.valid:
        return "signature: the signature value does not match the signer's certificate"
    if status.coverage is None or status.coverage.name != "ENTIRE_FILE":
        return "signature: it does not cover the whole file"
    return None


def _whose(fingerprint: str, own: str | None, trusted: bool) -> str:
    if fingerprint == own:
        return "this installation's key"
    if trusted:
        return "checked against --trust"
    return "not this installation's key: compare the fingerprint with the signer's"


# -- the text ----------------------------------------------------------------------------------


def page_texts(pdf: bytes) -> list[list[str]]:
    """The lines of text of each page, whitespace inside a line collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    return [_lines(page.extract_text() or "") for page in reader.pages]


def _lines(text: str) -> list[str]:
    return [line for line in (" ".join(raw.split()) for raw in text.splitlines()) if line]


def _paper(pdf: bytes) -> str:
    width = float(PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width)
    return "a4" if abs(width - A4_WIDTH) < 2 else "letter"


def render_texts(data: Mapping[str, Any], paper: str) -> list[list[str]]:
    """The page texts ``data`` renders to now (the same writer as ``camaudit report``)."""
    from vendors.catalogue import display_names  # noqa: PLC0415  (loads the catalogue)

    with tempfile.TemporaryDirectory(prefix="camaudit-verify-") as tmp:
        path = Path(tmp) / "rendered.pdf"
        write_pdf(data, path, PdfOptions(paper=paper, names=display_names()))
        return page_texts(path.read_bytes())


def check_text(raw: bytes, data: Mapping[str, Any]) -> list[Finding]:
    """Findings comparing each page's lines of text with what ``data`` renders to.

    Lines are compared as a multiset per page: a JSON copy of the data has its keys sorted,
    which can list a table's rows in another order; any changed, added or removed line shows.
    """
    try:
        shown = page_texts(raw)
        expected = render_texts(data, _paper(raw))
    except (PyPdfError, ValueError, KeyError, IndexError, OSError) as exc:
        return [_bad(f"text: the pages cannot be read ({_why(exc)})")]
    if len(shown) != len(expected):
        counts = f"the report has {len(shown)} pages, its data renders to {len(expected)}"
        return [_bad(f"text: {counts}")]
    findings = [
        finding
        for page, (have, want) in enumerate(zip(shown, expected, strict=True), 1)
        if (finding := _page_finding(page, have, want)) is not None
    ]
    if not findings:
        return [Finding(True, f"text: all {len(shown)} pages read as the data renders them")]
    if len(findings) > MAX_PAGE_LINES:
        more = len(findings) - MAX_PAGE_LINES
        findings = [*findings[:MAX_PAGE_LINES], _bad(f"text: {more} more pages differ")]
    return findings


def _page_finding(page: int, have: list[str], want: list[str]) -> Finding | None:
    extra = list((Counter(have) - Counter(want)).elements())
    missing = list((Counter(want) - Counter(have)).elements())
    if not extra and not missing:
        return None
    if extra and missing:
        shown, expected = _changed_span(extra[0], missing[0])
        text = f"page {page} reads {shown!r} where the data gives {expected!r}"
    elif extra:
        text = f"page {page} has a line the data does not give: {terminal_safe(extra[0], 80)!r}"
    else:
        text = f"page {page} lacks a line the data gives: {terminal_safe(missing[0], 80)!r}"
    others = len(extra) + len(missing) - 2 if extra and missing else len(extra + missing) - 1
    return _bad(f"text: {text}" + (f" (and {others} more differing lines)" if others else ""))


def _changed_span(shown: str, expected: str, context: int = 20) -> tuple[str, str]:
    """The part of two lines that differs, with a little context on each side."""
    start = 0
    while start < min(len(shown), len(expected)) and shown[start] == expected[start]:
        start += 1
    tail = 0
    while (
        tail < min(len(shown), len(expected)) - start
        and shown[len(shown) - 1 - tail] == expected[len(expected) - 1 - tail]
    ):
        tail += 1
    left = max(0, start - context)

    def span(text: str) -> str:
        return terminal_safe(text[left : len(text) - tail + context], 80)

    return span(shown), span(expected)
