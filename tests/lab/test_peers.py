"""Tools nobody here wrote, pointed at the lab from the scanner namespace.

If these see the lab the way they see real devices, the lab is a fair stand-in: nmap's ARP
ping scan and WS-Discovery script, python-zeroconf's browser, onvif-zeep-async's client.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from lab import netns, profile
from lab import state as lab_state
from lab.requestlog import read_log
from lab.state import DeviceEntry, LabState

pytestmark = pytest.mark.lab

_HOST = re.compile(r"Nmap scan report for (\S+)\n(?:.*\n)*?MAC Address: (\S+) \((.*)\)")


def _nmap(*args: str) -> str:
    if shutil.which("nmap") is None:
        pytest.skip("nmap is not installed (scripts/bootstrap.sh installs it)")
    result = subprocess.run(
        ["nmap", "-n", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _profiles(lab: LabState) -> Mapping[str, Mapping[str, Any]]:
    return lab_state.read_profiles(lab)


def _first_word(text: str) -> str:
    return re.split(r"[\s,(]", text.strip(), maxsplit=1)[0].lower()


def test_nmap_ping_scan_lists_every_device_with_its_vendor(lab: LabState) -> None:
    found = {ip: (mac, vendor) for ip, mac, vendor in _HOST.findall(_nmap("-sn", lab.subnet))}
    profiles = _profiles(lab)
    assert set(found) == {d.ip for d in lab.devices}  # the scanner itself has no MAC line
    for d in lab.devices:
        mac, vendor = found[d.ip]
        assert mac == d.mac.upper()
        registrant = profiles[d.name]["mac"].get("registrant")
        if registrant:  # nmap abbreviates: "Hangzhou Hikvision Digital Technology"
            assert _first_word(vendor) == _first_word(registrant), (d.name, vendor)


NMAP_WSDD_MAX = 50  # nmap's script loses replies beyond this (lab-facts: 79-93 of 200)


def test_nmap_wsdd_script_sees_every_ws_discovery_responder(
    lab: LabState, make_lab: Callable[..., LabState]
) -> None:
    if sum("wsd" in d.services for d in lab.devices) > NMAP_WSDD_MAX:
        # A big session lab (CAMAUDIT_LAB_DEVICES): check nmap against the default mix.
        lab = make_lab(profile.build_mix(None), prefix=f"w{os.getpid() % 10**6}")
    with netns.entered(lab.scanner_ns):
        out = _nmap("--script", "broadcast-wsdd-discover", "-e", "eth0")
    seen = set(re.findall(r"Address: https?://([\d.]+)[:/]", out))
    responders = [d for d in lab.devices if "wsd" in d.services]
    profiles = _profiles(lab)
    honest = {d.ip for d in responders if profiles[d.name]["category"] == "realistic"}
    assert honest, "the mix has WS-Discovery responders"
    assert honest <= seen, f"nmap missed {sorted(honest - seen)}"
    # Hostile responders (malformed XML ...) may be dropped by nmap's parser, but nothing
    # answers that does not run WS-Discovery.
    assert seen <= {d.ip for d in responders}


def _mdns_expected(lab: LabState) -> set[tuple[str, str]]:
    out = set()
    for name, prof in _profiles(lab).items():
        if "mdns" in lab.device(name).services:
            for svc in prof["services"]["mdns"].get("service", []):
                out.add((svc["type"], f"{svc['name']}.{svc['type']}"))
    return out


def test_zeroconf_browser_sees_the_lab_mdns_services(lab: LabState) -> None:
    from zeroconf import ServiceBrowser, ServiceListener, Zeroconf

    expected = _mdns_expected(lab)
    if not expected:
        pytest.skip("no device in this mix registers mDNS services")
    seen: set[tuple[str, str]] = set()
    lock = threading.Lock()

    class Listener(ServiceListener):
        def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            with lock:
                seen.add((type_, name))

        def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            self.add_service(zc, type_, name)

        def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            pass

    zc = Zeroconf(interfaces=[lab.scanner_ip])
    try:
        ServiceBrowser(zc, sorted({t for t, _ in expected}), Listener())
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not expected <= seen:
            time.sleep(0.1)
    finally:
        zc.close()
    assert expected <= seen, f"missing: {sorted(expected - seen)[:5]}"


def _onvif_devices(lab: LabState) -> list[tuple[DeviceEntry, Mapping[str, Any]]]:
    """One device per ONVIF profile that has credentials (a camera a user can log into)."""
    picked: dict[str, tuple[DeviceEntry, Mapping[str, Any]]] = {}
    profiles = _profiles(lab)
    for d in lab.devices:
        prof = profiles[d.name]
        if "onvif" in d.services and "credentials" in prof and prof.get("category") == "realistic":
            picked.setdefault(d.profile_id, (d, prof))
    return list(picked.values())


async def _device_information(ip: str, user: str, password: str) -> Any:
    from onvif import ONVIFCamera

    cam = ONVIFCamera(ip, 80, user, password)
    try:
        await cam.update_xaddrs()
        service = await cam.create_devicemgmt_service()
        return await service.GetDeviceInformation()
    finally:
        await cam.close()


def test_onvif_zeep_async_reads_device_information_with_digest_auth(lab: LabState) -> None:
    devices = _onvif_devices(lab)
    if not devices:
        pytest.skip("no ONVIF camera with credentials in this mix")
    since = time.time()
    for entry, prof in devices:
        creds, ident = prof["credentials"], prof["identity"]
        info = asyncio.run(_device_information(entry.ip, creds["user"], creds["password"]))
        assert (info.Manufacturer, info.Model) == (ident["manufacturer"], ident["model"])
        assert info.SerialNumber == ident["serial"]
        calls = read_log(lab, since=since, device=entry.name, protocol="onvif")
        assert "GetDeviceInformation" in [r.kind for r in calls]
        # The client used WS-UsernameToken with a digest, never the password in clear.
        digest = [r for r in calls if r.kind == "GetDeviceInformation"][-1].detail
        assert digest.get("password_type") == "digest", digest


def test_onvif_zeep_async_fails_cleanly_with_a_wrong_password(lab: LabState) -> None:
    from onvif.exceptions import ONVIFError
    from zeep.exceptions import Fault

    devices = _onvif_devices(lab)
    if not devices:
        pytest.skip("no ONVIF camera with credentials in this mix")
    entry, prof = devices[0]
    started = time.monotonic()
    with pytest.raises((Fault, ONVIFError), match=r"(?i)not authorized"):
        asyncio.run(_device_information(entry.ip, prof["credentials"]["user"], "wrong-password"))
    assert time.monotonic() - started < 10
