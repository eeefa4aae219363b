"""The scan orchestrator: runs the probes in phases, merges what they see, emits events.

Phases (DESIGN.md, data flow):

1. ``discover``: ARP sweep and the multicast/broadcast protocols (WS-Discovery, SADP,
   DHIP, SSDP, mDNS) at the same time;
2. ``ports``: TCP connects to the live hosts (every host when ARP could not run), then,
   when the ARP sweep lacked privilege, the OS neighbour table for their MACs;
3. ``identify``: HTTP, RTSP and ONVIF on hosts with those ports open.

Every observation is merged at once (``core.merge.DeviceMerger``); the device is then
identified and judged (``vendors``, imported lazily) and a :class:`DeviceFound` or
:class:`DeviceUpdated` event carries a snapshot of it.  Per-device problems become
:class:`DeviceError` events and stay on the device; nothing a device does ends the scan.
Setting ``options.stop`` (a ``threading.Event``, so a GUI thread or a signal handler may
set it) cancels within a fraction of a second; :class:`Finished` then says ``cancelled``
and everything found so far is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import ipaddress
import logging
import threading
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.merge import DeviceMerger
from core.model import Device, Observation, ProbeError, SiteProfile
from core.netguard import UnsafeNetworkError
from discovery.base import Credential, Probe, ProbeContext
from discovery.ports import DEFAULT_PORTS
from discovery.targets import TargetError, in_networks, interface_addresses, iter_hosts

log = logging.getLogger(__name__)

DISCOVERY_METHODS = ("wsd", "sadp", "dhip", "ssdp", "mdns")
IDENTIFY_METHODS = ("http", "rtsp", "onvif")
ALL_METHODS = ("arp", *DISCOVERY_METHODS, "ports", *IDENTIFY_METHODS)
PROGRESS_INTERVAL = 0.25


# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class DeviceFound:
    device: Device


@dataclass(frozen=True)
class DeviceUpdated:
    device: Device
    replaces: tuple[str, ...] = ()  # keys this device was known by before (re-keyed or fused)


@dataclass(frozen=True)
class Progress:
    phase: str
    done: int
    total: int
    devices: int


@dataclass(frozen=True)
class DeviceError:
    device: Device | None  # None for a problem of the scan itself (a method unavailable)
    error: ProbeError


@dataclass(frozen=True)
class Finished:
    devices: tuple[Device, ...]
    methods: tuple[str, ...]  # the methods that actually ran
    timings: Mapping[str, float]  # seconds per probe and per phase
    cancelled: bool
    errors: tuple[ProbeError, ...] = ()  # scan-level problems
    totals: Mapping[str, int] = field(default_factory=dict)


ScanEvent = DeviceFound | DeviceUpdated | Progress | DeviceError | Finished
Sink = Callable[[ScanEvent], None]


def _no_credentials(ip: str) -> Credential | None:
    return None


@dataclass
class ScanOptions:
    """How to scan.  ``probes`` replaces probe functions by method name (tests inject fakes)."""

    interface: str | None = None
    methods: Sequence[str] = ALL_METHODS
    timeout: float = 2.0
    rate: float = 500.0
    concurrency: int = 64
    connect_concurrency: int = 512
    discovery_window: float = 3.0
    grace: float = 10.0  # a listening probe is cut off this long after its window closes
    credentials: Callable[[str], Credential | None] = _no_credentials
    site: SiteProfile = field(default_factory=SiteProfile)
    policies: Sequence[str] = ()  # policy pack ids; empty = every pack
    ports: Sequence[int] = ()  # empty = discovery.ports.DEFAULT_PORTS
    exclude: Sequence[str] = ()  # addresses never probed (default: the interface's own)
    stop: threading.Event = field(default_factory=threading.Event)
    on_event: list[Sink] = field(default_factory=list)  # e.g. the inventory store
    probes: Mapping[str, Probe] = field(default_factory=dict)
    extra: Mapping[str, object] = field(default_factory=dict)  # passed to every probe


def snapshot(dev: Device) -> Device:
    """A copy a consumer may keep while the scan goes on changing the original."""
    return Device(
        key=dev.key,
        ips=list(dev.ips),
        evidence=list(dev.evidence),
        errors=list(dev.errors),
        identity=dev.identity,
        verdicts=dict(dev.verdicts),
        mac_method=dev.mac_method,
    )


# ---------------------------------------------------------------- identity and verdicts


class Assessor:
    """identify() + judge_all() from vendors/, imported lazily and optional until they land."""

    def __init__(self, site: SiteProfile, policies: Sequence[str]) -> None:
        self.site, self.policies = site, tuple(policies)
        self._identify: Callable[[Device], Any] | None = None
        self._judge: Callable[..., Any] | None = None
        self._packs: Any = None
        self._loaded = False

    def _load(self) -> None:
        self._loaded = True
        try:
            self._identify = importlib.import_module("vendors.identify").identify
        except (ImportError, AttributeError) as exc:
            log.info("vendors.identify unavailable: %s", exc)
            return
        try:
            judge_mod = importlib.import_module("vendors.judge")
            self._judge = judge_mod.judge_all
            self._packs = self._load_packs()
        except (ImportError, AttributeError) as exc:
            log.info("vendors.judge unavailable: %s", exc)
            self._judge = None

    def _load_packs(self) -> Any:
        policies = importlib.import_module("vendors.policies")
        loaded = policies.load_policies(list(self.policies) or None)
        for error in loaded.errors:
            log.warning("policy pack not loaded: %s", error)
        return loaded.packs

    def assess(self, dev: Device) -> None:
        if not self._loaded:
            self._load()
        if self._identify is None:
            return
        dev.identity = self._identify(dev)
        if self._judge is not None and dev.identity is not None:
            verdicts = self._judge(dev.identity, self._packs, self.site)
            if isinstance(verdicts, Mapping):
                dev.verdicts = dict(verdicts)
            else:
                dev.verdicts = {v.policy: v for v in verdicts}


# ---------------------------------------------------------------- the run


def resolve_probe(name: str, overrides: Mapping[str, Probe]) -> Probe:
    if name in overrides:
        return overrides[name]
    module = importlib.import_module(f"discovery.{name}")
    probe: Probe = module.probe
    return probe


class _Run:
    def __init__(self, targets: Sequence[ipaddress.IPv4Network], options: ScanOptions) -> None:
        self.targets, self.options = list(targets), options
        self.methods = [m for m in ALL_METHODS if m in options.methods]
        self.merger = DeviceMerger()
        self.assessor = Assessor(options.site, options.policies)
        self.queue: asyncio.Queue[ScanEvent] = asyncio.Queue()
        self.emitted: dict[int, str] = {}  # id(device) -> key last emitted
        self.timings: dict[str, float] = {}
        self.ran: list[str] = []
        self.errors: list[ProbeError] = []
        self.cancelled = False
        self.phase_name, self.done, self.total = "starting", 0, 0
        self._progress_sent: tuple[str, int, int, int] | None = None
        self.arp_failed = False
        self.exclude: list[str] = list(options.exclude)

    # ---- events

    def emit(self, event: ScanEvent) -> None:
        self.queue.put_nowait(event)
        for sink in self.options.on_event:
            try:
                sink(event)
            except Exception as exc:  # a broken sink must not end the scan
                log.exception("scan event sink failed")
                if not any(e.kind == "sink" for e in self.errors):
                    self.errors.append(ProbeError("scan", "sink", f"event sink failed: {exc}"))

    def progress(self, force: bool = False) -> None:
        state = (self.phase_name, self.done, self.total, len(self.merger))
        if force or state != self._progress_sent:
            self._progress_sent = state
            self.emit(Progress(*state))

    def host_done(self, ip: str) -> None:
        self.done += 1

    # ---- merging

    def observe(self, obs: Observation) -> None:
        if not obs.ip and not obs.mac and not obs.serial:
            return
        dev = self.merger.add(obs)
        self.assessor_safe(dev)
        self.announce(dev)

    def assessor_safe(self, dev: Device) -> None:
        try:
            self.assessor.assess(dev)
        except Exception as exc:  # a rule bug must cost one verdict, not the scan
            log.exception("identify/judge failed for %s", dev.key)
            err = ProbeError("identify", "crash", f"{type(exc).__name__}: {exc}", ip=dev.ip or "")
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

    def record_error(self, err: ProbeError) -> None:
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

    def context(self, hosts: Sequence[str], **extra: object) -> ProbeContext:
        opts = self.options
        options: dict[str, object] = {**opts.extra, "on_host_done": self.host_done, **extra}
        if opts.ports:
            options["ports"] = tuple(opts.ports)
        return ProbeContext(
            interface=opts.interface,
            networks=self.targets,
            hosts=tuple(hosts),
            timeout=opts.timeout,
            concurrency=opts.concurrency,
            rate=opts.rate,
            credentials=opts.credentials,
            options=options,
        )

    async def run_probe(self, name: str, ctx: ProbeContext, budget: float | None) -> None:
        start = time.monotonic()
        try:
            probe = resolve_probe(name, self.options.probes)
        except (ImportError, AttributeError) as exc:
            self.record_error(ProbeError(name, "unavailable", f"method {name} unavailable: {exc}"))
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
            self.record_error(
                ProbeError(name, "timeout", f"{name} overran its {budget:g} s budget")
            )
        except UnsafeNetworkError:
            raise
        except Exception as exc:  # a probe bug costs that method, never the scan
            log.exception("probe %s crashed", name)
            self.record_error(
                ProbeError(name, "crash", f"{name} failed: {type(exc).__name__}: {exc}")
            )
        finally:
            self.timings[name] = round(time.monotonic() - start, 3)

    def note_probe_error(self, name: str, err: ProbeError) -> None:
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
        opts, window = self.options, self.options.discovery_window
        jobs: list[tuple[str, ProbeContext, float | None]] = []
        for name in ("arp", *DISCOVERY_METHODS):
            if name in self.methods:
                ctx = self.context(())
                if name != "arp":  # a listening protocol's timeout is its reply window
                    ctx.timeout = window
                budget = None if name == "arp" else window + opts.timeout + opts.grace
                jobs.append((name, ctx, budget))
        await self.phase("discover", jobs)
        if "arp" in self.methods and "arp" not in self.ran:
            self.arp_failed = True

    def port_targets(self) -> list[str]:
        swept = "arp" in self.methods and not self.arp_failed and self.options.interface
        skip = set(self.exclude)
        if not swept:
            return list(iter_hosts(self.targets, exclude=skip))
        return [ip for ip in self.known_hosts() if ip not in skip]

    async def ports(self) -> None:
        if "ports" not in self.methods:
            return
        hosts = self.port_targets()
        ctx = self.context(hosts)
        ctx.concurrency = self.options.connect_concurrency
        await self.phase("ports", [("ports", ctx, None)])
        if self.arp_failed and "arp" in self.methods:
            await self.phase("neighbours", [("neighbours", self.context(self.known_hosts()), 5.0)])

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
                mine = tuple(u for u in urls if f"//{ip}:" in u or f"//{ip}/" in u)
                if mine:
                    out[ip] = mine
        return out

    def dahua_hosts(self) -> tuple[str, ...]:
        """Hosts that look Dahua-made (DHIP replies, Dahua WS-Discovery scopes, DVRIP port)."""
        out: list[str] = []
        for dev in self.merger.devices:
            if _looks_dahua(dev):
                out += dev.ips
        return tuple(out)

    async def identify(self) -> None:
        wanted = [m for m in IDENTIFY_METHODS if m in self.methods]
        if not wanted:
            return
        skip = set(self.exclude)
        hosts = [ip for ip in self.known_hosts() if ip not in skip]
        open_ports = self.open_ports()
        if "ports" not in self.methods:  # no port data: try each method's usual ports
            open_ports = {ip: tuple(self.options.ports or DEFAULT_PORTS) for ip in hosts}
        extra = {
            "open_ports": open_ports,
            "onvif_xaddrs": self.onvif_xaddrs(),
            "dahua_hosts": self.dahua_hosts(),
        }
        await self.phase("identify", [(m, self.context(hosts, **extra), None) for m in wanted])

    async def own_addresses(self) -> list[str]:
        """The scanner's own addresses on the interface: never probed (they are not devices)."""
        if self.options.exclude or not self.options.interface:
            return list(self.options.exclude)
        try:
            addrs = await asyncio.to_thread(interface_addresses, self.options.interface)
        except TargetError:
            return []
        return [str(a.ip) for a in addrs]

    async def phases(self) -> None:
        self.exclude = await self.own_addresses()
        await self.discover()
        await self.ports()
        await self.identify()

    async def watch(self, work: asyncio.Task[None]) -> None:
        while not work.done():
            if self.options.stop.is_set():
                self.cancelled = True
                work.cancel()
                return
            self.progress()
            await asyncio.sleep(0.05 if self.phase_name != "starting" else 0.01)

    async def main(self) -> None:
        start = time.monotonic()
        work = asyncio.create_task(self.phases())
        watcher = asyncio.create_task(self.watch(work))
        try:
            await work
        except asyncio.CancelledError:
            if not self.cancelled:
                raise
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
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
    # domain.md §4.3/§4.4: OEM units keep DHIP, port 37777 and the Dahua scope patterns.
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
    targets: Sequence[ipaddress.IPv4Network], options: ScanOptions | None = None
) -> AsyncGenerator[ScanEvent, None]:
    """Run a scan and yield its events; the last one is always :class:`Finished`.

    Closing the iterator early (or cancelling the task consuming it) stops every probe.
    """
    run = _Run(targets, options or ScanOptions())
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
