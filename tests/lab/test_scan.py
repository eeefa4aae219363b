"""``camaudit scan`` against the lab's default mix, from inside the scanner namespace.

One scan runs as the real command (a subprocess, JSON out) with a credentials file for ONE
device; a second runs in-process with every device's credentials.  They prove: every device
is found with its MAC; each probe finds exactly the devices whose profile runs that service;
hostile devices cost recorded per-device errors and nothing else; the request log shows no
write and credentials used only where given; Ctrl-C returns within a second; a capture of a
scan yields the same devices passively.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from core.model import Device
from discovery.credentials import parse_credentials
from discovery.events import Finished
from discovery.request import ScanRequest
from discovery.scan import scan
from discovery.targets import parse_targets
from lab.requestlog import read_log
from lab.state import LabState
from tests.lab.helpers import in_scanner

pytestmark = [pytest.mark.lab, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCAN_BUDGET_S = 40.0  # the default mix with a tarpit, a 20 MB reply and bombs in it
MY_PROBES = ("http", "rtsp", "onvif")


def profiles(lab: LabState) -> dict[str, Mapping[str, Any]]:
    """Each device's rendered profile, by IP (what the emulator serves)."""
    rendered = json.loads((Path(lab.request_log).parent / "devices.json").read_text())
    return {d.ip: rendered[d.name]["profile"] for d in lab.devices}


def credentials_toml(lab: LabState, only: str | None = None) -> str:
    out = []
    for ip, prof in profiles(lab).items():
        cred = prof.get("credentials")
        if cred and (only is None or ip == only):
            out.append(
                f'[[credential]]\ntarget = "{ip}"\nusername = "{cred["user"]}"\n'
                f'password = "{cred["password"]}"\n'
            )
    return "\n".join(out)


