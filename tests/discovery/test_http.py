"""HTTP identity: parsers on real payloads (nmap 7.93 nmap-service-probes lines, public device
replies) and the bounded client against loopback servers that misbehave on purpose."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import ssl
import time
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Observation, Problem
from discovery import http
from discovery.base import Credential, ParseError, ProbeContext, ScanHints, ServicePorts
from discovery.credentials import CredentialStore, parse_credentials
from tests.discovery.tcp_fakes import sync

# The RPC2_Login challenge Greenbone's Dahua detection relies on.
RPC2_REPLY = (
    b'{"error":{"code":268632079,"message":"Component error: login challenge!"},'
    b'"params":{"encryption":"Default","mac":"38AF29BBBCAB","random":"1404932212",'
    b'"realm":"Login to 4H01D66PAJ2FA64"},"result":false,"session":"a1b2c3"}'
)
# The element names and values of /ISAPI/System/deviceInfo.
ISAPI_REPLY = b"""<?xml version="1.0" encoding="UTF-8"?>
<DeviceInfo version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<deviceName>IP CAMERA</deviceName>
<deviceID>88</deviceID>
<model>DS-2CD2143G0-I</model>
<serialNumber>DS-2CD2143G0-I20200414AAWRE33842150</serialNumber>
<macAddress>58:50:ed:1f:e3:85</macAddress>
<firmwareVersion>V5.5.82</firmwareVersion>
<firmwareReleasedDate>build 240821</firmwareReleasedDate>
<encoderVersion>V7.3</encoderVersion>
<deviceType>IPCamera</deviceType>
<telecontrolID>88</telecontrolID>
<firmwareVersionInfo>B-R-G7-0</firmwareVersionInfo>
<manufacturer>hikvision</manufacturer>
<OEMCode>1</OEMCode>
<systemContact>Hikvision.China</systemContact>
<deviceLocation>hangzhou</deviceLocation>
</DeviceInfo>"""
# magicBox getSystemInfo keys; processor Hi3536 is the HiSilicon tell.
MAGICBOX_SYSTEM_INFO = (
    "deviceType=IPC-HDW5421S\r\nhardwareVersion=1.00\r\nprocessor=Hi3536\r\n"
    "serialNumber=4H01D66PAJ2FA64\r\nupdateSerial=IPC-HDW5421S\r\n"
)


def test_head_parsing_keeps_hikvision_banner_and_digest_realm() -> None:
    # nmap-service-probes 9679 (App-webs) and the DVRNVRDVS realm of ~2015 Hikvision OEM DVRs.
    raw = (
        b"HTTP/1.1 401 Unauthorized\r\nServer: App-webs/\r\n"
        b'WWW-Authenticate: Digest qop="auth", realm="DVRNVRDVS", nonce="4e6a4d", stale="FALSE"\r\n'
        b"Content-Length: 0\r\n\r\n"
    )
    resp = http.parse_head(raw)
    assert resp.status == 401
    assert http.banner_fields(resp) == {"http.server": "App-webs/", "http.realm": "DVRNVRDVS"}


def test_title_is_unescaped_and_collapsed() -> None:
    body = b"<html><head><TITLE>\n  Web &amp; Service\n</TITLE></head></html>"
    assert http.parse_title(body) == "Web & Service"
    assert http.parse_title(b"<html>no title</html>") is None


def test_challenge_parsing_handles_quoted_commas() -> None:
    scheme, params = http.parse_challenge('Digest realm="Login to a, b", nonce="x", qop="auth"')
    assert scheme == "digest"
    assert params == {"realm": "Login to a, b", "nonce": "x", "qop": "auth"}


def test_rpc2_challenge_reveals_mac_and_serial() -> None:
    assert http.parse_rpc2_challenge(RPC2_REPLY) == {
        "dahua.mac": "38:af:29:bb:bc:ab",
        "dahua.realm": "Login to 4H01D66PAJ2FA64",
        "dahua.serialNumber": "4H01D66PAJ2FA64",
        "dahua.encryption": "Default",
    }


def test_rpc2_oem_realm_is_not_taken_for_a_serial() -> None:
    # OEMs rename the realm (Intelbras units say "Login to Intelbras").
    reply = RPC2_REPLY.replace(b"Login to 4H01D66PAJ2FA64", b"Login to Intelbras")
    fields = http.parse_rpc2_challenge(reply)
    assert fields["dahua.realm"] == "Login to Intelbras"
    assert "dahua.serialNumber" not in fields


def test_rpc2_parser_rejects_replies_without_a_challenge() -> None:
    with pytest.raises(ParseError):
        http.parse_rpc2_challenge(b'{"result": true, "params": null}')
    with pytest.raises(ParseError):
        http.parse_rpc2_challenge(b"<html>404</html>")


def test_isapi_device_info_fields() -> None:
    fields = http.parse_isapi_device_info(ISAPI_REPLY)
    assert fields["isapi.model"] == "DS-2CD2143G0-I"
    assert fields["isapi.serialNumber"] == "DS-2CD2143G0-I20200414AAWRE33842150"
    assert fields["isapi.macAddress"] == "58:50:ed:1f:e3:85"
    assert fields["isapi.OEMCode"] == "1"
    assert fields["isapi.systemContact"] == "Hikvision.China"


def test_isapi_parser_refuses_an_entity_bomb() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><DeviceInfo><model>&b;</model></DeviceInfo>'
    )
    with pytest.raises(ParseError):
        http.parse_isapi_device_info(bomb)


def test_magicbox_bodies() -> None:
    fields = http.magicbox_fields("getSystemInfo", MAGICBOX_SYSTEM_INFO)
    assert fields["dahua.processor"] == "Hi3536"
    assert fields["dahua.serialNumber"] == "4H01D66PAJ2FA64"
    # getSoftwareVersion: "version=2.622.00LR000.10.R,build:..." (Lorex OEM code LR, §4.5)
    version = http.magicbox_fields(
        "getSoftwareVersion", "version=2.622.00LR000.10.R,build:2019-03-05\r\n"
    )
    assert version["dahua.softwareVersion"] == "2.622.00LR000.10.R,build:2019-03-05"
    assert http.magicbox_fields("getVendor", "vendor=General\r\n")["dahua.vendor"] == "General"
    with pytest.raises(ParseError):
        http.parse_magicbox("<html>Error 404</html>")


def test_digest_matches_rfc_2617_example() -> None:
    # RFC 2617 §3.5: the documented response for Mufasa / "Circle Of Life".
    params = {
        "realm": "testrealm@host.com",
        "qop": "auth,auth-int",
        "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        "opaque": "5ccc069c403ebaf9f0171e9517f40e41",
    }
    value = http.digest_authorization(
        params, "GET", "/dir/index.html", Credential("Mufasa", "Circle Of Life"), "0a4f113b"
    )
    assert 'response="6629fae49393a05397450978507c4ef1"' in value
    assert "nc=00000001" in value


def test_chunked_decoding_tolerates_truncation() -> None:
    assert http.decode_chunked(b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n") == b"Wikipedia"
    assert http.decode_chunked(b"4\r\nWiki\r\n5\r\nped") == b"Wikiped"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_parsers_raise_only_parse_error(data: bytes) -> None:
    for parse in (
        http.parse_head,
        http.parse_rpc2_challenge,
        http.parse_isapi_device_info,
        http.decode_chunked,
        lambda d: http.parse_magicbox(d.decode("utf-8", "replace")),
    ):
        with contextlib.suppress(ParseError):
            parse(data)
    http.parse_title(data)
    http.parse_challenge(data.decode("latin-1"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=60)), max_size=10))
def test_head_parser_survives_any_header_lines(headers: list[tuple[str, str]]) -> None:
    raw = "HTTP/1.0 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    try:
        resp = http.parse_head(raw.encode("utf-8", "replace"))
    except ParseError:
        return
    http.banner_fields(resp)


# ---------------------------------------------------------------- loopback servers


class FakeCamera:
    """A loopback HTTP server whose replies each test scripts; it records every request."""

    def __init__(self, handler, ip: str = "127.0.0.1") -> None:
        self.handler, self.ip = handler, ip
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    async def __aenter__(self) -> FakeCamera:
        self.server = await asyncio.start_server(self._serve, self.ip, 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
            }
            length = int(headers.get("content-length", "0"))
            body = await reader.readexactly(length) if length else b""
            self.requests.append((method, path, headers))
            await self.handler(method, path, headers, body, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def reply(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def ctx_for(ip: str, port: int, **kwargs) -> ProbeContext:
    return ProbeContext(
        interface=None,
        networks=(),
        hosts=(ip,),
        timeout=kwargs.pop("timeout", 1.0),
        hints=ScanHints(open_ports={ip: (port,)}),
        service_ports=ServicePorts(web=(port,), tls=frozenset()),
        **kwargs,
    )


async def collect(probe, ctx) -> list[Any]:
    return [item async for item in probe(ctx)]


FAVICON = bytes(range(256)) * 4
ISAPI_USER, ISAPI_PASSWORD = "auditor", "s3cret-Pa55"


def _check_digest(headers: dict[str, str], method: str, path: str) -> bool:
    """Server side of RFC 7616 MD5 qop=auth, written from the RFC, not from discovery.http."""
    auth = headers.get("authorization", "")
    if not auth.startswith("Digest "):
        return False
    p = http.parse_challenge(auth)[1]

    def md5(s: str) -> str:
        return hashlib.md5(s.encode()).hexdigest()

    ha1 = md5(f"{p['username']}:{p['realm']}:{ISAPI_PASSWORD}")
    expected = md5(f"{ha1}:{p['nonce']}:{p['nc']}:{p['cnonce']}:auth:{md5(f'{method}:{path}')}")
    return p.get("uri") == path and p.get("response") == expected


async def hikvision(method, path, headers, body, writer) -> None:
    if path == "/":
        writer.write(reply("302 Found", {"Location": "/doc/page/login.asp", "Server": "App-webs/"}))
    elif path == "/doc/page/login.asp":
        writer.write(reply("200 OK", {"Content-Type": "text/html"}, b"<title>Login</title>"))
    elif path == "/favicon.ico":
        writer.write(reply("200 OK", {"Content-Type": "image/x-icon"}, FAVICON))
    elif path == http.ISAPI_DEVICE_INFO:
        if _check_digest(headers, method, path):
            writer.write(reply("200 OK", {"Content-Type": "application/xml"}, ISAPI_REPLY))
        else:
            challenge = 'Digest realm="IP Camera(C1234)", nonce="abc123", qop="auth"'
            writer.write(reply("401 Unauthorized", {"WWW-Authenticate": challenge}))
    else:
        writer.write(reply("404 Not Found", {}))
    await writer.drain()


@sync
async def test_banner_redirect_and_isapi_with_credentials() -> None:
    async with FakeCamera(hikvision) as cam:
        cred = Credential(ISAPI_USER, ISAPI_PASSWORD)
        ctx = ctx_for(cam.ip, cam.port, credentials=lambda ip: cred)
        ctx.hints = replace(ctx.hints, dahua_hosts=frozenset({cam.ip}))  # it looked Dahua
        items = await collect(http.probe, ctx)
    fields: dict[str, Any] = {}
    for item in items:
        assert isinstance(item, Observation), item
        fields.update(item.fields)
    assert fields["http.server"] == "App-webs/"
    assert fields["http.title"] == "Login"
    assert "http.favicon_md5" not in fields  # the favicon method's (one fetch per scan)
    assert fields["isapi.model"] == "DS-2CD2143G0-I"
    methods = [(m, p) for m, p, _ in cam.requests]
    assert ("GET", "/favicon.ico") not in methods
    assert ("POST", "/RPC2_Login") in methods  # the challenge, sent without credentials
    assert all(m in ("GET", "POST") for m, _ in methods)
    assert all(p == "/RPC2_Login" for m, p in methods if m == "POST")


@sync
async def test_no_rpc2_post_without_a_dahua_hint() -> None:
    async with FakeCamera(hikvision) as cam:
        await collect(http.probe, ctx_for(cam.ip, cam.port))
    assert [m for m, _, _ in cam.requests] == ["GET", "GET"]  # / and its redirect


@sync
async def test_wrong_password_is_reported_once_and_not_repeated() -> None:
    async with FakeCamera(hikvision) as cam:
        cred = Credential(ISAPI_USER, "wrong")
        items = await collect(http.probe, ctx_for(cam.ip, cam.port, credentials=lambda ip: cred))
    errors = [i for i in items if isinstance(i, Problem)]
    assert [(e.kind, e.ip) for e in errors] == [("bad_credentials", cam.ip)]
    authed = [p for _, p, h in cam.requests if "authorization" in h]
    assert authed == [http.ISAPI_DEVICE_INFO]  # one try, and no magicBox with a refused password


@sync
async def test_tarpit_costs_one_deadline_and_is_recorded() -> None:
    async def tarpit(method, path, headers, body, writer) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(100):
            writer.write(b"X")
            await writer.drain()
            await asyncio.sleep(0.2)

    async with FakeCamera(tarpit) as cam:
        start = time.monotonic()
        items = await collect(http.probe, ctx_for(cam.ip, cam.port, timeout=0.5))
        elapsed = time.monotonic() - start
    assert elapsed < 2.0
    assert [(type(i).__name__, getattr(i, "kind", "")) for i in items] == [("Problem", "timeout")]


@sync
async def test_twenty_megabyte_reply_is_cut_off() -> None:
    size = 20 * 1024 * 1024

    async def huge(method, path, headers, body, writer) -> None:
        writer.write(f"HTTP/1.1 200 OK\r\nServer: Big\r\nContent-Length: {size}\r\n\r\n".encode())
        block = b"<title>x</title>" + b"A" * 65520
        for _ in range(size // len(block)):
            writer.write(block)
            await writer.drain()

    async with FakeCamera(huge) as cam:
        start = time.monotonic()
        resp = await http.request(http.Target(cam.ip, cam.port), "GET", "/", timeout=3.0)
        elapsed = time.monotonic() - start
    assert resp.truncated and len(resp.body) == http.MAX_BODY
    assert resp.header("Server") == "Big"
    assert elapsed < 2.0


@sync
async def test_credentials_go_only_to_the_device_they_were_given_for() -> None:
    async with (
        FakeCamera(hikvision, "127.0.0.1") as mine,
        FakeCamera(hikvision, "127.0.0.2") as other,
    ):
        cred = Credential(ISAPI_USER, ISAPI_PASSWORD)
        ctx = ProbeContext(
            interface=None,
            networks=(),
            hosts=(mine.ip, other.ip),
            timeout=1.0,
            credentials=lambda ip: cred if ip == mine.ip else None,
            hints=ScanHints(open_ports={mine.ip: (mine.port,), other.ip: (other.port,)}),
            service_ports=ServicePorts(web=(mine.port, other.port), tls=frozenset()),
        )
        items = await collect(http.probe, ctx)
    assert any("authorization" in h for _, _, h in mine.requests)
    assert not any("authorization" in h for _, _, h in other.requests)
    assert not any(p.startswith(("/ISAPI", "/cgi-bin")) for _, p, _ in other.requests)
    assert ISAPI_PASSWORD not in repr(items)


async def basic_only(method, path, headers, body, writer) -> None:
    expected = "Basic " + base64.b64encode(f"{ISAPI_USER}:{ISAPI_PASSWORD}".encode()).decode()
    if path == http.ISAPI_DEVICE_INFO and headers.get("authorization") == expected:
        writer.write(reply("200 OK", {"Content-Type": "application/xml"}, ISAPI_REPLY))
    else:
        writer.write(reply("401 Unauthorized", {"WWW-Authenticate": 'Basic realm="cam"'}))
    await writer.drain()


def store(allow: bool) -> CredentialStore:
    flag = "allow_basic_over_http = true\n" if allow else ""
    return parse_credentials(
        f'[[credential]]\ntarget = "127.0.0.1"\nusername = "{ISAPI_USER}"\n'
        f'password = "{ISAPI_PASSWORD}"\n{flag}'
    )


@sync
async def test_basic_auth_is_never_sent_in_clear_text_by_default() -> None:
    for credentials in (store(allow=False), lambda ip: Credential(ISAPI_USER, ISAPI_PASSWORD)):
        async with FakeCamera(basic_only) as cam:
            items = await collect(http.probe, ctx_for(cam.ip, cam.port, credentials=credentials))
        assert not any("authorization" in h for _, _, h in cam.requests)
        problems = [i for i in items if isinstance(i, Problem)]
        assert [p.kind for p in problems] == ["basic_over_http_refused"]  # once, not per endpoint
        assert "plain HTTP" in problems[0].message
        assert "allow_basic_over_http = true" in problems[0].message
        assert ISAPI_PASSWORD not in repr(items)


@sync
async def test_basic_over_http_when_the_user_allows_it_for_that_device() -> None:
    async with FakeCamera(basic_only) as cam:
        items = await collect(http.probe, ctx_for(cam.ip, cam.port, credentials=store(True)))
    fields = {k: v for i in items if isinstance(i, Observation) for k, v in i.fields.items()}
    assert fields["isapi.model"] == "DS-2CD2143G0-I"
    assert any(h.get("authorization", "").startswith("Basic ") for _, _, h in cam.requests)


@sync
async def test_the_basic_opt_in_is_per_device() -> None:
    text = (
        f'[[credential]]\ntarget = "127.0.0.0/8"\nusername = "{ISAPI_USER}"\n'
        f'password = "{ISAPI_PASSWORD}"\nallow_basic_over_http = true\n'
        f'[[credential]]\ntarget = "127.0.0.1"\nusername = "{ISAPI_USER}"\n'
        f'password = "{ISAPI_PASSWORD}"\n'
    )
    async with FakeCamera(basic_only) as cam:
        ctx = ctx_for(cam.ip, cam.port, credentials=parse_credentials(text))
        items = await collect(http.probe, ctx)
    assert not any("authorization" in h for _, _, h in cam.requests)  # its own entry says no
    assert {i.kind for i in items if isinstance(i, Problem)} == {"basic_over_http_refused"}


@sync
async def test_closed_port_is_unreachable_not_a_crash() -> None:
    async with FakeCamera(hikvision) as cam:
        port = cam.port
    items = await collect(http.probe, ctx_for("127.0.0.1", port))
    assert [(type(i).__name__, i.kind) for i in items] == [("Problem", "unreachable")]


def _self_signed(tmp_path, org: str) -> ssl.SSLContext:
    """A server context with a self-signed certificate, as camera firmware makes one (the
    lab's own generator, so the test and the lab agree on what a camera certificate is)."""
    from lab.services._tls import certificate

    cert, key = certificate("127.0.0.1", org, "127.0.0.1")
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert)
    key_path.write_bytes(key)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path, key_path)
    return ctx


def test_https_banner_records_the_certificate_subject_unverified(tmp_path) -> None:
    server_ctx = _self_signed(tmp_path, "Hikvision")

    async def scenario() -> list[Any]:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                await reader.readuntil(b"\r\n\r\n")
                writer.write(reply("200 OK", {"Server": "App-webs/", "Content-Type": "text/html"}))
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        try:
            ctx = ctx_for("127.0.0.1", port)
            ctx.service_ports = replace(ctx.service_ports, tls=frozenset({port}))
            return await collect(http.probe, ctx)
        finally:
            server.close()

    items = asyncio.run(scenario())
    (obs,) = [i for i in items if isinstance(i, Observation)]
    assert obs.fields["http.tls_verified"] == "false"
    assert "O=Hikvision" in str(obs.fields["http.tls_subject"])
    assert obs.fields["http.server"] == "App-webs/"


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600))
def test_certificate_parser_raises_only_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        http.certificate_fields(data)
