"""judge(): whether one identified device falls under one policy pack, why, and what to cite.

Pure: it reads the identity, the pack, the site profile and the brand catalogue, nothing else.

How the statuses read (decided by the lead; the PDF report and the GUI rely on it):

``covered``
    An entry applies outright: an unconditional entry (§889(f)(3)(A): Huawei/ZTE telecom), or a
    use-conditioned entry whose condition the site profile's declared use meets, with direct
    evidence that a named maker (or a subsidiary/affiliate in force on the assessment date)
    made the device.
``covered_for_use``
    The maker and equipment are named by a use-conditioned entry (§889(f)(3)(B)), but the site's
    declared use does not meet the condition: the device is covered *if* used for those
    purposes.  The reasons say which uses would make it covered, plus the entry's note (for
    §889: FAR 52.204-25 Part B concerns contractors' use of covered equipment), so a person
    decides.
``likely_covered``
    An entry would apply, but the link is indirect: an OEM of a named maker, a brand-level
    link with no device evidence, a categorical rule judged on the maker's home country, an
    equipment type the rule probably but not certainly reaches, or an identity whose confidence
    is below :data:`LIKELY_IDENTITY_BELOW`.
``component_risk``
    A flagged component (e.g. a HiSilicon SoC under ``ndaa889``): a risk to investigate.
``not_covered``
    The maker is known and no entry in force, in the site's jurisdictions, names it for this
    kind of equipment.
``unknown``
    The identity is too thin (no maker, or confidence below :data:`UNKNOWN_IDENTITY_BELOW`): a
    person must look.  This includes a device known only by a brand whose link to a covered
    maker is limited to some product lines (a Lorex unit after the 2023 sale, with no Dahua
    evidence): the reasons say which lines and what to check; and a device attributed only to
    companies that sell what others build (catalogue role ``brand_owner``, e.g. Lorex or
    Amcrest with no maker evidence).

When several entries match, the most severe wins (order above); the others are still listed in
the reasons.  Relationship dates count: a brand's OEM or subsidiary link applies only while it
held on ``site.assessment_date`` (a Lorex unit with no Dahua evidence is not Dahua's after the
2023 sale; one with Dahua-made evidence still is).  Entries apply only in their jurisdictions
and from their effective date.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace

from core.model import (
    Citation,
    Identity,
    Reason,
    Relationship,
    SiteProfile,
    SiteUse,
    Verdict,
    VerdictStatus,
)
from core.presentation import ORGANISATION_PLURALS, link_label, with_article
from core.presentation import rank as severity_rank
from vendors.catalogue import Catalogue, Link, load_catalogue
from vendors.confidence import LIKELY_IDENTITY_BELOW, UNKNOWN_IDENTITY_BELOW
from vendors.policies import ANY, BUILTIN_DIR, Milestone, Policy, PolicyEntry

USE_LABELS = {
    SiteUse.PUBLIC_SAFETY: "public safety",
    SiteUse.GOVERNMENT_FACILITY: "security of government facilities",
    SiteUse.CRITICAL_INFRASTRUCTURE: "physical security surveillance of critical infrastructure",
    SiteUse.NATIONAL_SECURITY: "other national security purposes",
    SiteUse.GENERAL_COMMERCIAL: "general commercial use",
}

# Link kinds through which a parent counts as the producer ("subsidiary or affiliate"); a
# former subsidiary counts for the period the link held.
_CORPORATE = {"own_brand", "subsidiary", "affiliate", "former_subsidiary"}


# ---------------------------------------------------------------------------- catalogue


def _default_catalogue() -> Catalogue:
    return load_catalogue()  # cached by the catalogue module


# ----------------------------------------------------------------------- equipment categories


@dataclass(frozen=True, slots=True)
class _CategoryRule:
    field: str
    pattern: re.Pattern[str]
    category: str


@dataclass(frozen=True, slots=True)
class EquipmentRules:
    rules: tuple[_CategoryRule, ...]
    maker_defaults: Mapping[str, str]
    implies: Mapping[str, tuple[str, ...]]


@functools.lru_cache(maxsize=1)
def equipment_rules() -> EquipmentRules:
    """The category rules of ``vendors/data/policies/_equipment.toml``."""
    data = tomllib.loads((BUILTIN_DIR / "_equipment.toml").read_text(encoding="utf-8"))
    rules = tuple(
        _CategoryRule(r["field"], re.compile(r["pattern"]), r["category"]) for r in data["rules"]
    )
    implies = {k: tuple(v) for k, v in data.get("implies", {}).items()}
    return EquipmentRules(rules, dict(data.get("makers", {})), implies)


def _evidence_values(identity: Identity) -> list[tuple[str, str]]:
    values = [(r.field, r.value) for r in (*identity.reasons, *identity.conflicts)]
    if identity.model:
        values.insert(0, ("model", identity.model))
    return values


def device_categories(
    identity: Identity, given: Collection[str] | None = None, makers: Iterable[str] = ()
) -> tuple[set[str], str]:
    """The equipment categories of a device, and a sentence saying how they were found.

    ``makers`` are the makers the device is attributed to, nearest first: when no evidence
    says what the device is, the first one's main product line is assumed (and said so).
    """
    rules = equipment_rules()
    if given:
        found, how = set(given), f"equipment type given: {', '.join(sorted(given))}"
    else:
        found, how = _categories_from_evidence(identity, rules)
    fallback = next((m for m in makers if m in rules.maker_defaults), None)
    if not found and fallback:
        found = {rules.maker_defaults[fallback]}
        how = f"equipment type assumed from the maker's main line ({next(iter(found))})"
    for category in list(found):
        found.update(rules.implies.get(category, ()))
    return found, how


def _categories_from_evidence(identity: Identity, rules: EquipmentRules) -> tuple[set[str], str]:
    found: dict[str, str] = {}
    for name, value in _evidence_values(identity):
        for rule in rules.rules:
            if rule.category not in found and rule.field == name and rule.pattern.search(value):
                found[rule.category] = f"{name} {value!r}"
    if not found:
        return set(), "equipment type not established"
    how = "; ".join(f"{cat} ({why})" for cat, why in found.items())
    return set(found), f"equipment type: {how}"


# ------------------------------------------------------------------------- who made it


@dataclass(frozen=True, slots=True)
class Attribution:
    """A maker the device is attributed to, the chain of evidence, and how direct it is."""

    maker: str
    chain: str
    direct: bool
    via_affiliate: bool = False
    name: str = ""
    # The weakest catalogue link on the way (H, M, L): an L link supports at most "likely".
    link_confidence: str = "H"
    link_source: str = ""


@dataclass(slots=True)
class DeviceFacts:
    """What judge() establishes about a device once, before looking at any entry."""

    identity: Identity
    attributions: list[Attribution] = field(default_factory=list)
    categories: set[str] = field(default_factory=set)
    category_note: str = ""
    countries: dict[str, str] = field(default_factory=dict)  # maker id -> ISO country code
    # Attributed companies that only sell what others build (catalogue role "brand_owner").
    brand_owners: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def _period(link: Link) -> str:
    since, until = link.since, link.until
    if since and until:
        return f" ({since} to {until})"
    if since:
        return f" since {since}"
    if until:
        return f" until {until}"
    return ""


def _name(catalogue: Catalogue, maker_id: str) -> str:
    maker = catalogue.makers.get(maker_id)
    return maker.name if maker else maker_id


def _brand_name(catalogue: Catalogue, brand_id: str) -> str:
    brand = catalogue.brands.get(brand_id)
    return brand.name if brand else brand_id


def _evidence_text(identity: Identity, maker: str | None) -> str:
    reasons = [r for r in identity.reasons if maker is None or r.indicates == maker]
    ranked = sorted(reasons or identity.reasons, key=lambda r: -r.weight)
    # One mention per value (several rules may read the same field), strongest first.
    texts = dict.fromkeys(_reason_text(r) for r in ranked if r.field != "catalogue")
    return ", ".join(list(texts)[:4])


def _reason_text(reason: Reason) -> str:
    if reason.rule.startswith("oui:") or reason.field == "mac":
        return f"OUI {reason.value[:8].upper()}"
    return f"{reason.field} {reason.value!r}"


def establish(
    identity: Identity,
    site: SiteProfile,
    catalogue: Catalogue,
    categories: Collection[str] | None = None,
) -> DeviceFacts:
    """Attribute the device to makers (through brands, OEM and corporate links in force)."""
    facts = DeviceFacts(identity)
    # Who produced the unit is read at the date it was made, when its evidence says so.
    on = identity.made_on or site.assessment_date
    if identity.made_on:
        facts.notes.append(
            f"Catalogue links read at {identity.made_on.isoformat()}, when the unit was made: "
            f"{identity.made_on_how}"
        )
    # identify() may name a maker from the brand catalogue alone; such a maker is re-derived
    # here from the brand's links on the assessment date (dates and product-line scope count).
    device_maker = None if brand_level_only(identity) else identity.maker
    if device_maker:
        facts.attributions.append(_own_attribution(identity, catalogue))
    if identity.brand:  # also when brand == maker: a brand owner's OEM links still matter
        facts.attributions.extend(
            _brand_attributions(identity, device_maker, catalogue, on, facts.notes)
        )
    for base in list(facts.attributions):
        facts.attributions.extend(_parents(base, catalogue, on, facts.notes))
    makers = [identity.maker or "", identity.brand or ""] + [a.maker for a in facts.attributions]
    facts.categories, facts.category_note = device_categories(identity, categories, makers)
    for item in facts.attributions:
        country = _country(catalogue, item.maker)
        if country:
            facts.countries[item.maker] = country
        maker = catalogue.makers.get(item.maker)
        if maker and maker.role == "brand_owner":
            facts.brand_owners.add(item.maker)
    return facts


def brand_level_only(identity: Identity) -> bool:
    """True when the identity's maker rests only on a brand-catalogue link, not device evidence.

    identify() records such an inference as a reason on the pseudo-field ``catalogue``.
    """
    if not identity.maker:
        return False
    backing = [r for r in identity.reasons if r.indicates == identity.maker]
    return bool(backing) and all(r.field == "catalogue" for r in backing)


def _own_attribution(identity: Identity, catalogue: Catalogue) -> Attribution:
    assert identity.maker
    maker = _name(catalogue, identity.maker)
    evidence = _evidence_text(identity, identity.maker)
    kind = link_label(identity.relationship.value)
    if identity.brand and identity.brand != identity.maker:
        chain = f"Sold as {_brand_name(catalogue, identity.brand)}; made by {maker} ({kind}"
    else:
        chain = f"Made by {maker} ({kind}"
    chain += f", evidence: {evidence})" if evidence else ")"
    direct = identity.relationship != Relationship.OEM
    return Attribution(identity.maker, chain, direct, name=maker)


def _kind(link: Link) -> str:
    return link_label(link.kind)


def _brand_attributions(
    identity: Identity,
    device_maker: str | None,
    catalogue: Catalogue,
    on: dt.date,
    notes: list[str],
) -> list[Attribution]:
    """Makers behind the brand on the assessment date, when the device evidence names none.

    Device evidence outranks brand lists: a brand-level link only counts while
    it held, and an OEM link limited to some product lines ties no particular unit to its maker.
    """
    assert identity.brand
    brand = catalogue.brands.get(identity.brand)
    if brand is None:
        return []
    name = brand.name
    out = []
    for link in brand.links:
        maker = _name(catalogue, link.maker)
        if link.maker == device_maker:
            continue
        if not link.in_force(on):
            notes.append(_ended_link_note(name, maker, link, on, identity.made_on is not None))
            continue
        corporate = link.kind in _CORPORATE
        if not corporate and link.scope:
            notes.append(
                f"Some {name} products are made by {maker} ({link.kind}: {link.scope}); "
                f"nothing in the device evidence shows this unit is one of them"
            )
            continue
        chain = (
            f"Sold as {name}; {name} is {with_article(_kind(link))} of {maker}{_period(link)} "
            f"(brand-level link, source: {link.source})"
        )
        direct = corporate and device_maker is None
        affiliate = link.kind != "own_brand"
        out.append(
            Attribution(
                link.maker,
                chain,
                direct,
                via_affiliate=affiliate,
                name=maker,
                link_confidence=link.confidence,
                link_source=link.source,
            )
        )
    return out


def _ended_link_note(name: str, maker: str, link: Link, on: dt.date, dated: bool) -> str:
    """Why a brand link does not count, and, for an undated unit, the other reading."""
    text = (
        f"{name} was {with_article(_kind(link))} of {maker}{_period(link)}; that link does not "
        f"hold on {on.isoformat()}, so the brand alone does not tie this device to {maker}"
    )
    if dated:
        return text + " (the unit's own evidence dates it)"
    if link.until and link.until <= on:
        return text + (
            f". Nothing dates this unit: if it was made before {link.until.isoformat()}, "
            f"{maker} produced it and the policy reads as for {maker} (its serial label or "
            "firmware build date tells when it was made)"
        )
    return text


def _parents(
    base: Attribution, catalogue: Catalogue, on: dt.date, notes: list[str]
) -> list[Attribution]:
    """Corporate parents of an attributed maker in force on the assessment date."""
    if base.maker not in catalogue.makers:
        return []
    child = _name(catalogue, base.maker)
    for link in catalogue.makers[base.maker].parents:
        if not link.in_force(on):
            notes.append(
                f"{child} was {with_article(_kind(link))} of "
                f"{_name(catalogue, link.maker)}{_period(link)}; "
                f"that link does not hold on {on.isoformat()}"
            )
    out: list[Attribution] = []
    for parent_id, link in catalogue.lineage(base.maker, on):
        parent = _name(catalogue, parent_id)
        chain = f"{base.chain} → {_kind(link)} of {parent}{_period(link)}"
        direct = base.direct and link.kind in _CORPORATE
        weakest = min(base.link_confidence, link.confidence, key=_CONFIDENCE_ORDER.index)
        source = link.source if weakest == link.confidence else base.link_source
        out.append(
            Attribution(
                parent_id,
                chain,
                direct,
                via_affiliate=True,
                name=parent,
                link_confidence=weakest,
                link_source=source,
            )
        )
    return out


_CONFIDENCE_ORDER = ("L", "M", "H")


def _country(catalogue: Catalogue, maker_id: str) -> str | None:
    """The maker's home country as a lowercase ISO 3166 code (the catalogue's spelling)."""
    maker = catalogue.makers.get(maker_id)
    return (maker.country.strip().lower() or None) if maker else None


# ------------------------------------------------------------------------------- entries


@dataclass(slots=True)
class Finding:
    """How one entry applies to the device."""

    entry: PolicyEntry
    status: VerdictStatus
    reasons: list[str]


def in_jurisdiction(entry: PolicyEntry, site: SiteProfile) -> bool:
    """``us`` covers a site in ``us-la``; ``us-la`` does not cover a site in ``us``."""
    for code in entry.jurisdictions:
        if code in (ANY, "*"):
            return True
        for where in (w.lower() for w in site.jurisdictions):
            if where == code or where.startswith(code + "-"):
                return True
    return False


def _match_makers(entry: PolicyEntry, facts: DeviceFacts) -> tuple[Attribution, str] | None:
    """The strongest attribution to a maker this entry names, or a categorical match."""
    hits = [
        a
        for a in facts.attributions
        if a.maker in entry.makers and (entry.include_affiliates or not a.via_affiliate)
    ]
    if hits:
        best = max(hits, key=lambda a: a.direct)
        return best, f"{best.chain} → {best.name or best.maker} named in {entry.title}"
    return _match_country(entry, facts)


def _match_country(entry: PolicyEntry, facts: DeviceFacts) -> tuple[Attribution, str] | None:
    if not (entry.produced_in or entry.produced_outside):
        return None
    for item in facts.attributions:
        country = facts.countries.get(item.maker)
        if not country:
            continue
        inside = entry.produced_in and country in entry.produced_in
        outside = entry.produced_outside and country not in entry.produced_outside
        if inside or outside:
            text = (
                f"{item.chain} → maker's home country is {country.upper()}, so {entry.title} "
                "likely applies (judged on the maker's home country, not the place of production)"
            )
            return Attribution(item.maker, item.chain, direct=False), text
    return None


def _production_unknown(entry: PolicyEntry, facts: DeviceFacts) -> Finding | None:
    """A categorical entry ("produced outside X") on a device of its kind whose maker is at
    home in X: where the unit was produced decides, and the evidence does not say."""
    if entry.makers or not entry.produced_outside or not facts.categories:
        return None
    fits, _certain, category_text = _category_fit(entry, facts)
    home = [a for a in facts.attributions if facts.countries.get(a.maker)]
    if not fits or not home:
        return None
    maker = home[0]
    country = facts.countries[maker.maker].upper()
    inside = ", ".join(c.upper() for c in entry.produced_outside)
    reasons = [
        f"{maker.chain}; {entry.title} covers such equipment produced outside {inside}, and "
        "'produced' includes design, development, manufacture and assembly. The maker's home "
        f"country is {country}, but where this unit was designed, made and assembled is not "
        "established: check its country of origin (label, packaging, FCC ID grant) before "
        "ruling it out",
        category_text,
    ]
    return Finding(entry, VerdictStatus.UNKNOWN, reasons)


def _category_fit(entry: PolicyEntry, facts: DeviceFacts) -> tuple[bool, bool, str]:
    """(applies, certain, sentence) for the device's equipment type against the entry."""
    wanted, likely = set(entry.categories), set(entry.likely_categories)
    covers = ", ".join(entry.categories)
    if ANY in wanted or facts.categories & wanted:
        return True, True, facts.category_note
    if facts.categories & likely:
        kinds = ", ".join(sorted(facts.categories & likely))
        text = f"{facts.category_note}; the entry covers {covers} and probably reaches {kinds}"
        return True, False, text + " too, which a person should confirm"
    if not facts.categories:
        return True, False, f"equipment type not established; the entry covers {covers}"
    return False, False, f"{facts.category_note}; the entry covers only {covers}"


