"""The TCP and L2 probes one by one against the lab (inside the scanner namespace)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from core.model import Observation
from discovery import arp, ports
from discovery.base import ProbeContext
from discovery.targets import parse_targets
from lab.state import LabState

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]


def profiles(lab: LabState) -> dict[str, Mapping[str, Any]]:
    rendered = json.loads((Path(lab.request_log).parent / "devices.json").read_text())
    return {d.ip: rendered[d.name]["profile"] for d in lab.devices}


async def _collect(probe: Any, ctx: ProbeContext) -> list[Any]:
    return [item async for item in probe(ctx)]


def test_arp_sweep_finds_every_device_with_its_own_mac(lab: LabState) -> None:
    ctx = ProbeContext(interface="eth0", networks=parse_targets([lab.subnet]), timeout=1.0)
    items = asyncio.run(_collect(arp.probe, ctx))
    found = {o.ip: (o.mac, o.method) for o in items if isinstance(o, Observation)}
    assert found == {d.ip: (d.mac, "arp-sweep") for d in lab.devices}


def test_port_probe_sees_each_service_port(lab: LabState) -> None:
    served = profiles(lab)
    ctx = ProbeContext(
        interface="eth0", networks=parse_targets([lab.subnet]), hosts=tuple(served), timeout=1.0
    )
    items = asyncio.run(_collect(ports.probe, ctx))
    open_ports: dict[str | None, set[object]] = {}
    for o in items:
        if isinstance(o, Observation) and isinstance(o.fields["ports"], tuple):
            open_ports[o.ip] = set(o.fields["ports"])
    for ip, prof in served.items():
        services = prof.get("services", {})
        for name, default in (("http", 80), ("rtsp", 554)):
            if name in services:
                port = int(services[name].get("port", default))
                assert port in open_ports.get(ip, set()), f"{prof['id']} {ip}: {name} port {port}"
        if not {"http", "onvif", "rtsp", "tarpit"} & set(services):
            assert not open_ports.get(ip), f"{prof['id']} {ip} runs no TCP service"


def test_without_raw_socket_privilege_macs_come_from_the_neighbour_table(
    lab: LabState, tmp_path: Path
) -> None:
    out = tmp_path / "scan.json"
    env = {**os.environ, "CAMAUDIT_LAB_ONLY": "1"}
    proc = subprocess.run(
        # root without CAP_NET_RAW: the sweep is refused, everything else works
        ["setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw",
         sys.executable, "-m", "main", "scan", "--interface", "eth0", "--methods", "arp,ports",
         "--ports", "80,554,8000", "--timeout", "1", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 3), proc.stderr[-1500:]
    assert "no_privilege" in proc.stderr  # the sweep said why it did not run
    devices = {d["ip"]: d for d in json.loads(out.read_text())["devices"]}
    tcp_devices = [
        d for d in lab.devices if {"http", "rtsp", "onvif"} & set(profiles(lab)[d.ip]["services"])
    ]
    assert tcp_devices
    for entry in tcp_devices:
        dev = devices[entry.ip]
        assert dev["mac"] == entry.mac
        assert dev["mac_method"] == "neighbour-table"
