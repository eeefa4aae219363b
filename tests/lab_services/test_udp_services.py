"""SADP, DHIP, SSDP and garbage responders: real request bytes in, real reply bytes out."""

from __future__ import annotations

import json
import struct
import uuid

import defusedxml.ElementTree as ET

from lab.services import dhip

SADP_PROBE = (
    '<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>{uuid}</Uuid><Types>{types}</Types></Probe>'
)
DHIP_QUERY = b'{ "method" : "DHDiscover.search", "params" : { "mac" : "", "uni" : 1 } }\r\n'
MSEARCH = (
    "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
    'MAN: "ssdp:discover"\r\nMX: 1\r\nST: {st}\r\n\r\n'
)
# Every element of the real SADP reply (the ProbeMatch quoted in Haicam/Haicam's hikvisionProbe).
SADP_FIELDS = [
    "DeviceType",
    "DeviceDescription",
    "DeviceSN",
    "CommandPort",
    "HttpPort",
    "MAC",
    "IPv4Address",
    "IPv4SubnetMask",
    "IPv4Gateway",
    "DHCP",
    "AnalogChannelNum",
    "DigitalChannelNum",
    "SoftwareVersion",
    "DSPVersion",
    "BootTime",
    "Encrypt",
    "ResetAbility",
    "DiskNumber",
    "Activated",
    "PasswordResetAbility",
    "PasswordResetModeSecond",
    "DetailOEMCode",
    "SupportSecurityQuestion",
    "SupportHCPlatform",
    "HCPlatformEnable",
    "IsModifyVerificationCode",
    "Salt",
    "DeviceLock",
    "SDKOverTLSPort",
    "SDKServerStatus",
    "SupportMailBox",
]


def test_sadp_inquiry_gets_probematch_with_every_real_field(device):
    cam = device("hikvision-ipc").start("sadp")
    probe_id = str(uuid.uuid4()).upper()
    reply = cam.udp(37020, SADP_PROBE.format(uuid=probe_id, types="inquiry").encode())
    root = ET.fromstring(reply)
    assert root.tag == "ProbeMatch"
    assert root.findtext("Uuid") == probe_id and root.findtext("Types") == "inquiry"
    missing = [name for name in SADP_FIELDS if root.find(name) is None]
    assert missing == []
    assert root.findtext("MAC") == cam.ctx.mac.replace(":", "-")
    assert (
        root.findtext("IPv4Address") == cam.ip
        and root.findtext("IPv4SubnetMask") == "255.255.255.0"
    )
    assert root.findtext("DeviceSN") == cam.ctx.profile["identity"]["serial"]
    assert root.findtext("HCPlatformEnable") == "flase"  # genuine firmware's spelling
    assert cam.records[-1][:2] == ("sadp", "inquiry")


def test_sadp_writes_are_recorded_and_never_answered(device):
    cam = device("hikvision-ipc").start("sadp")
    for verb in ("update", "activate", "reset"):
        assert cam.udp(37020, SADP_PROBE.format(uuid="X", types=verb).encode(), timeout=0.3) is None
    assert cam.kinds("sadp") == ["update", "activate", "reset"]
    assert all(detail["write"] for _, _, detail in cam.records)


def test_sadp_survives_garbage_and_entity_bombs(device):
    cam = device("hikvision-ipc").start("sadp")
    bomb = (
        b'<!DOCTYPE P [<!ENTITY a "x"><!ENTITY b "&a;&a;&a;">]>'
        b"<Probe><Uuid>&b;</Uuid><Types>inquiry</Types></Probe>"
    )
    for junk in (bomb, b"\xff" * 300, b"<Probe>"):
        assert cam.udp(37020, junk, timeout=0.3) is None
    assert cam.kinds("sadp") == ["garbage"] * 3
    assert cam.udp(37020, SADP_PROBE.format(uuid="A", types="inquiry").encode()) is not None