def _use_fit(entry: PolicyEntry, site: SiteProfile) -> tuple[bool, str]:
    if entry.uses is None:
        return True, "the entry applies whatever the equipment is used for"
    met = [u for u in site.uses if u in entry.uses]
    if met:
        labels = ", ".join(f"'{USE_LABELS[u]}'" for u in met)
        return True, f"site use {labels} meets the entry's use condition"
    needed = "; ".join(USE_LABELS[u] for u in entry.uses)
    declared = ", ".join(USE_LABELS[u] for u in site.uses) or "none"
    text = f"covered if used for: {needed}; declared use: {declared}"
    if entry.use_note:
        text += f". {entry.use_note}"
    return False, text


def judge_entry(entry: PolicyEntry, facts: DeviceFacts, site: SiteProfile) -> Finding | None:
    """How one entry (ignoring its dates and jurisdictions) applies to the device, if at all."""
    component = _component_finding(entry, facts, site)
    if component or not (entry.makers or entry.produced_in or entry.produced_outside):
        return component
    matched = _match_makers(entry, facts)
    if matched is None:
        return _production_unknown(entry, facts)
    attribution, chain = matched
    fits, certain, category_text = _category_fit(entry, facts)
    if not entry.makers and not facts.categories:
        fits = False  # a categorical rule ("foreign-produced UAS") needs to know what this is
    if not fits:
        if entry.makers:  # a named maker's other kit is worth a line; categorical misses are not
            facts.notes.append(f"{chain}, but {category_text}")
        return None
    use_ok, use_text = _use_fit(entry, site)
    reasons = [f"{chain}; {use_text}", category_text]
    strong = attribution.direct and certain
    confidence = facts.identity.confidence
    if strong and confidence < LIKELY_IDENTITY_BELOW:
        strong = False
        reasons.append(f"identity confidence {confidence:.2f} is below {LIKELY_IDENTITY_BELOW}")
    if not attribution.direct:
        reasons.append(
            "the link to the named maker is indirect (an OEM unit, a brand-level link or a "
            "categorical rule), so it is at most 'likely covered'"
        )
    if not use_ok:
        status = entry.status.use_not_met
    else:
        status = entry.status.direct if strong else entry.status.indirect
    return Finding(entry, _capped(status, attribution, reasons), reasons)


