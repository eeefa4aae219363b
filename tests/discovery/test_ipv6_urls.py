"""IPv6 hosts in the TCP identify probes' URLs (issue 11): one helper brackets a literal IPv6
host (RFC 3986 §3.2.2) and writes a link-local zone ``%eth0`` as ``%25eth0`` (RFC 6874);
HTTP, RTSP and ONVIF all use it, and each is shown to work against a real server on ``[::1]``.
"""

from __future__ import annotations

import asyncio

import pytest

from core.model import Observation, Problem
from discovery import http, onvif, rtsp
from discovery.base import Credential, ProbeContext, ScanHints, ServicePorts
from tests.discovery import onvif_replies
from tests.discovery.onvif_fake import FakeOnvifDevice
from tests.discovery.tcp_fakes import Server, collect, sync

V6 = "::1"


@pytest.mark.parametrize(
    ("ip", "in_url", "in_header"),
    [
        ("198.18.0.7", "198.18.0.7", "198.18.0.7"),
        ("fd00:198:18::7", "[fd00:198:18::7]", "[fd00:198:18::7]"),
        ("fe80::2a0:deff:fe00:7%eth0", "[fe80::2a0:deff:fe00:7%25eth0]", "[fe80::2a0:deff:fe00:7]"),
        ("::1", "[::1]", "[::1]"),
    ],
)
def test_url_host_brackets_ipv6_and_escapes_the_zone(ip: str, in_url: str, in_header: str) -> None:
    assert http.url_host(ip) == in_url
    assert http.url_host(ip, zone=False) == in_header


def test_host_header_of_an_ipv6_target() -> None:
    assert http.Target("fd00::7", 80).host_header == "[fd00::7]"
    assert http.Target("fd00::7", 8080).host_header == "[fd00::7]:8080"
    assert http.Target("fe80::7%eth0", 443, tls=True).host_header == "[fe80::7]"


def test_onvif_urls_for_ipv6_hosts() -> None:
    ip = "fd00:198:18::7"
    advertised = (f"http://[{ip}]/onvif/device_service", f"http://[{ip}]:8899/onvif/services")
    assert onvif.candidate_urls(ip, (80, 8000), advertised, (80, 8000)) == [
        f"http://[{ip}]:80/onvif/device_service",
        f"http://[{ip}]:8899/onvif/services",
        f"http://[{ip}]:8000/onvif/device_service",
    ]
    # A device writes its link-local XAddr without a zone; we know the address with ours.
    link_local = "fe80::2a0:deff:fe00:7"
    url = onvif.device_url(f"http://[{link_local}]/onvif/device_service", f"{link_local}%eth0")
    assert url == f"http://[{link_local}%25eth0]:80/onvif/device_service"
    # ... and an XAddr naming another host is still refused (credentials go only to it).
    assert onvif.device_url("http://[fd00::8]/onvif/device_service", "fd00::7") is None


async def hikvision_page(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    seen.append(head.decode("latin-1"))
    writer.write(
        b"HTTP/1.1 200 OK\r\nServer: App-webs/\r\nContent-Type: text/html\r\n"
        b"Content-Length: 27\r\n\r\n<title>Hikvision v6</title>"
    )
    await writer.drain()


seen: list[str] = []


@sync
async def test_http_banner_over_ipv6() -> None:
    seen.clear()
    async with Server(hikvision_page, ip=V6) as srv:
        ctx = ProbeContext(
            interface=None,
            networks=(),
            hosts=(V6,),
            timeout=3.0,
            service_ports=ServicePorts(web=(srv.port,), tls=frozenset()),
            hints=ScanHints(open_ports={V6: (srv.port,)}),
        )
        items = await collect(http.probe(ctx))
    fields = {k: v for i in items if isinstance(i, Observation) for k, v in i.fields.items()}
    assert fields["http.server"] == "App-webs/" and fields["http.title"] == "Hikvision v6"
    assert f"Host: [::1]:{srv.port}\r\n" in seen[0]


async def rtsp_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for cseq in (1, 2):
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.decode("latin-1"))
        writer.write(f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nServer: Rtsp Server/3.0\r\n\r\n".encode())
        await writer.drain()


@sync
async def test_rtsp_over_ipv6_names_the_host_in_brackets() -> None:
    seen.clear()
    async with Server(rtsp_server, ip=V6) as srv:
        result = await rtsp.probe_port(V6, srv.port, 3.0)
    assert isinstance(result, Observation), result
    assert result.fields["rtsp.server"] == "Rtsp Server/3.0"
    assert seen[0].startswith(f"OPTIONS rtsp://[::1]:{srv.port}/ RTSP/1.0\r\n")


@sync
async def test_onvif_identity_over_ipv6() -> None:
    device = FakeOnvifDevice(
        users={"admin": "Correct-Horse-7"},
        replies={
            "GetDeviceInformation": onvif_replies.DEVICE_INFORMATION,
            "GetNetworkInterfaces": onvif_replies.NETWORK_INTERFACES,
            "GetScopes": onvif_replies.SCOPES,
        },
    )
    cred = Credential("admin", "Correct-Horse-7")
    async with Server(device.serve, ip=V6) as srv:
        ctx = ProbeContext(
            interface=None,
            networks=(),
            hosts=(V6,),
            timeout=3.0,
            credentials=lambda ip: cred,
            hints=ScanHints(onvif_xaddrs={V6: (f"http://[::1]:{srv.port}{device.path}",)}),
        )
        items = await collect(onvif.probe(ctx))
    assert not [i for i in items if isinstance(i, Problem)], items
    fields = {k: v for i in items if isinstance(i, Observation) for k, v in i.fields.items()}
    assert fields["onvif.xaddr"] == f"http://[::1]:{srv.port}/onvif/device_service"
    assert fields["onvif.model"] == "EC-2042-IR"