def cli_scan(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command as a process; it inherits the scanner namespace from this thread."""
    env = {**os.environ, "CAMAUDIT_LAB_ONLY": "1"}
    return subprocess.run(
        [sys.executable, "-m", "main", "scan", "--interface", "eth0", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )  # fmt: skip


def first_with_credentials(lab: LabState) -> str:
    """A Hikvision IP camera with credentials: ISAPI is where a password matters most."""
    for ip, prof in profiles(lab).items():
        if prof["id"] == "hikvision-ipc" and prof.get("credentials"):
            return ip
    pytest.skip("the lab mix has no hikvision-ipc with credentials")


@pytest.fixture(scope="module")
def one_cred_scan(lab: LabState, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with in_scanner(lab):
        return _one_cred_scan(lab, tmp_path_factory)


def _one_cred_scan(lab: LabState, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("scan")
    target = first_with_credentials(lab)
    creds = tmp / "creds.toml"
    creds.write_text(credentials_toml(lab, only=target))
    out_json = tmp / "scan.json"
    since = time.time()
    start = time.monotonic()
    proc = cli_scan("--credentials", str(creds), "--json", str(out_json))
    elapsed = time.monotonic() - start
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    data = json.loads(out_json.read_text())
    return {
        "proc": proc,
        "elapsed": elapsed,
        "data": data,
        # every address a device answered on (two lab boxes sharing a MAC merge into one)
        "devices": {ip: d for d in data["devices"] for ip in d["ips"]},
        "target": target,
        "since": since,
        "json_text": out_json.read_text(),
    }


def sources(device: Mapping[str, Any]) -> set[str]:
    return {e["source"] for e in device["evidence"]}


def test_every_device_is_found_with_its_mac(lab: LabState, one_cred_scan: dict[str, Any]) -> None:
    found = one_cred_scan["devices"]
    for entry in lab.devices:
        assert entry.ip in found, f"{entry.name} ({entry.profile_id}) at {entry.ip} not found"
        assert found[entry.ip]["mac"] == entry.mac, entry.name
        assert found[entry.ip]["mac_method"] == "arp-sweep"
    assert one_cred_scan["elapsed"] < SCAN_BUDGET_S


def test_each_tcp_probe_finds_exactly_the_devices_running_that_service(
    lab: LabState, one_cred_scan: dict[str, Any]
) -> None:
    found, served = one_cred_scan["devices"], profiles(lab)
    for probe in MY_PROBES:
        expected = {
            ip
            for ip, prof in served.items()
            if probe in prof.get("services", {})
            # ONVIF is SOAP over HTTP: an ONVIF device answers the HTTP banner probe too.
            or (probe == "http" and "onvif" in prof.get("services", {}))
        }
        expected -= {ip for ip, p in served.items() if "tarpit" in p.get("services", {})}
        seen = {ip for ip, dev in found.items() if probe in sources(dev)}
        assert seen == expected, f"{probe}: missing {expected - seen}, unexpected {seen - expected}"


def test_hostile_devices_cost_recorded_errors_only(
    lab: LabState, one_cred_scan: dict[str, Any]
) -> None:
    found, served = one_cred_scan["devices"], profiles(lab)
    for ip, prof in served.items():
        dev = found[ip]
        kinds = {e["kind"] for e in dev["errors"]}
        if "tarpit" in prof.get("services", {}):
            assert "timeout" in kinds or "unreachable" in kinds, dev["errors"]
        elif prof.get("services", {}).get("http", {}).get("huge_mb"):
            assert "oversize" in kinds
        elif prof["category"] == "realistic":
            mine = [e for e in dev["errors"] if e["source"] in (*MY_PROBES, "ports", "arp")]
            assert mine == [], f"{prof['id']} at {ip}: {mine}"


def test_no_write_request_and_credentials_only_where_given(
    lab: LabState, one_cred_scan: dict[str, Any]
) -> None:
    records = read_log(lab, since=one_cred_scan["since"])
    assert records, "the request log is empty: did the scan reach the lab?"
    target = one_cred_scan["target"]
    for r in records:
        if r.protocol == "onvif":
            assert r.kind.startswith("Get"), r
            assert not r.detail.get("write"), r
        if r.detail.get("write"):
            # The lab's web server calls every POST a write; ours are the ONVIF SOAP read
            # (GetSystemDateAndTime, proven read by the onvif records) and the RPC2 challenge.
            assert r.kind in ("POST /onvif/device_service", "POST /RPC2_Login"), r
        if r.detail.get("credentials"):
            assert r.ip == target, f"credentials presented to {r.ip} ({r.kind})"
    rpc2 = {r.ip for r in records if r.kind == "POST /RPC2_Login"}
    dahua_family = {ip for ip, p in profiles(lab).items() if "dhip" in p.get("services", {})}
    assert rpc2 <= dahua_family
    assert any(r.ip == target and r.detail.get("credentials") for r in records)


def test_the_password_never_appears_in_any_output(
    lab: LabState, one_cred_scan: dict[str, Any]
) -> None:
    password = profiles(lab)[one_cred_scan["target"]]["credentials"]["password"]
    proc = one_cred_scan["proc"]
    for text in (proc.stdout, proc.stderr, one_cred_scan["json_text"]):
        assert password not in text
    target = one_cred_scan["devices"][one_cred_scan["target"]]
    assert any(e["field"].startswith("isapi.") for e in target["evidence"])


# Identity fields only some services carry (lab/services: onvif.py, ssdp.py); the rest
# (model, serial, firmware) every identity protocol carries.  Hostnames are D1's (mDNS/WSD).
SERVED_BY = {"manufacturer": {"onvif", "ssdp"}, "hardware_id": {"onvif"}}


def _identity_gaps(prof: Mapping[str, Any], dev: Device) -> list[str]:
    values = " ".join(str(e.value) for e in dev.evidence).lower().replace(" ", "")
    services = set(prof.get("services", {}))
    gaps = []
    for name, value in prof.get("identity", {}).items():
        if name == "hostname" or not isinstance(value, str) or not value:
            continue
        if name in SERVED_BY and not SERVED_BY[name] & services:
            continue
        if value.lower().replace(" ", "") not in values:  # SADP writes "V5.5.82build 190909"
            gaps.append(name)
    return gaps


def test_with_credentials_every_identity_field_a_profile_serves_is_found(lab: LabState) -> None:
    store = parse_credentials(credentials_toml(lab))
    targets = tuple(str(n) for n in parse_targets([lab.subnet]))
    request = ScanRequest(
        targets, interface="eth0", credentials=store, exclude=(lab.scanner_ip,), origin="test"
    )

    async def run() -> Finished:
        final = None
        async for event in scan(request):
            final = event
        assert isinstance(final, Finished)
        return final

    final = asyncio.run(run())
    by_ip = {ip: d for d in final.devices for ip in d.ips}
    gaps = {
        f"{prof['id']}@{ip}": missing
        for ip, prof in profiles(lab).items()
        if prof["category"] == "realistic" and (missing := _identity_gaps(prof, by_ip[ip]))
    }
    assert gaps == {}


def test_ctrl_c_returns_within_a_second_with_what_was_found(lab: LabState) -> None:
    env = {**os.environ, "CAMAUDIT_LAB_ONLY": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "main", "scan", "--interface", "eth0", "--timeout", "30"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        seen = ""
        deadline = time.monotonic() + 30
        while "phase identify" not in seen and time.monotonic() < deadline:
            seen += proc.stderr.readline()
        time.sleep(0.3)  # mid-identify: the tarpit holds it open for 30 s
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert elapsed < 1.0, err[-1000:]
    assert proc.returncode in (3, 130), err[-1000:]
    assert "cancelled" in err
    listed = [entry.ip for entry in lab.devices if f" {entry.ip} " in out]
    assert len(listed) == len(lab.devices)  # everything ARP found before the cancel


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump is not installed")
def test_a_capture_of_a_scan_yields_the_same_devices_passively(
    lab: LabState, tmp_path: Path
) -> None:
    capture = tmp_path / "scan.pcap"
    dump = subprocess.Popen(
        ["tcpdump", "-i", "eth0", "-U", "-s", "0", "-w", str(capture)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        time.sleep(1.0)  # tcpdump is listening
        active = cli_scan(
            "--methods", "arp,wsd,sadp,dhip,ssdp,mdns", "--json", str(tmp_path / "a.json")
        )
        assert active.returncode in (0, 3), active.stderr[-1000:]
        time.sleep(0.5)
    finally:
        dump.send_signal(signal.SIGINT)
        dump.wait(10)
    passive = subprocess.run(
        [sys.executable, "-m", "main", "scan", "--pcap", str(capture),
         "--json", str(tmp_path / "p.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert passive.returncode in (0, 3), passive.stderr[-1000:]
    actively = {d["mac"] for d in json.loads((tmp_path / "a.json").read_text())["devices"]}
    passively = {d["mac"] for d in json.loads((tmp_path / "p.json").read_text())["devices"]}
    assert actively <= passively, f"not seen in the capture: {actively - passively}"
