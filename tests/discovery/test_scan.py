"""The orchestrator's own logic, with fake probe functions injected (no network at all):
phase order and what each phase is given, merging into events, per-device errors,
the no-privilege fallback, budgets, sinks and cancellation within one second."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from core.model import Device, Identity, Observation, Problem, Relationship, SiteProfile
from discovery import scan as scanmod
from discovery.base import ProbeContext
from discovery.events import DeviceError, DeviceFound, DeviceUpdated, Finished, Progress
from discovery.request import ScanRequest
from discovery.scan import ScanHooks, scan
from discovery.stop import StopSignal
from tests.discovery.tcp_fakes import sync
from vendors.assess import Assessor

NET = [ipaddress.IPv4Network("198.18.0.0/29")]  # hosts .1 .. .6
CAM, NVR, PC = "198.18.0.2", "198.18.0.3", "198.18.0.4"


class Recorder:
    """Fake probes that remember the context each was given."""

    def __init__(self) -> None:
        self.contexts: dict[str, ProbeContext] = {}
        self.order: list[str] = []

    def probe(self, name: str, *items: Observation | Problem, hang: float = 0.0):
        async def run(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
            self.contexts[name] = ctx
            self.order.append(name)
            for item in items:
                yield item
            if hang:
                await asyncio.sleep(hang)

        return run


def base_probes(rec: Recorder) -> dict[str, Any]:
    return {
        "arp": rec.probe(
            "arp",
            Observation.of("arp", method="arp-sweep", ip=CAM, mac="44:19:b6:00:00:01"),
            Observation.of("arp", method="arp-sweep", ip=NVR, mac="3c:ef:8c:00:00:02"),
        ),
        "wsd": rec.probe(
            "wsd",
            Observation.of(
                "wsd",
                ip=CAM,
                wsd__types=("dn:NetworkVideoTransmitter", "tds:Device"),
                wsd__xaddrs=(f"http://{CAM}:8080/onvif/device_service",),
            ),
            Observation.of(  # a Windows PC: WS-Discovery, but no ONVIF behind its XAddr
                "wsd",
                ip=PC,
                wsd__types=("wsdp:Device", "pub:Computer"),
                wsd__xaddrs=(f"http://{PC}:5357/6a7b",),
            ),
        ),
        "ports": rec.probe(
            "ports",
            Observation.of("ports", ip=CAM, ports=(80, 554, 8000)),
            Observation.of("ports", ip=NVR, ports=(37777,)),
        ),
        "http": rec.probe("http", Observation.of("http", ip=CAM, http__server="App-webs/")),
        "rtsp": rec.probe("rtsp", Problem("rtsp", "timeout", f"{CAM}:554 no answer", ip=CAM)),
        "onvif": rec.probe("onvif"),
    }


Run = tuple[ScanRequest, ScanHooks]


async def run_scan(run: Run) -> list[Any]:
    return [event async for event in scan(*run)]


def options(
    probes: dict[str, Any],
    methods=("arp", "wsd", "ports", "http", "rtsp", "onvif"),
    *,
    stop: StopSignal | None = None,
    on_event: Sequence[Any] = (),
    assessor: Assessor | None = None,
    **kw: Any,
) -> Run:
    targets = tuple(str(n) for n in NET)
    request = ScanRequest(targets, interface="eth-test", methods=methods, origin="test", **kw)
    hooks = ScanHooks(
        stop=stop or StopSignal(), sinks=list(on_event), probes=probes, assessor=assessor
    )
    return request, hooks


@sync
async def test_phases_feed_each_other_and_devices_merge() -> None:
    rec = Recorder()
    events = await run_scan(options(base_probes(rec)))
    # discovery first, then ports on the hosts ARP found, then identification
    assert rec.order.index("ports") > max(rec.order.index("arp"), rec.order.index("wsd"))
    assert set(rec.order[-3:]) == {"http", "rtsp", "onvif"}
    assert sorted(rec.contexts["ports"].hosts) == [CAM, NVR, PC]  # ARP + WS-Discovery
    open_ports = rec.contexts["http"].hints.open_ports
    assert open_ports[CAM] == (80, 554, 8000)
    assert rec.contexts["onvif"].hints.onvif_xaddrs == {
        CAM: (f"http://{CAM}:8080/onvif/device_service",)
    }
    assert rec.contexts["http"].hints.dahua_hosts == {NVR}  # DVRIP port 37777 open
    found = [e.device.ip or "" for e in events if isinstance(e, DeviceFound)]
    assert sorted(found) == [CAM, NVR, PC]  # each box announced once
    final = events[-1]
    assert isinstance(final, Finished) and not final.cancelled
    assert len(final.devices) == 3
    cam = next(d for d in final.devices if d.ip == CAM)
    assert cam.mac == "44:19:b6:00:00:01" and cam.mac_method == "arp-sweep"
    assert cam.first("http.server") == "App-webs/"
    assert set(final.methods) == {"arp", "wsd", "ports", "http", "rtsp", "onvif"}
    assert {"arp", "ports", "total", "phase:identify"} <= set(final.timings)
    assert any(isinstance(e, Progress) and e.phase == "ports" for e in events)


@sync
async def test_per_device_errors_are_kept_and_shown_not_fatal() -> None:
    rec = Recorder()
    events = await run_scan(options(base_probes(rec)))
    errors = [e for e in events if isinstance(e, DeviceError)]
    assert [(e.device.ip if e.device else None, e.error.kind) for e in errors] == [(CAM, "timeout")]
    cam = next(d for d in events[-1].devices if d.ip == CAM)
    assert [e.kind for e in cam.errors] == ["timeout"]


@sync
async def test_a_crashing_probe_costs_only_its_method() -> None:
    rec = Recorder()
    probes = base_probes(rec)

    async def broken(ctx: ProbeContext) -> AsyncIterator[Observation]:
        empty: tuple[Observation, ...] = ()
        for item in empty:  # an async generator that fails before its first item
            yield item
        raise RuntimeError("bug in a parser")

    probes["wsd"] = broken
    events = await run_scan(options(probes))
    final = events[-1]
    assert [(e.source, e.kind) for e in final.errors] == [("wsd", "crash")]
    assert len(final.devices) == 2 and "http" in rec.order


@sync
async def test_without_arp_privilege_ports_sweep_all_hosts_and_the_neighbour_table_gives_macs() -> (
    None
):
    rec = Recorder()
    probes = base_probes(rec)
    probes["arp"] = rec.probe("arp", Problem("arp", "no_privilege", "ARP sweep needs CAP_NET_RAW"))
    probes["neighbours"] = rec.probe(
        "neighbours",
        Observation.of("neighbours", method="neighbour-table", ip=CAM, mac="44:19:b6:00:00:01"),
    )
    events = await run_scan(options(probes))
    assert list(rec.contexts["ports"].hosts) == [f"198.18.0.{i}" for i in range(1, 7)]
    assert rec.order.index("neighbours") > rec.order.index("ports")
    cam = next(d for d in events[-1].devices if d.ip == CAM)
    assert cam.mac_method == "neighbour-table"


@sync
async def test_an_unavailable_method_is_reported_and_the_rest_runs() -> None:
    rec = Recorder()
    probes = base_probes(rec)

    def missing(name: str, overrides: Any) -> Any:
        if name == "sadp":
            raise ImportError("No module named 'discovery.sadp'")
        return overrides[name]

    original = scanmod.resolve_probe
    scanmod.resolve_probe = missing
    try:
        events = await run_scan(options(probes, methods=("arp", "sadp", "ports", "http")))
    finally:
        scanmod.resolve_probe = original
    final = events[-1]
    assert [(e.source, e.kind) for e in final.errors] == [("sadp", "unavailable")]
    assert "sadp" not in final.methods and "http" in final.methods


@sync
async def test_a_hanging_discovery_probe_is_cut_at_its_budget() -> None:
    rec = Recorder()
    probes = base_probes(rec)
    probes["wsd"] = rec.probe(
        "wsd", Observation.of("wsd", ip=CAM, wsd__types="tds:Device"), hang=60
    )
    start = time.monotonic()
    events = await run_scan(
        options(probes, discovery_window=0.2, timeout=0.1, grace=0.5, methods=("wsd",))
    )
    assert time.monotonic() - start < 2  # budget = window + timeout + grace
    final = events[-1]
    assert [(e.source, e.kind) for e in final.errors] == [("wsd", "timeout")]
    assert [d.ip for d in final.devices] == [CAM]  # what it said before hanging is kept


@sync
async def test_cancel_returns_within_a_second_with_what_was_found() -> None:
    rec = Recorder()
    probes = base_probes(rec)
    probes["ports"] = rec.probe("ports", Observation.of("ports", ip=CAM, ports=(80,)), hang=60)
    stop = StopSignal()
    opts = options(probes, stop=stop)
    events: list[Any] = []
    stopped_at = 0.0
    async for event in scan(*opts):
        events.append(event)
        if isinstance(event, DeviceUpdated) and event.device.first("ports") is not None:
            stop.set()  # as the GUI thread or a Ctrl-C handler would
            stopped_at = time.monotonic()
    assert time.monotonic() - stopped_at < 1.0
    final = events[-1]
    assert isinstance(final, Finished) and final.cancelled
    assert {d.ip for d in final.devices} == {CAM, NVR, PC}
    assert "http" not in rec.order  # the identify phase never started


@sync
async def test_closing_the_event_stream_stops_the_probes() -> None:
    rec = Recorder()
    probes = base_probes(rec)
    cancelled = asyncio.Event()

    async def endless(ctx: ProbeContext) -> AsyncIterator[Observation]:
        try:
            yield Observation.of("ports", ip=CAM, ports=(80,))
            await asyncio.sleep(60)
        finally:
            cancelled.set()

    probes["ports"] = endless
    agen = scan(*options(probes))
    async for event in agen:
        if isinstance(event, DeviceUpdated):
            break
    await agen.aclose()
    await asyncio.wait_for(cancelled.wait(), 1.0)


@sync
async def test_sinks_see_every_event_and_a_broken_sink_is_survived() -> None:
    rec = Recorder()
    seen: list[Any] = []

    def broken(event: Any) -> None:
        raise OSError("disk full")

    events = await run_scan(options(base_probes(rec), on_event=[seen.append, broken]))
    assert seen == events
    assert [(e.source, e.kind) for e in events[-1].errors] == [("scan", "sink")]


@sync
async def test_identity_is_set_before_the_event() -> None:
    class MacOnly(Assessor):
        """Names Hikvision by one OUI, judges nothing: the scan must call it per device."""

        def __init__(self) -> None:
            super().__init__(SiteProfile(), None)

        def assess(self, device: Device) -> Device:
            maker = "hikvision" if device.mac and device.mac.startswith("44:19:b6") else None
            device.identity = Identity(
                maker=maker,
                brand=maker,
                relationship=Relationship.OWN_BRAND if maker else Relationship.UNKNOWN,
            )
            return device

    rec = Recorder()
    events = await run_scan(options(base_probes(rec), assessor=MacOnly()))
    first = next(e for e in events if isinstance(e, DeviceFound) and e.device.ip == CAM)
    assert first.device.identity is not None and first.device.identity.maker == "hikvision"
    assert events[-1].totals["with_identity"] == 1


@sync
async def test_events_carry_snapshots_not_the_live_device() -> None:
    rec = Recorder()
    events = await run_scan(options(base_probes(rec)))
    first = next(e for e in events if isinstance(e, DeviceFound) and e.device.ip == CAM)
    assert first.device.first("http.server") is None  # later evidence did not leak backwards


@sync
async def test_the_scanners_own_address_is_never_probed() -> None:
    rec = Recorder()
    probes = base_probes(rec)
    own = "198.18.0.1"
    probes["arp"] = rec.probe(
        "arp",
        Observation.of("arp", method="arp-sweep", ip=CAM, mac="44:19:b6:00:00:01"),
        Observation.of("wsd", ip=own),  # e.g. our own Hello heard on the group
    )
    await run_scan(options(probes, exclude=(own,)))
    assert own not in rec.contexts["ports"].hosts
    assert own not in rec.contexts["http"].hosts
