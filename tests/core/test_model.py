from __future__ import annotations

import datetime as dt
import json

import pytest

from core.model import (
    Citation,
    Device,
    Identity,
    Observation,
    Reason,
    Relationship,
    Scan,
    SiteProfile,
    SiteUse,
    Verdict,
    VerdictStatus,
    ip_sort_key,
    is_locally_administered,
    normalize_mac,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("44:19:B6:00:00:01", "44:19:b6:00:00:01"),
        ("58-50-ed-1f-e3-85", "58:50:ed:1f:e3:85"),  # SADP spelling
        ("38AF29BBBCAB", "38:af:29:bb:bc:ab"),  # Dahua RPC2_Login spelling
        ("5850.ed1f.e385", "58:50:ed:1f:e3:85"),
        ("00:00:00:00:00:00", None),
        ("ff:ff:ff:ff:ff:ff", None),
        ("not a mac", None),
        ("44:19:b6:00:00", None),
    ],
)
def test_normalize_mac(raw: str, expected: str | None) -> None:
    assert normalize_mac(raw) == expected


def test_locally_administered_bit() -> None:
    assert is_locally_administered("02:00:00:00:00:01")
    assert is_locally_administered("da:a1:19:00:00:01")
    assert not is_locally_administered("44:19:b6:00:00:01")


def test_observation_reads_mac_from_vendor_fields() -> None:
    obs = Observation.of("sadp", ip="198.18.0.10", sadp__MAC="44-19-b6-00-00-01")
    assert obs.mac == "44:19:b6:00:00:01"
    assert obs.fields["sadp.MAC"] == "44-19-b6-00-00-01"  # raw value kept as reported


def test_scan_round_trips_through_json() -> None:
    dev = Device(key="mac:44:19:b6:00:00:01")
    dev.add(
        Observation.of(
            "wsd",
            ip="198.18.0.10",
            mac="44:19:b6:00:00:01",
            wsd__scopes=["onvif://www.onvif.org/name/HIKVISION"],
        )
    )
    reason = Reason("mac", "44:19:b6:00:00:01", "oui:44:19:b6", 0.6, "hikvision", "OUI")
    dev.identity = Identity(
        "hikvision",
        "hikvision",
        Relationship.OWN_BRAND,
        model="DS-2CD2143G0-I",
        confidence=0.9,
        reasons=(reason,),
        component_flags=("hisilicon_soc",),
    )
    dev.verdicts["ndaa889"] = Verdict(
        "ndaa889",
        VerdictStatus.COVERED_FOR_USE,
        "hikvision",
        ("made by Hikvision",),
        (Citation("NDAA FY2019", "§889(f)(3)(B)", "https://example.invalid", "2019-08-13"),),
    )
    scan = Scan(
        targets=("198.18.0.0/24",),
        methods=("wsd",),
        site=SiteProfile(uses=(SiteUse.PUBLIC_SAFETY,), assessment_date=dt.date(2026, 11, 29)),
        devices=[dev],
    )
    text = json.dumps(scan.to_dict())
    back = Scan.from_dict(json.loads(text))
    assert back.to_dict() == scan.to_dict()
    assert back.devices[0].identity is not None
    assert back.devices[0].identity.reasons[0].indicates == "hikvision"
    assert back.devices[0].values("wsd.scopes") == [("onvif://www.onvif.org/name/HIKVISION",)]


def test_flagged_statuses() -> None:
    assert VerdictStatus.COVERED.flagged and VerdictStatus.LIKELY_COVERED.flagged
    assert not VerdictStatus.NOT_COVERED.flagged and not VerdictStatus.UNKNOWN.flagged


def test_text_takes_the_first_non_blank_string_in_field_order() -> None:
    dev = Device(key="ip:198.18.0.9")
    dev.add(Observation.of("onvif", ip="198.18.0.9", onvif__firmware="  "))
    dev.add(Observation.of("sadp", ip="198.18.0.9", sadp__SoftwareVersion=" V5.5.82build 190909 "))
    dev.add(Observation.of("ports", ip="198.18.0.9", ports=[80]))
    assert dev.text("onvif.firmware", "sadp.SoftwareVersion") == "V5.5.82build 190909"
    assert dev.text("ports", "http.server") == ""


def test_device_ip_prefers_ipv4_then_global_ipv6_then_link_local() -> None:
    dev = Device(key="mac:ac:cc:8e:6f:71:3a")
    dev.ips = ["fe80::aecc:8eff:fe6f:713a%eth0", "fdca:a0d1:7000::6"]
    assert dev.ip == "fdca:a0d1:7000::6"
    dev.ips.append("198.18.0.9")
    assert dev.ip == "198.18.0.9"
    dev.ips = ["198.18.0.9", "198.18.0.2"]
    assert dev.ip == "198.18.0.9"  # within a family: first seen


def test_ip_sort_key_orders_both_families_and_never_raises() -> None:
    ips = ["fe80::1%eth0", "198.18.0.10", None, "junk", "fd00::1", "198.18.0.9", ""]
    assert sorted(ips, key=ip_sort_key) == [
        "198.18.0.9",
        "198.18.0.10",
        "fd00::1",
        "fe80::1%eth0",
        "junk",
        None,
        "",
    ]