def _capped(status: VerdictStatus, attribution: Attribution, reasons: list[str]) -> VerdictStatus:
    """A catalogue link's confidence caps what it can support: L gives at most "likely"."""
    source = f" (source: {attribution.link_source})" if attribution.link_source else ""
    if attribution.link_confidence == "L":
        reasons.append(
            f"the catalogue link to {attribution.name or attribution.maker} is of low confidence"
            f"{source}: at most 'likely covered' until a primary source confirms it"
        )
        if severity_rank(status) < severity_rank(VerdictStatus.LIKELY_COVERED):
            return VerdictStatus.LIKELY_COVERED
    elif attribution.link_confidence == "M":
        reasons.append(
            f"the catalogue link to {attribution.name or attribution.maker} is of medium "
            f"confidence{source}"
        )
    return status


def _component_finding(entry: PolicyEntry, facts: DeviceFacts, site: SiteProfile) -> Finding | None:
    flags = sorted(set(entry.component_flags) & set(facts.identity.component_flags))
    if not flags:
        return None
    # A flag's evidence names it, or its stem ("hisilicon" for "hisilicon_soc"), in the rule.
    stems = {f.split("_")[0] for f in flags} | set(flags)
    evidence = [
        _reason_text(r)
        for r in facts.identity.reasons
        if any(s in r.rule.lower() or s == r.indicates for s in stems)
    ]
    seen = f" (evidence: {', '.join(evidence)})" if evidence else ""
    reasons = [f"component flag {', '.join(flags)}{seen} → {entry.title}"]
    use_ok, use_text = _use_fit(entry, site)
    if not use_ok:
        reasons.append(use_text)
    if entry.note:
        reasons.append(entry.note)
    return Finding(entry, entry.status.component, reasons)


