"""The domain model: plain, typed dataclasses shared by every layer.

Data flows  Observation -> Device -> Identity -> Verdict -> Scan  (see docs/design.md).
Evidence uses one flat vocabulary of namespaced field names (``ip``, ``mac``,
``onvif.manufacturer``, ``sadp.DeviceSN``, ``http.server`` ...).  Values are strings,
or lists of strings (``wsd.scopes``) or ints (``ports``).  Unknown fields are kept.

Nothing here performs I/O; every class converts to and from JSON-ready dicts so the
CLI, the store and the exports share one representation.
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

EvidenceValue = str | int | tuple[str, ...] | tuple[int, ...]
"""A single evidence value: a string, an int, or a tuple of either."""

# Fields that carry a device's MAC address, strongest (the device's own L2 address) first.
MAC_FIELDS = ("mac", "sadp.MAC", "dhip.mac", "onvif.mac", "isapi.macAddress", "dahua.mac")
# Fields that carry a manufacturer serial number, in order of trust.
SERIAL_FIELDS = (
    "sadp.DeviceSN",
    "isapi.serialNumber",
    "dhip.SerialNo",
    "dahua.serialNumber",
    "onvif.serial",
    "user.serial",
)


def utcnow() -> dt.datetime:
    """The current time as an aware UTC datetime (one place so tests can reason about it)."""
    return dt.datetime.now(dt.UTC)


def normalize_mac(value: str) -> str | None:
    """Return ``aa:bb:cc:dd:ee:ff`` for any common MAC spelling, or None if it is not one.

    Accepts colons, dashes (SADP ``58-50-ed-1f-e3-85``), dots (``5850.ed1f.e385``) and bare
    hex (Dahua RPC2 ``38AF29BBBCAB``).  The all-zero and broadcast addresses are rejected.
    """
    hexdigits = "".join(ch for ch in value.strip() if ch not in ":-. ").lower()
    if len(hexdigits) != 12 or any(ch not in "0123456789abcdef" for ch in hexdigits):
        return None
    if hexdigits in ("000000000000", "ffffffffffff"):
        return None
    return ":".join(hexdigits[i : i + 2] for i in range(0, 12, 2))


def is_locally_administered(mac: str) -> bool:
    """True for a randomized / locally administered MAC (bit 1 of the first octet set)."""
    return bool(int(mac[:2], 16) & 0x02)


def _freeze(value: Any) -> EvidenceValue:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    if isinstance(value, (str, int)):
        return value
    return str(value)


def _thaw(value: EvidenceValue) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True, slots=True)
class Observation:
    """What one probe or importer saw about one host at one moment.

    ``source`` names the probe (``arp``, ``wsd``, ``sadp``, ``pcap``, ``csv`` ...);
    ``fields`` uses the evidence vocabulary.  ``method`` says how a value was obtained
    where that matters to an auditor (e.g. ``arp-sweep`` vs ``neighbour-table`` for MACs).
    """

    source: str
    fields: Mapping[str, EvidenceValue]
    seen_at: dt.datetime = field(default_factory=utcnow)
    method: str = ""

    @classmethod
    def of(cls, source: str, method: str = "", **values: Any) -> Observation:
        """Build from keyword arguments; ``__`` in a name stands for a dot (``onvif__model``)."""
        fields = {k.replace("__", "."): _freeze(v) for k, v in values.items() if v is not None}
        return cls(source=source, fields=fields, method=method)

    @property
    def ip(self) -> str | None:
        value = self.fields.get("ip")
        return value if isinstance(value, str) and value else None

    @property
    def mac(self) -> str | None:
        """The first MAC any field of this observation carries, normalized."""
        for name in MAC_FIELDS:
            value = self.fields.get(name)
            if isinstance(value, str) and (mac := normalize_mac(value)):
                return mac
        return None

    @property
    def serial(self) -> str | None:
        for name in SERIAL_FIELDS:
            value = self.fields.get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "method": self.method,
            "seen_at": self.seen_at.isoformat(),
            "fields": {k: _thaw(v) for k, v in self.fields.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Observation:
        return cls(
            source=str(data["source"]),
            method=str(data.get("method", "")),
            seen_at=dt.datetime.fromisoformat(data["seen_at"]),
            fields={str(k): _freeze(v) for k, v in data["fields"].items()},
        )


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One value of one field of a device, with the probe that reported it."""

    field: str
    value: EvidenceValue
    source: str
    seen_at: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": _thaw(self.value),
            "source": self.source,
            "seen_at": self.seen_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that went wrong for one device or one input, kept and shown, never fatal.

    Probes, merging, imports and scan sinks all report these; ``source`` says which
    (``onvif``, ``merge``, ``import``, ``sink`` ...), ``kind`` sorts it for people.
    """

    source: str
    kind: str  # e.g. "timeout", "parse", "bad_credentials", "not_onvif", "unreachable", "protocol"
    message: str
    seen_at: dt.datetime = field(default_factory=utcnow)
    ip: str = ""  # the device it concerns, so the scan can file it there ("" = no device)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "message": self.message,
            "seen_at": self.seen_at.isoformat(),
            "ip": self.ip,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        return cls(
            source=str(data["source"]),
            kind=str(data["kind"]),
            message=str(data["message"]),
            seen_at=dt.datetime.fromisoformat(data["seen_at"]),
            ip=str(data.get("ip", "")),
        )


class Relationship(enum.StrEnum):
    """How the brand a device is sold under relates to the company that made it."""

    OWN_BRAND = "own_brand"
    SUBSIDIARY = "subsidiary"
    OEM = "oem"
    UNKNOWN = "unknown"


class DeviceType(enum.StrEnum):
    """What kind of box a device is (shown in the table, exports and report).

    Decided by vendors/device_type.py from rule params, model numbering, vendor-protocol
    device classes and ports; ``Identity.device_type_how`` says which.
    """

    CAMERA = "camera"
    RECORDER = "recorder"
    ENCODER = "encoder"
    INTERCOM = "intercom"
    ROUTER = "router"
    SWITCH = "switch"
    ACCESS_POINT = "access_point"
    PHONE = "phone"
    RADIO = "radio"
    PRINTER = "printer"
    COMPUTER = "computer"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        """The type as people write it ("access point")."""
        return self.value.replace("_", " ")


@dataclass(frozen=True, slots=True)
class Reason:
    """One piece of evidence and what it says, as shown to a user.

    ``rule`` names the fingerprint rule or catalogue entry that matched (``oui:44:19:b6``,
    ``http.server:hikvision-app-webs``); ``indicates`` is the maker id it points to, if any;
    ``weight`` is how much it counted (0..1); ``detail`` is a readable sentence.
    """

    field: str
    value: str
    rule: str
    weight: float
    indicates: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "rule": self.rule,
            "weight": self.weight,
            "indicates": self.indicates,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        return cls(
            field=str(data["field"]),
            value=str(data["value"]),
            rule=str(data["rule"]),
            weight=float(data["weight"]),
            indicates=data.get("indicates"),
            detail=str(data.get("detail", "")),
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """Who made a device and under which name it is sold, with the reasons why.

    ``maker`` and ``brand`` are catalogue ids (``hikvision``, ``annke``) or None when the
    evidence is too thin.  ``conflicts`` lists reasons that point elsewhere (kept, not hidden).
    ``made_on`` is when the unit was made, when its evidence says (``made_on_how`` says how);
    catalogue links are read at that date.
    """

    maker: str | None
    brand: str | None
    relationship: Relationship
    model: str | None = None
    firmware: str | None = None
    serial: str | None = None
    component_flags: tuple[str, ...] = ()
    confidence: float = 0.0
    reasons: tuple[Reason, ...] = ()
    conflicts: tuple[Reason, ...] = ()
    made_on: dt.date | None = None
    made_on_how: str = ""
    device_type: DeviceType = DeviceType.UNKNOWN
    device_type_how: str = ""
    # The IEEE registrant of the device's own MAC, whatever the catalogue says: a row with
    # no catalogue maker (a printer, a laptop) still says who registered its network card.
    registrant: str | None = None

    @classmethod
    def unknown(cls, reasons: Iterable[Reason] = ()) -> Identity:
        return cls(
            maker=None, brand=None, relationship=Relationship.UNKNOWN, reasons=tuple(reasons)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "maker": self.maker,
            "brand": self.brand,
            "relationship": self.relationship.value,
            "model": self.model,
            "firmware": self.firmware,
            "serial": self.serial,
            "component_flags": list(self.component_flags),
            "confidence": round(self.confidence, 3),
            "reasons": [r.to_dict() for r in self.reasons],
            "conflicts": [r.to_dict() for r in self.conflicts],
            # absent, not null, when undated: reports made before these keys still verify
            **(
                {"made_on": self.made_on.isoformat(), "made_on_how": self.made_on_how}
                if self.made_on
                else {}
            ),
            # absent when unknown, for the same reason (identities stored before it read back)
            **(
                {"device_type": self.device_type.value, "device_type_how": self.device_type_how}
                if self.device_type is not DeviceType.UNKNOWN
                else {}
            ),
            **({"registrant": self.registrant} if self.registrant else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Identity:
        return cls(
            maker=data.get("maker"),
            brand=data.get("brand"),
            relationship=Relationship(data.get("relationship", "unknown")),
            model=data.get("model"),
            firmware=data.get("firmware"),
            serial=data.get("serial"),
            component_flags=tuple(data.get("component_flags", ())),
            confidence=float(data.get("confidence", 0.0)),
            reasons=tuple(Reason.from_dict(r) for r in data.get("reasons", ())),
            conflicts=tuple(Reason.from_dict(r) for r in data.get("conflicts", ())),
            made_on=dt.date.fromisoformat(data["made_on"]) if data.get("made_on") else None,
            made_on_how=str(data.get("made_on_how", "")),
            device_type=_device_type(data.get("device_type")),
            device_type_how=str(data.get("device_type_how", "")),
            registrant=str(data["registrant"]) if data.get("registrant") else None,
        )


def _device_type(value: Any) -> DeviceType:
    """A stored device type; absent (older data) or not one we know reads as unknown."""
    try:
        return DeviceType(value)
    except ValueError:
        return DeviceType.UNKNOWN


class VerdictStatus(enum.StrEnum):
    """Per-policy outcome for one device (docs/design.md, "Identity and verdict")."""

    COVERED = "covered"
    COVERED_FOR_USE = "covered_for_use"
    LIKELY_COVERED = "likely_covered"
    COMPONENT_RISK = "component_risk"
    NOT_COVERED = "not_covered"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"  # the pack does not bind this site (never "not covered")

    @property
    def flagged(self) -> bool:
        """True for outcomes a compliance officer must act on."""
        return self in (
            VerdictStatus.COVERED,
            VerdictStatus.COVERED_FOR_USE,
            VerdictStatus.LIKELY_COVERED,
        )


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a rule comes from: instrument, clause, date and a link."""

    title: str
    clause: str
    url: str
    date: str  # ISO date the rule took effect or was published

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "clause": self.clause, "url": self.url, "date": self.date}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Citation:
        return cls(
            title=str(data["title"]),
            clause=str(data["clause"]),
            url=str(data["url"]),
            date=str(data["date"]),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one device falls under one policy, why, and the rule to cite."""

    policy: str
    status: VerdictStatus
    entry: str | None = None
    reasons: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "status": self.status.value,
            "entry": self.entry,
            "reasons": list(self.reasons),
            "citations": [c.to_dict() for c in self.citations],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(
            policy=str(data["policy"]),
            status=VerdictStatus(data["status"]),
            entry=data.get("entry"),
            reasons=tuple(data.get("reasons", ())),
            citations=tuple(Citation.from_dict(c) for c in data.get("citations", ())),
        )


class SiteUse(enum.StrEnum):
    """What the deployment is for; §889(f)(3)(B) turns on it."""

    PUBLIC_SAFETY = "public_safety"
    GOVERNMENT_FACILITY = "government_facility"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"
    NATIONAL_SECURITY = "national_security"
    GENERAL_COMMERCIAL = "general_commercial"


# Common spellings of a jurisdiction code -> the ISO 3166 code the policy packs use.
JURISDICTION_ALIASES = {"uk": "gb", "usa": "us"}


def normalize_jurisdiction(code: str) -> str:
    """``UK`` -> ``gb``, ``US-LA`` -> ``us-la``: lowercase ISO 3166 (with subdivision)."""
    code = code.strip().lower()
    head, _, rest = code.partition("-")
    head = JURISDICTION_ALIASES.get(head, head)
    return f"{head}-{rest}" if rest else head


class Organisation(enum.StrEnum):
    """Who runs the site: a policy pack binds some kinds of organisation and not others."""

    FEDERAL_AGENCY = "federal_agency"
    FEDERAL_CONTRACTOR = "federal_contractor"
    GRANT_RECIPIENT = "grant_recipient"  # grant or loan recipient (e.g. 2 CFR 200.216)
    STATE_BODY = "state_body"  # state, provincial or national-government body
    MUNICIPAL_BODY = "municipal_body"  # municipal or other local body
    PRIVATE = "private"


@dataclass(frozen=True, slots=True)
class SiteProfile:
    """The deployment context a verdict is judged in.

    ``organisation`` None means the user did not say: every pack in force in the site's
    jurisdictions is then judged as if it bound the site, and the verdict says so.
    """

    uses: tuple[SiteUse, ...] = (SiteUse.GENERAL_COMMERCIAL,)
    jurisdictions: tuple[str, ...] = ("us",)
    assessment_date: dt.date = field(default_factory=lambda: utcnow().date())
    organisation: Organisation | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uses": [u.value for u in self.uses],
            "jurisdictions": list(self.jurisdictions),
            "assessment_date": self.assessment_date.isoformat(),
        }
        if self.organisation:  # absent, not null: reports made before it still verify
            out["organisation"] = self.organisation.value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SiteProfile:
        org = data.get("organisation")
        return cls(
            uses=tuple(SiteUse(u) for u in data.get("uses", ("general_commercial",))),
            jurisdictions=tuple(data.get("jurisdictions", ("us",))),
            assessment_date=dt.date.fromisoformat(data["assessment_date"]),
            organisation=Organisation(org) if org else None,
        )


def address_rank(ip: str) -> int:
    """0 for IPv4, 1 for global or unique-local IPv6, 2 for link-local IPv6, 3 for text that
    is no address (a stable sort by it keeps first-seen order within each rank)."""
    try:
        addr = ipaddress.ip_address(ip.partition("%")[0])
    except ValueError:
        return 3
    if addr.version == 4:
        return 0
    return 2 if addr.is_link_local else 1


def ip_sort_key(ip: str | None) -> tuple[int, int, str]:
    """A sort key for addresses of both families (IPv4 first, numerically; then IPv6),
    for tables and reports; never raises on IPv6, zones or junk."""
    if not ip:
        return (9, 0, "")
    try:
        addr = ipaddress.ip_address(ip.partition("%")[0])
    except ValueError:
        return (8, 0, ip)
    return (addr.version, int(addr), ip)


@dataclass(slots=True)
class Device:
    """One physical box, merged from every observation that concerns it.

    ``key`` is stable across scans: ``mac:…`` when a MAC is known, else ``serial:…``, else
    ``ip:…``.  ``evidence`` keeps every value of every field with its source; nothing is
    dropped, so conflicting reports stay visible.
    """

    key: str
    ips: list[str] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    identity: Identity | None = None
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    mac_method: str = ""

    @property
    def ip(self) -> str | None:
        """The address to show and to probe: the first IPv4 one, else the first global IPv6
        one, else the first link-local one (``ips`` keeps every address, first seen first)."""
        return min(self.ips, key=address_rank) if self.ips else None

    @property
    def mac(self) -> str | None:
        for name in MAC_FIELDS:
            for value in self.values(name):
                if isinstance(value, str) and (mac := normalize_mac(value)):
                    return mac
        return None

    @property
    def sources(self) -> list[str]:
        """The probes that contributed evidence, in the order they first did."""
        return list(dict.fromkeys(item.source for item in self.evidence))

    def values(self, name: str) -> list[EvidenceValue]:
        """Every distinct value reported for a field, first-seen first."""
        return list(dict.fromkeys(item.value for item in self.evidence if item.field == name))

    def first(self, name: str) -> EvidenceValue | None:
        for item in self.evidence:
            if item.field == name:
                return item.value
        return None

    def text(self, *names: str) -> str:
        """The first non-blank string any of these fields holds (in the order given), or ""."""
        for name in names:
            for value in self.values(name):
                if isinstance(value, str) and value.strip():
                    return value.strip()
        return ""

    def flat(self) -> dict[str, EvidenceValue]:
        """One value per field (the first seen): the flat evidence record of docs/design.md."""
        out: dict[str, EvidenceValue] = {}
        for item in self.evidence:
            out.setdefault(item.field, item.value)
        return out

    def add(self, obs: Observation) -> None:
        """Fold an observation's fields into this device (duplicates are not repeated)."""
        known = {(i.field, i.value, i.source) for i in self.evidence}
        for name, value in obs.fields.items():
            if (name, value, obs.source) not in known:
                self.evidence.append(EvidenceItem(name, value, obs.source, obs.seen_at))
        if obs.ip and obs.ip not in self.ips:
            self.ips.append(obs.ip)
        if obs.method and obs.fields.get("mac") and not self.mac_method:
            self.mac_method = obs.method

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "ip": self.ip,
            "ips": list(self.ips),
            "mac": self.mac,
            "mac_method": self.mac_method,
            "evidence": [e.to_dict() for e in self.evidence],
            "errors": [e.to_dict() for e in self.errors],
            "identity": self.identity.to_dict() if self.identity else None,
            "verdicts": {k: v.to_dict() for k, v in self.verdicts.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Device:
        evidence = [
            EvidenceItem(
                field=str(e["field"]),
                value=_freeze(e["value"]),
                source=str(e["source"]),
                seen_at=dt.datetime.fromisoformat(e["seen_at"]),
            )
            for e in data.get("evidence", ())
        ]
        ident = data.get("identity")
        return cls(
            key=str(data["key"]),
            ips=list(data.get("ips", ())),
            evidence=evidence,
            errors=[Problem.from_dict(e) for e in data.get("errors", ())],
            identity=Identity.from_dict(ident) if ident else None,
            verdicts={k: Verdict.from_dict(v) for k, v in data.get("verdicts", {}).items()},
            mac_method=str(data.get("mac_method", "")),
        )


class ScanStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


@dataclass(slots=True)
class Scan:
    """One audit run: what was scanned, how, in which context, and what was found."""

    targets: tuple[str, ...]
    methods: tuple[str, ...]
    site: SiteProfile = field(default_factory=SiteProfile)
    policies: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    started_at: dt.datetime = field(default_factory=utcnow)
    ended_at: dt.datetime | None = None
    status: ScanStatus = ScanStatus.RUNNING
    data_versions: dict[str, str] = field(default_factory=dict)
    devices: list[Device] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "targets": list(self.targets),
            "methods": list(self.methods),
            "site": self.site.to_dict(),
            "policies": list(self.policies),
            "options": dict(self.options),
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "status": self.status.value,
            "data_versions": dict(self.data_versions),
            "devices": [d.to_dict() for d in self.devices],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scan:
        ended = data.get("ended_at")
        return cls(
            id=data.get("id"),
            targets=tuple(data.get("targets", ())),
            methods=tuple(data.get("methods", ())),
            site=SiteProfile.from_dict(data["site"]),
            policies=tuple(data.get("policies", ())),
            options=dict(data.get("options", {})),
            started_at=dt.datetime.fromisoformat(data["started_at"]),
            ended_at=dt.datetime.fromisoformat(ended) if ended else None,
            status=ScanStatus(data.get("status", "running")),
            data_versions=dict(data.get("data_versions", {})),
            devices=[Device.from_dict(d) for d in data.get("devices", ())],
        )
