"""SSDP message and UPnP description parsing (real NOTIFYs from the IoT Sentinel captures),
and the description fetch's limits against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Observation, Problem
from core.netguard import UnsafeNetworkError
from discovery import ssdp
from discovery.base import ParseError, ProbeContext

FIXTURES = Path(__file__).parent / "fixtures"
NOTIFY = (FIXTURES / "ssdp_notify_dcs-930lb.bin").read_bytes()
BYEBYE = (FIXTURES / "ssdp_byebye_ic-3115w.bin").read_bytes()
MSEARCH = (FIXTURES / "ssdp_msearch_ic-3115w.bin").read_bytes()
DESCRIPTION = (FIXTURES / "upnp_description_basic.xml").read_bytes()
LOOPBACK = [ipaddress.IPv4Network("127.0.0.0/8")]


def test_real_notify_gives_server_location_and_usn():
    message = ssdp.parse_message(NOTIFY)
    assert message.kind == "notify"
    assert ssdp.message_fields(message) == {
        "ssdp.server": "Cellvision UPnP/1.0",
        "ssdp.location": "http://10.10.10.58:8614/rootdesc.xml",
        "ssdp.usn": "uuid:ae67e622-7a66-465e-bab0-b0c5541c7185::upnp:rootdevice",
        "ssdp.nt": "upnp:rootdevice",
        "ssdp.nts": "ssdp:alive",
    }


def test_real_byebye_carries_no_server():
    fields = ssdp.message_fields(ssdp.parse_message(BYEBYE))
    assert fields["ssdp.nts"] == "ssdp:byebye"
    assert "ssdp.server" not in fields
    assert fields["ssdp.usn"].startswith("uuid:upnp-BasicDevice-1_0-74DA38807A08")


def test_searches_are_recognised_as_such():
    assert ssdp.parse_message(MSEARCH).kind == "search"
    ours = ssdp.parse_message(ssdp.msearch("upnp:rootdevice"))
    assert ours.kind == "search"
    assert ours.header("st") == "upnp:rootdevice"
    assert ours.header("MAN") == '"ssdp:discover"'


def test_search_response_is_parsed():
    reply = NOTIFY.replace(b"NOTIFY * HTTP/1.1", b"HTTP/1.1 200 OK").replace(b"NT:", b"ST:")
    message = ssdp.parse_message(reply)
    assert message.kind == "response"
    assert ssdp.message_fields(message)["ssdp.st"] == "upnp:rootdevice"


@pytest.mark.parametrize("payload", [b"", b"GET / HTTP/1.1\r\n\r\n", b"\xff" * 20, b"A" * 9000])
def test_non_ssdp_raises_parse_error(payload):
    with pytest.raises(ParseError):
        ssdp.parse_message(payload)


def test_description_fields():
    assert ssdp.parse_description(DESCRIPTION) == {
        "ssdp.manufacturer": "D-Link",
        "ssdp.model": "DCS-930LB",
        "ssdp.friendly_name": "DCS-930LB",
        "ssdp.model_number": "B1",
        "ssdp.serial": "B0C5541C7185",
        "ssdp.udn": "uuid:ae67e622-7a66-465e-bab0-b0c5541c7185",
        "ssdp.model_description": "Wireless Internet Camera",
        "ssdp.manufacturer_url": "http://www.dlink.com",
        "ssdp.device_type": "urn:schemas-upnp-org:device:Basic:1.0",
    }


@pytest.mark.parametrize(
    "payload",
    [
        b"<root><specVersion/></root>",
        b"<root><device><iconList/></device></root>",
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><root><device>'
        b"<manufacturer>&x;</manufacturer></device></root>",
        b"<root>" + b"<a>" * 10 + b"</root>",
    ],
)
def test_bad_descriptions_raise_parse_error(payload):
    with pytest.raises(ParseError):
        ssdp.parse_description(payload)


@pytest.mark.parametrize(
    ("location", "ok"),
    [
        ("http://127.0.0.5:8614/rootdesc.xml", True),
        ("https://127.0.0.5/desc.xml", True),
        ("http://127.0.0.6/desc.xml", False),  # another host than the one that replied
        ("http://evil@127.0.0.6/", False),
        ("file:///etc/passwd", False),
        ("ftp://127.0.0.5/x", False),
        ("http://[::1/", False),
    ],
)
def test_only_the_replying_host_is_fetched(location, ok):
    assert ssdp.fetchable(location, "127.0.0.5", LOOPBACK) is ok


def test_nothing_outside_the_scan_networks_is_fetched():
    outside = [ipaddress.IPv4Network("198.18.0.0/24")]
    assert not ssdp.fetchable("http://127.0.0.5/d.xml", "127.0.0.5", outside)


async def _serve(routes):
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, port


def test_descriptions_are_fetched_with_size_and_time_limits():
    async def good(request):
        return web.Response(body=DESCRIPTION, content_type="text/xml")

    async def huge(request):
        return web.Response(body=b"<root>" + b" " * 300_000 + b"</root>")

    async def slow(request):
        await asyncio.sleep(1.5)
        return web.Response(body=DESCRIPTION)

    async def run():
        runner, port = await _serve({"/good.xml": good, "/huge.xml": huge, "/slow.xml": slow})
        base = f"http://127.0.0.1:{port}"
        locations = {f"{base}/{n}.xml": "127.0.0.1" for n in ("good", "huge", "slow", "gone")}
        ctx = ProbeContext(interface=None, networks=LOOPBACK, timeout=0.5)
        try:
            return [item async for item in ssdp._describe_all(locations, ctx)]
        finally:
            await runner.cleanup()

    results = asyncio.run(run())
    observations = [r for r in results if isinstance(r, Observation)]
    errors = {r.message.split(":")[-1].strip(): r.kind for r in results if isinstance(r, Problem)}
    assert len(observations) == 1
    assert observations[0].fields["ssdp.model"] == "DCS-930LB"
    assert observations[0].method == "description"
    assert sorted(r.kind for r in results if isinstance(r, Problem)) == [
        "parse",
        "protocol",
        "timeout",
    ], errors


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1024))
def test_any_bytes_give_a_message_or_parse_error(data):
    try:
        message = ssdp.parse_message(data)
    except ParseError:
        return
    assert message.kind in ("response", "notify", "search")
    assert all(isinstance(v, str) for v in ssdp.message_fields(message).values())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1024))
def test_any_bytes_give_a_description_or_parse_error(data):
    try:
        fields = ssdp.parse_description(data)
    except ParseError:
        return
    assert fields


def test_probe_refuses_to_send_from_the_machines_namespace():
    # tests/conftest.py sets CAMAUDIT_LAB_ONLY; outside the lab the probe must not send.
    async def run():
        return [item async for item in ssdp.probe(ProbeContext(interface=None, networks=[]))]

    with pytest.raises(UnsafeNetworkError, match="refusing to send"):
        asyncio.run(run())
