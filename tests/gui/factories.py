"""Devices for GUI tests, built the way the scanner builds them (observations -> merge).

The devices themselves come from tests/inventory/factories.py (one way to build a test
device); this module adds the GUI tests' four-device sample.
"""

from __future__ import annotations

from core.model import Device, VerdictStatus
from tests.inventory.factories import device

__all__ = ["device", "sample"]


def sample() -> list[Device]:
    return [
        device(
            "198.18.0.12",
            "44:19:b6:00:00:01",
            "hikvision",
            "hikvision",
            VerdictStatus.COVERED,
            model="DS-2CD2143G0-I",
        ),
        device(
            "198.18.0.10",
            "44:19:b6:00:00:02",
            "hikvision",
            "annke",
            VerdictStatus.LIKELY_COVERED,
            model="C800",
        ),
        device(
            "198.18.0.11",
            "ac:cc:8e:00:00:03",
            "axis",
            "axis",
            VerdictStatus.NOT_COVERED,
            model="P1375",
        ),
        device(
            "198.18.0.9", "02:11:22:33:44:55", None, None, VerdictStatus.UNKNOWN, confidence=0.0
        ),
    ]