# ------------------------------------------------------------------------------- verdicts


def judge(
    identity: Identity,
    policy: Policy,
    site: SiteProfile,
    *,
    catalogue: Catalogue | None = None,
    categories: Collection[str] | None = None,
) -> Verdict:
    """The verdict of one policy pack on one device, with reasons and citations.

    ``categories`` overrides the equipment type (else it is read from the identity's evidence).
    """
    facts = establish(identity, site, catalogue or _default_catalogue(), categories)
    return _verdict(policy, facts, site)


def judge_all(
    identity: Identity,
    packs: Iterable[Policy],
    site: SiteProfile,
    *,
    catalogue: Catalogue | None = None,
    categories: Collection[str] | None = None,
) -> dict[str, Verdict]:
    """One verdict per pack, keyed by pack id (the shape of ``Device.verdicts``)."""
    facts = establish(identity, site, catalogue or _default_catalogue(), categories)
    return {policy.id: _verdict(policy, facts, site) for policy in packs}


def not_binding(policy: Policy, site: SiteProfile) -> str | None:
    """Why a pack does not bind the site (so its verdict is "not applicable"), or None.

    A pack binds a site when one of its entries applies in the site's jurisdictions and,
    when the pack says whom it binds and the site says who runs it, that kind of organisation
    is among them.
    """
    if not any(in_jurisdiction(e, site) for e in policy.entries):
        where = ", ".join(site.jurisdictions) or "none declared"
        return (
            f"Not applicable: {policy.title} applies in {', '.join(policy.jurisdictions)}; "
            f"the site is in {where}"
        )
    binds = policy.binds
    if site.organisation and binds and site.organisation.value not in binds:
        whom = ", ".join(ORGANISATION_PLURALS.get(b, b) for b in binds)
        org = ORGANISATION_PLURALS.get(site.organisation.value, site.organisation.value)
        return f"Not applicable: {policy.title} binds {whom}; the site is run by {org}"
    return None


