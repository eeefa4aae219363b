"""The certificate on a device's TLS ports: ``tls.subject_*``, ``tls.issuer_*``, ``tls.san``.

Camera firmware generates its own certificate and writes its maker into it: Hikvision DVRs
and NVRs ``CN=www.hikvision.com,OU=DVRNVR,O=HIKVISION,...`` (rapid7/recog
x509_subjects.xml), Dahua recorders an issuer ``CN=Dahua Device NVR CA, O=Zhejiang Dahua
Technology Co.,Ltd.``.  The probe completes a TLS handshake, reads the peer certificate
and closes: nothing is sent after the handshake, the chain is never verified (self-signed
is normal) and no hostname is checked.

Ports: the web TLS ports (443, 8443: ``ctx.service_ports.tls``) and any other open port
the port probe found that is not a known plain-text service (a Hikvision SDK-over-TLS port,
say).  A known TLS port that fails its handshake is a recorded Problem; a speculative port
that does not speak TLS is simply not TLS.

Parsing (:func:`certificate_fields`) takes DER bytes, uses ``cryptography`` and never sees
a socket.  ``tls.subject`` / ``tls.issuer`` are also given whole, in the order rapid7/recog's
``x509.subject`` uses (CN, OU, O, L, ST, C: Go's ``pkix.Name.String``), so recog's x509
fingerprints can match them.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import warnings
from collections.abc import AsyncIterator

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from core.model import EvidenceValue, Observation, Problem
from discovery.base import ParseError, ProbeContext
from discovery.ports import close_quietly, each_host

MAX_CERT = 64 * 1024  # DER bytes parsed at most (OpenSSL itself refuses chains over 100 KB)
MAX_VALUE = 200
MAX_SAN = 32
# Open ports that speak something else first: no ClientHello is sent to them.
PLAIN_PORTS = frozenset(
    {21, 22, 23, 25, 53, 80, 81, 110, 139, 445, 554, 5060, 8000, 8080, 8081, 8554, 8888, 8899,
     34567, 37777}
)  # fmt: skip

_PARTS = (
    ("cn", NameOID.COMMON_NAME),
    ("ou", NameOID.ORGANIZATIONAL_UNIT_NAME),
    ("o", NameOID.ORGANIZATION_NAME),
    ("l", NameOID.LOCALITY_NAME),
    ("st", NameOID.STATE_OR_PROVINCE_NAME),
    ("c", NameOID.COUNTRY_NAME),
)


# ---------------------------------------------------------------- pure parsing


def _value(attribute: x509.NameAttribute[str | bytes]) -> str:
    raw = attribute.value
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _escape(text: str) -> str:
    return "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in text)


def name_fields(name: x509.Name, prefix: str) -> dict[str, str]:
    """``<prefix>_cn`` ... ``<prefix>_c`` and ``<prefix>`` (recog order) for one X.509 name."""
    fields: dict[str, str] = {}
    ordered: list[str] = []
    for key, oid in _PARTS:
        values = [v for v in (_value(a) for a in name.get_attributes_for_oid(oid)) if v]
        if values:
            fields[f"{prefix}_{key}"] = ", ".join(values)[:MAX_VALUE]
            ordered += [f"{key.upper()}={_escape(v)}" for v in values]
    if ordered:
        fields[prefix] = ",".join(ordered)[: MAX_VALUE * 2]
    return fields


def subject_alt_names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except x509.ExtensionNotFound:
        return ()
    names: list[str] = []
    san = ext.value
    if not isinstance(san, x509.SubjectAlternativeName):
        return ()
    kinds = (x509.DNSName, x509.RFC822Name, x509.UniformResourceIdentifier, x509.IPAddress)
    for general in san:
        if isinstance(general, kinds):
            names.append(str(general.value))
    clean = [" ".join(n.split())[:MAX_VALUE] for n in names if n.strip()]
    return tuple(dict.fromkeys(clean))[:MAX_SAN]


def certificate_fields(der: bytes) -> dict[str, EvidenceValue]:
    """The evidence a DER certificate carries (ParseError for anything unreadable)."""
    if not der:
        raise ParseError("the server sent no certificate")
    if len(der) > MAX_CERT:
        raise ParseError(f"certificate of {len(der)} bytes is larger than {MAX_CERT} bytes")
    fields: dict[str, EvidenceValue] = {}
    try:
        # camera certificates break RFC 5280 (negative serials, 9-letter country codes):
        # cryptography warns and reads them anyway, which is what an inventory wants
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cert = x509.load_der_x509_certificate(der)
            fields.update(name_fields(cert.subject, "tls.subject"))
            fields.update(name_fields(cert.issuer, "tls.issuer"))
            if sans := subject_alt_names(cert):
                fields["tls.san"] = sans
    except (ValueError, TypeError, x509.InvalidVersion, x509.UnsupportedGeneralNameType) as exc:
        raise ParseError(f"unreadable TLS certificate: {exc}"[:300]) from None
    if not fields:
        raise ParseError("the certificate names nobody (empty subject and issuer)")
    return fields


# ---------------------------------------------------------------- the handshake


def client_context() -> ssl.SSLContext:
    """Look, never trust: no verification, no hostname check, old ciphers and TLS 1.0 allowed
    (camera firmware from before 2018 speaks nothing newer)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with contextlib.suppress(ssl.SSLError):
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with contextlib.suppress(ValueError, AttributeError), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    return ctx


