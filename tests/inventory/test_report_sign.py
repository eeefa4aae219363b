"""Signed PDF reports: an edit anywhere in the file, or on any page, is caught by verify.

The reports are real ones (report_pdf.write_pdf, then report_sign), tampered with the way a
person would: pypdf rewriting a page's content stream, an incremental update appended by
pypdf, a flipped byte, bytes appended, a truncated file.  poppler's pdfsig, an independent
reader, must see a valid signature over the whole document.
"""

from __future__ import annotations

import io
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, NameObject

from inventory.export_json import write_json
from inventory.report_check import check_signature
from inventory.report_data import ReportMeta, build_report_data
from inventory.report_pdf import PdfOptions, write_pdf
from inventory.report_sign import (
    SignError,
    SigningKey,
    certificate,
    installation_key,
    organisation_key,
    write_signed_pdf,
)
from inventory.report_verify import load_trust, verify_with_json
from tests.inventory.factories import T0, fleet, scan

META = ReportMeta("Acme Corp", "Main plant", "alice", "J. Smith", "Compliance officer", T0)


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return installation_key(tmp_path_factory.mktemp("keys") / "signing")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, key: SigningKey) -> tuple[Path, Path]:
    """A signed three-device report and its JSON data."""
    record = scan(fleet(3))
    record.id = 7
    data = build_report_data(record, META)
    folder = tmp_path_factory.mktemp("report")
    pdf, data_json = folder / "r.pdf", folder / "r.json"
    write_signed_pdf(data, pdf, PdfOptions(), key)
    write_json(data, data_json, canonical=True)
    return pdf, data_json


def _verify(pdf: Path, data_json: Path) -> tuple[bool, list[str]]:
    result = verify_with_json(pdf, data_json)
    return result.ok, [f.line for f in result.findings]


def _copy(pdf: Path, tmp_path: Path, content: bytes) -> Path:
    out = tmp_path / "edited.pdf"
    out.write_bytes(content)
    return out


def _content(page: Any) -> bytes:
    content = page.get_contents()
    assert content is not None
    return bytes(content.get_data())


def _edit_page(pdf: Path, page: int, old: bytes, new: bytes, *, incremental: bool) -> bytes:
    """``old`` -> ``new`` in one page's content stream, written back by pypdf."""
    reader = PdfReader(pdf)
    writer = PdfWriter(reader, incremental=True) if incremental else PdfWriter(clone_from=reader)
    target = writer.pages[page]
    content = target.get_contents()
    assert content is not None
    data = content.get_data()
    assert old in data, f"{old!r} not on page {page + 1}"
    stream = ContentStream(None, writer)
    stream.set_data(data.replace(old, new, 1))
    target[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_unchanged_report_verifies(report: tuple[Path, Path]) -> None:
    ok, lines = _verify(*report)
    assert ok, lines
    assert [line.split(":")[1].strip() for line in lines] == ["signature", "data", "text"]
    assert all(line.startswith("OK: ") for line in lines)


def test_the_signed_file_is_private_to_the_user(report: tuple[Path, Path]) -> None:
    assert stat.S_IMODE(report[0].stat().st_mode) == 0o600


@pytest.mark.parametrize("incremental", [False, True], ids=["rewritten", "incremental"])
def test_one_changed_letter_on_a_page_is_caught(
    report: tuple[Path, Path], tmp_path: Path, incremental: bool
) -> None:
    pdf, data_json = report
    edited = _copy(pdf, tmp_path, _edit_page(pdf, 0, b"(Acme", b"(Acmf", incremental=True))
    if not incremental:
        edited = _copy(pdf, tmp_path, _edit_page(pdf, 0, b"(Acme", b"(Acmf", incremental=False))
    ok, lines = _verify(edited, data_json)
    assert not ok
    bad = [line for line in lines if line.startswith("MISMATCH")]
    assert any(line.startswith("MISMATCH: signature:") for line in bad), lines
    text = [line for line in bad if line.startswith("MISMATCH: text:")]
    assert text and "page 1" in text[0] and "Acmf" in text[0] and "Acme" in text[0], lines
    if incremental:
        assert any("bytes were added after the signed part" in line for line in bad)


def test_a_changed_count_is_caught(report: tuple[Path, Path], tmp_path: Path) -> None:
    """A figure drawn on its own, such as a verdict count: "(1) Tj" becomes "(0) Tj"."""
    pdf, data_json = report
    streams = [_content(page) for page in PdfReader(pdf).pages]
    page, found = next(
        (n, hit) for n, data in enumerate(streams) if (hit := re.search(rb"\((\d+)\) Tj", data))
    )
    figure = found.group(0)
    other = b"(%d) Tj" % (int(found.group(1)) + 1)
    edited = _edit_page(pdf, page, figure, other, incremental=True)
    ok, lines = _verify(_copy(pdf, tmp_path, edited), data_json)
    assert not ok
    assert any(line.startswith(f"MISMATCH: text: page {page + 1} ") for line in lines), lines


def _positions(raw: bytes) -> dict[str, int]:
    """Byte offsets in each part of a signed file (see its ByteRange)."""
    first, start = _byte_range(raw)
    return {
        "first byte": 0,
        "a page's stream": raw.index(b"stream", 200) + 20,
        "the fonts": len(raw) // 3,
        "the original trailer": raw.index(b"%%EOF") - 3,
        "the signature value": first + 40,
        "the signed data's digest algorithms": first + 1 + 2 * 28,
        "the signature padding": start - 20,
        "the byte range": raw.index(b"/ByteRange") + 13,
        "the update's trailer": len(raw) - 8,
        "last byte": len(raw) - 1,
    }


def _byte_range(raw: bytes) -> tuple[int, int]:
    at = raw.index(b"/ByteRange")
    values = raw[raw.index(b"[", at) + 1 : raw.index(b"]", at)].split()
    return int(values[1]), int(values[2])


PARTS = (
    "first byte",
    "a page's stream",
    "the fonts",
    "the original trailer",
    "the signature value",
    "the signed data's digest algorithms",
    "the signature padding",
    "the byte range",
    "the update's trailer",
    "last byte",
)


@pytest.mark.parametrize("part", PARTS)
def test_any_flipped_byte_is_caught(report: tuple[Path, Path], part: str) -> None:
    raw = report[0].read_bytes()
    offset = _positions(raw)[part]
    for flip in (0x01, 0x20, 0x80):
        edited = bytearray(raw)
        edited[offset] ^= flip
        findings = check_signature(bytes(edited))
        assert not all(f.ok for f in findings), f"offset {offset}, xor {flip:#x}"


def test_a_flipped_byte_fails_verify_with_one_line_per_finding(
    report: tuple[Path, Path], tmp_path: Path
) -> None:
    pdf, data_json = report
    raw = bytearray(pdf.read_bytes())
    raw[len(raw) // 2] ^= 0x04
    ok, lines = _verify(_copy(pdf, tmp_path, bytes(raw)), data_json)
    assert not ok
    assert lines[0].startswith("MISMATCH: signature:")
    assert all("\n" not in line for line in lines)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda raw: raw + b"\n% appended\n", "bytes were added after the signed part"),
        (lambda raw: raw[:-30], "the file no longer reads as a signed PDF"),
    ],
    ids=["appended", "truncated"],
)
def test_appended_or_cut_bytes_are_caught(
    report: tuple[Path, Path], tmp_path: Path, change: Any, says: str
) -> None:
    pdf, data_json = report
    ok, lines = _verify(_copy(pdf, tmp_path, change(pdf.read_bytes())), data_json)
    assert not ok and says in lines[0], lines


