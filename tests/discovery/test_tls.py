"""TLS certificates: the fields a certificate gives (checked against rapid7/recog's own
subject strings), and a loopback handshake that sends nothing after it and fails cleanly."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Observation, Problem
from discovery import tls
from discovery.base import ParseError, ProbeContext, ScanHints, ServicePorts
from lab.services import _tls as lab_tls
from tests.discovery.tcp_fakes import Server, collect, sync

# rapid7/recog xml/x509_subjects.xml 'HIKVISION DVR' (a Go-formatted subject)
RECOG_HIKVISION = "CN=www.hikvision.com,OU=DVRNVR,O=HIKVISION,L=HangZhou,ST=ZheJiang,C=CN"


def _name(**parts: str) -> x509.Name:
    oids = {
        "C": NameOID.COUNTRY_NAME,
        "ST": NameOID.STATE_OR_PROVINCE_NAME,
        "L": NameOID.LOCALITY_NAME,
        "O": NameOID.ORGANIZATION_NAME,
        "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
        "CN": NameOID.COMMON_NAME,
    }
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in parts.items()])


def _der(subject: x509.Name, issuer: x509.Name | None = None, sans: tuple[str, ...] = ()) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
    )
    if sans:
        names: list[x509.GeneralName] = []
        for s in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(s)))
            except ValueError:
                names.append(x509.DNSName(s))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_hikvision_recorder_subject_reads_as_recog_writes_it() -> None:
    subject = _name(
        C="CN", ST="ZheJiang", L="HangZhou", O="HIKVISION", OU="DVRNVR", CN="www.hikvision.com"
    )
    fields = tls.certificate_fields(_der(subject))
    assert fields["tls.subject"] == RECOG_HIKVISION
    assert fields["tls.subject_o"] == "HIKVISION" and fields["tls.subject_ou"] == "DVRNVR"
    assert fields["tls.issuer"] == RECOG_HIKVISION  # self-signed: issuer = subject


def test_dahua_issuer_and_san() -> None:
    subject = _name(C="CN", CN="192.0.2.10")
    issuer = _name(C="CN", O="Zhejiang Dahua Technology Co.,Ltd.", CN="Dahua Device NVR CA")
    fields = tls.certificate_fields(_der(subject, issuer, ("192.0.2.10", "nvr.local")))
    assert fields["tls.issuer_cn"] == "Dahua Device NVR CA"
    assert fields["tls.issuer_o"] == "Zhejiang Dahua Technology Co.,Ltd."
    assert (
        fields["tls.issuer"] == r"CN=Dahua Device NVR CA,O=Zhejiang Dahua Technology Co.\,Ltd.,C=CN"
    )
    assert fields["tls.subject_cn"] == "192.0.2.10" and "tls.subject_o" not in fields
    assert fields["tls.san"] == ("192.0.2.10", "nvr.local")


def test_not_a_certificate_is_a_parse_error() -> None:
    for data in (b"", b"\x30\x03\x02\x01\x00", b"-----BEGIN CERTIFICATE-----"):
        try:
            tls.certificate_fields(data)
        except ParseError:
            continue
        raise AssertionError(f"{data!r} was read as a certificate")


_REAL = _der(_name(O="HIKVISION", CN="x"), sans=("192.0.2.1",))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(_REAL) - 1), st.binary(min_size=1, max_size=8))
def test_damaged_certificates_give_fields_or_parse_error(at: int, junk: bytes) -> None:
    data = _REAL[:at] + junk + _REAL[at + len(junk) :]
    try:
        fields = tls.certificate_fields(data)
    except ParseError:
        return
    assert all(len(str(v)) <= 2 * tls.MAX_VALUE for v in fields.values())


# ---------------------------------------------------------------- loopback


def _server_context(**options: object) -> ssl.SSLContext:
    cert, key = lab_tls.certificate("127.0.0.1", "", "127.0.0.1", **options)  # type: ignore[arg-type]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "c.pem").write_bytes(cert)
        Path(folder, "k.pem").write_bytes(key)
        context.load_cert_chain(Path(folder, "c.pem"), Path(folder, "k.pem"))
    return context


def _ctx(port: int, known: bool = True) -> ProbeContext:
    return ProbeContext(
        interface=None,
        networks=(),
        hosts=("127.0.0.1",),
        timeout=1.0,
        service_ports=ServicePorts(tls=frozenset({port}) if known else frozenset()),
        hints=ScanHints(open_ports={"127.0.0.1": (port,)}),
    )


class Counting:
    def __init__(self) -> None:
        self.received: list[int] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        total = 0
        try:
            while chunk := await reader.read(4096):
                total += len(chunk)
        except (ssl.SSLError, ConnectionError):
            pass
        self.received.append(total)


@sync
async def test_certificate_is_read_and_nothing_sent_after_the_handshake() -> None:
    handler = Counting()
    context = _server_context(subject={"CN": "www.hikvision.com", "OU": "DVRNVR", "O": "HIKVISION"})
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    async with server:
        items = await collect(tls.probe(_ctx(port)))
        for _ in range(50):
            if handler.received:
                break
            await asyncio.sleep(0.02)
    [obs] = items
    assert isinstance(obs, Observation) and obs.source == "tls"
    assert obs.fields["tls.subject"] == "CN=www.hikvision.com,OU=DVRNVR,O=HIKVISION"
    assert obs.fields["tls.san"] == ("127.0.0.1",)
    assert handler.received == [0]  # application bytes after the handshake


@sync
async def test_huge_certificate_fails_cleanly() -> None:
    context = _server_context(pad_kb=200)
    server = await asyncio.start_server(Counting(), "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    async with server:
        items = await collect(tls.probe(_ctx(port)))
    assert [(type(i).__name__, getattr(i, "kind", "")) for i in items] in (
        [("Problem", "protocol")],  # OpenSSL refuses a certificate list over 100 KB
        [("Problem", "parse")],  # or it took it and the parser refused its size
    )


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # never answers the ClientHello


@sync
async def test_silent_tls_port_is_a_timeout_and_a_speculative_one_nothing() -> None:
    async with Server(_silent) as server:
        known = await collect(tls.probe(_ctx(server.port)))
        guessed = await collect(tls.probe(_ctx(server.port, known=False)))
    assert [(type(i).__name__, i.kind) for i in known if isinstance(i, Problem)] == [
        ("Problem", "timeout")
    ]
    assert guessed == []


def test_plain_text_ports_get_no_client_hello() -> None:
    ctx = _ctx(443)
    ctx.hints = ScanHints(open_ports={"127.0.0.1": (22, 80, 443, 554, 9443)})
    assert tls.tls_ports("127.0.0.1", ctx) == [(443, True), (9443, False)]
