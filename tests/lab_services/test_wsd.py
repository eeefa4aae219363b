"""WS-Discovery: ProbeMatch for ONVIF and nmap probes, silence for others, garbage survived."""

from __future__ import annotations

import uuid
from urllib.parse import unquote

import defusedxml.ElementTree as ET

D = "{http://schemas.xmlsoap.org/ws/2005/04/discovery}"
A = "{http://schemas.xmlsoap.org/ws/2004/08/addressing}"

ONVIF_PROBE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:w="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
    'xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
    "<e:Header><w:MessageID>{mid}</w:MessageID>"
    "<w:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>"
    "<w:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</w:Action></e:Header>"
    "<e:Body><d:Probe><d:Types>{types}</d:Types></d:Probe></e:Body></e:Envelope>"
)
# nmap 7.93 nselib/wsdd.lua "general" probe: no Types at all.
NMAP_PROBE = (
    '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery">'
    "<env:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>"
    "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>"
    "<wsa:MessageID>urn:uuid:{mid}</wsa:MessageID></env:Header><env:Body><wsd:Probe/></env:Body>"
    "</env:Envelope>"
)


def _text(root, path: str) -> str:
    assert root is not None
    element = root.find(path)
    assert element is not None and element.text is not None, path
    return str(element.text)


def _probe(types: str = "dn:NetworkVideoTransmitter") -> tuple[str, bytes]:
    mid = f"uuid:{uuid.uuid4()}"
    return mid, ONVIF_PROBE.format(mid=mid, types=types).encode()


def test_onvif_probe_gets_a_probematch_with_scopes_xaddrs_and_relatesto(device):
    cam = device("dahua-ipc").start("wsd")
    mid, probe = _probe()
    reply = cam.udp(3702, probe)
    assert reply is not None
    root = ET.fromstring(reply)
    assert _text(root, f".//{A}RelatesTo") == mid
    message_id = _text(root, f".//{A}MessageID")
    assert message_id.startswith("urn:uuid:") and message_id != mid
    match = root.find(f".//{D}ProbeMatch")
    assert _text(match, f"{D}Types") == "dn:NetworkVideoTransmitter tds:Device"
    assert _text(match, f"{D}XAddrs") == f"http://{cam.ip}/onvif/device_service"
    scopes = _text(match, f"{D}Scopes").split()
    assert "onvif://www.onvif.org/hardware/IPC-HDW5421S" in scopes
    address = _text(match, f"{A}EndpointReference/{A}Address")
    assert address.startswith("urn:uuid:")
    assert cam.kinds("wsd") == ["probe"]
    # the endpoint reference is stable, the message id is fresh
    again = ET.fromstring(cam.udp(3702, _probe()[1]))
    assert _text(again, f".//{A}EndpointReference/{A}Address") == address
    assert _text(again, f".//{A}MessageID") != message_id


def test_scopes_are_percent_encoded_on_the_wire(device):
    cam = device("axis-ipc").start("wsd")
    reply = cam.udp(3702, _probe()[1]).decode()
    assert "name/AXIS%20M3045-V" in reply
    scopes = _text(ET.fromstring(reply), f".//{D}Scopes").split()
    assert unquote(next(s for s in scopes if "/name/" in s)).endswith("AXIS M3045-V")


def test_nmap_general_probe_is_answered_with_a_prefixed_message_id(device):
    cam = device("dahua-ipc").start("wsd")
    reply = cam.udp(3702, NMAP_PROBE.format(mid=uuid.uuid4()).encode())
    assert reply is not None
    # nmap's decoder: <[^:]*:MessageID>urn:uuid:([^<]*)</[^:]*:MessageID>
    import re

    assert re.search(rb"<[^:<]*:MessageID>urn:uuid:([^<]*)</[^:]*:MessageID>", reply)
    assert re.search(rb"<[^:<]*:XAddrs>(.*)</[^:]*:XAddrs>", reply)


def test_probe_for_other_types_is_recorded_but_not_answered(device):
    cam = device("dahua-ipc").start("wsd")
    reply = cam.udp(3702, _probe("dn:Printer")[1], timeout=0.5)
    assert reply is None
    assert cam.kinds("wsd") == ["probe"]


def test_pc_answers_as_computer_but_not_to_camera_probes(device):
    pc = device("windows-pc").start("wsd")
    assert pc.udp(3702, _probe()[1], timeout=0.5) is None
    reply = pc.udp(3702, NMAP_PROBE.format(mid=uuid.uuid4()).encode())
    types = _text(ET.fromstring(reply), f".//{D}Types")
    assert types == "wsdp:Device pub:Computer"


def test_garbage_and_bombs_are_recorded_and_survived(device):
    cam = device("dahua-ipc").start("wsd")
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<l>&b;</l>"
    )
    for junk in (b"\x00\xff" * 50, b"<not-closed", bomb, b""):
        assert cam.udp(3702, junk, timeout=0.3) is None
    assert cam.udp(3702, _probe()[1]) is not None
    assert cam.kinds("wsd").count("non-probe") == 4


def test_ws_discovery_2009_probe_answered_only_where_the_profile_says(device, mix):
    from tests.lab_services.conftest import Device

    # nmap 7.93 nselib/wsdd.lua "wcf" probe (WS-Discovery 1.1, 2009/01 namespaces)
    wcf = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>'
        "<a:Action>http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/Probe</a:Action>"
        f"<a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID>"
        "<a:To>urn:docs-oasis-open-org:ws-dd:ns:discovery:2009:01</a:To></s:Header><s:Body>"
        '<Probe xmlns="http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"/></s:Body></s:Envelope>'
    ).encode()
    onvif_only = device("dahua-ipc").start("wsd")
    assert onvif_only.udp(3702, wcf, timeout=0.3) is None
    spec = mix["windows-pc"]
    profile = {
        **spec.profile,
        "services": {"wsd": {**spec.profile["services"]["wsd"], "versions": ["2005", "2009"]}},
    }
    both = Device(onvif_only.loop, profile, spec.mac, index=1).start("wsd")
    reply = both.udp(3702, wcf)
    assert reply is not None
    root = ET.fromstring(reply)
    d2009 = "{http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01}"
    assert root.find(f".//{d2009}ProbeMatch") is not None
    assert _text(root, ".//{http://www.w3.org/2005/08/addressing}RelatesTo").startswith("urn:uuid:")
