"""Scans that send nothing: a packet capture or an inventory file turned into devices.

Both go the way a live scan goes: observations merged into devices (``core.merge``), each
device assessed (``vendors.assess``), problems filed on the device they concern, and the
result handed over as a :class:`Finished` event.  ``camaudit scan --pcap`` and
``camaudit import`` both come through here, and both store through the same sink as a live
scan (:func:`discovery.events.replay`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from core.merge import DeviceMerger
from core.model import Observation, Problem
from discovery.events import Finished, snapshot
from vendors.assess import Assessor


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
    merger = DeviceMerger()
    scan_errors: list[Problem] = []
    for where, obs in found:
        try:
            merger.add(obs)
        except ValueError as exc:
            scan_errors.append(Problem(method, "input", f"{where}: {exc}"))
    for problem in problems:
        dev = merger.by_ip(problem.ip) if problem.ip else None
        (dev.errors if dev is not None else scan_errors).append(problem)
    scan_errors = assessor.load_problems() + scan_errors
    for dev in merger.devices:
        assessor.assess(dev)
    devices = tuple(snapshot(d) for d in merger.devices)
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
