"""The data of a report: one JSON-ready dict that the PDF prints and the exports tabulate.

Everything a report shows comes from this dict and nothing else, so its canonical SHA-256
(``inventory.canonical``) identifies the report's content.  It holds no volatile values beyond
those printed (the generation time is printed on the title page); values that depend on later
scans (dispositions, first-seen dates) are taken as they stood for this scan and report time,
so ``camaudit report verify --scan`` can rebuild the same dict later.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, overload

from core.model import (
    SERIAL_FIELDS,
    Device,
    Scan,
    ScanStatus,
    SiteProfile,
    Verdict,
    VerdictStatus,
    utcnow,
)
from core.presentation import FLAGGED, NOT_JUDGED, STATUS_ORDER, display_name, rank, worst
from discovery.methods import ALL_METHODS
from inventory.dispositions import Disposition
from inventory.history import firmware_of
from inventory.redact import redact_options, scrub_text

if TYPE_CHECKING:
    from inventory.store import Store
    from vendors.policies import Policy

REPORT_FORMAT = "camaudit-report/1"
# Headline statuses the report lists one by one as findings: every status more severe than
# "not covered", a device no policy judged included.
FINDING_STATUSES = frozenset(STATUS_ORDER[: rank(NOT_JUDGED) + 1])

FAR_REMINDER = (
    "FAR 52.204-25(d): a contractor that identifies covered telecommunications equipment or "
    "video surveillance equipment during contract performance must report it to the "
    "Contracting Officer (DoD: https://dibnet.dod.mil) within 1 business day, and within 10 "
    "business days submit the mitigation actions taken or planned."
)


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """Who the report is for and by, as printed on its title and sign-off pages."""

    organisation: str = ""
    site: str = ""
    run_by: str = ""
    signer: str = ""
    signer_role: str = ""
    # Kept to the microsecond, printed as carried by the report's data (and its hash): the
    # report shows the decisions recorded up to exactly this moment, so a decision saved a
    # moment before the report is in it and one saved a moment after is not.
    generated_at: dt.datetime = field(default_factory=utcnow)

    def to_dict(self) -> dict[str, str]:
        return {
            "organisation": self.organisation,
            "site": self.site,
            "run_by": self.run_by,
            "signer": self.signer,
            "signer_role": self.signer_role,
            "generated_at": self.generated_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReportMeta:
        return cls(
            organisation=str(data.get("organisation", "")),
            site=str(data.get("site", "")),
            run_by=str(data.get("run_by", "")),
            signer=str(data.get("signer", "")),
            signer_role=str(data.get("signer_role", "")),
            generated_at=dt.datetime.fromisoformat(str(data["generated_at"])),
        )


@dataclass(frozen=True, slots=True)
class PolicyView:
    """A policy pack as the views show it: its display name and whether it binds the site."""

    id: str
    name: str  # short display name (columns, filters, summaries)
    title: str  # full title
    applies: bool  # the pack binds the site (else every verdict is "not applicable")
    why_not: str = ""  # why it does not bind ("" when it does)
    reporting: Mapping[str, Any] | None = None  # the pack's reporting duty (clause, deadlines)


@cache
def _packs() -> dict[str, Policy]:
    from vendors.policies import load_policies  # noqa: PLC0415  (reads the pack files once)

    return {p.id: p for p in load_policies().packs}


def _reporting(policy: Policy) -> dict[str, Any] | None:
    duty = policy.reporting
    if duty is None:
        return None
    return {
        "clause": duty.clause,
        "report_to": duty.report_to,
        "deadlines": [[what, within] for what, within in duty.deadlines],
    }


def policy_views(ids: Iterable[str], site: SiteProfile) -> list[PolicyView]:
    """The packs ``ids`` in the order views show them: the site's main policy first.

    Packs that bind the site come first, those with a reporting duty (NDAA §889's FAR
    52.204-25(d)) ahead of the others, then the packs that do not bind it; otherwise in the
    given order.  A pack that no longer loads shows under its id and counts as binding.
    """
    from vendors.judge import not_binding  # noqa: PLC0415

    packs = _packs()
    views = []
    for pid in dict.fromkeys(ids):
        pack = packs.get(pid)
        if pack is None:
            views.append(PolicyView(pid, display_name(pid), pid, True))
            continue
        why = not_binding(pack, site)
        views.append(
            PolicyView(pid, pack.name, pack.title, why is None, why or "", _reporting(pack))
        )
    return sorted(views, key=lambda v: (not v.applies, v.reporting is None))


def main_policy(views: Iterable[PolicyView]) -> str | None:
    """The id of the site's main policy: the first pack that binds it."""
    return next((v.id for v in views if v.applies), None)


