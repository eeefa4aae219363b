"""DHCP requests: parsing what scapy (an implementation we did not write) builds, hostile
bytes, and the listener's refusals.  Live listening is tested in the lab
(tests/lab/test_new_probes.py): a broadcast needs a real interface."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.dhcp import BOOTP, DHCP

from core.model import Observation, Problem
from discovery import dhcp
from discovery.base import ParseError, ProbeContext
from lab.services.dhcp import discover
from tests.discovery.tcp_fakes import collect

MAC = "00:40:8c:12:34:56"
VENDOR = "AXIS,Network Camera,P3343,5.20.3"  # rapid7/recog dhcp_vendor_class.xml example


def _scapy_request(kind: str = "discover", **extra: object) -> bytes:
    options: list[object] = [("message-type", kind), ("vendor_class_id", VENDOR)]
    options += [("hostname", "axis-00408c"), ("param_req_list", [1, 3, 6, 12, 15, 28, 42])]
    options += [*extra.items(), "end"]
    packet = BOOTP(op=1, chaddr=bytes.fromhex(MAC.replace(":", "")), xid=9) / DHCP(options=options)
    return bytes(packet)


def test_discover_gives_vendor_class_hostname_and_params() -> None:
    fields = dhcp.parse_message(_scapy_request())
    assert fields == {
        "mac": MAC,
        "hostname": "axis-00408c",
        "dhcp.hostname": "axis-00408c",
        "dhcp.vendor_class": VENDOR,
        "dhcp.params": "1,3,6,12,15,28,42",
        "dhcp.message_type": "discover",
    }
    obs = dhcp.observation(fields)
    assert obs is not None and obs.mac == MAC and obs.method == "discover"


def test_request_carries_the_requested_address() -> None:
    fields = dhcp.parse_message(_scapy_request("request", requested_addr="192.0.2.44"))
    assert fields["dhcp.requested_ip"] == "192.0.2.44" and fields["dhcp.message_type"] == "request"


def test_server_replies_are_not_client_observations() -> None:
    reply = bytes(
        BOOTP(op=2, yiaddr="192.0.2.44", chaddr=bytes.fromhex(MAC.replace(":", "")))
        / DHCP(options=[("message-type", "ack"), "end"])
    )
    fields = dhcp.parse_message(reply)
    assert fields["dhcp.server"] == "true" and fields["dhcp.your_ip"] == "192.0.2.44"
    assert fields["dhcp.client_mac"] == MAC and dhcp.observation(fields) is None


def test_the_lab_clients_discover_reads_the_same() -> None:
    raw = discover(MAC, 7, VENDOR, "axis-00408c", [1, 3, 6])
    parsed = BOOTP(raw)  # scapy agrees it is a DHCP DISCOVER
    assert parsed.haslayer(DHCP) and ("message-type", 1) in parsed[DHCP].options
    assert dhcp.parse_message(raw)["dhcp.params"] == "1,3,6"


def test_truncated_and_foreign_messages_are_parse_errors() -> None:
    good = _scapy_request()
    for data in (good[:100], good[:236] + b"NOPE" + good[240:], b"\x05" + good[1:]):
        try:
            dhcp.parse_message(data)
        except ParseError:
            continue
        raise AssertionError(f"accepted {data[:8]!r}...")
    cut = good[:240] + b"\x3c\x40AXIS"  # option 60 claims 64 bytes, 4 follow
    try:
        dhcp.parse_message(cut)
    except ParseError as exc:
        assert "option 60" in str(exc)
    else:
        raise AssertionError("a cut-off option was accepted")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 400), st.binary(min_size=1, max_size=16))
def test_damaged_requests_give_fields_or_parse_error(at: int, junk: bytes) -> None:
    good = _scapy_request()
    data = good[:at] + junk + good[at + len(junk) :]
    try:
        fields = dhcp.parse_message(data)
    except ParseError:
        return
    assert all(len(str(v)) <= dhcp.MAX_VALUE for v in fields.values())


def test_the_listener_needs_an_interface_and_says_why_it_cannot_listen() -> None:
    for interface in (None, "nosuchif0"):
        ctx = ProbeContext(interface=interface, networks=(), timeout=0.1)
        items = asyncio.run(collect(dhcp.probe(ctx)))
        assert [(type(i).__name__, i.kind) for i in items if isinstance(i, Problem)] == [
            ("Problem", "unavailable")
        ]


def test_a_scan_keeps_only_requests_from_devices_it_found() -> None:
    """DHCP requests heard on the segment join devices of the targets (by MAC); a request
    from a box the scan did not find (outside the targets) adds no device."""
    from discovery.request import ScanRequest
    from discovery.scan import ScanHooks, scan
    from tests.discovery.test_scan import Recorder

    rec = Recorder()
    inside = dhcp.observation(dhcp.parse_message(_scapy_request()))
    outside = dhcp.observation(
        dhcp.parse_message(_scapy_request().replace(bytes.fromhex("00408c123456"), b"\x02" * 6))
    )
    assert inside is not None and outside is not None
    probes = {
        "arp": rec.probe("arp", Observation.of("arp", ip="198.18.0.2", mac=MAC)),
        "dhcp": rec.probe("dhcp", inside, outside),
        "ports": rec.probe("ports"),
    }
    request = ScanRequest(
        ("198.18.0.0/29",), interface="eth-test", methods=("arp", "dhcp", "ports"), origin="test"
    )

    async def run() -> Any:
        return [e async for e in scan(request, ScanHooks(probes=probes))][-1]

    final = asyncio.run(run())
    assert [d.mac for d in final.devices] == [MAC]
    [dev] = final.devices
    assert VENDOR in dev.values("dhcp.vendor_class") and dev.ip == "198.18.0.2"