def _verdict(policy: Policy, facts: DeviceFacts, site: SiteProfile) -> Verdict:
    if (why := not_binding(policy, site)) is not None:
        return Verdict(policy.id, VerdictStatus.NOT_APPLICABLE, None, (why,), policy.citations)
    facts = replace(facts, notes=list(facts.notes))  # notes are per policy; the rest is shared
    binds = policy.binds
    if binds and site.organisation is None and set(binds) != set(ORGANISATION_PLURALS):
        whom = ", ".join(ORGANISATION_PLURALS.get(b, b) for b in binds)
        facts.notes.append(
            f"{policy.title} binds {whom}; the site did not say who runs it, so it is judged "
            "as if bound"
        )
    findings, skipped = _findings(policy, facts, site)
    if findings:
        findings.sort(key=lambda f: severity_rank(f.status))
        facts.notes.extend(skipped)
        return _flagged(policy, findings, facts, site)
    return _clear(policy, facts, site, skipped)


def _findings(
    policy: Policy, facts: DeviceFacts, site: SiteProfile
) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    skipped: list[str] = []
    on = site.assessment_date
    for entry in policy.entries:
        if not in_jurisdiction(entry, site):
            continue
        finding = judge_entry(entry, facts, site)
        if finding is None:
            continue
        if not entry.in_force(on):
            skipped.append(_not_in_force(entry, finding, on))
            continue
        findings.append(finding)
    return findings, skipped


