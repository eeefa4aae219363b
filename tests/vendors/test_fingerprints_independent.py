"""Banner-only devices of non-covered makers, from rules cited to nmap-service-probes and recog.

A single banner, realm, title or greeting names its maker as "likely" (banner weight), a
generic embedded server names nobody, and none of these tells drags in a covered maker.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from core.model import EvidenceValue, SiteProfile, SiteUse, VerdictStatus
from vendors.fingerprints import load_rules
from vendors.identify import identify
from vendors.judge import judge
from vendors.policies import EXAMPLES_DIR, load_policies

COVERED = {"hikvision", "dahua", "huawei", "hytera", "zte"}

# fmt: off
BANNER_ONLY = [
    ({"http.server": "GeoHttpServer"}, "geovision"),
    ({"ssdp.server": "Linux/4.9.94-axis5, UPnP/1.0, Portable SDK for UPnP devices/1.6.22"}, "axis"),
    ({"http.server": "Linux/2.x UPnP/1.0 Avtech/1.0"}, "avtech"),
    ({"http.server": "ev-compat"}, "pelco"),
    ({"http.realm": "Arecont Vision"}, "arecont"),
    ({"rtsp.realm": "NET-i"}, "hanwha"),
    ({"http.realm": "Use 'live' as User Name in order to log in to the respective level"}, "bosch"),
    ({"http.realm": "DCS-932LB1_BC"}, "dlink"),
    ({"http.title": "Hanwha Techwin"}, "hanwha"),
    ({"http.title": "WV-NS202A Network Camera"}, "panasonic"),
    ({"http.title": "Redirect to userimage: /control/userimage.html"}, "mobotix"),
    ({"http.title": "UniFi Video"}, "ubiquiti"),
    ({"rtsp.server": "Linux/2.6.35.14_nl-xarina+ Ze-PRO"}, "sony"),
    ({"ftp.banner": "220 AXIS 2400V2.34 Jun 19 2002 ready."}, "axis"),
    ({"telnet.banner": "Welcome to AutoDome 800 HD 10.0.0.2 from 10.0.0.3"}, "bosch"),
    ({"onvif.manufacturer": "Grandstream"}, "grandstream"),
    ({"http.title": "Genetec - SHARPV01111"}, "genetec"),
    ({"http.server": "ADH-Web"}, "dedicated_micros"),
    ({"http.realm": "Siqura"}, "siqura"),
]
# fmt: on


@pytest.mark.parametrize(("evidence", "maker"), BANNER_ONLY, ids=[m for _, m in BANNER_ONLY])
def test_a_single_banner_names_its_non_covered_maker(
    evidence: Mapping[str, EvidenceValue], maker: str
) -> None:
    ident = identify(evidence)
    assert ident.maker == maker
    assert not {r.indicates for r in ident.reasons} & COVERED


def test_an_axis_banner_is_likely_axis_and_not_covered_under_ndaa889() -> None:
    ident = identify({"ftp.banner": "220 AXIS Q7406 Video Encoder Blade 5.01 (Aug 01 2008) ready."})
    assert ident.maker == "axis" and ident.model == "Q7406"
    assert 0.3 <= ident.confidence < 0.5  # one banner: likely, never certain
    assert "likely Axis" in ident.reasons[0].detail
    [ndaa] = [p for p in load_policies(user_dir=EXAMPLES_DIR).packs if p.id == "ndaa889"]
    where = SiteProfile(uses=(SiteUse.PUBLIC_SAFETY,), jurisdictions=("us",))
    assert judge(ident, ndaa, where).status is VerdictStatus.NOT_COVERED


@pytest.mark.parametrize(
    "server",
    ["Boa/0.94.14rc21", "GoAhead-Webs", "lighttpd/1.4.35", "thttpd/2.25b 29dec2003", "Apache"],
)
def test_a_generic_embedded_server_names_no_maker(server: str) -> None:
    ident = identify({"http.server": server})
    assert ident.maker is None and ident.brand is None
    assert ident.confidence == 0
    assert [r.rule for r in ident.reasons] == ["http.server:generic-embedded-httpd"]


def test_a_plain_english_title_is_a_hint_but_decides_nothing_alone() -> None:
    ident = identify({"http.title": "Network Video Recorder Login"})
    assert ident.maker is None
    assert [r.indicates for r in ident.reasons] == ["nuuo"]


def test_hisilicon_reference_servers_flag_a_component_not_a_maker() -> None:
    for evidence in (
        {"http.server": "Cross Web Server"},
        {"rtsp.server": "HiIpcam/V100R003 VodServer/1.0.0"},
    ):
        ident = identify(evidence)
        assert ident.maker is None and ident.component_flags == ("hisilicon_soc",)


def test_a_hikvision_tell_still_wins_over_a_generic_server_on_the_same_device() -> None:
    ident = identify({"http.server": "lighttpd/1.4.35", "telnet.banner": "192.0.0.64 login:"})
    assert ident.maker == "hikvision"


def test_every_added_rule_cites_nmap_or_recog() -> None:
    added = [
        rule
        for rule in load_rules().all_rules()
        if "recog" in rule.source or "nmap-service-probes" in rule.source
    ]
    assert len(added) >= 60
    for rule in added:
        assert rule.examples, rule.ref