def headline_status(dev: Device) -> str:
    """The most severe verdict over all policies (``not_judged`` when none was made)."""
    return worst(v.status for v in dev.verdicts.values())


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def how_identified(dev: Device) -> str:
    """The indicators, strongest first: ``field=value (rule)``; else the probes that answered."""
    ident = dev.identity
    if ident and ident.reasons:
        ranked = sorted(ident.reasons, key=lambda r: -r.weight)
        return "; ".join(f"{r.field}={scrub_text(r.value)} ({r.rule})" for r in ranked)
    return "responded to: " + ", ".join(dev.sources) if dev.sources else ""


def _serial(dev: Device) -> str:
    if dev.identity and dev.identity.serial:
        return dev.identity.serial
    return dev.text(*SERIAL_FIELDS)


def _identity_part(dev: Device) -> dict[str, Any]:
    ident = dev.identity
    if ident is None:
        return {
            "maker": None,
            "brand": None,
            "relationship": "unknown",
            "model": None,
            "confidence": 0.0,
            "component_flags": [],
            "reasons": [],
            "conflicts": [],
        }
    d = ident.to_dict()
    # Device type and registrant only when known: a report of a scan stored before they
    # existed rebuilds to the same data (and hash) as when it was signed.
    extra = {k: d[k] for k in ("device_type", "device_type_how", "registrant") if d.get(k)}
    return (
        {k: d[k] for k in ("maker", "brand", "relationship", "model", "confidence")}
        | {
            "component_flags": d["component_flags"],
            "reasons": [r | {"value": scrub_text(r["value"])} for r in d["reasons"]],
            "conflicts": [r | {"value": scrub_text(r["value"])} for r in d["conflicts"]],
        }
        | extra
    )


