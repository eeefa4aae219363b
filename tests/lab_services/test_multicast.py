"""Announcements and mDNS, inside a throwaway namespace (multicast never leaves it).

The namespace has only ``lo`` (up, with a 224.0.0.0/4 route), so the WS-Discovery Hello,
the SSDP NOTIFY and zeroconf's packets stay on its loopback.  It is deleted afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def namespace() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 to create a throwaway namespace")
    name = f"camaudit-svc-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "-n", name, "route", "add", "224.0.0.0/4", "dev", "lo"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


PROFILES = ("hikvision-ipc", "axis-ipc", "printer-brother")


@pytest.fixture(scope="module")
def seen(namespace: str) -> dict[str, Any]:
    result = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            namespace,
            sys.executable,
            "-m",
            "tests.lab_services.netns_probe",
            *PROFILES,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def test_hikvision_registers_cgi_service_with_serial_in_the_name(seen):
    hik = {k: v for k, v in seen["mdns"].items() if k.endswith("._CGI._tcp.local.")}
    ((name, info),) = hik.items()
    assert name.startswith("HIKVISION DS-2CD2143G0-I - DS-2CD2143G0-I2019")
    assert info["port"] == 80 and info["txt"]["model"] == "DS-2CD2143G0-I"
    assert info["addresses"] == ["127.0.0.2"]


def test_only_the_onvif_camera_says_hello(seen):
    (hello,) = seen["hello"]  # Hikvision (ONVIF off) and the printer stay silent
    assert "<d:Hello>" in hello and "dn:NetworkVideoTransmitter" in hello
    assert "http://127.0.0.3/onvif/device_service" in hello


def test_axis_registers_axis_video_and_http(seen):
    axis = {k: v for k, v in seen["mdns"].items() if k.startswith("AXIS ")}
    assert {k.split(".", 1)[1] for k in axis} == {"_axis-video._tcp.local.", "_http._tcp.local."}
    video = next(v for k, v in axis.items() if "_axis-video" in k)
    assert len(video["txt"]["macaddress"]) == 12


def test_printer_notifies_over_ssdp_and_registers_ipp(seen):
    (notify,) = seen["notify"]
    assert notify.startswith("NOTIFY * HTTP/1.1\r\n") and "NTS: ssdp:alive" in notify
    assert "LOCATION: http://127.0.0.4/upnp/description.xml" in notify
    assert any(name.endswith("._ipp._tcp.local.") for name in seen["mdns"])
