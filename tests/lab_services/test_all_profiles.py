"""Every shipped profile starts on loopback and its hostile replies are what they claim."""

from __future__ import annotations

import http.client

import defusedxml.ElementTree as ET
import pytest
from defusedxml import DefusedXmlException

from lab.profile import load_profiles
from tests.lab_services.test_onvif import _soap
from tests.lab_services.test_wsd import _probe

# Third-party devices run real programs that need a network namespace of their own:
# tests/lab/test_third_party.py starts them.
PROFILES = sorted(p.id for p in load_profiles().values() if p.category != "thirdparty")


@pytest.mark.parametrize("profile_id", PROFILES)
def test_every_profile_starts_all_its_services(device, profile_id):
    dev = device(profile_id)
    services = [s for s in dev.ctx.profile["services"] if s != "mdns"]  # mdns: see test_mdns
    dev.start(*services)
    assert dev.ctx.closers  # something is serving
    if "wsd" in services:
        assert dev.udp(3702, _probe("")[1]) is not None
    if "onvif" in services:
        assert _soap(dev.ip, "GetSystemDateAndTime")[0] == 200


def _device_information(ip):
    conn = http.client.HTTPConnection(ip, 80, timeout=5)
    body = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body><tds:GetDeviceInformation/>'
        "</s:Body></s:Envelope>"
    )
    conn.request("POST", "/onvif/device_service", body)
    data = conn.getresponse().read()
    conn.close()
    return data


@pytest.mark.parametrize("profile_id", ["hostile-entity-bomb", "hostile-xxe"])
def test_bomb_and_xxe_replies_are_refused_by_a_defused_parser(device, profile_id):
    dev = device(profile_id).start("wsd", "onvif", "ssdp")
    for reply in (dev.udp(3702, _probe()[1]), _device_information(dev.ip)):
        assert b"<!DOCTYPE" in reply and b"root:x:0:0" not in reply
        with pytest.raises(DefusedXmlException):
            ET.fromstring(reply)


def test_malformed_replies_do_not_parse(device):
    dev = device("hostile-malformed-xml").start("wsd", "onvif", "http")
    for reply in (dev.udp(3702, _probe()[1]), _device_information(dev.ip)):
        with pytest.raises(ET.ParseError):
            ET.fromstring(reply)


def test_lying_identity_disagrees_between_onvif_and_sadp(device):
    from tests.lab_services.test_onvif import _token
    from tests.lab_services.test_udp_services import SADP_PROBE

    dev = device("hostile-lying-identity").start("onvif", "sadp")
    _, root = _soap(dev.ip, "GetDeviceInformation", _token("admin", "Lab-Liar-1"))
    assert root.find(".//{http://www.onvif.org/ver10/device/wsdl}Manufacturer").text == "AXIS"
    sadp = ET.fromstring(dev.udp(37020, SADP_PROBE.format(uuid="U", types="inquiry").encode()))
    assert (sadp.findtext("DeviceDescription") or "").startswith("DS-2CD")
