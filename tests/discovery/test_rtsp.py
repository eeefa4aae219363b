"""RTSP banner: real response lines (nmap 7.93 nmap-service-probes) and a loopback server."""

from __future__ import annotations

import asyncio
import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Observation, Problem
from discovery import rtsp
from discovery.base import ParseError, ProbeContext, ScanHints, ServicePorts
from tests.discovery.tcp_fakes import Server, collect, sync

# nmap 7.93 nmap-service-probes lines 11363 / 12141
DAHUA_OPTIONS = (
    b"RTSP/1.0 200 OK\r\nCSeq: 1\r\nServer: Dahua Rtsp Server\r\n"
    b"Public: OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, TEARDOWN\r\n\r\n"
)
HIKVISION_DESCRIBE = (
    b"RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\n"
    b'WWW-Authenticate: Digest realm="Hikvision", nonce="a0b1c2d3e4f5"\r\n'
    b"Date:  Mon, Jan 08 2024 10:00:00 GMT\r\n\r\n"
)
LOREX_DESCRIBE = (
    b"RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\n"
    b'WWW-Authenticate: Digest realm="Login to ND011904012345", nonce="9f8e7d"\r\n'
    b"Server: Rtsp Server/3.0\r\n\r\n"
)


def test_dahua_server_header() -> None:
    assert rtsp.rtsp_fields(rtsp.parse_response(DAHUA_OPTIONS)) == {
        "rtsp.server": "Dahua Rtsp Server"
    }


def test_hikvision_and_lorex_realms() -> None:
    assert rtsp.rtsp_fields(rtsp.parse_response(HIKVISION_DESCRIBE)) == {"rtsp.realm": "Hikvision"}
    assert (
        rtsp.rtsp_fields(rtsp.parse_response(LOREX_DESCRIBE))["rtsp.realm"]
        == "Login to ND011904012345"
    )


def test_an_http_reply_is_not_rtsp() -> None:
    try:
        rtsp.parse_response(b"HTTP/1.1 200 OK\r\n\r\n")
    except ParseError:
        return
    raise AssertionError("an HTTP answer on an RTSP port must be a ParseError")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1500))
def test_parser_raises_only_parse_error(data: bytes) -> None:
    with contextlib.suppress(ParseError):
        rtsp.rtsp_fields(rtsp.parse_response(data))


def _ctx(port: int, timeout: float = 1.0) -> ProbeContext:
    return ProbeContext(
        interface=None,
        networks=(),
        hosts=("127.0.0.1",),
        timeout=timeout,
        hints=ScanHints(open_ports={"127.0.0.1": (port,)}),
        service_ports=ServicePorts(rtsp=(port,)),
    )


@sync
async def test_options_then_describe_without_credentials() -> None:
    seen: list[bytes] = []

    async def camera(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in (DAHUA_OPTIONS, HIKVISION_DESCRIBE):
            seen.append(await reader.readuntil(b"\r\n\r\n"))
            writer.write(answer)
            await writer.drain()

    async with Server(camera) as srv:
        items = await collect(rtsp.probe(_ctx(srv.port)))
    assert len(items) == 1 and isinstance(items[0], Observation)
    assert items[0].fields["rtsp.server"] == "Dahua Rtsp Server"
    assert items[0].fields["rtsp.realm"] == "Hikvision"
    assert [s.split(b" ", 1)[0] for s in seen] == [b"OPTIONS", b"DESCRIBE"]
    assert not any(b"Authorization" in s for s in seen)


@sync
async def test_silent_port_is_a_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    async with Server(silent) as srv:
        items = await collect(rtsp.probe(_ctx(srv.port, timeout=0.3)))
    assert [(type(i), i.kind) for i in items] == [(Problem, "timeout")]
