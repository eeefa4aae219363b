"""identify(): the true maker behind the brand, with reasons, conflicts and honest confidence."""

from __future__ import annotations

import datetime as dt

import pytest

from core.model import Device, Identity, Observation, Relationship
from vendors.identify import identify

GENUINE_SADP = {
    "sadp.DeviceDescription": "DS-2CD2385G1-I",
    "sadp.DeviceSN": "DS-2CD2385G1-I20200414AAWRE33842150",
    "sadp.SoftwareVersion": "V5.6.2build 190701",
    "sadp.MAC": "58-50-ed-1f-e3-85",
}


def _rules(identity: Identity) -> set[str]:
    return {r.rule for r in identity.reasons}


def test_genuine_hikvision_via_sadp() -> None:
    ident = identify(GENUINE_SADP)
    assert (ident.maker, ident.brand, ident.relationship) == (
        "hikvision",
        "hikvision",
        Relationship.OWN_BRAND,
    )
    assert ident.model == "DS-2CD2385G1-I"
    assert ident.firmware == "V5.6.2build 190701"
    assert ident.serial == "DS-2CD2385G1-I20200414AAWRE33842150"
    assert ident.confidence > 0.95 and not ident.conflicts
    assert {"protocol:sadp-reply", "serial:hikvision-serial", "oui:58:50:ED"} <= _rules(ident)


def test_annke_with_hikvision_oui_and_isapi_is_a_hikvision_oem() -> None:
    ident = identify(
        {
            "mac": "4c:bd:8f:11:22:33",
            "isapi.model": "N46PCK",
            "isapi.systemContact": "Hikvision.China",
            "onvif.manufacturer": "ANNKE",
        }
    )
    assert (ident.maker, ident.brand, ident.relationship) == (
        "hikvision",
        "annke",
        Relationship.OEM,
    )
    assert not ident.conflicts
    oui = next(r for r in ident.reasons if r.rule == "oui:4C:BD:8F")
    assert oui.indicates == "hikvision" and oui.weight > 0


def test_amcrest_firmware_code_ac_is_a_dahua_oem() -> None:
    ident = identify(
        {
            "mac": "9c:8e:cd:01:02:03",
            "dahua.softwareVersion": "2.620.00AC000.3.R,build:2019-01-02",
            "dahua.deviceType": "IP8M-2496EB",
        }
    )
    assert (ident.maker, ident.brand, ident.relationship) == ("dahua", "amcrest", Relationship.OEM)
    assert ident.firmware == "2.620.00AC000.3.R"
    # the Amcrest OUI names the brand owner, not a maker
    amcrest_oui = next(r for r in ident.reasons if r.rule.startswith("oui:"))
    assert amcrest_oui.indicates is None


def test_lorex_lr_firmware_and_nd_serial_realm() -> None:
    evidence = {"http.realm": "Login to ND011811000000", "onvif.firmware": "2.622.00LR000.10.R"}
    ident = identify(evidence, on=dt.date(2025, 6, 1))
    assert (ident.maker, ident.brand, ident.relationship) == ("dahua", "lorex", Relationship.OEM)
    assert ident.serial == "ND011811000000"
    # while Dahua still owned Lorex, the same device was a subsidiary's product
    assert identify(evidence, on=dt.date(2020, 6, 1)).relationship == Relationship.SUBSIDIARY


def test_imou_via_huacheng_oui() -> None:
    ident = identify({"mac": "1c:4d:89:01:02:03"})
    assert (ident.maker, ident.brand, ident.relationship) == (
        "dahua",
        "imou",
        Relationship.SUBSIDIARY,
    )


def test_ezviz_oui_is_hikvision_subsidiary_brand() -> None:
    ident = identify({"mac": "0c:a6:4c:01:02:03"})
    assert (ident.maker, ident.brand, ident.relationship) == (
        "hikvision",
        "ezviz",
        Relationship.SUBSIDIARY,
    )


def test_not_covered_chinese_and_western_makers_are_identified_positively() -> None:
    uniview = identify({"mac": "48:ea:63:01:02:03", "onvif.model": "IPC2124LR3-PF40M-D"})
    reolink = identify({"mac": "ec:71:db:01:02:03", "http.title": "Reolink"})
    axis = identify({"mac": "ac:cc:8e:01:02:03", "onvif.manufacturer": "AXIS"})
    assert (uniview.maker, reolink.maker, axis.maker) == ("uniview", "reolink", "axis")
    for ident in (uniview, reolink, axis):
        assert ident.relationship == Relationship.OWN_BRAND and ident.confidence > 0.7
        assert not {r.indicates for r in ident.reasons} & {"hikvision", "dahua"}


def test_hisilicon_no_name_camera_has_no_maker_but_a_component_flag() -> None:
    ident = identify({"onvif.manufacturer": "IPCAM", "telnet.banner": "Hi3518 login:"})
    assert ident.maker is None and ident.relationship == Relationship.UNKNOWN
    assert ident.component_flags == ("hisilicon_soc",)


def test_hisilicon_processor_on_a_dahua_box_is_both() -> None:
    ident = identify({"dahua.processor": "Hi3536", "dahua.deviceType": "NVR4108HS-8P-4KS2"})
    assert ident.maker == "dahua" and "hisilicon_soc" in ident.component_flags


def test_randomized_mac_is_no_maker_evidence() -> None:
    ident = identify({"mac": "da:a1:19:00:00:01"})
    assert ident.maker is None and ident.confidence == 0
    [reason] = ident.reasons
    assert reason.weight == 0 and reason.detail == "randomized MAC: no maker evidence"