def _not_in_force(entry: PolicyEntry, finding: Finding, on: dt.date) -> str:
    if entry.effective > on:
        when = f"takes effect on {entry.effective.isoformat()}"
    else:
        when = f"ceased to apply on {entry.until.isoformat() if entry.until else '?'}"
    return (
        f"{entry.title} would give '{finding.status.value}' but {when}; it is not in force on "
        f"the assessment date {on.isoformat()}"
    )


def _flagged(
    policy: Policy, findings: list[Finding], facts: DeviceFacts, site: SiteProfile
) -> Verdict:
    best = findings[0]
    entry = best.entry
    reasons = list(best.reasons)
    reasons.append(_rule_line(entry))
    reasons.append(f"Scope: {entry.scope}")
    if entry.note and entry.note not in reasons:
        reasons.append(entry.note)
    citations = [entry.citation]
    for milestone in _milestones(policy, entry):
        reasons.append(_milestone_line(milestone, site.assessment_date))
        if milestone.citation and milestone.citation not in citations:
            citations.append(milestone.citation)
    for other in findings[1:]:
        reasons.append(f"Also: {other.entry.title} gives '{other.status.value}'")
        if other.entry.citation not in citations:
            citations.append(other.entry.citation)
    reasons.extend(facts.notes)
    return Verdict(policy.id, best.status, entry.id, tuple(reasons), _with_pack(policy, citations))


