"""identify(): who made a device and under which name it is sold, with the reasons why.

Evidence is weighed by class: the maker's own protocol and its serial / firmware
formats > the IEEE owner of the device's own MAC > ONVIF scopes and names > HTTP / RTSP banners >
port profile > a brand name a person typed.  Each maker's matches combine as independent evidence
(1 - prod(1 - w)); the strongest maker wins if its score reaches MIN_MAKER_SCORE, and every
reason pointing at another maker is kept as a conflict and lowers the confidence.  The brand
comes from evidence that names one (ONVIF name, vendor field, firmware OEM code, OUI of a brand
owner, a typed brand); the catalogue then says how brand and maker relate on the given date.
With no maker evidence but a brand whose catalogue link names exactly one maker, the maker is
given as *likely* with low confidence; likewise when a model number fits one maker's numbering
(a weak rule) and nothing points at another maker.  Brand names written inside model strings,
sysDescr, titles and greetings count too (vendors/names_in_text.py).  Pure and fast: rules and
tables are loaded once, and what each (field, value) says is memoised.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from core.model import (
    MAC_FIELDS,
    SERIAL_FIELDS,
    Device,
    DeviceType,
    EvidenceValue,
    Identity,
    Reason,
    Relationship,
    is_locally_administered,
    normalize_mac,
)
from core.presentation import link_label, with_article
from vendors.catalogue import Brand, Catalogue, Link, RegistrantLink, load_catalogue
from vendors.confidence import LIKELY_REASON_BELOW, MIN_MAKER_SCORE
from vendors.device_type import PARAM as DEVICE_TYPE_PARAM
from vendors.device_type import TypeRules, default_type_rules, from_params
from vendors.fingerprints import DERIVED_KINDS, WEIGHTS, Hit, RuleSet, load_rules
from vendors.made_on import production_date
from vendors.names_in_text import NameFinder
from vendors.names_in_text import weight_class as text_weight_class
from vendors.oui import OuiMatch, OuiRegistry, default_registry
from vendors.pen import forget as forget_pen
from vendors.pen import registrant as pen_registrant
from vendors.recog.source import Recognizer
from vendors.recog.store import forget as forget_recog
from vendors.recog.store import installed_recognizer

USER_FIELD_CAP = 0.35  # a format a person copied into an inventory counts at most this much
BRAND_ONLY_CONFIDENCE = 0.25
CONFLICT_PENALTY = 0.6
REASON_CACHE_SIZE = 50_000
# Longer values are cut before matching: no identifying string is this long, and a hostile
# multi-megabyte banner must not cost regex time or bloat every reason that quotes it.
MAX_VALUE_CHARS = 2048

# Fields whose value names a brand or maker, and how much a catalogue name match there counts.
BRAND_FIELDS: dict[str, str] = {
    "onvif.manufacturer": "onvif",
    "ssdp.manufacturer": "onvif",
    "isapi.manufacturer": "onvif",
    "dhip.Vendor": "onvif",
    "dahua.vendor": "onvif",
    "tapo.manufacturer_name": "onvif",
    "mdns.txt.manufacturer": "onvif",
    "user.brand": "user",
}
MODEL_FIELDS = (
    "isapi.model",
    "sadp.DeviceDescription",
    "dhip.DeviceType",
    "dahua.deviceType",
    "onvif.model",
    "ssdp.model",
    "user.model",
)
FIRMWARE_FIELDS = (
    "sadp.SoftwareVersion",
    "isapi.firmwareVersion",
    "dhip.Version",
    "dahua.softwareVersion",
    "onvif.firmware",
    "user.firmware",
)
_RELATIONSHIP_OF_LINK = {
    "own_brand": Relationship.OWN_BRAND,
    "subsidiary": Relationship.SUBSIDIARY,
    "former_subsidiary": Relationship.OEM,
    "affiliate": Relationship.SUBSIDIARY,
    "oem": Relationship.OEM,
    "reseller": Relationship.OEM,
}
_MAC_FIELDS = frozenset(MAC_FIELDS)
_MODEL_FIELD_SET = frozenset(MODEL_FIELDS)
_TYPED_MODEL_FIELDS = frozenset({"user.model"})
_URI_LIST_FIELDS = frozenset({"wsd.scopes", "wsd.types"})
_URI_LIST_SPLIT = re.compile(r"[\s,]+")
_LINK_PREFERENCE = ("own_brand", "subsidiary", "affiliate", "oem", "former_subsidiary", "reseller")


@dataclass(slots=True)
class _Claim:
    """One piece of evidence as the engine weighs it (becomes a Reason)."""

    field: str
    value: str
    rule: str
    weight: float
    maker: str | None = None
    brand: str | None = None
    component: str | None = None
    extracted: dict[str, str] = dataclasses.field(default_factory=dict)
    detail: str = ""
    likely: bool = False
    detail_org: str = ""  # the IEEE registrant, for a claim read from a MAC


# One rule's claims for one (field, value): (the rule's ref or None, [(ref or None, claim)]).
_Group = tuple[str | None, tuple[tuple[str | None, "_Claim"], ...]]
_NAMES = "@names"  # the group of names a value holds (counted unless a rule read the value)
_PEN = "@pen"  # the IANA registrant of a sysObjectID's enterprise (likewise)
_SECOND_READINGS = frozenset({_NAMES, _PEN})


@dataclass(slots=True)
class Engine:
    """The loaded data identify() works with (built once; see default_engine())."""

    rules: RuleSet
    catalogue: Catalogue
    registry: OuiRegistry
    memo: bool = True  # reuse Reason objects for recurring values (off: for benchmarks)
    type_rules: TypeRules = dataclasses.field(default_factory=default_type_rules)
    recog: Recognizer | None = None  # the user's installed rapid7/recog copy (vendors/recog/)
    _kinds: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)
    _names: NameFinder | None = dataclasses.field(default=None, repr=False)
    _pair_memo: dict[tuple[str, str], tuple[_Group, ...]] = dataclasses.field(
        default_factory=dict, repr=False
    )
    _families: dict[str, frozenset[str]] = dataclasses.field(default_factory=dict, repr=False)
    # Reasons are immutable and the same banner / model / firmware recurs across a fleet.
    _reasons: dict[tuple[object, ...], Reason] = dataclasses.field(default_factory=dict, repr=False)

    def reason(self, claim: _Claim) -> Reason:
        key = (claim.rule, claim.field, claim.value, claim.weight, claim.maker, claim.brand,
               claim.likely, claim.detail)  # fmt: skip
        if not self.memo:
            return _reason(self.catalogue, claim)
        cached = self._reasons.get(key)
        if cached is None:
            if len(self._reasons) >= REASON_CACHE_SIZE:
                self._reasons.clear()
            cached = self._reasons[key] = _reason(self.catalogue, claim)
        return cached

    def identify(
        self, evidence: Device | Mapping[str, EvidenceValue], on: dt.date | None = None
    ) -> Identity:
        pairs = list(_pairs(evidence))
        claims = self._claims(pairs)
        # Links are read at the date the unit was made when its evidence says (§889 asks who
        # produced it), else at the assessment date.
        dated = production_date(pairs)
        identity = _decide(self, claims, pairs, dated.date if dated else on)
        if dated is None:
            return identity
        return replace(identity, made_on=dated.date, made_on_how=dated.how)

    def _kind(
        self,
        claims: list[_Claim],
        pairs: list[tuple[str, str]],
        model: str | None,
        maker: str | None,
    ) -> tuple[DeviceType, str, list[_Claim], str | None]:
        """The device type (vendors/device_type.py), how it was decided (as a claim to show)
        and the registrant of the device's own MAC."""
        registrant = None
        best: _Claim | None = None
        for c in claims:
            if registrant is None and c.detail_org and c.field in _MAC_FIELDS:
                registrant = c.detail_org
            # A rule pointing at another maker (a conflict) does not say what this box is.
            if (
                DEVICE_TYPE_PARAM in c.extracted
                and (best is None or c.weight > best.weight)
                and (c.maker is None or maker is None or self.related(c.maker, maker))
            ):
                best = c
        decision = (
            from_params([(best.extracted[DEVICE_TYPE_PARAM], best.rule, best.field, best.value)])
            if best is not None
            else None
        ) or self.type_rules.decide(pairs, model, maker, self._family)
        if decision is None:
            return DeviceType.UNKNOWN, "", [], registrant
        shown = _Claim("device_type", decision.type.value, "device_type", 0.0, detail=decision.how)
        return decision.type, decision.how, [shown], registrant

    # ------------------------------------------------------------------------- evidence

    def _claims(self, pairs: list[tuple[str, str]]) -> list[_Claim]:
        claims: list[_Claim] = []
        seen_rules: set[str] = set()
        seen_macs: set[str] = set()
        for name, value in pairs:
            if name in _MAC_FIELDS:
                claims.extend(self._mac_claims(name, value, seen_macs))
            elif name == "mac_prefix":
                claims.extend(self._prefix_claims(name, value))
            self._merge(name, value, claims, seen_rules)
        if self.recog is not None:
            claims.extend(self._recog_claims(pairs, claims))
        return claims

    def _merge(self, name: str, value: str, claims: list[_Claim], seen_rules: set[str]) -> None:
        """Add what one (field, value) says to the device's claims.  One reason per rule: a
        SADP reply has twenty fields but is one piece of evidence."""
        named = False  # a rule kept for this device read a brand or maker from this value
        for primary, entries in self._pair_groups(name, value):
            if primary in _SECOND_READINGS:
                if named:
                    continue
            elif primary is not None:
                if primary in seen_rules:
                    continue
                seen_rules.add(primary)
            for ref, claim in entries:
                if ref is not None:
                    if ref in seen_rules:
                        continue
                    seen_rules.add(ref)
                claims.append(claim)
                if (claim.brand or claim.maker) and claim.field == name and claim.value == value:
                    named = True

    def _pair_groups(self, name: str, value: str) -> tuple[_Group, ...]:
        """What one (field, value) says, as groups of claims: one group per rule that matched
        (keyed by the rule, with the claims derived from what it captured, each keyed by its
        own rule) and one for names the value holds.  A pure function of the pair, so it is
        memoised: a fleet repeats its models, firmware and banners.  Claims are shared between
        identities and never changed after they are made."""
        key = (name, value)
        if self.memo and (cached := self._pair_memo.get(key)) is not None:
            return cached
        hits = self.rules.match(name, value)
        if not hits and name in _TYPED_MODEL_FIELDS and (upper := value.upper()) != value:
            # People type model numbers in lower case ("hg8245h"); makers print them in capitals.
            hits = [replace(hit, value=value) for hit in self.rules.match(name, upper)]
        groups: list[_Group] = [(hit.rule.ref, self._hit_entries(hit)) for hit in hits]
        # Names the value holds count unless a rule kept for the device read this value.
        extra: list[_Claim] = []
        if name in BRAND_FIELDS:
            extra = self._brand_name_claims(name, value, BRAND_FIELDS[name], [])
        elif (text_class := text_weight_class(name)) is not None:
            extra = self._text_name_claims(name, value, text_class)
        if extra:
            groups.append((_NAMES, tuple((None, claim) for claim in extra)))
        if name == "snmp.sysobjectid" and (pen := self._pen_claim(name, value)) is not None:
            groups.append((_PEN, ((None, pen),)))
        result = tuple(groups)
        if self.memo:
            if len(self._pair_memo) >= REASON_CACHE_SIZE:
                self._pair_memo.clear()
            self._pair_memo[key] = result
        return result

    def _recog_claims(self, pairs: list[tuple[str, str]], ours: list[_Claim]) -> list[_Claim]:
        """recog's claims; one naming the maker our rule already read from the same value
        is kept as a reason but counts 0 (one banner is one piece of evidence)."""
        assert self.recog is not None
        recog = self.recog.claims(pairs)
        if not recog:
            return []
        said = {(c.field, c.value): c.maker for c in ours if c.maker and c.weight > 0}
        out = []
        for found in recog:
            # extracted is shared, never mutated, as with our own rules' hits
            claim = _Claim(
                field=found.field,
                value=found.value,
                rule=found.rule,
                weight=found.weight,
                maker=found.maker,
                brand=found.brand,
                component=found.component,
                extracted=found.extracted,
                detail=found.detail,
                likely=found.likely,
            )
            agreed = said.get((found.field, found.value))
            if agreed and claim.maker and self.related(agreed, claim.maker):
                claim.weight = 0.0
                claim.detail += "; agrees with our rule on this value (counted once)"
            out.append(claim)
        return out

    def _pen_claim(self, name: str, value: str) -> _Claim | None:
        """The organisation IANA registered a sysObjectID's enterprise number to: a catalogue
        maker (listed in its ``pen_numbers`` or linked by name, as MAC registrants are) counts
        as the device naming its maker; any other registrant is shown and counts nothing."""
        found = pen_registrant(value)
        if found is None:
            return None
        number, org = found
        maker = self.catalogue.maker_for_pen(number)
        if maker is None and (link := self.catalogue.link_registrant(org)) is not None:
            maker = link.maker
        rule = f"pen:{number}"
        if maker is None:
            detail = f"SNMP enterprise {number} is registered to {org!r} (not a catalogue maker)"
            return _Claim(name, value, rule, 0.0, detail=detail)
        role = self.catalogue.makers[maker].role
        if role in ("component", "service_provider"):
            # A chip or software maker's number (Broadcom's FASTPATH switching software is
            # licensed to many switch makers): it says what runs inside, not who built the box.
            what = "a component maker" if role == "component" else "a service provider"
            detail = (
                f"SNMP enterprise {number} is registered to {org!r}, {what}: not the device's maker"
            )
            return _Claim(name, value, rule, 0.0, detail=detail)
        return _Claim(
            name,
            value,
            rule,
            WEIGHTS["onvif"],
            maker=self.catalogue.group_of(maker),
            detail=f"SNMP enterprise {number} is registered to {org!r} (IANA)",
        )

    def _hit_entries(self, hit: Hit) -> tuple[tuple[str | None, _Claim], ...]:
        """A rule's claim, then the claims of rules applied to the model / serial / firmware
        it captured (each keyed by its rule, so the device counts a rule once), a MAC it read
        and a brand name it captured."""
        claim = self._hit_claim(hit)
        entries: list[tuple[str | None, _Claim]] = [(None, claim)]
        for kind in DERIVED_KINDS:
            captured = hit.extracted.get(kind)
            if captured and self.rules_kind(hit.rule.file) != kind:
                for sub in self.rules.match_kind(kind, captured, f"{hit.field}→{kind}"):
                    derived = self._hit_claim(sub)
                    derived.weight = min(derived.weight, max(claim.weight, WEIGHTS["banner"]))
                    entries.append((sub.rule.ref, derived))
        if (mac := hit.extracted.get("mac")) and hit.rule.weight_class == "info":
            entries.extend((None, c) for c in self._mac_claims(hit.field, mac, set()))
        if brand_name := hit.extracted.get("brand_name"):
            so_far = [c for _, c in entries]
            named = self._brand_name_claims(hit.field, brand_name, "onvif", so_far)
            entries.extend((None, c) for c in named)
        return tuple(entries)

    def rules_kind(self, file_name: str) -> str:
        kinds = self._kinds
        if not kinds:
            kinds.update({f.name: f.kind for f in self.rules.files})
        return kinds.get(file_name, "")

    def related(self, a: str, b: str) -> bool:
        """Same group: one is the other's parent (at any time) or they share a parent."""
        if a == b:
            return True
        return bool(self._family(a) & self._family(b))

    def _family(self, maker: str) -> frozenset[str]:
        family = self._families.get(maker)
        if family is None:
            try:
                family = frozenset({maker, *(p for p, _ in self.catalogue.lineage(maker))})
            except KeyError:
                family = frozenset({maker})
            self._families[maker] = family
        return family

    def _hit_claim(self, hit: Hit) -> _Claim:
        rule = hit.rule
        weight = rule.weight
        if hit.field.startswith("user."):
            weight = min(weight, USER_FIELD_CAP)
        maker = hit.extracted.get("maker")
        return _Claim(
            field=hit.field,
            value=hit.value,
            rule=rule.ref,
            weight=weight,
            maker=self.catalogue.group_of(maker) if maker else None,
            brand=hit.extracted.get("brand"),
            component=hit.extracted.get("component"),
            extracted=hit.extracted,
            detail=rule.description,
            likely=hit.extracted.get("likely") == "yes" or weight < LIKELY_REASON_BELOW,
        )

    def _mac_claims(self, name: str, value: str, seen: set[str]) -> list[_Claim]:
        mac = normalize_mac(value)
        if mac is None or mac in seen:
            return []
        seen.add(mac)
        if is_locally_administered(mac):
            return [
                _Claim(name, mac, "mac:randomized", 0.0, detail="randomized MAC: no maker evidence")
            ]
        return self._registry_claims(name, mac, self.registry.lookup_normalized(mac))

    def _registry_claims(self, name: str, mac: str, match: OuiMatch | None) -> list[_Claim]:
        if match is None:
            return [
                _Claim(
                    name, mac, "oui:unassigned", 0.0, detail="MAC block not in the IEEE registry"
                )
            ]
        rule = f"oui:{match.prefix}"
        link = self.catalogue.link_registrant(match.org)
        if link is None:
            claim = _Claim(
                name,
                mac,
                rule,
                0.0,
                detail=f"{match.registry} block of {match.org!r} (not a catalogue maker)",
            )
        elif link.maker is None:
            claim = self._registrant_brand_claim(name, mac, rule, link)
        else:
            claim = self._oui_claim(name, mac, rule, link.maker, match.org)
            if link.how != "exact":
                claim.detail += f" (the registry spelling of {link.matched!r})"
        claim.detail_org = match.org
        return [claim]

    def _registrant_brand_claim(
        self, name: str, mac: str, rule: str, link: RegistrantLink
    ) -> _Claim:
        """A block whose registrant bears a brand's name (an old company name such as "Lt
        Security Inc" for LTS): the brand, as likely, and the catalogue says who makes it."""
        brand = self.catalogue.brands[link.brand or ""]
        return _Claim(
            name,
            mac,
            rule,
            WEIGHTS["weak"],
            brand=brand.id,
            detail=(
                f"MAC block registered to {link.org!r}, likely the company behind the brand "
                f"{brand.name} (registrant name equals the brand name {link.matched!r})"
            ),
            likely=True,
        )

    def _prefix_claims(self, name: str, value: str) -> list[_Claim]:
        """An inventory that lists only the first octets of a MAC ("00:65:1e")."""
        digits = "".join(ch for ch in value.lower() if ch not in ":-. ")
        if not 6 <= len(digits) <= 12 or any(ch not in "0123456789abcdef" for ch in digits):
            return []
        padded = ":".join(digits.ljust(12, "0")[i : i + 2] for i in range(0, 12, 2))
        if is_locally_administered(padded):
            return [
                _Claim(
                    name, value, "mac:randomized", 0.0, detail="randomized MAC: no maker evidence"
                )
            ]
        match = self.registry.lookup_normalized(padded)
        if match is not None and match.bits > 4 * len(digits):
            detail = f"prefix too short to tell which {match.registry} block of {value} it is"
            return [_Claim(name, value, "oui:ambiguous", 0.0, detail=detail)]
        return self._registry_claims(name, value, match)

    def _oui_claim(self, name: str, mac: str, rule: str, maker_id: str, org: str) -> _Claim:
        maker = self.catalogue.makers[maker_id]
        weight = WEIGHTS["oui"]
        base = f"MAC block registered to {org!r}"
        if maker.role == "brand_owner":
            brand = maker.brand or (maker_id if maker_id in self.catalogue.brands else None)
            return _Claim(
                name,
                mac,
                rule,
                weight,
                brand=brand,
                detail=f"{base}: the brand owner {maker.name}, not necessarily the maker",
            )
        if maker.role == "component":
            flag = "hisilicon_soc" if maker_id == "hisilicon" else f"{maker_id}_component"
            return _Claim(
                name,
                mac,
                rule,
                weight,
                component=flag,
                detail=f"{base}: a component maker ({maker.name})",
            )
        group = self.catalogue.group_of(maker_id)
        return _Claim(name, mac, rule, weight, maker=group, brand=maker.brand, detail=base)

    def _brand_name_claims(
        self, name: str, value: str, weight_class: str, claims: list[_Claim]
    ) -> list[_Claim]:
        if any(c.field == name and c.value == value and (c.brand or c.maker) for c in claims):
            return []  # a rule already read this value
        text = value.strip()
        brand = self.catalogue.brand_by_name(text)
        if brand is None and " " in text:
            # "FLIR CM-6204", "HIKVISION DS-2CD2143G0-I": devices put the brand first
            brand = self.catalogue.brand_by_name(text.split()[0])
        if brand is None:
            return []
        who = "typed by a person" if weight_class == "user" else "reported by the device"
        return [self._brand_claim(name, value, brand, weight_class, f"brand name {{name}} {who}")]

    def _text_name_claims(self, name: str, value: str, weight_class: str) -> list[_Claim]:
        """Brand or maker names written inside a model string, sysDescr, title or greeting
        (dropped at merge time when a rule kept for the device read this value)."""
        finder = self._names
        if finder is None:
            finder = self._names = NameFinder(
                (n, b.id) for b in self.catalogue.brands.values() for n in (b.name, *b.aliases)
            )
        who = "in text typed by a person" if weight_class == "user" else "in the device's own text"
        return [
            self._brand_claim(
                name,
                value,
                self.catalogue.brands[brand_id],
                weight_class,
                f"the name {{name}} {who}",
            )
            for brand_id in finder.find(value)
        ]

    def _brand_claim(
        self, name: str, value: str, brand: Brand, weight_class: str, wording: str
    ) -> _Claim:
        """A claim for a brand a value names: a device naming its maker's own brand names that
        maker; a name a person typed names only the brand (the catalogue may then say who)."""
        weight = WEIGHTS[weight_class]
        own = {lk.maker for lk in brand.links if lk.kind == "own_brand" and lk.in_force(None)}
        maker = own.pop() if len(own) == 1 and weight_class != "user" else None
        return _Claim(
            name,
            value,
            f"catalogue:brand:{brand.id}",
            weight,
            maker=self.catalogue.group_of(maker) if maker else None,
            brand=brand.id,
            detail=wording.format(name=repr(brand.name)),
            likely=weight < LIKELY_REASON_BELOW,
        )


