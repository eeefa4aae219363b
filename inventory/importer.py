# ruff: noqa: PLC0415  (scapy and the vendors modules load only when an import needs them)
"""``camaudit import FILE``: a CSV inventory or a packet capture brought in as a scan.

The file's rows or packets become Observations, are merged into devices exactly as a live
scan merges them, identified (vendors.identify) and judged (vendors.judge) under the chosen
policies and site profile, and stored as a scan whose method is ``csv`` or ``pcap``.  A bad
row or packet is a problem line (with its line number), never an abort.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.merge import DeviceMerger
from core.model import (
    Device,
    Observation,
    ProbeError,
    Scan,
    ScanStatus,
    SiteProfile,
    SiteUse,
    utcnow,
)
from inventory.store import Store

PCAP_SUFFIXES = (".pcap", ".pcapng", ".cap")
_PCAP_MAGICS = (
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x0a\x0d\x0d\x0a",
)


class ImportFailed(Exception):
    """The file as a whole cannot be imported (unreadable, not CSV or pcap, bad options)."""


@dataclass(slots=True)
class ImportResult:
    scan_id: int
    devices: int
    problems: list[str] = field(default_factory=list)


def site_profile(uses: Sequence[str] | None, jurisdictions: Sequence[str] | None) -> SiteProfile:
    """A SiteProfile from ``--site-use``/``--jurisdiction`` values (defaults where absent)."""
    try:
        parsed = tuple(SiteUse(u.strip()) for u in uses) if uses else None
    except ValueError:
        choices = ", ".join(u.value for u in SiteUse)
        raise ImportFailed(
            f"unknown site use in {list(uses or [])} (choose from: {choices})"
        ) from None
    base = SiteProfile()
    return SiteProfile(
        uses=parsed or base.uses,
        jurisdictions=tuple(j.strip().lower() for j in jurisdictions)
        if jurisdictions
        else base.jurisdictions,
    )


def detect_kind(path: Path) -> str:
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot open ({exc.strerror or exc})") from exc
    if head in _PCAP_MAGICS or path.suffix.lower() in PCAP_SUFFIXES:
        return "pcap"
    return "csv"


def _read_pcap(path: Path) -> tuple[list[Observation], list[ProbeError]]:
    from discovery.base import DiscoveryError
    from discovery.pcap import read_pcap

    try:
        result = read_pcap(path)
    except DiscoveryError as exc:
        raise ImportFailed(str(exc)) from exc
    return list(result.observations), list(result.errors)


def _read_csv(path: Path) -> tuple[list[Observation], list[ProbeError]]:
    records: Any = importlib.import_module("vendors.records")
    try:
        result: Any = records.read_inventory(path)
    except records.RecordError as exc:
        raise ImportFailed(str(exc)) from exc
    return list(result.observations), list(result.errors)


class _Judge:
    """identify() + judge_all() under the chosen packs (loaded once per import)."""

    def __init__(self, policies: Sequence[str] | None, site: SiteProfile) -> None:
        from vendors.policies import load_policies

        loaded = load_policies(list(policies) if policies else None)
        self.packs = loaded.packs
        self.problems = [f"policy: {e}" for e in loaded.errors]
        self.site = site

    def assess(self, dev: Device) -> None:
        from vendors.judge import judge_all

        identify = importlib.import_module("vendors.identify").identify
        dev.identity = identify(dev)
        dev.verdicts = dict(judge_all(dev.identity, self.packs, self.site))


def _problem_line(err: ProbeError) -> str:
    return f"{err.source}: {err.message}"


def _merge(observations: Sequence[Observation]) -> tuple[list[Device], list[str]]:
    """Devices as a live scan would merge them; a record naming no MAC, serial or IP is a
    problem line, not an abort."""
    merger = DeviceMerger()
    problems = []
    for obs in observations:
        try:
            merger.add(obs)
        except ValueError as exc:
            problems.append(f"{obs.source}: {exc}")
    return merger.devices, problems


def import_file(
    store: Store,
    path: Path,
    *,
    kind: str | None = None,
    policies: Sequence[str] | None = None,
    site: SiteProfile | None = None,
) -> ImportResult:
    """Import ``path`` into ``store`` as one complete scan; return its id and the problems."""
    kind = kind or detect_kind(path)
    reader = _read_pcap if kind == "pcap" else _read_csv
    observations, errors = reader(path)
    site = site or SiteProfile()
    judge = _Judge(policies, site)
    record = Scan(
        targets=(f"file:{path.name}",),
        methods=(kind,),
        site=site,
        policies=tuple(p.id for p in judge.packs),
        options={"imported_file": str(path)},
        started_at=utcnow(),
    )
    scan_id = store.begin_scan(record)
    devices, unplaced = _merge(observations)
    for dev in devices:
        judge.assess(dev)
        store.add_device(scan_id, dev)
    for err in errors:
        store.add_error(scan_id, err)
    store.finish_scan(scan_id, ScanStatus.COMPLETE, utcnow())
    problems = judge.problems + unplaced + [_problem_line(e) for e in errors]
    return ImportResult(scan_id, len(devices), problems)