def _with_pack(policy: Policy, citations: list[Citation]) -> tuple[Citation, ...]:
    out = list(citations)
    if policy.citation not in out:
        out.append(policy.citation)
    return tuple(out)


def _rule_line(entry: PolicyEntry) -> str:
    cite = entry.citation
    return (
        f"Rule: {cite.title} [{cite.clause}], in force since {entry.effective.isoformat()}, "
        f"{cite.url} (confidence {entry.confidence}; source: {entry.source})"
    )


def _milestones(policy: Policy, entry: PolicyEntry) -> list[Milestone]:
    return [m for m in policy.milestones if m.concerns(entry.id)]


def _milestone_line(milestone: Milestone, on: dt.date) -> str:
    when = "Since" if milestone.date <= on else "From"
    return f"{when} {milestone.date.isoformat()}: {milestone.text}"


def _clear(policy: Policy, facts: DeviceFacts, site: SiteProfile, skipped: list[str]) -> Verdict:
    reasons: list[str] = []
    status = VerdictStatus.NOT_COVERED
    if thin := _thin(facts):
        status = VerdictStatus.UNKNOWN
        reasons.append(thin)
    elif facts.attributions:
        makers = ", ".join(dict.fromkeys(a.chain for a in facts.attributions))
        named = ", ".join(sorted(policy.named_makers())) or "no makers by name"
        reasons.append(f"{makers}; no entry of this policy in force here covers it ({named})")
    reasons.extend(skipped)
    reasons.extend(facts.notes)
    return Verdict(policy.id, status, None, tuple(reasons), policy.citations)


def _thin(facts: DeviceFacts) -> str | None:
    """Why the identity is too thin to rule the device out, or None if it is not."""
    identity = facts.identity
    producers = [a for a in facts.attributions if a.maker not in facts.brand_owners]
    if identity.maker and identity.confidence < UNKNOWN_IDENTITY_BELOW:
        return (
            f"Identity confidence {identity.confidence:.2f} is too low to rule the device out: "
            "needs a person"
        )
    if facts.attributions and not producers:
        owners = ", ".join(a.name or a.maker for a in facts.attributions)
        return (
            f"{owners} sells devices others build, and who built this one is not established: "
            "needs a person (firmware, serial or protocol evidence would settle it)"
        )
    if not facts.attributions:
        seen = _evidence_text(identity, None)
        what = f" (evidence seen: {seen})" if seen else ""
        return f"Maker not established{what}: needs a person to identify the device"
    return None