# ------------------------------------------------------------------------------ deciding


def _noisy_or(weights: Iterable[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining


def _scores(claims: list[_Claim]) -> dict[str, float]:
    by_maker: dict[str, list[float]] = {}
    for claim in claims:
        if claim.maker and claim.weight > 0:
            by_maker.setdefault(claim.maker, []).append(claim.weight)
    return {maker: _noisy_or(weights) for maker, weights in by_maker.items()}


def _pick_brand(claims: list[_Claim]) -> _Claim | None:
    branded = [c for c in claims if c.brand]
    return max(branded, key=lambda c: c.weight) if branded else None


def _link_between(
    catalogue: Catalogue, brand_id: str, maker: str, on: dt.date | None
) -> Link | None:
    brand = catalogue.brands.get(brand_id)
    if brand is None:
        return None
    links = [lk for lk in brand.links if lk.maker == maker and lk.in_force(on)]
    links.sort(key=lambda lk: _LINK_PREFERENCE.index(lk.kind))
    return links[0] if links else None


def _relationship(
    catalogue: Catalogue, maker: str | None, brand: str | None, on: dt.date | None
) -> Relationship:
    if maker is None or brand is None:
        return Relationship.UNKNOWN
    link = _link_between(catalogue, brand, maker, on)
    if link is not None:
        return _RELATIONSHIP_OF_LINK[link.kind]
    if brand == maker:
        return Relationship.OWN_BRAND
    return (
        Relationship.OEM
    )  # sold under another name than the maker's: a rebrand we have not recorded


def _brand_only(
    catalogue: Catalogue, brand_claim: _Claim, on: dt.date | None
) -> tuple[str | None, Relationship, _Claim | None]:
    """A maker from the brand catalogue alone, if exactly one maker stands behind the brand."""
    brand = catalogue.brands.get(brand_claim.brand or "")
    if brand is None:
        return None, Relationship.UNKNOWN, None
    links = brand.makers_on(on)
    own = [lk for lk in links if lk.kind == "own_brand"]
    # A maker's own name stands for that maker even where it also relabels a few OEM lines
    # (Bosch DIVAR recorders are Dahua-made; a "Bosch" camera is most likely Bosch's).
    if len({lk.maker for lk in own}) == 1:
        links = own
    if len({lk.maker for lk in links}) != 1:
        return None, Relationship.UNKNOWN, None
    link = sorted(links, key=lambda lk: _LINK_PREFERENCE.index(lk.kind))[0]
    maker = catalogue.group_of(link.maker)
    scope = f" ({link.scope})" if link.scope else ""
    claim = _Claim(
        "catalogue",
        brand.name,
        f"catalogue:brand:{brand.id}",
        0.0,
        maker=maker,
        detail=(
            f"likely {catalogue.name_of(maker)}: {brand.name} is "
            f"{with_article(link_label(link.kind))} of "
            f"{catalogue.name_of(link.maker)}{scope} (brand-level link only, source: {link.source})"
        ),
        likely=True,
    )
    return maker, _RELATIONSHIP_OF_LINK[link.kind], claim


def _is_model_field(name: str) -> bool:
    """A model field, or a model another rule captured ("onvif.scopes→model")."""
    return name in _MODEL_FIELD_SET or name.endswith("model")


def _model_only(engine: Engine, claims: list[_Claim]) -> tuple[str, _Claim] | None:
    """A maker from a model number alone: a numbering rule that others could share (weak,
    below MIN_MAKER_SCORE by itself) read a model field, and no evidence names another maker.
    Named as *likely*, with the low confidence of a brand-level guess (judge() then says
    "likely covered" at most, and never "not covered" on it)."""
    pointing = [c for c in claims if c.maker and c.weight > 0]
    numbered = [
        c
        for c in pointing
        if c.weight >= WEIGHTS["weak"]
        and (c.field in _MODEL_FIELD_SET or c.field.endswith("model"))
    ]
    if not numbered:
        return None
    best = max(numbered, key=lambda c: c.weight)
    maker = best.maker
    assert maker is not None
    if any(c.maker is not None and not engine.related(c.maker, maker) for c in pointing):
        return None
    name = engine.catalogue.name_of(maker)
    claim = _Claim(
        "model",
        best.value,
        "model-only",
        0.0,
        maker=maker,
        detail=(
            f"likely {name}: the model {best.value!r} fits {name}'s numbering ({best.rule}) and "
            "no evidence names another maker (model number only: low confidence)"
        ),
        likely=True,
    )
    return maker, claim


def _reason(catalogue: Catalogue, claim: _Claim) -> Reason:
    detail = claim.detail
    if claim.maker:
        name = catalogue.name_of(claim.maker)
        detail = f"{detail} → {'likely ' if claim.likely else ''}{name}"
    if claim.brand and claim.brand != claim.maker:
        brand = catalogue.brands.get(claim.brand)
        detail = f"{detail} (brand {brand.name if brand else claim.brand})"
    return Reason(
        field=claim.field,
        value=claim.value,
        rule=claim.rule,
        weight=round(claim.weight, 3),
        indicates=claim.maker,
        detail=detail,
    )


def _first_extracted(claims: list[_Claim], key: str) -> str | None:
    """The value the strongest claim extracted under ``key`` (first one on a tie)."""
    best: _Claim | None = None
    for claim in claims:
        if key in claim.extracted and (best is None or claim.weight > best.weight):
            best = claim
    return best.extracted[key] if best else None


def _first_raw(values: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        text = values.get(name, "").strip()
        if text:
            return text
    return None


def _decide(
    engine: Engine, claims: list[_Claim], pairs: list[tuple[str, str]], on: dt.date | None
) -> Identity:
    catalogue = engine.catalogue
    scores = _scores(claims)
    best = max(scores, key=lambda m: scores[m]) if scores else None
    maker = best if best and scores[best] >= MIN_MAKER_SCORE else None
    # A brand named by evidence that points at another maker is a conflict, not the brand.
    brand_claim = _pick_brand(
        [c for c in claims if maker is None or not c.maker or engine.related(c.maker, maker)]
    )
    brand = brand_claim.brand if brand_claim else None
    extra: list[_Claim] = []
    if maker is not None:
        if brand is None and maker in catalogue.brands:
            # Nothing names another brand: the device presents itself as its maker's own.
            brand = maker
        relationship = _relationship(catalogue, maker, brand, on)
        others = [
            c for c in claims if c.maker and c.weight > 0 and not engine.related(c.maker, maker)
        ]
        confidence = scores[maker] * (1.0 - CONFLICT_PENALTY * _noisy_or(c.weight for c in others))
    else:
        others = []
        relationship, confidence = Relationship.UNKNOWN, 0.0
        if brand_claim is not None:
            maker, relationship, fallback = _brand_only(catalogue, brand_claim, on)
            if fallback is not None:
                extra.append(fallback)
                confidence = min(BRAND_ONLY_CONFIDENCE, brand_claim.weight + 0.15)
        if maker is None and (numbered := _model_only(engine, claims)) is not None:
            maker, fallback = numbered
            extra.append(fallback)
            confidence = min(BRAND_ONLY_CONFIDENCE, scores[maker])
            if brand is None and maker in catalogue.brands:
                brand = maker
            relationship = _relationship(catalogue, maker, brand, on)
    conflicts = [engine.reason(c) for c in others]
    raw = dict(reversed(pairs))  # first value of each field
    model = _first_extracted(claims, "model") or _first_raw(raw, MODEL_FIELDS)
    kind, kind_how, kind_claims, registrant = engine._kind(claims, pairs, model, maker)
    return Identity(
        maker=maker,
        brand=brand,
        relationship=relationship,
        model=model,
        firmware=_first_extracted(claims, "firmware") or _first_raw(raw, FIRMWARE_FIELDS),
        serial=_first_extracted(claims, "serial") or _first_raw(raw, SERIAL_FIELDS),
        component_flags=tuple(dict.fromkeys(c.component for c in claims if c.component)),
        confidence=round(max(0.0, min(1.0, confidence)), 3),
        reasons=tuple(engine.reason(c) for c in [*claims, *extra, *kind_claims]),
        conflicts=tuple(conflicts),
        device_type=kind,
        device_type_how=kind_how,
        registrant=registrant,
    )


def _pairs(evidence: Device | Mapping[str, EvidenceValue]) -> Iterator[tuple[str, str]]:
    """(field, value) for every value; lists (wsd.scopes, ports) yield one pair per element."""
    if isinstance(evidence, Device):
        items: Iterable[tuple[str, EvidenceValue]] = ((e.field, e.value) for e in evidence.evidence)
    else:
        items = evidence.items()
    seen: set[tuple[str, str]] = set()
    for name, value in items:
        for one in _values(name, value):
            text = str(one)[:MAX_VALUE_CHARS]
            if text and (name, text) not in seen:
                seen.add((name, text))
                yield name, text


def _values(name: str, value: EvidenceValue) -> tuple[str | int, ...]:
    """One field's values.  A WS-Discovery Scopes / Types element is a white-space separated
    list of URIs, and logs and inventories also join it with commas: each URI is one value, as
    a scan gives them."""
    if isinstance(value, (tuple, list)):  # lists: evidence read from JSON
        return tuple(value)
    if isinstance(value, str) and name in _URI_LIST_FIELDS:
        return tuple(part for part in _URI_LIST_SPLIT.split(value) if part)
    return (value,)


_ENGINE: Engine | None = None


def default_engine() -> Engine:
    """The engine over the built-in rules, catalogue and registry (built on first use)."""
    global _ENGINE  # noqa: PLW0603  (one lazily built, read-only engine per process)
    if _ENGINE is None:
        catalogue = load_catalogue()
        _ENGINE = Engine(
            load_rules(), catalogue, default_registry(), recog=installed_recognizer(catalogue)
        )
    return _ENGINE


def reload_data() -> None:
    """Forget the loaded registry and engine (after ``camaudit vendors update`` in-process)."""
    global _ENGINE  # noqa: PLW0603
    default_registry.cache_clear()
    forget_pen()
    forget_recog()
    _ENGINE = None


def identify(
    device: Device | Mapping[str, EvidenceValue], *, on: dt.date | None = None
) -> Identity:
    """Who made ``device`` and under which brand it is sold (see the module docstring).

    ``on`` is the date the catalogue's links are read for (default: today's state).
    """
    return default_engine().identify(device, on)
