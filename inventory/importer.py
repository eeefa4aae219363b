# ruff: noqa: PLC0415  (scapy loads only when a capture is imported)
"""``camaudit import FILE``: a CSV inventory or a packet capture brought in as a scan.

The file's rows or packets become Observations, are merged into devices exactly as a live
scan merges them, identified (vendors.identify) and judged (vendors.judge) under the chosen
policies and site profile, and stored as a scan whose method is ``csv`` or ``pcap``.  A bad
row or packet is a problem line (with its line number), never an abort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
from inventory.data_versions import current_data_versions
from inventory.store import Store
from vendors import records
from vendors.identify import identify
from vendors.judge import judge_all
from vendors.policies import load_policies

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
    return "records"  # CSV or JSON Lines: vendors.records tells which


def _read_pcap(path: Path, problems: list[str]) -> list[tuple[int, Observation]]:
    from discovery.base import DiscoveryError
    from discovery.pcap import read_pcap

    try:
        result = read_pcap(path)
    except DiscoveryError as exc:
        raise ImportFailed(str(exc)) from exc
    problems.extend(_problem_line(e) for e in result.errors)
    return [(0, obs) for obs in result.observations]


def _read_text(path: Path, problems: list[str]) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet programs still save "CSV" in the Windows code page.
        problems.append(f"{path.name}: not UTF-8; read as Windows-1252")
        return raw.decode("cp1252", errors="replace")


def _read_records(
    path: Path, fmt: str, problems: list[str]
) -> tuple[str, list[tuple[int, Observation]]]:
    """The format read, and (line, observation) per readable record (bad lines: problems)."""
    text = _read_text(path, problems)
    source = fmt if fmt in ("csv", "jsonl") else records.detect_format(text, path.name)
    parse = records.parse_csv if source == "csv" else records.parse_jsonl
    now = utcnow()
    out: list[tuple[int, Observation]] = []
    for item in parse(text):
        if isinstance(item, records.RecordError):
            problems.append(f"{path.name}:{item.line}: {item.error}")
            continue
        fields = {k: v for k, v in item.evidence.items() if v not in ("", ())}
        out.append((item.line, Observation(source, fields, now, method="inventory")))
    return source, out


class _Judge:
    """identify() + judge_all() under the chosen packs (loaded once per import)."""

    def __init__(self, policies: Sequence[str] | None, site: SiteProfile) -> None:
        loaded = load_policies(list(policies) if policies else None)
        if policies and not loaded.packs:
            errors = "; ".join(str(e) for e in loaded.errors)
            raise ImportFailed(f"none of the policy packs {list(policies)} loaded: {errors}")
        self.packs = loaded.packs
        self.problems = [f"policy: {e}" for e in loaded.errors]
        self.site = site

    def assess(self, dev: Device) -> None:
        dev.identity = identify(dev, on=self.site.assessment_date)
        dev.verdicts = dict(judge_all(dev.identity, self.packs, self.site))


def _problem_line(err: ProbeError) -> str:
    return f"{err.source}: {err.message}"


def _merge(found: Sequence[tuple[int, Observation]], name: str) -> tuple[list[Device], list[str]]:
    """Devices as a live scan merges them; a record with no MAC, serial or IP is a problem."""
    merger = DeviceMerger()
    problems = []
    for line, obs in found:
        try:
            merger.add(obs)
        except ValueError as exc:
            where = f"{name}:{line}" if line else name
            problems.append(f"{where}: {exc}")
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
    problems: list[str] = []
    if kind == "pcap":
        found = _read_pcap(path, problems)
    else:
        kind, found = _read_records(path, kind, problems)
    site = site or SiteProfile()
    judge = _Judge(policies, site)
    devices, unplaced = _merge(found, path.name)
    problems = judge.problems + problems + unplaced
    record = Scan(
        targets=(f"file:{path.name}",),
        methods=(kind,),
        site=site,
        policies=tuple(p.id for p in judge.packs),
        options={"imported_file": str(path)},
        started_at=utcnow(),
        data_versions=current_data_versions(packs=judge.packs),
    )
    scan_id = store.begin_scan(record)
    for dev in devices:
        judge.assess(dev)
        store.add_device(scan_id, dev)
    for line in problems:
        store.add_error(scan_id, ProbeError("import", "input", line))
    store.finish_scan(scan_id, ScanStatus.COMPLETE, utcnow())
    return ImportResult(scan_id, len(devices), problems)