def test_conflicting_onvif_and_sadp_shows_the_conflict_and_lowers_confidence() -> None:
    clean = identify(GENUINE_SADP)
    lying = identify({**GENUINE_SADP, "onvif.manufacturer": "Dahua"})
    assert lying.maker == "hikvision" and lying.brand == "hikvision"
    [conflict] = lying.conflicts
    assert conflict.indicates == "dahua" and conflict.field == "onvif.manufacturer"
    assert lying.confidence < clean.confidence - 0.1


def test_user_typed_brand_alone_is_low_confidence_and_says_likely() -> None:
    ident = identify({"user.brand": "Annke"})
    assert ident.brand == "annke" and ident.maker == "hikvision"
    assert ident.relationship == Relationship.OEM
    assert ident.confidence <= 0.3
    assert any(r.detail.startswith("likely Hikvision") for r in ident.reasons)


def test_brand_with_two_makers_behind_it_names_no_maker() -> None:
    ident = identify({"user.brand": "Swann"})
    assert ident.brand == "swann" and ident.maker is None


def test_port_profile_alone_is_too_thin() -> None:
    ident = identify({"ports": (80, 554, 8000)})
    assert ident.maker is None and ident.relationship == Relationship.UNKNOWN
    assert any(r.indicates == "hikvision" for r in ident.reasons)


def test_banner_alone_names_a_likely_maker_with_modest_confidence() -> None:
    ident = identify({"http.server": "App-webs/"})
    assert ident.maker == "hikvision" and 0.3 <= ident.confidence < 0.5
    assert "likely Hikvision" in ident.reasons[0].detail


def test_unknown_fields_and_empty_input_do_not_crash() -> None:
    assert identify({}).maker is None
    assert identify({"weird.field": "x", "ports": (), "wsd.scopes": ("",)}).maker is None


def test_model_inside_an_onvif_scope_is_recognised() -> None:
    ident = identify(
        {
            "wsd.scopes": (
                "onvif://www.onvif.org/hardware/IPC-HFW2228M-I1-V2",
                "onvif://www.onvif.org/location/country/china",
                "onvif://www.onvif.org/name/Dahua",
            )
        }
    )
    assert ident.maker == "dahua" and ident.model == "IPC-HFW2228M-I1-V2"


def test_a_merged_device_is_identified_like_its_flat_evidence() -> None:
    device = Device(key="mac:58:50:ed:1f:e3:85")
    device.add(
        Observation.of(
            "sadp", sadp__DeviceDescription="DS-2CD2385G1-I", sadp__MAC="58-50-ed-1f-e3-85"
        )
    )
    device.add(Observation.of("http", ip="198.18.0.10", http__server="App-webs/"))
    ident = identify(device)
    assert ident.maker == "hikvision" and ident.model == "DS-2CD2385G1-I"
    assert identify(device.flat()).to_dict() == ident.to_dict()


def test_hisilicon_oui_is_a_component_not_a_maker() -> None:
    ident = identify({"mac": "84:8a:59:01:02:03"})
    assert ident.maker is None and ident.component_flags == ("hisilicon_soc",)


def test_hostile_huge_values_are_cut_not_choked_on() -> None:
    huge = "DS-2CD2385G1-I" + "A" * 2_000_000
    ident = identify({"onvif.model": huge, "http.server": "x" * 5_000_000})
    assert ident.maker == "hikvision"
    assert all(len(r.value) <= 2048 for r in ident.reasons)


def test_brand_first_in_a_scope_name_is_read() -> None:
    ident = identify({"wsd.scopes": ("onvif://www.onvif.org/name/AXIS P1455-LE",)})
    assert (ident.maker, ident.brand) == ("axis", "axis")


def test_self_reported_own_brand_names_the_maker_despite_old_oem_lines() -> None:
    # Honeywell once relabelled Dahua and Hikvision recorders; those links have ended.
    ident = identify({"onvif.manufacturer": "Honeywell"}, on=dt.date(2026, 1, 1))
    assert ident.maker == "honeywell" and ident.relationship == Relationship.OWN_BRAND


def test_mac_prefix_from_an_inventory() -> None:
    amcrest = identify({"mac_prefix": "00:65:1E"})
    assert (amcrest.maker, amcrest.brand) == ("dahua", "amcrest")
    assert amcrest.confidence <= 0.3  # brand owner's block: the maker is only likely
    assert identify({"mac_prefix": "4c-bd-8f"}).maker == "hikvision"
    # 24 bits cannot tell the MA-M sub-blocks of 40:2C:76 apart
    [reason] = identify({"mac_prefix": "40:2c:76"}).reasons
    assert reason.rule == "oui:ambiguous" and reason.weight == 0


@pytest.mark.parametrize(
    "scopes",
    [
        "onvif://www.onvif.org/name/Panasonic onvif://www.onvif.org/hardware/WV-V1330LK",
        "onvif://www.onvif.org/name/Panasonic, onvif://www.onvif.org/hardware/WV-V1330LK",
        ["onvif://www.onvif.org/name/Panasonic", "onvif://www.onvif.org/hardware/WV-V1330LK"],
    ],
)
def test_scopes_as_one_string_are_the_same_scopes(scopes: object) -> None:
    """WS-Discovery's Scopes element is a space-separated list; logs and inventories also join
    it with commas: each URI is read on its own however it is written."""
    identity = identify({"wsd.scopes": scopes})  # type: ignore[dict-item]
    assert identity.maker == "panasonic"
    assert identity.model == "WV-V1330LK"


def test_a_reolink_product_name_is_a_word_of_its_own() -> None:
    assert identify({"user.model": "E1 Zoom"}).maker == "reolink"
    assert identify({"user.model": "E1750"}).maker != "reolink"  # a Huawei modem
