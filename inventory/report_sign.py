"""Signing a PDF report (PAdES with pyHanko), so that no byte of it can change unnoticed.

The report is written by :func:`inventory.report_pdf.write_pdf`, then signed as a second step:
a PAdES baseline signature (ETSI.CAdES.detached, SHA-256) over the whole file, in an invisible
signature field that PDF readers list in their signature panel.

Whose signature:

- the organisation's certificate, a PKCS#12 file (``--sign-with FILE.p12`` or ``sign_with`` in
  the report settings); its password comes from ``$CAMAUDIT_SIGN_PASSWORD``, else the OS
  keyring (service ``camaudit``, user ``pkcs12:<absolute path>``), else a prompt; it is never
  an option on the command line;
- otherwise this installation's own key: an RSA key and a self-signed certificate generated on
  first use and kept, 0600 in a 0700 folder, in the user data folder.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import io
import os
import platform
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from platformdirs import user_data_dir
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from core.files import private_dir, write_private
from inventory.report_pdf import PdfOptions, write_pdf

SIGNATURE_FIELD = "camaudit-report"
PASSWORD_ENV = "CAMAUDIT_SIGN_PASSWORD"  # noqa: S105 - the variable's name, not a secret
KEYRING_SERVICE = "camaudit"
KEY_FILE = "report-signing-key.pem"
CERT_FILE = "report-signing-cert.pem"
KEY_YEARS = 10


class SignError(ValueError):
    """The report could not be signed (no usable key, wrong password, unreadable PDF)."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A key and certificate ready to sign reports, and how to name them to a person."""

    signer: signers.SimpleSigner
    subject: str  # the certificate's subject, e.g. "Common Name: Acme Corp reports"
    fingerprint: str  # SHA-256 of the certificate (DER), lowercase hex
    origin: str  # "this installation's key" or the PKCS#12 file


def key_folder() -> Path:
    """Where this installation's report-signing key and certificate are kept."""
    return Path(user_data_dir("camaudit", appauthor=False)) / "signing"


def certificate_fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _signing_key(cert: x509.Certificate, key: Any, chain: list[Any], origin: str) -> SigningKey:
    der = cert.public_bytes(serialization.Encoding.DER)
    raw_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    registry.register_multiple(
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain
    )
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(der),
        signing_key=asn1_keys.PrivateKeyInfo.load(raw_key),
        cert_registry=registry,
    )
    subject = cert.subject.rfc4514_string()
    return SigningKey(signer, subject, certificate_fingerprint(der), origin)


# -- this installation's key -------------------------------------------------------------------


def installation_key(folder: Path | None = None) -> SigningKey:
    """This installation's signing key, made (and kept privately) on first use."""
    where = folder or key_folder()
    key_path, cert_path = where / KEY_FILE, where / CERT_FILE
    if not (key_path.is_file() and cert_path.is_file()):
        _make_installation_key(where)
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise SignError(
            f"{where}: this installation's signing key is unreadable ({exc}); "
            "move the folder away to make a new key"
        ) from exc
    return _signing_key(cert, key, [], "this installation's key")


def _installation_name() -> x509.Name:
    try:
        who = f"{getpass.getuser()}@{platform.node()}"
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        who = platform.node()
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"camaudit report signing key ({who})"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "camaudit installation"),
        ]
    )


def certificate(
    subject: x509.Name,
    key: CertificateIssuerPrivateKeyTypes,
    days: int,
    *,
    issuer: tuple[x509.Name, CertificateIssuerPrivateKeyTypes] | None = None,
    ca: bool = False,
) -> x509.Certificate:
    """A certificate for ``key``: a signing one (digital signature, non-repudiation), or a CA;
    self-signed unless ``issuer`` (name, key) is given."""
    issuer_name, issuer_key = issuer or (subject, key)
    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(usage, critical=True)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
        .sign(issuer_key, hashes.SHA256())
    )


def _make_installation_key(folder: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    cert = certificate(_installation_name(), key, 365 * KEY_YEARS)
    private_dir(folder)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_private(folder / KEY_FILE, pem)
    write_private(folder / CERT_FILE, cert.public_bytes(serialization.Encoding.PEM))


# -- the organisation's certificate ------------------------------------------------------------


def keyring_user(path: Path) -> str:
    """The keyring entry (user name under service ``camaudit``) holding a PKCS#12 password."""
    return f"pkcs12:{path.expanduser().resolve()}"


def _keyring_password(path: Path) -> str | None:
    try:
        import keyring  # noqa: PLC0415  (only when an organisation certificate is used)
        from keyring.errors import KeyringError  # noqa: PLC0415
    except ImportError:
        return None
    try:
        secret = keyring.get_password(KEYRING_SERVICE, keyring_user(path))
    except (KeyringError, RuntimeError, OSError):  # no usable backend on this machine
        return None
    return secret if isinstance(secret, str) else None


def pkcs12_password(path: Path, prompt: Callable[[str], str] | None = None) -> str | None:
    """The password of ``path``: environment, then keyring, then ``prompt`` (when given)."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    stored = _keyring_password(path)
    if stored is not None:
        return stored
    return prompt(f"password for {path.name}: ") if prompt else None


def organisation_key(path: Path, password: str | None) -> SigningKey:
    """The key and certificate in a PKCS#12 file (``.p12`` / ``.pfx``)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SignError(f"{path}: cannot read the signing certificate ({exc})") from exc
    secret = password.encode("utf-8") if password else None
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(raw, secret)
    except (ValueError, TypeError) as exc:
        hint = "wrong password?" if password else f"no password given (set ${PASSWORD_ENV})"
        raise SignError(f"{path}: not a readable PKCS#12 file ({hint})") from exc
    if key is None or cert is None:
        raise SignError(f"{path}: the PKCS#12 file holds no private key and certificate")
    return _signing_key(cert, key, list(chain), str(path))


def signing_key(
    p12: Path | None, prompt: Callable[[str], str] | None = None, folder: Path | None = None
) -> SigningKey:
    """The organisation's key when ``p12`` is given, else this installation's."""
    if p12 is None:
        return installation_key(folder)
    return organisation_key(p12, pkcs12_password(p12, prompt))


# -- signing -----------------------------------------------------------------------------------


def sign_pdf_bytes(pdf: bytes, key: SigningKey) -> bytes:
    """``pdf`` with a PAdES signature appended that covers every byte of the result."""
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason="camaudit sign-off report: any later change to this file breaks the signature",
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = signers.sign_pdf(writer, meta, signer=key.signer)
    except Exception as exc:  # pyHanko raises many kinds; all mean "not signed"
        raise SignError(f"cannot sign the report ({type(exc).__name__}: {exc})") from exc
    return bytes(out.getvalue())


def write_signed_pdf(
    data: Mapping[str, Any], path: Path, options: PdfOptions, key: SigningKey
) -> str:
    """Render the report, sign it, and write it to ``path`` (0600); return the data's hash."""
    with tempfile.TemporaryDirectory(prefix="camaudit-report-") as tmp:  # a 0700 folder
        unsigned = Path(tmp) / "report.pdf"
        digest = write_pdf(data, unsigned, options)
        signed = sign_pdf_bytes(unsigned.read_bytes(), key)
    write_private(path, signed)
    return digest
