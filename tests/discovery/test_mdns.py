"""mDNS packet parsing with real camera responses from the IoT Sentinel captures."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.netguard import UnsafeNetworkError
from discovery import mdns
from discovery.base import ParseError, ProbeContext

FIXTURES = Path(__file__).parent / "fixtures"
DCS_935L = (FIXTURES / "mdns_response_dcs-935l.bin").read_bytes()
IC_3115W = (FIXTURES / "mdns_response_ic-3115w.bin").read_bytes()


def _by_name(entries):
    return {e.get("mdns.name", e.get("hostname")): e for e in entries}


def test_dlink_service_with_key_value_txt():
    entries = _by_name(mdns.parse_packet(DCS_935L))
    hnap = entries["D-Link HNAP Service._dhnap._tcp.local"]
    assert hnap["mdns.service"] == "_dhnap._tcp.local"
    assert hnap["mdns.txt.model_number"] == "DCS-935L"
    assert hnap["mdns.txt.hardware_ver"] == "A1"
    assert hnap["mdns.txt.mac"] == "B0:C5:54:25:5B:0E"
    assert hnap["hostname"] == "DCS-935L-B0C554255B0E.local"
    assert hnap["mdns.port"] == "80"


def test_dlink_host_record_gives_hostname_and_address():
    entries = _by_name(mdns.parse_packet(DCS_935L))
    host = entries["DCS-935L-B0C554255B0E.local"]
    assert host["mdns.address"] == "192.168.0.20"  # the stale pre-DHCP address it announced


def test_edimax_free_text_txt_and_leading_space_label():
    entries = _by_name(mdns.parse_packet(IC_3115W))
    service = entries[" [74:da:38:80:7a:08]._http._tcp.local"]
    assert service["mdns.txt"] == "IC-3115W Network Camera"
    assert service["mdns.service"] == "_http._tcp.local"
    assert service["hostname"] == "localcam.local"


@pytest.mark.parametrize(
    ("instance", "kind"),
    [
        ("HIKVISION DS-2CD2722FWD-IZS - 733050127._CGI._tcp.local.", "_CGI._tcp.local"),
        ("a.b.c._http._tcp.local.", "_http._tcp.local"),
        ("no-service.local.", ""),
    ],
)
def test_service_type_of_instance_names_with_dots(instance, kind):
    assert mdns.service_type_of(instance) == kind


def test_txt_strings():
    assert mdns.txt_fields([b"vendor=Axis", b"model=", b"free text", b"=nokey"]) == {
        "mdns.txt.vendor": "Axis",
        "mdns.txt.model": "",
        "mdns.txt": "free text =nokey",
    }


def test_txt_rdata_with_a_lying_length_stops_at_the_lie():
    assert mdns.split_txt(b"\x03abc\x09short") == [b"abc"]


def test_garbage_is_a_parse_error():
    with pytest.raises(ParseError):
        mdns.parse_packet(b"\x00\x01garbage")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1024))
def test_any_bytes_give_entries_or_parse_error(data):
    try:
        entries = mdns.parse_packet(data)
    except ParseError:
        return
    assert all(isinstance(e, dict) for e in entries)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=12, max_value=len(DCS_935L) - 1), st.binary(min_size=1, max_size=8))
def test_corrupted_real_packets_give_entries_or_parse_error(offset, junk):
    data = DCS_935L[:offset] + junk + DCS_935L[offset + len(junk) :]
    try:
        entries = mdns.parse_packet(data)
    except ParseError:
        return
    assert all("mdns.name" in e or "hostname" in e for e in entries)


def test_probe_refuses_to_send_from_the_machines_namespace():
    # tests/conftest.py sets CAMAUDIT_LAB_ONLY; outside the lab the probe must not send.
    async def run():
        return [item async for item in mdns.probe(ProbeContext(interface=None, networks=[]))]

    with pytest.raises(UnsafeNetworkError, match="refusing to send"):
        asyncio.run(run())
