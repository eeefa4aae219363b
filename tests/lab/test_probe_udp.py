"""The UDP discovery probes (WS-Discovery, SADP, DHIP, SSDP, mDNS) against the live lab.

Each probe must find exactly the devices whose profile enables its service, record a
Problem (never crash) for hostile devices, finish within its time budget, and send only
inquiry/search/probe messages (the lab's request log is the proof).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from core.model import Observation, Problem
from discovery import dhip, mdns, sadp, ssdp, wsd
from discovery.base import ProbeContext
from lab import netns, profile
from lab.requestlog import read_log
from lab.state import DeviceEntry, LabState
from tests.lab.helpers import DEVICES_ENV

pytestmark = pytest.mark.lab

ProbeFn = Callable[[ProbeContext], AsyncIterator[Observation | Problem]]


def _ctx(lab: LabState, timeout: float = 1.5, hosts: tuple[str, ...] = ()) -> ProbeContext:
    return ProbeContext(
        interface="eth0",
        networks=[ipaddress.IPv4Network(lab.subnet)],
        hosts=hosts,
        timeout=timeout,
    )


def _run(probe: ProbeFn, ctx: ProbeContext) -> tuple[list[Observation], list[Problem], float]:
    async def collect() -> list[Observation | Problem]:
        return [item async for item in probe(ctx)]

    started = time.monotonic()
    items = asyncio.run(collect())
    elapsed = time.monotonic() - started
    observations = [i for i in items if isinstance(i, Observation)]
    errors = [i for i in items if isinstance(i, Problem)]
    return observations, errors, elapsed


def _with(lab: LabState, service: str, test: Callable[[DeviceEntry], bool] = bool) -> set[str]:
    return {d.ip for d in lab.devices if service in d.services and test(d)}


_PROFILES = profile.load_profiles()
# The default mix holds the hostile profiles; a sized lab (CAMAUDIT_LAB_DEVICES) may not.
DEFAULT_MIX = not os.environ.get(DEVICES_ENV)


def _profile(lab: LabState, device: DeviceEntry) -> Mapping[str, Any]:
    return _PROFILES[device.profile_id].data


def _hostile(lab: LabState, service: str, key: str) -> set[str]:
    out = set()
    for d in lab.devices:
        conf = _profile(lab, d).get("services", {}).get(service, {})
        if service in d.services and isinstance(conf, dict) and conf.get(key):
            out.add(d.ip)
    return out


def _garbage(lab: LabState, port: int) -> set[str]:
    out = set()
    for d in lab.devices:
        conf = _profile(lab, d).get("services", {}).get("garbage", {})
        if "garbage" in d.services and port in conf.get("ports", []):
            out.add(d.ip)
    return out


def _check_expect(lab: LabState, probe: str, observed: set[str], errored: set[str]) -> None:
    """The realistic profiles' [expect] probes agree: a device found by ``probe`` expects
    it, and a device expecting it was found or gave a recorded error.  (Hostile profiles
    expect nothing; what they must produce is checked by each test.)"""
    realistic = {d.ip: d for d in lab.devices if _PROFILES[d.profile_id].realistic}
    expecting = {
        ip for ip, d in realistic.items() if probe in _PROFILES[d.profile_id].expect["probes"]
    }
    assert observed & realistic.keys() <= expecting, f"{probe} found unexpected devices"
    assert expecting <= observed | errored, f"{probe} missed {sorted(expecting - observed)}"


def _kinds_sent(lab: LabState, since: float, protocol: str) -> set[str]:
    return {r.kind for r in read_log(lab, since=since, protocol=protocol)}


def test_sadp_finds_every_sadp_device_and_sends_only_inquiry(lab: LabState) -> None:
    since = time.time()
    observations, errors, elapsed = _run(sadp.probe, _ctx(lab))
    assert {o.ip for o in observations} == _with(lab, "sadp")
    assert all(o.serial and o.mac for o in observations)
    assert {e.ip for e in errors} == _garbage(lab, sadp.PORT)
    assert all(e.kind == "parse" for e in errors)
    assert elapsed < 1.5 + 1.0
    assert _kinds_sent(lab, since, "sadp") == {"inquiry"}
    _check_expect(lab, "sadp", {o.ip or "" for o in observations}, {e.ip for e in errors})


def test_dhip_finds_dahua_devices_and_refuses_forged_lengths(lab: LabState) -> None:
    since = time.time()
    observations, errors, _ = _run(dhip.probe, _ctx(lab))
    forged = _hostile(lab, "dhip", "length_mismatch")
    assert forged or not DEFAULT_MIX, "the default mix has a device whose DHIP lengths lie"
    assert {o.ip for o in observations} == _with(lab, "dhip") - forged
    assert all(o.fields.get("dhip.SerialNo") for o in observations)
    assert {e.ip for e in errors} == forged
    assert all("length fields" in e.message for e in errors)
    assert _kinds_sent(lab, since, "dhip") == {"DHDiscover.search"}
    _check_expect(lab, "dhip", {o.ip or "" for o in observations}, {e.ip for e in errors})


def test_wsd_finds_every_responder_and_records_hostile_xml(lab: LabState) -> None:
    since = time.time()
    observations, errors, elapsed = _run(wsd.probe, _ctx(lab))
    hostile = _hostile(lab, "wsd", "raw_reply")
    assert len(hostile) >= 3 or not DEFAULT_MIX  # malformed XML, entity bomb, XXE
    assert {o.ip for o in observations} == _with(lab, "wsd") - hostile
    assert {e.ip for e in errors} == hostile | _garbage(lab, wsd.PORT)
    assert elapsed < 1.5 + 1.0
    assert _kinds_sent(lab, since, "wsd") == {"probe"}
    _check_expect(lab, "wsd", {o.ip or "" for o in observations}, {e.ip for e in errors})
    cameras = [o for o in observations if "dn:NetworkVideoTransmitter" in _list(o, "wsd.types")]
    assert cameras and all(_list(o, "wsd.scopes") for o in cameras)
    assert not any("%20" in s for o in cameras for s in _list(o, "wsd.scopes"))


def _list(obs: Observation, field: str) -> tuple[str, ...]:
    value = obs.fields.get(field, ())
    assert isinstance(value, tuple)
    return tuple(str(v) for v in value)


def test_wsd_unicast_reaches_listed_hosts(lab: LabState) -> None:
    targets = tuple(sorted(_with(lab, "wsd") - _hostile(lab, "wsd", "raw_reply")))[:3]
    observations, _, _ = _run(wsd.probe, _ctx(lab, hosts=targets))
    assert set(targets) <= {o.ip for o in observations}
    endpoints = [o.fields.get("wsd.endpoint") for o in observations if o.method == "probe"]
    assert len(endpoints) == len(set(endpoints))  # multicast + unicast answers deduplicated


def test_ssdp_finds_upnp_devices_and_reads_their_descriptions(lab: LabState) -> None:
    since = time.time()
    observations, errors, elapsed = _run(ssdp.probe, _ctx(lab))
    replies = {o.ip or "" for o in observations if o.method == "m-search"}
    described = {o.ip or "" for o in observations if o.method == "description"}
    assert replies == _with(lab, "ssdp")
    assert described and described <= replies
    assert all(o.fields.get("ssdp.manufacturer") for o in observations if o.method == "description")
    hostile = _hostile(lab, "ssdp", "raw_description")  # entity bomb, XXE
    assert described == replies - hostile
    assert {e.ip for e in errors if e.kind == "parse"} == hostile | _garbage(lab, ssdp.PORT)
    assert not any("root:" in e.message for e in errors)  # /etc/passwd never read
    assert elapsed < 1.5 + 2.0
    assert _kinds_sent(lab, since, "ssdp") == {"M-SEARCH"}
    _check_expect(lab, "ssdp", replies, {e.ip for e in errors})


def test_mdns_finds_every_registered_service(lab: LabState) -> None:
    observations, _, elapsed = _run(mdns.probe, _ctx(lab, timeout=3.0))
    expected = {
        (d.ip, str(s["type"]).rstrip("."))
        for d in lab.devices
        if "mdns" in d.services
        for s in _profile(lab, d)["services"]["mdns"]["service"]
    }
    assert {(o.ip, o.fields["mdns.service"]) for o in observations} == expected
    assert all(o.fields.get("hostname") for o in observations)
    _check_expect(lab, "mdns", {o.ip or "" for o in observations}, set())
    assert elapsed < 3.0 + 2.0


def test_wsd_loses_no_reply_from_200_devices(make_lab: Any, tmp_path: Path) -> None:
    mix = tmp_path / "wsd200_mix.toml"
    wsd_profiles = ("amcrest-ipc", "axis-ipc", "bosch-ipc", "dahua-ipc", "hanwha-ipc")
    mix.write_text("".join(f'[[device]]\nprofile = "{p}"\ncount = 40\n' for p in wsd_profiles))
    big = make_lab(profile.build_mix(mix_file=mix), prefix=f"w{os.getpid() % 10**6}")
    assert len(big.devices) == 200
    switch = netns.NamespaceSwitch()
    try:
        with switch.inside(big.scanner_ns):
            observations, errors, elapsed = _run(wsd.probe, _ctx(big, timeout=1.0))
    finally:
        switch.close()
    assert {o.ip for o in observations if o.method == "probe"} == {d.ip for d in big.devices}
    assert errors == []
    assert elapsed < 1.0 + 1.5


def test_probes_stop_promptly_when_cancelled(lab: LabState) -> None:
    async def cancel_after(probe: ProbeFn, delay: float) -> float:
        async def consume() -> None:
            async for _ in probe(_ctx(lab, timeout=30.0)):
                pass

        task = asyncio.create_task(consume())
        await asyncio.sleep(delay)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    for probe in (wsd.probe, sadp.probe, dhip.probe, ssdp.probe, mdns.probe):
        assert asyncio.run(cancel_after(probe, 0.3)) < 1.0, probe.__module__