def test_an_unsigned_report_fails(report: tuple[Path, Path], tmp_path: Path) -> None:
    data_json = report[1]
    record = scan(fleet(3))
    record.id = 7
    unsigned = tmp_path / "unsigned.pdf"
    write_pdf(build_report_data(record, META), unsigned)
    ok, lines = _verify(unsigned, data_json)
    assert not ok and lines[0] == (
        "MISMATCH: signature: the report is not signed (made before signing, or stripped)"
    )


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils' pdfsig not installed")
def test_pdfsig_sees_a_valid_signature_over_the_whole_document(
    report: tuple[Path, Path],
) -> None:
    out = subprocess.run(
        ["pdfsig", str(report[0])], capture_output=True, text=True, check=True
    ).stdout
    assert "Signature #1:" in out and "Signature #2:" not in out
    assert "Signature Validation: Signature is Valid." in out
    assert "Total document signed" in out
    assert "ETSI.CAdES.detached" in out  # PAdES
    assert "camaudit report signing key" in out


# -- the organisation's certificate ------------------------------------------------------------


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@pytest.fixture(scope="module")
def organisation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An organisation's PKCS#12 (password "s3cret"), issued by its CA; and the CA's PEM."""
    folder = tmp_path_factory.mktemp("org")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate(_name("Acme Root CA"), ca_key, 30, ca=True)
    leaf = certificate(
        _name("Acme Corp compliance"), leaf_key, 30, issuer=(_name("Acme Root CA"), ca_key)
    )
    p12 = folder / "acme.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"acme",
            leaf_key,
            leaf,
            [ca],
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    ca_pem = folder / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return p12, ca_pem


def test_signed_with_the_organisation_certificate(
    organisation: tuple[Path, Path], tmp_path: Path
) -> None:
    p12, ca_pem = organisation
    record = scan(fleet(2))
    record.id = 3
    data = build_report_data(record, META)
    signed = tmp_path / "org.pdf"
    write_signed_pdf(data, signed, PdfOptions(), organisation_key(p12, "s3cret"))
    write_json(data, tmp_path / "org.json", canonical=True)
    result = verify_with_json(signed, tmp_path / "org.json", load_trust([ca_pem]))
    assert result.ok, result.message
    assert "Common Name: Acme Corp compliance" in result.findings[0].line
    assert "checked against --trust" in result.findings[0].line


def test_a_wrong_pkcs12_password_is_one_clear_error(organisation: tuple[Path, Path]) -> None:
    with pytest.raises(SignError, match="wrong password"):
        organisation_key(organisation[0], "guess")
    with pytest.raises(SignError, match="CAMAUDIT_SIGN_PASSWORD"):
        organisation_key(organisation[0], None)


def test_trust_refuses_another_signer(
    report: tuple[Path, Path], organisation: tuple[Path, Path]
) -> None:
    pdf, data_json = report  # signed with the installation key, not by Acme's CA
    result = verify_with_json(pdf, data_json, load_trust([organisation[1]]))
    assert not result.ok
    assert "which the given --trust certificates do not" in result.findings[0].line


def test_the_installation_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "signing"
    first = installation_key(folder)
    again = installation_key(folder)
    assert first.fingerprint == again.fingerprint
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
