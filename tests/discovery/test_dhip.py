"""DHIP framing and notifyDevInfo parsing, with real Dahua replies (fixtures/README.md)."""

from __future__ import annotations

import asyncio
import json
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.netguard import UnsafeNetworkError
from discovery import dhip
from discovery.base import ParseError, ProbeContext

FIXTURES = Path(__file__).parent / "fixtures"
HDW5421S = (FIXTURES / "dhip_notifydevinfo_ipc-hdw5421s.json").read_bytes().strip()
HDW1431 = (FIXTURES / "dhip_notifydevinfo_ipc-hdw1431t1-s4.json").read_bytes().strip()


def _with_lengths(body: bytes, first: int, second: int) -> bytes:
    return struct.pack("<I4sIIIIII", 0x20, b"DHIP", 0, 0, first, 0, second, 0) + body


def test_real_reply_flattens_device_info():
    obs = dhip.parse_reply(dhip.frame(HDW5421S), "198.18.0.20")
    assert obs is not None
    assert obs.source == "dhip"
    assert obs.fields["dhip.Vendor"] == "Dahua"
    assert obs.fields["dhip.DeviceType"] == "IPC-HDW5421S"
    assert obs.fields["dhip.SerialNo"] == "1F006E4PAX00075"
    assert obs.fields["dhip.Version"] == "2.400.0.8"
    assert obs.fields["dhip.Port"] == "37777"
    assert obs.fields["dhip.IPv4Address.IPAddress"] == "218.5.136.140"
    assert obs.fields["dhip.IPv4Address.DhcpEnable"] == "false"
    assert obs.fields["dhip.IPv6Address.LinkLocalAddress"] == "fe80::4e11:bfff:fec2:0b9d/64"
    assert obs.fields["dhip.mac"] == "4c:11:bf:c2:0b:9d"


def test_real_reply_names_the_box():
    obs = dhip.parse_reply(dhip.frame(HDW5421S), "198.18.0.20")
    assert obs is not None
    assert obs.mac == "4c:11:bf:c2:0b:9d"
    assert obs.serial == "1F006E4PAX00075"
    assert obs.ip == "198.18.0.20"


def test_oem_unit_keeps_its_private_vendor_and_dahua_formats():
    obs = dhip.parse_reply(dhip.frame(HDW1431))
    assert obs is not None
    assert obs.fields["dhip.Vendor"] == "Private"
    assert obs.fields["dhip.Version"] == "2.800.0000000.13.R"
    assert obs.ip == "192.168.124.17"  # self-reported when no source address is known
    assert "dhip.IPv6Address.DefaultGateway" not in obs.fields  # JSON null is no evidence


def test_search_request_has_both_lengths_and_the_documented_body():
    request = dhip.search_request()
    header = struct.unpack_from("<I4sIIIIII", request)
    body = request[32:]
    assert header[0] == 0x20 and header[1] == b"DHIP"
    assert header[4] == header[6] == len(body)
    assert json.loads(body)["method"] == "DHDiscover.search"


def test_our_own_search_heard_back_is_not_a_device():
    assert dhip.parse_reply(dhip.search_request(), "198.18.0.1") is None


@pytest.mark.parametrize(("first", "second"), [(10, None), (None, 10), (10, 10), (9999, 9999)])
def test_length_fields_must_both_match_the_body(first, second):
    size = len(HDW5421S)
    data = _with_lengths(HDW5421S, first or size, second or size)
    with pytest.raises(ParseError, match="length fields"):
        dhip.parse_reply(data, "198.18.0.20")


def test_truncated_datagram_is_refused():
    with pytest.raises(ParseError, match="length fields"):
        dhip.parse_reply(dhip.frame(HDW5421S)[:-40], "198.18.0.20")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"DHIP", "too short"),
        (b"\x20\x00\x00\x00XXXX" + bytes(24) + b"{}", "magic"),
        (dhip.frame(b"not json"), "not JSON"),
        (dhip.frame(b"[1, 2]"), "not a JSON object"),
        (dhip.frame(b'{"method": "client.notifyDevInfo", "params": {}}'), "deviceInfo"),
    ],
)
def test_malformed_replies_say_why(data, reason):
    with pytest.raises(ParseError, match=reason):
        dhip.parse_reply(data, "198.18.0.20")


def test_deeply_nested_json_is_a_parse_error():
    body = b'{"params": {"deviceInfo": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    with pytest.raises(ParseError):
        dhip.parse_reply(dhip.frame(body[: dhip.MAX_BODY]), "198.18.0.20")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1024))
def test_any_bytes_give_a_reply_none_or_parse_error(data):
    try:
        result = dhip.parse_reply(data, "198.18.0.20")
    except ParseError:
        return
    assert result is None or result.source == "dhip"


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
def test_any_json_behind_a_valid_header_gives_a_reply_none_or_parse_error(value):
    body = json.dumps({"mac": "x", "method": "client.notifyDevInfo", "params": value}).encode()
    try:
        result = dhip.parse_reply(dhip.frame(body), "198.18.0.20")
    except ParseError:
        return
    assert result is not None
    assert all(isinstance(v, str) for v in result.fields.values())


def test_probe_refuses_to_send_from_the_machines_namespace():
    # tests/conftest.py sets CAMAUDIT_LAB_ONLY; outside the lab the probe must not send.
    async def run():
        return [item async for item in dhip.probe(ProbeContext(interface=None, networks=[]))]

    with pytest.raises(UnsafeNetworkError, match="refusing to send"):
        asyncio.run(run())


def test_a_lone_surrogate_in_a_reply_is_a_parse_error() -> None:
    # A device's "\ud800" cannot be stored as text (SQLite needs UTF-8): refused here, with a
    # reason, instead of failing the store write later.
    from discovery.base import ParseError

    with pytest.raises(ParseError, match="surrogate"):
        dhip._json(b'{"params": {"deviceType": "\\ud800x"}}')
