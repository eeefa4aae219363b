"""A self-signed certificate per device, made when the device starts (cameras ship one).

Uses ``cryptography`` (EC P-256: a few milliseconds per device).  By default the subject is
CN = the device IP and O = the profile's ``tls_org``, with the IP as subjectAltName, as
camera firmware that generates its own certificate does.  A ``tls`` table (under
``[services.http]`` for HTTPS, or ``[services.tls]``) says more, the way real firmware
names its maker:

* ``subject`` / ``issuer``: attribute tables, keys ``CN``, ``O``, ``OU``, ``L``, ``ST``,
  ``C`` (``${ip}`` and friends filled in).  An issuer different from the subject makes a
  small CA of that name sign the certificate (Dahua's ``Dahua Device NVR CA``).
* ``san``: subjectAltName entries (IP addresses or DNS names; default the device IP).
* ``pad_kb``: hostile: an unknown non-critical extension of that many KB, so the
  certificate is huge.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from lab.services._util import runtime, seeded_bytes
from lab.services.base import DeviceContext

_OIDS = {
    "CN": NameOID.COMMON_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "C": NameOID.COUNTRY_NAME,
}
_ORDER = ("C", "ST", "L", "O", "OU", "CN")  # the order OpenSSL-made names usually carry
PAD_OID = ObjectIdentifier("1.3.6.1.4.1.55555.1.1")  # a private arc: no client knows it


def name(attributes: Mapping[str, Any]) -> x509.Name:
    unknown = set(attributes) - set(_OIDS)
    if unknown:
        raise ValueError(f"unknown name attributes {sorted(unknown)} (known: {sorted(_OIDS)})")
    return x509.Name(
        [x509.NameAttribute(_OIDS[k], str(attributes[k])) for k in _ORDER if attributes.get(k)]
    )


def _general_name(entry: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(entry))
    except ValueError:
        return x509.DNSName(entry)


def certificate(
    common_name: str,
    org: str,
    ip: str,
    *,
    subject: Mapping[str, Any] | None = None,
    issuer: Mapping[str, Any] | None = None,
    san: list[str] | None = None,
    pad_kb: int = 0,
) -> tuple[bytes, bytes]:
    """PEM certificate and key (the certificate signed by an issuer key of its own when
    ``issuer`` differs from ``subject``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject_name = name(subject if subject is not None else {"CN": common_name, "O": org})
    issuer_name = name(issuer) if issuer is not None else subject_name
    signer = key if issuer_name == subject_name else ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject_name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
    )
    names = [_general_name(e) for e in (san if san is not None else [ip]) if e]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if pad_kb > 0:
        padding = x509.UnrecognizedExtension(PAD_OID, seeded_bytes(ip, pad_kb * 1024))
        builder = builder.add_extension(padding, critical=False)
    cert = builder.sign(signer, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def context_for(ctx: DeviceContext, conf: Mapping[str, Any]) -> ssl.SSLContext:
    """A server context whose certificate follows ``conf`` (a service table, see above)."""
    options = conf.get("tls", {})
    options = runtime(ctx, options) if isinstance(options, Mapping) else {}
    cert, key = certificate(
        ctx.ip,
        str(conf.get("tls_org", "")),
        ctx.ip,
        subject=options.get("subject"),
        issuer=options.get("issuer"),
        san=[str(s) for s in options["san"]] if "san" in options else None,
        pad_kb=int(options.get("pad_kb", 0)),
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # load_cert_chain only reads files; they live for the blink it takes to load them.
    with tempfile.TemporaryDirectory(prefix="camaudit-lab-tls-") as folder:
        cert_path, key_path = Path(folder, "cert.pem"), Path(folder, "key.pem")
        cert_path.write_bytes(cert)
        key_path.write_bytes(key)
        key_path.chmod(0o600)
        context.load_cert_chain(cert_path, key_path)
    return context


def server_context(ctx: DeviceContext) -> ssl.SSLContext:
    """The HTTPS context of a device (``[services.http]``: ``tls_org``, ``[services.http.tls]``)."""
    return context_for(ctx, ctx.service("http"))
