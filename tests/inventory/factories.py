"""Scans and devices for inventory tests, built the way the scanner builds them.

Observations are merged with core.merge, then given an Identity and Verdicts the way
vendors.identify / vendors.judge would (their real output shapes, our chosen values).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from core.merge import merge
from core.model import (
    Citation,
    Device,
    Identity,
    Observation,
    Reason,
    Relationship,
    Scan,
    SiteProfile,
    Verdict,
    VerdictStatus,
)

NDAA = Citation(
    "NDAA FY2019 §889",
    "§889(f)(3)(B)",
    "https://www.acquisition.gov/far/52.204-25",
    "2019-08-13",
)
FCC = Citation(
    "FCC Covered List",
    "47 CFR 1.50002",
    "https://www.fcc.gov/supplychain/coveredlist",
    "2021-03-12",
)
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def device(
    ip: str,
    mac: str,
    maker: str | None,
    brand: str | None,
    status: VerdictStatus,
    *,
    model: str = "",
    firmware: str = "",
    serial: str = "",
    location: str = "",
    confidence: float = 0.9,
    fcc_status: VerdictStatus | None = None,
    extra: dict[str, str] | None = None,
    seen_at: dt.datetime = T0,
) -> Device:
    fields = {"onvif__manufacturer": brand or "", "onvif__model": model}
    if firmware:
        fields["onvif__firmware"] = firmware
    if serial:
        fields["onvif__serial"] = serial
    if location:
        fields["user__location"] = location
    observations = [
        Observation.of("arp", method="arp-sweep", ip=ip, mac=mac),
        Observation.of("onvif", ip=ip, **fields, **(extra or {})),
    ]
    observations = [Observation(o.source, o.fields, seen_at, o.method) for o in observations]
    (dev,) = merge(observations)
    relationship = Relationship.OWN_BRAND if maker == brand else Relationship.OEM
    reasons = (
        Reason("mac", mac, f"oui:{mac[:8]}", 0.6, maker, "OUI registered to the maker"),
        Reason("onvif.manufacturer", brand or "", f"brand:{brand}", 0.3, maker),
    )
    dev.identity = Identity(
        maker,
        brand,
        relationship if maker else Relationship.UNKNOWN,
        model=model or None,
        firmware=firmware or None,
        serial=serial or None,
        confidence=confidence if maker else 0.0,
        reasons=reasons if maker else (),
        component_flags=("hisilicon_soc",) if status is VerdictStatus.COMPONENT_RISK else (),
    )
    dev.verdicts["ndaa889"] = Verdict(
        "ndaa889", status, maker, (f"made by {maker or 'unknown'}",), (NDAA,)
    )
    if fcc_status is not None:
        dev.verdicts["fcc_covered_list"] = Verdict(
            "fcc_covered_list", fcc_status, maker, ("Covered List entry",), (FCC,)
        )
    return dev


_KINDS: tuple[tuple[str | None, str | None, VerdictStatus, str], ...] = (
    ("hikvision", "hikvision", VerdictStatus.COVERED, "DS-2CD2143G0-I"),
    ("hikvision", "annke", VerdictStatus.LIKELY_COVERED, "C800"),
    ("dahua", "dahua", VerdictStatus.COVERED_FOR_USE, "IPC-HDW2431T-AS-S2"),
    ("axis", "axis", VerdictStatus.NOT_COVERED, "P1375"),
    ("uniview", "uniview", VerdictStatus.COMPONENT_RISK, "IPC2124LB-SF28KM-G"),
    (None, None, VerdictStatus.UNKNOWN, ""),
    ("bosch", "bosch", VerdictStatus.NOT_COVERED, "FLEXIDOME IP 5000i"),
)


def fleet(n: int, *, offset: int = 0, seen_at: dt.datetime = T0) -> list[Device]:
    """``n`` varied devices with distinct MACs/IPs (every 7th kind repeats)."""
    out = []
    for i in range(offset, offset + n):
        maker, brand, status, model = _KINDS[i % len(_KINDS)]
        out.append(
            device(
                f"198.18.{i // 250}.{i % 250 + 1}",
                f"02:00:00:{i >> 16 & 0xFF:02x}:{i >> 8 & 0xFF:02x}:{i & 0xFF:02x}",
                maker,
                brand,
                status,
                model=model,
                firmware=f"V5.{i % 9}.{i % 4} build 2{i % 10}0101" if maker else "",
                serial=f"SN{i:08d}" if maker else "",
                location=f"Building {i % 5 + 1}, floor {i % 3}",
                fcc_status=status if status is not VerdictStatus.COMPONENT_RISK else None,
                seen_at=seen_at,
            )
        )
    return out


def scan(
    devices: Sequence[Device] = (),
    *,
    targets: tuple[str, ...] = ("198.18.0.0/22",),
    started: dt.datetime = T0,
    options: dict[str, object] | None = None,
) -> Scan:
    return Scan(
        targets=targets,
        methods=("arp", "wsd", "onvif", "http"),
        site=SiteProfile(assessment_date=started.date()),
        policies=("ndaa889", "fcc_covered_list"),
        options=dict(options or {}),
        started_at=started,
        data_versions={"oui": "2026-10-01", "catalogue": "2026.11", "policies": "2026.11"},
        devices=list(devices),
    )
