"""Passive pcap mode against the real IoT Sentinel captures and their expected_devices.json,
plus crafted captures carrying the real SADP/DHIP/WS-Discovery payloads of fixtures/."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.eap import EAPOL
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import PcapNgWriter, PcapReader, wrpcap

from core.merge import DeviceMerger
from core.model import Device
from discovery import dhip
from discovery.pcap import PcapError, read_pcap
from tests.data import CAPTURES, EXPECTED_DEVICES

FIXTURES = Path(__file__).parent / "fixtures"


def _expected() -> dict[str, Any]:
    # Read at collection: a missing file is a collection error, never a skip.
    files: dict[str, Any] = json.loads(EXPECTED_DEVICES.read_text())["files"]
    return files


def _devices(*paths: Path) -> list[Device]:
    merger = DeviceMerger()
    for path in paths:
        merger.extend(read_pcap(path).observations)
    return merger.devices


def _device(devices: list[Device], mac: str) -> Device:
    found = [d for d in devices if d.mac == mac]
    assert len(found) == 1, f"expected one device with MAC {mac}, got {[d.key for d in devices]}"
    return found[0]


def _strings(device: Device, field: str) -> set[str]:
    return {v for v in device.values(field) if isinstance(v, str)}


def test_every_reference_capture_is_present_and_listed():
    assert _expected(), f"{EXPECTED_DEVICES} lists no captures"
    assert {p.name for p in CAPTURES.glob("*.pcap")} == set(_expected())


@pytest.mark.parametrize("name", sorted(_expected()))
def test_packet_counts_match(name):
    result = read_pcap(CAPTURES / name)
    assert result.packet_count == _expected()[name]["packets"]
    assert result.errors == []


@pytest.mark.parametrize("name", sorted(_expected()))
def test_every_camera_is_found_with_its_evidence(name):
    devices = _devices(CAPTURES / name)
    for cam in _expected()[name]["cameras"]:
        dev = _device(devices, cam["mac"])
        assert cam["ip"] in dev.ips
        assert set(cam.get("other_ips_same_device", [])) <= set(dev.ips)
        _check_dhcp(dev, cam)
        _check_ssdp(dev, cam)
        _check_mdns(dev, cam)


def _check_dhcp(dev: Device, cam: dict[str, Any]) -> None:
    if cam.get("dhcp_hostname"):
        assert cam["dhcp_hostname"] in _strings(dev, "hostname")
        assert cam["dhcp_hostname"] in _strings(dev, "dhcp.hostname")
    else:
        assert not {h for h in _strings(dev, "hostname") if not h.endswith(".local")}
    assert _strings(dev, "dhcp.vendor_class") == {cam["dhcp_vendor_class"]}
    if "dhcp_param_request_list" in cam:
        wanted = ",".join(str(n) for n in cam["dhcp_param_request_list"])
        assert wanted in _strings(dev, "dhcp.params")


def _check_ssdp(dev: Device, cam: dict[str, Any]) -> None:
    assert _strings(dev, "ssdp.server") == {cam["ssdp_server"]}
    assert set(cam["ssdp_locations"]) <= _strings(dev, "ssdp.location")
    assert set(cam.get("ssdp_nt_includes", [])) <= _strings(dev, "ssdp.nt")
    if uuid := cam.get("ssdp_usn_uuid"):
        assert any(uuid in usn for usn in _strings(dev, "ssdp.usn"))


def _check_mdns(dev: Device, cam: dict[str, Any]) -> None:
    assert set(cam["mdns_hostnames"]) <= _strings(dev, "hostname")
    assert set(cam["mdns_services"]) <= _strings(dev, "mdns.name")
    for pair in cam.get("mdns_txt_includes", []):
        key, _, value = pair.partition("=")
        assert value in _strings(dev, f"mdns.txt.{key}")
    if text := cam.get("mdns_txt"):
        assert text in _strings(dev, "mdns.txt")


@pytest.mark.parametrize("name", sorted(_expected()))
def test_non_camera_hosts_and_weak_devices_are_listed(name):
    devices = _devices(CAPTURES / name)
    expected = _expected()[name]
    for host in expected.get("non_camera_lan_hosts", []) + expected.get("devices", []):
        dev = _device(devices, host["mac"])
        assert host["ip"] in dev.ips
        if "dhcp_vendor_class" in host:
            assert _strings(dev, "dhcp.vendor_class") == {host["dhcp_vendor_class"]}
    known = {c["mac"] for c in expected["cameras"]} | {
        h["mac"] for h in expected.get("non_camera_lan_hosts", []) + expected.get("devices", [])
    }
    assert {d.mac for d in devices} == known


@pytest.mark.parametrize("name", sorted(_expected()))
def test_cloud_and_stale_addresses_are_not_lan_devices(name):
    devices = _devices(CAPTURES / name)
    cameras = {c["mac"] for c in _expected()[name]["cameras"]}
    for ip in _expected()[name].get("must_not_be_lan_devices", []):
        owners = [d for d in devices if ip in d.ips]
        assert all(d.mac in cameras for d in owners), f"{ip} became its own device"


def test_two_edimax_units_with_the_same_hostname_stay_two_devices():
    files = (
        "iotsentinel_edimax-ic-3115w-cam1_setup-A-1.pcap",
        "iotsentinel_edimax-ic-3115w-cam2_setup-A-1.pcap",
    )
    devices = _devices(*(CAPTURES / f for f in files))
    macs = {d.mac for d in devices}
    assert macs == {"74:da:38:80:7a:08", "74:da:38:80:79:fc"}
    assert all("localcam.local" in _strings(d, "hostname") for d in devices)


def test_observations_carry_packet_time_and_protocol():
    result = read_pcap(CAPTURES / "iotsentinel_edimax-ic-3115w-cam1_setup-A-1.pcap")
    assert {o.source for o in result.observations} == {"pcap"}
    assert {o.method for o in result.observations} == {"arp", "dhcp", "igmp", "mdns", "ssdp"}
    assert all(o.seen_at.year == 2016 for o in result.observations)


def test_truncated_capture_keeps_what_was_read(tmp_path):
    source = CAPTURES / "iotsentinel_dlink-dcs-935l_setup-A-1.pcap"
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(source.read_bytes()[:30_000])
    result = read_pcap(cut)
    assert 0 < result.packet_count < 624
    assert any(o.method == "arp" for o in result.observations)
    (error,) = result.errors
    assert error.kind == "file"
    assert str(cut) in error.message and "truncated" in error.message


def test_pcapng_gives_the_same_observations(tmp_path):
    source = CAPTURES / "iotsentinel_edimax-ic-3115w-cam1_setup-A-1.pcap"
    converted = tmp_path / "edimax.pcapng"
    with PcapReader(str(source)) as reader, PcapNgWriter(str(converted)) as writer:
        for packet in reader:
            writer.write(packet)
    original, again = read_pcap(source), read_pcap(converted)
    assert again.packet_count == original.packet_count
    assert {(o.method, tuple(sorted(o.fields.items()))) for o in again.observations} == {
        (o.method, tuple(sorted(o.fields.items()))) for o in original.observations
    }
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes(converted.read_bytes()[:-100])
    assert [e.kind for e in read_pcap(cut).errors] == ["file"]


@pytest.mark.parametrize("content", [b"", b"hello, not a capture\n", b"\xd4\xc3"])
def test_a_file_that_is_not_a_capture_names_itself(tmp_path, content):
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(PcapError, match=r"notes\.txt"):
        read_pcap(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PcapError, match=r"missing\.pcap"):
        read_pcap(tmp_path / "missing.pcap")


CAM_MAC, GW_MAC = "44:19:b6:00:00:07", "28:b2:bd:c3:41:79"


def _udp(payload: bytes, sport: int, dport: int, src: str = "10.1.2.7", mac: str = CAM_MAC):
    return (
        Ether(src=mac, dst="01:00:5e:7f:ff:fa")
        / IP(src=src, dst="239.255.255.250")
        / UDP(sport=sport, dport=dport)
        / Raw(payload)
    )


def _http(server: bytes, src: str, mac: str):
    head = b"HTTP/1.1 200 OK\r\nServer: " + server + b"\r\nContent-Length: 0\r\n\r\n"
    return Ether(src=mac) / IP(src=src, dst="10.1.2.50") / TCP(sport=80, dport=50000) / Raw(head)


def test_vendor_discovery_replies_in_a_capture(tmp_path):
    sadp_xml = (FIXTURES / "sadp_probematch_ds-2cd2385g1-i.xml").read_bytes()
    dhip_body = (FIXTURES / "dhip_notifydevinfo_ipc-hdw5421s.json").read_bytes().strip()
    wsd_xml = (FIXTURES / "wsd_probematches_ds-2cd3955fwd-iws.xml").read_bytes()
    path = tmp_path / "vendors.pcap"
    wrpcap(
        str(path),
        [
            _udp(sadp_xml, 37020, 37020),
            _udp(dhip.frame(dhip_body), 37810, 5000, src="10.1.2.8", mac="4c:11:bf:c2:0b:9d"),
            _udp(wsd_xml, 3702, 3702, src="10.1.2.9", mac="b4:a3:82:0f:d9:2d"),
            _http(b"App-webs/", "10.1.2.7", CAM_MAC),
            _http(b"nginx", "52.8.178.58", GW_MAC),  # a cloud reply through the gateway
            Ether(src=CAM_MAC) / EAPOL(type=1),
            _udp(b"<ProbeMatch><oops", 37020, 37020, src="10.1.2.10", mac="44:19:b6:00:00:0a"),
        ],
    )
    result = read_pcap(path)
    assert result.packet_count == 7
    by_method = {o.method: o for o in result.observations if o.method != "ip"}
    assert set(by_method) == {"sadp", "dhip", "wsd", "http"}
    assert by_method["sadp"].fields["sadp.DeviceSN"] == "DS-2CD2385G1-I20200414AAWRE33842150"
    assert by_method["sadp"].ip == "10.1.2.7"
    assert by_method["dhip"].fields["dhip.SerialNo"] == "1F006E4PAX00075"
    assert by_method["dhip"].mac == "4c:11:bf:c2:0b:9d"
    scopes = by_method["wsd"].fields["wsd.scopes"]
    assert isinstance(scopes, tuple)
    assert "onvif://www.onvif.org/name/HIKVISION DS-2CD3955FWD-IWS" in scopes
    assert by_method["http"].fields["http.server"] == "App-webs/"
    assert by_method["http"].mac == CAM_MAC
    assert all(o.ip != "52.8.178.58" for o in result.observations)
    (error,) = result.errors
    assert (error.kind, error.ip) == ("parse", "10.1.2.10")


def _pcap_bytes(frames: list[bytes]) -> bytes:
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # linktype Ethernet
    records = b"".join(
        struct.pack("<IIII", 1_500_000_000 + i, 0, len(f), len(f)) + f for i, f in enumerate(frames)
    )
    return header + records


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=300),
            # plausible frames: Ethernet/IPv4/UDP to a discovery port, random payload
            st.tuples(
                st.sampled_from([67, 68, 1900, 3702, 5353, 37020, 37810]), st.binary(max_size=200)
            ).map(lambda t: bytes(_udp(t[1], 40000, t[0]))),
        ),
        max_size=12,
    ),
    st.binary(max_size=20),
)
def test_any_frames_give_a_result_never_a_crash(tmp_path, frames, tail):
    path = tmp_path / "fuzz.pcap"
    path.write_bytes(_pcap_bytes(frames) + tail)
    result = read_pcap(path)
    assert result.packet_count <= len(frames) + 1
    assert all(e.kind in ("parse", "file") for e in result.errors)


def test_vlan_tagged_replies_and_bulk_only_senders(tmp_path):
    from scapy.layers.l2 import Dot1Q

    sadp_xml = (FIXTURES / "sadp_probematch_ds-2cd2320d-i.xml").read_bytes()
    tagged = (
        Ether(src="44:47:cc:37:ce:81")
        / Dot1Q(vlan=20)
        / IP(src="10.20.0.7", dst="239.255.255.250")
        / UDP(sport=37020, dport=37020)
        / Raw(sadp_xml)
    )
    video = Ether(src="9c:8e:cd:00:00:01") / IP(src="10.20.0.9", dst="10.20.0.50")
    video = video / TCP(sport=554, dport=40000) / Raw(b"\x00" * 1200)
    path = tmp_path / "vlan.pcap"
    wrpcap(str(path), [tagged, *([video] * 50)])
    result = read_pcap(path)
    assert result.packet_count == 51
    (sadp_obs,) = [o for o in result.observations if o.method == "sadp"]
    assert (sadp_obs.ip, sadp_obs.mac) == ("10.20.0.7", "44:47:cc:37:ce:81")
    (talker,) = [o for o in result.observations if o.method == "ip"]
    assert (talker.ip, talker.mac) == ("10.20.0.9", "9c:8e:cd:00:00:01")
