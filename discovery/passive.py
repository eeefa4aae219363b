"""Scans that send nothing: a packet capture or an inventory file turned into devices.

Both go the way a live scan goes: observations merged into devices (``core.merge``), each
device assessed (``vendors.assess``), problems filed on the device they concern, and the
result handed over as a :class:`Finished` event.  ``camaudit scan --pcap`` and
``camaudit import`` both come through here, and both store through the same sink as a live
scan (:func:`discovery.events.replay`).

An inventory of a million rows does not fit in memory as devices, so
:func:`merge_in_batches` takes the observations a batch at a time: each batch is merged on its
own, after taking back (``lookup``) the devices of earlier batches it shares a MAC, serial or IP
with, so a box listed twice far apart is still one device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from core.merge import DeviceMerger, observation_aliases
from core.model import Device, Observation, Problem
from discovery.events import Finished, snapshot
from vendors.assess import Assessor

Lookup = Callable[[Sequence[str]], Iterable[Device]]
"""Given aliases (``mac:…``, ``serial:…``, ``ip:…``), the earlier devices holding them."""


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch merged and assessed: the devices it made or changed, and what they replace."""

    devices: tuple[Device, ...]
    removed: tuple[str, ...]  # keys of earlier devices fused into these or re-keyed
    problems: tuple[Problem, ...]  # observations that named no device


def merge_in_batches(
    found: Iterable[tuple[str, Observation]],
    assessor: Assessor,
    method: str,
    lookup: Lookup | None = None,
    size: int | None = 2000,
) -> Iterator[Batch]:
    """Merge and assess ``found`` ``size`` observations at a time (None: all at once)."""
    items = iter(found)
    while chunk := list(islice(items, size)) if size else list(items):
        merger = DeviceMerger()
        adopted: set[str] = set()
        if lookup is not None:
            wanted = sorted({a for _, obs in chunk for a in observation_aliases(obs)})
            for dev in lookup(wanted):
                if dev.key not in adopted:
                    merger.adopt(dev)
                    adopted.add(dev.key)
        problems = []
        for where, obs in chunk:
            try:
                merger.add(obs)
            except ValueError as exc:
                problems.append(Problem(method, "input", f"{where}: {exc}"))
        for dev in merger.devices:
            assessor.assess(dev)
        kept = {d.key for d in merger.devices}
        yield Batch(tuple(merger.devices), tuple(sorted(adopted - kept)), tuple(problems))
        if not size:
            break


def merge_and_assess(
    found: Iterable[tuple[str, Observation]],
    problems: Iterable[Problem],
    assessor: Assessor,
    method: str,
    totals: dict[str, int] | None = None,
) -> Finished:
    """Devices from observations (each with where it came from, for a problem line).

    An observation that names no MAC, serial or IP becomes a problem, not a device; a
    problem with an IP lands on that device, the others stay with the scan.
    """
    batches = list(merge_in_batches(found, assessor, method, size=None))
    batch = batches[0] if batches else Batch((), (), ())
    scan_errors = list(batch.problems)
    by_ip = {ip: dev for dev in batch.devices for ip in dev.ips}
    for problem in problems:
        dev = by_ip.get(problem.ip) if problem.ip else None
        (dev.errors if dev is not None else scan_errors).append(problem)
    scan_errors = assessor.load_problems() + scan_errors
    devices = tuple(snapshot(d) for d in batch.devices)
    counts = {"devices": len(devices), **(totals or {})}
    return Finished(devices, (method,), {}, False, tuple(scan_errors), counts)


def pcap_scan(path: Path, assessor: Assessor) -> Finished:
    """Devices a capture file shows (raises ``discovery.pcap.PcapError`` for a non-capture)."""
    from discovery.pcap import read_pcap  # noqa: PLC0415 - scapy loads only for captures

    result = read_pcap(path)
    found = ((path.name, obs) for obs in result.observations)
    return merge_and_assess(
        found, result.errors, assessor, "pcap", {"packets": result.packet_count}
    )
