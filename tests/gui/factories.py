"""Devices for GUI tests, built the way the scanner builds them (observations -> merge)."""

from __future__ import annotations

from core.merge import merge
from core.model import (
    Citation,
    Device,
    Identity,
    Observation,
    Reason,
    Relationship,
    Verdict,
    VerdictStatus,
)

NDAA = Citation(
    "NDAA FY2019 §889", "§889(f)(3)(B)", "https://www.acquisition.gov/far/52.204-25", "2019-08-13"
)


def device(
    ip: str,
    mac: str,
    maker: str | None,
    brand: str | None,
    status: VerdictStatus,
    model: str = "",
    confidence: float = 0.9,
) -> Device:
    (dev,) = merge(
        [
            Observation.of("arp", method="arp-sweep", ip=ip, mac=mac),
            Observation.of("onvif", ip=ip, onvif__manufacturer=brand or "", onvif__model=model),
        ]
    )
    relationship = Relationship.OWN_BRAND if maker == brand else Relationship.OEM
    reasons = (Reason("mac", mac, f"oui:{mac[:8]}", 0.5, maker, "OUI registered to the maker"),)
    dev.identity = Identity(
        maker,
        brand,
        relationship if maker else Relationship.UNKNOWN,
        model=model or None,
        confidence=confidence,
        reasons=reasons,
    )
    dev.verdicts["ndaa889"] = Verdict("ndaa889", status, maker, (f"made by {maker}",), (NDAA,))
    return dev


def sample() -> list[Device]:
    return [
        device(
            "198.18.0.12",
            "44:19:b6:00:00:01",
            "hikvision",
            "hikvision",
            VerdictStatus.COVERED,
            "DS-2CD2143G0-I",
        ),
        device(
            "198.18.0.10",
            "44:19:b6:00:00:02",
            "hikvision",
            "annke",
            VerdictStatus.LIKELY_COVERED,
            "C800",
        ),
        device(
            "198.18.0.11", "ac:cc:8e:00:00:03", "axis", "axis", VerdictStatus.NOT_COVERED, "P1375"
        ),
        device(
            "198.18.0.9", "02:11:22:33:44:55", None, None, VerdictStatus.UNKNOWN, confidence=0.0
        ),
    ]