def device_record(
    dev: Device,
    disposition: Disposition | None,
    first_seen: str | None,
    verdicts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One device as the report and the exports show it (``verdicts``: already as dicts)."""
    seen = [e.seen_at for e in dev.evidence]
    last_seen = max(seen).astimezone(dt.UTC).isoformat() if seen else None
    return {
        "key": dev.key,
        "ip": dev.ip,
        "ips": list(dev.ips),
        "mac": dev.mac,
        "mac_method": dev.mac_method,
        **_identity_part(dev),
        "firmware": firmware_of(dev) or None,
        "serial": _serial(dev) or None,
        "status": headline_status(dev),
        "verdicts": verdicts
        if verdicts is not None
        else {name: v.to_dict() for name, v in sorted(dev.verdicts.items())},
        "disposition": disposition.to_dict() if disposition else None,
        "location": _text(dev.first("user.location")) or None,
        "first_seen": first_seen or (min(seen).astimezone(dt.UTC).isoformat() if seen else None),
        "last_seen": last_seen,
        "how_identified": how_identified(dev),
        "evidence": [
            e.to_dict() | {"value": _scrub_value(e.to_dict()["value"])} for e in dev.evidence
        ],
        "errors": [e.to_dict() for e in dev.errors],
    }


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, list):
        return [scrub_text(v) if isinstance(v, str) else v for v in value]
    return value


@dataclass(slots=True)
class Tally:
    """What the report's summary needs from its devices, without the devices themselves.

    ``verdict_sets``: each distinct set of verdicts (policy -> verdict as a dict) with how many
    devices have it; the store keeps them that way, so a million devices tally in a few rows.
    """

    devices: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_maker: Counter[str] = field(default_factory=Counter)
    verdict_sets: list[tuple[Mapping[str, Mapping[str, Any]], int]] = field(default_factory=list)

    @classmethod
    def of_records(cls, records: Iterable[Mapping[str, Any]]) -> Tally:
        tally = cls()
        for r in records:
            tally.devices += 1
            tally.by_status[r["status"]] += 1
            tally.by_maker[r["maker"] or "unknown"] += 1
            tally.verdict_sets.append((r["verdicts"], 1))
        return tally

    @classmethod
    def of_store(cls, store: Store, scan_id: int) -> Tally:
        tally = cls(devices=store.count_devices(scan_id))
        tally.by_status.update(store.status_counts(scan_id))
        for maker, count in store.maker_counts(scan_id).items():
            tally.by_maker[maker or "unknown"] += count
        for verdicts, count in store.verdict_sets(scan_id):
            tally.verdict_sets.append(({k: v.to_dict() for k, v in verdicts.items()}, count))
        return tally


def _counts(tally: Tally, policies: Iterable[str]) -> dict[str, Any]:
    by_policy: dict[str, dict[str, int]] = {}
    for policy in policies:
        per: Counter[str] = Counter()
        for verdicts, count in tally.verdict_sets:
            if policy in verdicts:
                per[verdicts[policy]["status"]] += count
        by_policy[policy] = dict(sorted(per.items()))
    return {
        "devices": tally.devices,
        "by_status": {s: tally.by_status.get(s, 0) for s in STATUS_ORDER},
        "by_maker": dict(sorted(tally.by_maker.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_policy": by_policy,
    }


def _policies(scan: Scan, tally: Tally) -> list[dict[str, Any]]:
    """Each policy: id, display name, title, whether it binds the site, citations.

    Binding packs first (the site's main policy leads), then the ones that do not bind.
    """
    sets = [verdicts for verdicts, _ in tally.verdict_sets]
    names = list(dict.fromkeys([*scan.policies, *(p for v in sets for p in v)]))
    out = []
    for view in policy_views(names, scan.site):
        statuses = {v[view.id]["status"] for v in sets if view.id in v}
        applies = view.applies
        if view.id not in _packs() and statuses:  # a pack gone since: its verdicts tell
            applies = statuses != {VerdictStatus.NOT_APPLICABLE.value}
        cites: dict[str, dict[str, Any]] = {}
        for verdicts in sets:
            v = verdicts.get(view.id, {})
            if v.get("status") == VerdictStatus.NOT_APPLICABLE.value:
                continue
            for c in v.get("citations", []):
                cites.setdefault(f"{c['title']}|{c['clause']}", c)
        out.append(
            {
                "id": view.id,
                "name": view.name,
                "title": view.title,
                "applies": applies,
                "not_applicable_because": view.why_not,
                "reporting": dict(view.reporting) if view.reporting and applies else None,
                "citations": [cites[k] for k in sorted(cites)],
            }
        )
    return out


def _scope(scan: Scan, policies: list[dict[str, Any]]) -> dict[str, Any]:
    # Every way camaudit can learn about devices: the scope names the ones this scan did not use.
    not_run = [m for m in ALL_METHODS if m not in scan.methods]
    binding = [p["name"] for p in policies if p["applies"]]
    others = len(policies) - len(binding)
    return {
        "examined": [
            "network addresses: " + (", ".join(scan.targets) or "none given"),
            "methods run: " + (", ".join(scan.methods) or "none recorded"),
            "policies that bind the site: "
            + (", ".join(binding) or "none")
            + (f" ({others} other packs judged: they do not bind this site)" if others else ""),
        ],
        "not_examined": [
            "methods not run: " + (", ".join(not_run) or "none"),
            "devices outside the listed targets, powered off, or not answering any probe",
            "equipment not connected to a network the scanner reached (stock, spares, "
            "stand-alone recorders)",
            "internal components beyond what a device reports about itself",
            "purchasing, supplier and contract records (FAR 4.2101: a reasonable inquiry "
            "covers information in the entity's possession and does not require an internal "
            "or third-party audit)",
        ],
    }


def _scan_part(scan: Scan) -> dict[str, Any]:
    return {
        "id": scan.id,
        "targets": list(scan.targets),
        "methods": list(scan.methods),
        "policies": list(scan.policies),
        "site_profile": scan.site.to_dict(),
        "options": redact_options(scan.options),
        "started_at": scan.started_at.astimezone(dt.UTC).isoformat(),
        "ended_at": scan.ended_at.astimezone(dt.UTC).isoformat() if scan.ended_at else None,
        "status": scan.status.value,
        "data_versions": dict(sorted(scan.data_versions.items())),
    }


def build_report_data(
    scan: Scan,
    meta: ReportMeta,
    dispositions: Mapping[str, Disposition] | None = None,
    first_seen: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The report's data for a scan held in memory (devices in severity order, then by IP)."""
    dispositions = dispositions or {}
    first_seen = first_seen or {}
    records = [
        device_record(d, dispositions.get(d.key), first_seen.get(d.key)) for d in scan.devices
    ]
    records.sort(key=lambda r: (rank(r["status"]), _ip_sort(r["ip"]), r["key"]))
    return _assemble(scan, meta, Tally.of_records(records), records)


def _assemble(
    scan: Scan, meta: ReportMeta, tally: Tally, devices: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    policies = _policies(scan, tally)
    return {
        "format": REPORT_FORMAT,
        "meta": meta.to_dict(),
        "scan": _scan_part(scan),
        "counts": _counts(tally, [p["id"] for p in policies]),
        "policies": policies,
        "far_reminder": FAR_REMINDER if _must_report(policies, tally) else None,
        "scope": _scope(scan, policies),
        "devices": devices,
    }


def _must_report(policies: list[dict[str, Any]], tally: Tally) -> bool:
    """A pack with a reporting duty binds the site and flags a device."""
    return any(
        verdicts.get(p["id"], {}).get("status") in FLAGGED
        for p in policies
        if p["reporting"]
        for verdicts, _ in tally.verdict_sets
    )


def _ip_sort(ip: str | None) -> tuple[int, ...]:
    if not ip:
        return (999,)
    try:
        return tuple(int(part) for part in ip.split("."))
    except ValueError:
        return (998,)


class LazyRecords(Sequence[dict[str, Any]]):
    """Device records read each time they are iterated (subclasses give ``__iter__`` and
    ``__len__``).  Indexing and comparing read every record: for tests and small scans."""

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class StoredDevices(LazyRecords):
    """A report's device records, read from the database each time they are iterated.

    In the report's order (most severe first, then IPv4 address, then key), a batch at a time,
    so exporting a million devices holds a few hundred in memory.  Each pass opens its own
    connection to the database file (a stored scan does not change), so the data outlives the
    store it came from.  Indexing reads every record (for tests and small scans).
    """

    def __init__(
        self,
        store: Store,
        scan_id: int,
        dispositions: Mapping[str, Disposition],
        batch: int = 500,
    ) -> None:
        self._path, self._scan_id, self._dispositions = store.path, scan_id, dispositions
        self._batch = batch
        self._len = store.count_devices(scan_id)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[dict[str, Any]]:
        from inventory.store import Store  # noqa: PLC0415  (store imports this module's users)

        with Store(self._path, create=False) as store:
            pending: list[Device] = []
            shared: dict[int, tuple[Verdict, dict[str, Any]]] = {}  # verdicts devices share
            for dev in store.iter_devices(self._scan_id, order="severity", batch=self._batch):
                pending.append(dev)
                if len(pending) >= self._batch:
                    yield from self._records(store, pending, shared)
                    pending = []
                    if len(shared) > 50_000:
                        shared.clear()
            yield from self._records(store, pending, shared)

    def _records(
        self,
        store: Store,
        devices: list[Device],
        as_dicts: dict[int, tuple[Verdict, dict[str, Any]]],
    ) -> Iterator[dict[str, Any]]:
        first = store.first_seen(self._scan_id, [d.key for d in devices])
        for dev in devices:
            verdicts = {}
            for name, v in sorted(dev.verdicts.items()):
                known = as_dicts.get(id(v))
                if known is None:
                    known = as_dicts[id(v)] = (v, v.to_dict())
                verdicts[name] = known[1]
            yield device_record(
                dev, self._dispositions.get(dev.key), first.get(dev.key), verdicts=verdicts
            )


def report_data_from_store(store: Store, scan_id: int, meta: ReportMeta) -> dict[str, Any]:
    """The report data for a stored scan, with dispositions as they stood at report time.

    Its ``devices`` are a :class:`StoredDevices`: read from ``store`` as they are written out,
    so the store must stay open until the report is written.
    """
    scan = store.load_scan(scan_id, devices=False)
    dispositions = store.current_dispositions(as_of=meta.generated_at)
    devices: Sequence[dict[str, Any]]
    if str(store.path) == ":memory:":  # no file to read again: hold the records
        scan.devices = list(store.iter_devices(scan_id))
        return build_report_data(scan, meta, dispositions, store.first_seen(scan_id))
    devices = StoredDevices(store, scan_id, dispositions)
    return _assemble(scan, meta, Tally.of_store(store, scan_id), devices)


class EstateDevices(LazyRecords):
    """The devices of several sites' scans as one list, in the report's order, each record
    naming its ``site``; read from the database as iterated, like :class:`StoredDevices`."""

    def __init__(self, parts: Sequence[tuple[str, StoredDevices]]) -> None:
        self._parts = list(parts)

    def __len__(self) -> int:
        return sum(len(devices) for _, devices in self._parts)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        def tagged(site: str, devices: StoredDevices) -> Iterator[dict[str, Any]]:
            for record in devices:
                yield record | {"site": site}

        streams = [tagged(site, devices) for site, devices in self._parts]
        yield from heapq.merge(*streams, key=_report_order)


def _report_order(record: Mapping[str, Any]) -> tuple[Any, ...]:
    return (rank(record["status"]), _ip_sort(record["ip"]), record["key"], record.get("site", ""))


def estate_scans(store: Store) -> dict[str, int]:
    """Each site's newest complete scan (its newest scan when none completed): site -> id."""
    chosen: dict[str, tuple[bool, int]] = {}
    for summary in store.list_scans():
        complete = summary.status.value == "complete"
        best = chosen.get(summary.site)
        if best is None or (complete, summary.id) >= best:
            chosen[summary.site] = (complete, summary.id)
    return {site: scan_id for site, (_, scan_id) in sorted(chosen.items())}


def estate_report_data(store: Store, scans: Mapping[str, int], meta: ReportMeta) -> dict[str, Any]:
    """One report over several sites: each site's scan (``scans``: site -> scan id) together.

    The scan part describes them as one (targets prefixed by site, methods and policies
    joined, the earliest start and latest end, ``options.estate`` listing site and scan);
    every device record names its site; the summary counts all of them.
    """
    records = {site: store.load_scan(scan_id, devices=False) for site, scan_id in scans.items()}
    if not records:
        raise ValueError("no scans to report")
    dispositions = store.current_dispositions(as_of=meta.generated_at)
    newest = max(records.values(), key=lambda s: s.id or 0)
    ended = [s.ended_at for s in records.values() if s.ended_at]
    statuses = {s.status.value for s in records.values()}
    combined = Scan(
        id=newest.id,
        targets=tuple(f"{site or '-'}: {t}" for site, s in records.items() for t in s.targets),
        methods=tuple(dict.fromkeys(m for s in records.values() for m in s.methods)),
        site=newest.site,
        policies=tuple(dict.fromkeys(p for s in records.values() for p in s.policies)),
        options={"estate": [{"site": site, "scan": s.id} for site, s in records.items()]},
        started_at=min(s.started_at for s in records.values()),
        ended_at=max(ended) if ended else None,
        status=newest.status if len(statuses) == 1 else ScanStatus.INTERRUPTED,
        data_versions=newest.data_versions,
    )
    tally = Tally()
    parts = []
    for site, scan_id in scans.items():
        part = Tally.of_store(store, scan_id)
        tally.devices += part.devices
        tally.by_status.update(part.by_status)
        tally.by_maker.update(part.by_maker)
        tally.verdict_sets.extend(part.verdict_sets)
        parts.append((site, StoredDevices(store, scan_id, dispositions)))
    return _assemble(combined, meta, tally, EstateDevices(parts))
