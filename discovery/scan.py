"""The scan orchestrator: runs the probes in phases, merges what they see, emits events.

Phases (docs/design.md, data flow):

1. ``discover``: ARP sweep and the multicast/broadcast protocols (WS-Discovery, SADP,
   DHIP, SSDP, mDNS) at the same time;
2. ``ports``: TCP connects to the live hosts (every host when ARP could not run), then,
   when the ARP sweep lacked privilege, the OS neighbour table for their MACs;
3. ``identify``: HTTP, RTSP and ONVIF on hosts with those ports open.

IPv6 (targets may be IPv6 prefixes, never swept): the discover phase hears devices on
FF02::C and FF02::FB, the ports phase connects to them (one address per box: its IPv4 one
if it has one, else its global IPv6 one, else link-local), and then the IPv6 neighbour table
gives their MACs, which merges a device seen over both families into one
(``core.merge``).

Every observation is merged at once (``core.merge.DeviceMerger``); the device is then
assessed (``vendors.assess``: identity and verdicts) and a :class:`DeviceFound` or
:class:`DeviceUpdated` event carries a snapshot of it.  Per-device problems become
:class:`DeviceError` events and stay on the device; nothing a device does ends the scan.
Setting ``hooks.stop`` (a :class:`StopSignal`: a GUI thread or a signal handler may set it)
cancels at once; :class:`Finished` then says ``cancelled`` and everything found so far is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from core.merge import DeviceMerger
from core.model import Device, Observation, Problem, address_rank
from core.netguard import UnsafeNetworkError
from discovery.base import Probe, ProbeContext, ScanHints
from discovery.events import (
    DeviceError,
    DeviceFound,
    DeviceUpdated,
    Finished,
    Progress,
    ScanEvent,
    Sink,
    snapshot,
)
from discovery.http import url_host
from discovery.methods import DISCOVERY_METHODS, IDENTIFY_METHODS, SCAN_METHODS
from discovery.ports import DEFAULT_PORTS
from discovery.request import ScanRequest
from discovery.stop import StopSignal
from discovery.targets import (
    TargetError,
    in_networks,
    interface_addresses,
    interface_addresses6,
    iter_hosts,
)
from vendors.assess import Assessor

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.25  # at most this often a Progress event while hosts are done

# The probe module of each live method (imported when the method runs: scapy is heavy).
PROBE_MODULES: Mapping[str, str] = {
    **{name: f"discovery.{name}" for name in (*SCAN_METHODS, "neighbours")},
    "routers": "discovery.snmp_walk",  # router and switch tables over SNMP
}


@dataclass
class ScanHooks:
    """The live side of a scan: how to stop it, who else hears its events, probe fakes.

    ``sinks`` get every event as it happens (the inventory store saves devices this way);
    ``probes`` replaces probe functions by method name (tests inject fakes); ``assessor``
    replaces the one built from the request's site and policies.
    """

    stop: StopSignal = field(default_factory=StopSignal)
    sinks: list[Sink] = field(default_factory=list)
    probes: Mapping[str, Probe] = field(default_factory=dict)
    assessor: Assessor | None = None


# ---------------------------------------------------------------- the run


def resolve_probe(name: str, overrides: Mapping[str, Probe]) -> Probe:
    if name in overrides:
        return overrides[name]
    module = importlib.import_module(PROBE_MODULES[name])
    probe: Probe = module.probe
    return probe


class _Run:
    def __init__(self, request: ScanRequest, hooks: ScanHooks) -> None:
        self.request, self.hooks = request, hooks
        self.targets = request.networks()
        self.methods = [m for m in SCAN_METHODS if m in request.methods]
        self.merger = DeviceMerger()
        self.assessor = hooks.assessor or Assessor(request.site, request.policies)
        self.queue: asyncio.Queue[ScanEvent] = asyncio.Queue()
        self.emitted: dict[int, str] = {}  # id(device) -> key last emitted
        self.timings: dict[str, float] = {}
        self.ran: list[str] = []
        self.errors: list[Problem] = self.assessor.load_problems()
        # A credentials file others may read (discovery/credentials.py): the user must see it.
        warn = getattr(request.credentials, "problems", None)
        self.errors += list(warn()) if callable(warn) else []
        self.cancelled = False
        self.phase_name, self.done, self.total = "starting", 0, 0
        self._progress_sent: tuple[str, int, int, int] | None = None
        self._progress_at = 0.0
        self._progress_later: asyncio.TimerHandle | None = None
        self.arp_failed = False
        self.exclude: list[str] = list(request.exclude)
        self.held: list[Observation] = []  # overheard DHCP requests (see overheard)

    # ---- events

    def emit(self, event: ScanEvent) -> None:
        self.queue.put_nowait(event)
        for sink in self.hooks.sinks:
            try:
                sink(event)
            except Exception as exc:  # a broken sink must not end the scan
                log.exception("scan event sink failed")
                if not any(e.kind == "sink" for e in self.errors):
                    self.errors.append(Problem("scan", "sink", f"event sink failed: {exc}"))

    def progress(self, force: bool = False) -> None:
        """Say how far the scan is: now when forced, else at most every PROGRESS_INTERVAL
        (a change inside the interval is sent when it ends: no event is lost, none polled)."""
        state = (self.phase_name, self.done, self.total, len(self.merger))
        if state == self._progress_sent and not force:
            return
        wait = self._progress_at + PROGRESS_INTERVAL - time.monotonic()
        if force or wait <= 0:
            if self._progress_later is not None:
                self._progress_later.cancel()
                self._progress_later = None
            self._progress_sent, self._progress_at = state, time.monotonic()
            self.emit(Progress(*state))
        elif self._progress_later is None:
            self._progress_later = asyncio.get_running_loop().call_later(wait, self._late_progress)

    def _late_progress(self) -> None:
        self._progress_later = None
        self.progress()

    def host_done(self, ip: str) -> None:
        self.done += 1
        self.progress()

    # ---- merging

    def observe(self, obs: Observation) -> None:
        if not obs.ip and not obs.mac and not obs.serial:
            return
        if self.overheard(obs):
            self.held.append(obs)
            return
        dev = self.merger.add(obs)
        self.assessor_safe(dev)
        self.announce(dev)
        self.progress()

    def overheard(self, obs: Observation) -> bool:
        """A DHCP request heard on the segment names a MAC, rarely an address: it may come
        from a device outside the targets, so it waits until a device the scan found has
        that MAC (:meth:`release_overheard`)."""
        return obs.source == "dhcp" and not (obs.ip and in_networks(obs.ip, self.targets))

    def release_overheard(self) -> None:
        known = {d.mac for d in self.merger.devices if d.mac}
        held, self.held = self.held, []
        for obs in held:
            if obs.mac in known:
                self.observe_known(obs)

    def observe_known(self, obs: Observation) -> None:
        dev = self.merger.add(obs)
        self.assessor_safe(dev)
        self.announce(dev)

    def assessor_safe(self, dev: Device) -> None:
        try:
            self.assessor.assess(dev)
        except Exception as exc:  # a rule bug must cost one verdict, not the scan
            log.exception("identify/judge failed for %s", dev.key)
            err = Problem("identify", "crash", f"{type(exc).__name__}: {exc}", ip=dev.ip or "")
            if err.message not in {e.message for e in dev.errors}:
                dev.errors.append(err)

    def announce(self, dev: Device) -> None:
        live = {id(d) for d in self.merger.devices}
        gone = [k for i, k in self.emitted.items() if i not in live]
        for i in [i for i in self.emitted if i not in live]:
            del self.emitted[i]
        previous = self.emitted.get(id(dev))
        self.emitted[id(dev)] = dev.key
        if previous is None and not gone:
            self.emit(DeviceFound(snapshot(dev)))
            return
        replaces = tuple(k for k in (previous, *gone) if k and k != dev.key)
        self.emit(DeviceUpdated(snapshot(dev), replaces))

    def record_error(self, err: Problem) -> None:
        if not err.ip:
            self.errors.append(err)
            self.emit(DeviceError(None, err))
            return
        dev = self.merger.by_ip(err.ip)
        if dev is None:
            dev = self.merger.add(Observation.of(err.source, ip=err.ip))
            self.announce(dev)
        if not any((e.kind, e.message) == (err.kind, err.message) for e in dev.errors):
            dev.errors.append(err)
        self.emit(DeviceError(snapshot(dev), err))

    # ---- running one probe

    def context(self, hosts: Sequence[str], hints: ScanHints | None = None) -> ProbeContext:
        req = self.request
        return ProbeContext(
            interface=req.interface,
            networks=self.targets,
            hosts=tuple(hosts),
            timeout=req.timeout,
            concurrency=req.concurrency,
            rate=req.rate,
            credentials=req.credential_lookup(),
            ports=tuple(req.ports),
            hints=hints or ScanHints(),
            on_host_done=self.host_done,
            snmp_credentials=req.snmp_credential_lookup(),
            routers=tuple(req.snmp_routers),
        )

    async def run_probe(self, name: str, ctx: ProbeContext, budget: float | None) -> None:
        start = time.monotonic()
        try:
            probe = resolve_probe(name, self.hooks.probes)
        except (ImportError, AttributeError, KeyError) as exc:
            self.record_error(Problem(name, "unavailable", f"method {name} unavailable: {exc}"))
            return
        self.ran.append(name)
        try:
            async with asyncio.timeout(budget):
                async for item in probe(ctx):
                    if isinstance(item, Observation):
                        self.observe(item)
                    else:
                        self.note_probe_error(name, item)
        except TimeoutError:
            self.record_error(Problem(name, "timeout", f"{name} overran its {budget:g} s budget"))
        except UnsafeNetworkError:
            raise
        except Exception as exc:  # a probe bug costs that method, never the scan
            log.exception("probe %s crashed", name)
            self.record_error(Problem(name, "crash", f"{name} failed: {type(exc).__name__}: {exc}"))
        finally:
            self.timings[name] = round(time.monotonic() - start, 3)

    def note_probe_error(self, name: str, err: Problem) -> None:
        if name == "arp" and err.kind in ("no_privilege", "unavailable"):
            self.arp_failed = True
        self.record_error(err)

    # ---- phases

    def known_hosts(self) -> list[str]:
        """Addresses of devices found so far that lie inside the targets."""
        out: list[str] = []
        for dev in self.merger.devices:
            out += [ip for ip in dev.ips if in_networks(ip, self.targets) and ip not in out]
        return out

    async def phase(self, name: str, jobs: list[tuple[str, ProbeContext, float | None]]) -> None:
        if not jobs:
            return
        self.phase_name, self.done = name, 0
        self.total = max((len(ctx.hosts) for _, ctx, _ in jobs), default=0) or len(jobs)
        self.progress(force=True)
        start = time.monotonic()
        await asyncio.gather(*(self.run_probe(n, c, b) for n, c, b in jobs))
        self.timings[f"phase:{name}"] = round(time.monotonic() - start, 3)
        self.done = self.total
        self.progress(force=True)

    async def discover(self) -> None:
        req, window = self.request, self.request.discovery_window
        jobs: list[tuple[str, ProbeContext, float | None]] = []
        for name in ("arp", *DISCOVERY_METHODS):
            if name in self.methods:
                ctx = self.context(())
                # A listening protocol's timeout is its reply window.  ARP and the router
                # walks (discovery/snmp_walk.py: per-request deadlines, row limits) bound
                # themselves: a large router's tables take longer than a window.
                unicast = name in ("arp", "routers")
                if not unicast:
                    ctx.timeout = window
                budget = None if unicast else window + req.timeout + req.grace
                jobs.append((name, ctx, budget))
        await self.phase("discover", jobs)
        if "arp" in self.methods and "arp" not in self.ran:
            self.arp_failed = True

    def probe_hosts(self) -> list[str]:
        """One address per device found so far, inside the targets: its IPv4 address, else
        its global IPv6 address, else its link-local one (``Device.ip``'s order)."""
        out: list[str] = []
        for dev in self.merger.devices:
            inside = [ip for ip in dev.ips if in_networks(ip, self.targets)]
            if inside:
                best = min(inside, key=address_rank)
                if best not in out:
                    out.append(best)
        return out

    def port_targets(self) -> list[str]:
        swept = "arp" in self.methods and not self.arp_failed and self.request.interface
        skip = set(self.exclude)
        if not swept:
            hosts = list(iter_hosts(self.targets, exclude=skip))
            listened = [ip for ip in self.probe_hosts() if ":" in ip and ip not in skip]
            return hosts + [ip for ip in listened if ip not in hosts]
        return [ip for ip in self.probe_hosts() if ip not in skip]

    async def ports(self) -> None:
        if "ports" not in self.methods:
            return
        hosts = self.port_targets()
        ctx = self.context(hosts)
        ctx.concurrency = self.request.connect_concurrency
        await self.phase("ports", [("ports", ctx, None)])
        known = self.known_hosts()
        if self.arp_failed and "arp" in self.methods:
            await self.phase("neighbours", [("neighbours", self.context(known), 5.0)])
        elif ipv6 := [ip for ip in known if ":" in ip]:
            # IPv6 has no ARP: the connects above made the kernel learn their MACs.
            await self.phase("neighbours", [("neighbours", self.context(ipv6), 5.0)])

    def open_ports(self) -> dict[str, tuple[int, ...]]:
        out: dict[str, tuple[int, ...]] = {}
        for dev in self.merger.devices:
            ports = sorted({p for v in dev.values("ports") for p in _ints(v)})
            for ip in dev.ips:
                out[ip] = tuple(ports)
        return out

    def onvif_xaddrs(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for dev in self.merger.devices:
            if not _claims_onvif(dev):
                continue  # a Windows PC's WS-Discovery XAddr (port 5357) is no ONVIF service
            urls = [u for v in dev.values("wsd.xaddrs") for u in _strs(v)]
            for ip in dev.ips:
                host = url_host(ip, zone=False)  # IPv6 XAddrs name it in brackets
                mine = tuple(u for u in urls if f"//{host}:" in u or f"//{host}/" in u)
                if mine:
                    out[ip] = mine
        return out

    def dahua_hosts(self) -> frozenset[str]:
        """Hosts that look Dahua-made (DHIP replies, Dahua WS-Discovery scopes, DVRIP port)."""
        return frozenset(ip for dev in self.merger.devices if _looks_dahua(dev) for ip in dev.ips)

    async def identify(self) -> None:
        wanted = [m for m in IDENTIFY_METHODS if m in self.methods]
        if not wanted:
            return
        skip = set(self.exclude)
        hosts = [ip for ip in self.probe_hosts() if ip not in skip]
        open_ports = self.open_ports()
        if "ports" not in self.methods:  # no port data: try each method's usual ports
            open_ports = {ip: tuple(self.request.ports or DEFAULT_PORTS) for ip in hosts}
        hints = ScanHints(open_ports, self.onvif_xaddrs(), self.dahua_hosts())
        await self.phase("identify", [(m, self.context(hosts, hints), None) for m in wanted])

    async def own_addresses(self) -> list[str]:
        """The scanner's own addresses on the interface: never probed (they are not devices)."""
        if self.request.exclude or not self.request.interface:
            return list(self.request.exclude)
        try:
            addrs = await asyncio.to_thread(interface_addresses, self.request.interface)
        except TargetError:
            return []
        return [str(a.ip) for a in addrs] + await asyncio.to_thread(
            interface_addresses6, self.request.interface
        )

    async def phases(self) -> None:
        self.exclude = await self.own_addresses()
        await self.discover()
        await self.ports()
        self.release_overheard()  # MACs are known now (ARP or the neighbour table)
        await self.identify()

    async def main(self) -> None:
        start = time.monotonic()
        work = asyncio.create_task(self.phases())

        def stop() -> None:
            if not work.done():
                self.cancelled = True
                work.cancel()

        unsubscribe = self.hooks.stop.subscribe(asyncio.get_running_loop(), stop)
        try:
            await work
        except asyncio.CancelledError:
            if not self.cancelled:
                raise
        finally:
            unsubscribe()
            if self._progress_later is not None:
                self._progress_later.cancel()
        self.timings["total"] = round(time.monotonic() - start, 3)
        self.emit(self.finished())

    def finished(self) -> Finished:
        devices = tuple(snapshot(d) for d in self.merger.devices)
        totals = {
            "devices": len(devices),
            "with_mac": sum(1 for d in devices if d.mac),
            "with_identity": sum(1 for d in devices if d.identity and d.identity.maker),
            "device_errors": sum(len(d.errors) for d in devices),
            "flagged": sum(
                1 for d in devices if any(v.status.flagged for v in d.verdicts.values())
            ),
        }
        return Finished(
            devices, tuple(self.ran), dict(self.timings), self.cancelled, tuple(self.errors), totals
        )


def _claims_onvif(dev: Device) -> bool:
    """WS-Discovery types or scopes that mark an ONVIF device (NetworkVideoTransmitter...)."""
    texts = [t for f in ("wsd.types", "wsd.scopes") for v in dev.values(f) for t in _strs(v)]
    return any("networkvideo" in t.lower() or t.startswith("onvif://") for t in texts)


def _looks_dahua(dev: Device) -> bool:
    # Dahua OEM units keep DHIP, port 37777 and the Dahua scope patterns.
    if any(item.field.startswith("dhip.") for item in dev.evidence):
        return True
    if any(37777 in _ints(v) for v in dev.values("ports")):
        return True
    scopes = " ".join(t for v in dev.values("wsd.scopes") for t in _strs(v)).lower()
    return "dahua" in scopes or "unique_identifier" in scopes


def _ints(value: object) -> Iterable[int]:
    if isinstance(value, int):
        return (value,)
    if isinstance(value, tuple):
        return (v for v in value if isinstance(v, int))
    return ()


def _strs(value: object) -> Iterable[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, tuple):
        return (v for v in value if isinstance(v, str))
    return ()


async def scan(
    request: ScanRequest, hooks: ScanHooks | None = None
) -> AsyncGenerator[ScanEvent, None]:
    """Run a scan and yield its events; the last one is always :class:`Finished`.

    Closing the iterator early (or cancelling the task consuming it) stops every probe.
    """
    run = _Run(request, hooks or ScanHooks())
    task = asyncio.create_task(run.main())
    try:
        while True:
            getter = asyncio.ensure_future(run.queue.get())
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                task.result()  # the run died before Finished: raise its error
                continue  # it finished normally; its last events are still queued
            event = getter.result()
            yield event
            if isinstance(event, Finished):
                return
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