def test_dhip_search_gets_notify_dev_info_with_both_lengths_right(device):
    cam = device("dahua-ipc").start("dhip")
    reply = cam.udp(37810, dhip.pack(DHIP_QUERY))
    size, magic, _, _, first, _, second, _ = struct.unpack_from("<I4sIIIIII", reply)
    body = reply[32:]
    assert (size, magic) == (32, b"DHIP") and first == second == len(body)
    message = json.loads(body)
    assert message["method"] == "client.notifyDevInfo" and message["mac"] == cam.ctx.mac
    info = message["params"]["deviceInfo"]
    assert info["Vendor"] == "Dahua" and info["Port"] == 37777
    assert info["SerialNo"] == cam.ctx.profile["identity"]["serial"]
    assert info["IPv4Address"]["IPAddr"] == cam.ip


def test_dhip_ignores_wrong_lengths_and_writes(device):
    cam = device("dahua-ipc").start("dhip")
    broken = struct.pack("<I4sIIIIII", 32, b"DHIP", 0, 0, 5, 0, 999, 0) + DHIP_QUERY
    assert cam.udp(37810, broken, timeout=0.3) is None
    setconfig = dhip.pack(b'{"method": "DHDiscover.setConfig", "params": {}}')
    assert cam.udp(37810, setconfig, timeout=0.3) is None
    assert cam.kinds("dhip") == ["garbage", "DHDiscover.setConfig"]
    assert cam.records[-1][2]["write"] is True


def test_hostile_dhip_lengths_disagree_with_the_body(device):
    bad = device("hostile-garbage-udp").start("dhip")
    reply = bad.udp(37810, dhip.pack(DHIP_QUERY))
    _, magic, _, _, first, _, second, _ = struct.unpack_from("<I4sIIIIII", reply)
    assert magic == b"DHIP"
    assert first != len(reply) - 32 and second != len(reply) - 32
    assert dhip.unpack(reply) is None


def test_ssdp_msearch_points_to_a_description_with_the_identity(device):
    import http.client
    from urllib.parse import urlsplit

    printer = device("printer-brother").start("ssdp")
    reply = printer.udp(1900, MSEARCH.format(st="upnp:rootdevice").encode())
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    headers = dict(line.split(": ", 1) for line in reply.decode().split("\r\n")[1:] if ": " in line)
    assert headers["ST"] == "upnp:rootdevice" and headers["USN"].endswith("::upnp:rootdevice")
    url = urlsplit(headers["LOCATION"])
    conn = http.client.HTTPConnection(str(url.hostname), url.port or 80, timeout=5)
    conn.request("GET", url.path)
    root = ET.fromstring(conn.getresponse().read())
    conn.close()
    ns = "{urn:schemas-upnp-org:device-1-0}"
    assert root.findtext(f"{ns}device/{ns}manufacturer") == "Brother"
    assert root.findtext(f"{ns}device/{ns}UDN") == headers["USN"].split("::")[0]
    assert printer.kinds("ssdp") == ["M-SEARCH"]


def test_ssdp_ignores_other_search_targets_and_garbage(device):
    printer = device("printer-brother").start("ssdp")
    assert (
        printer.udp(
            1900,
            MSEARCH.format(st="urn:schemas-upnp-org:device:MediaServer:1").encode(),
            timeout=0.3,
        )
        is None
    )
    assert printer.udp(1900, b"\x00garbage", timeout=0.3) is None
    assert printer.kinds("ssdp") == ["M-SEARCH", "other"]


def test_garbage_device_answers_probes_with_unparseable_bytes(device):
    bad = device("hostile-garbage-udp").start("garbage")
    reply = bad.udp(3702, b"<e:Envelope/>")
    assert reply and not reply.startswith(b"<")
    reply = bad.udp(37020, SADP_PROBE.format(uuid="A", types="inquiry").encode())
    assert reply and not reply.startswith(b"<?xml")
