"""What a running scan tells its consumers, as typed events (match them by class).

The last event of every scan is :class:`Finished`.  Each event that carries a device carries
a snapshot: the consumer may keep it while the scan goes on changing its own copy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from core.model import Device, Problem


@dataclass(frozen=True, slots=True)
class DeviceFound:
    device: Device


@dataclass(frozen=True, slots=True)
class DeviceUpdated:
    device: Device
    replaces: tuple[str, ...] = ()  # keys this device was known by before (re-keyed or fused)


@dataclass(frozen=True, slots=True)
class Progress:
    phase: str
    done: int
    total: int
    devices: int


@dataclass(frozen=True, slots=True)
class DeviceError:
    device: Device | None  # None for a problem of the scan itself (a method unavailable)
    error: Problem


@dataclass(frozen=True, slots=True)
class Finished:
    devices: tuple[Device, ...]
    methods: tuple[str, ...]  # the methods that actually ran
    timings: Mapping[str, float]  # seconds per probe and per phase
    cancelled: bool
    errors: tuple[Problem, ...] = ()  # scan-level problems
    totals: Mapping[str, int] = field(default_factory=dict)


ScanEvent = DeviceFound | DeviceUpdated | Progress | DeviceError | Finished
Sink = Callable[[ScanEvent], None]


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


def replay(final: Finished, sinks: Iterable[Sink]) -> None:
    """Feed a finished offline scan to sinks as a live scan would have (devices, then end)."""
    sinks = list(sinks)
    for dev in final.devices:
        for sink in sinks:
            sink(DeviceFound(dev))
    for sink in sinks:
        sink(final)