async def peer_certificate(ip: str, port: int, timeout: float) -> bytes:
    """Handshake, take the peer's DER certificate, close.  Raises TimeoutError, OSError or
    ssl.SSLError as the connection fails."""
    async with asyncio.timeout(timeout):
        _reader, writer = await asyncio.open_connection(
            ip, port, ssl=client_context(), server_hostname="", ssl_handshake_timeout=timeout
        )
    try:
        tls = writer.get_extra_info("ssl_object")
        der = tls.getpeercert(binary_form=True) if tls is not None else None
        return der or b""
    finally:
        await close_quietly(writer)


# ---------------------------------------------------------------- the probe


def tls_ports(ip: str, ctx: ProbeContext) -> list[tuple[int, bool]]:
    """(port, known TLS port) pairs to try on ``ip``."""
    open_ports = ctx.hints.open_ports.get(ip, ())
    known = ctx.service_ports.tls
    return [(p, p in known) for p in sorted(open_ports) if p in known or p not in PLAIN_PORTS]


async def probe_port(
    ip: str, port: int, known: bool, timeout: float
) -> list[Observation | Problem]:
    def problem(kind: str, message: str) -> list[Observation | Problem]:
        # a port only tried on speculation that turns out not to be TLS is no problem
        return [Problem("tls", kind, f"{ip}:{port} TLS: {message}", ip=ip)] if known else []

    try:
        der = await peer_certificate(ip, port, timeout)
    except TimeoutError:
        return problem("timeout", f"no handshake within {timeout:g} s")
    except ssl.SSLError as exc:
        return problem("protocol", f"handshake failed: {exc.reason or exc}"[:300])
    except OSError as exc:
        return problem("unreachable", f"{type(exc).__name__}: {exc}"[:300])
    try:
        fields = certificate_fields(der)
    except ParseError as exc:
        return [Problem("tls", "parse", f"{ip}:{port} {exc}", ip=ip)]
    return [Observation(source="tls", fields={"ip": ip, **fields}, method=f"tls/{port}")]


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """The certificate on each TLS port of each host (``ctx.hints.open_ports``)."""
    plan = {ip: tls_ports(ip, ctx) for ip in ctx.hosts}

    async def one(ip: str, ports: list[tuple[int, bool]]) -> list[Observation | Problem]:
        found = await asyncio.gather(*(probe_port(ip, p, k, ctx.timeout) for p, k in ports))
        return [item for items in found for item in items]

    async for item in each_host(ctx, plan, "TLS handshakes", one):
        yield item
