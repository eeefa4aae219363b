"""How verdicts, identities and ids read to a person: one vocabulary for every view.

The GUI, the PDF report, the XLSX/CSV exports and the command line all take their status
order, labels, colours and sentences from here, so a status cannot read one way on screen and
another way on paper.  Pure data and string functions: no Qt, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.model import Relationship, VerdictStatus

NOT_JUDGED = "not_judged"
"""The headline of a device no policy pack judged (not a verdict any pack gives)."""


@dataclass(frozen=True, slots=True)
class StatusStyle:
    """Everything a view needs to show one status.

    ``colour`` is strong (badge fill, coloured text on white); ``fill`` is a light background
    for a spreadsheet cell with black text; ``shape`` lets the status read without colour.
    """

    status: str
    label: str
    code: str  # short form for narrow tables, explained by a legend
    colour: str
    text_colour: str  # text drawn on ``colour``
    fill: str
    shape: str
    explanation: str
    flagged: bool  # a compliance officer must act on it


# Most severe first: the order of a device's headline, of sorting, of charts and legends.
# (A use-conditioned finding, covered *if* used for the listed purposes, ranks above a likely
# one: the maker is established; only the use is for a person to confirm.)
_STYLES: tuple[StatusStyle, ...] = (
    StatusStyle(
        VerdictStatus.COVERED.value,
        "Covered",
        "COV",
        "#c62828",
        "#ffffff",
        "F4C7C3",
        "octagon",
        "The policy applies to this device as deployed: its maker (or the maker's subsidiary "
        "or affiliate) is named, and any use condition is met by the site profile.",
        True,
    ),
    StatusStyle(
        VerdictStatus.COVERED_FOR_USE.value,
        "Covered for use",
        "CFU",
        "#ef6c00",
        "#000000",
        "FCE0C4",
        "triangle",
        "The maker is named by a use-conditioned rule (e.g. NDAA §889(f)(3)(B)): the device is "
        "covered if used for public safety, government-facility security, critical "
        "infrastructure or national security; the site profile does not declare such use.",
        True,
    ),
    StatusStyle(
        VerdictStatus.LIKELY_COVERED.value,
        "Likely covered",
        "LIK",
        "#f9a825",
        "#000000",
        "FFF1C2",
        "hollow-triangle",
        "Strong but indirect evidence links this device to a covered maker (an OEM rebrand, "
        "or identity evidence that is not conclusive). A person should confirm.",
        True,
    ),
    StatusStyle(
        VerdictStatus.COMPONENT_RISK.value,
        "Component risk",
        "CMP",
        "#6a1b9a",
        "#ffffff",
        "E6D4F0",
        "diamond",
        "The device is not made by a covered maker, but contains a component from one "
        "(e.g. a HiSilicon SoC, a Huawei subsidiary): a possible 'substantial or essential "
        "component' under §889.",
        False,
    ),
    StatusStyle(
        VerdictStatus.UNKNOWN.value,
        "Unknown",
        "UNK",
        "#607d8b",
        "#ffffff",
        "DDE3E6",
        "question",
        "Not enough evidence to say who made this device: it needs a person to check.",
        False,
    ),
    StatusStyle(
        NOT_JUDGED,
        "Not judged",
        "—",
        "#80868b",
        "#ffffff",
        "EEEEEE",
        "dash",
        "No policy pack judged this device.",
        False,
    ),
    StatusStyle(
        VerdictStatus.NOT_COVERED.value,
        "Not covered",
        "NC",
        "#2e7d32",
        "#ffffff",
        "D4EDD6",
        "check",
        "The identified maker is not named by this policy.",
        False,
    ),
    StatusStyle(
        VerdictStatus.NOT_APPLICABLE.value,
        "Not applicable",
        "N/A",
        "#9e9e9e",
        "#000000",
        "F5F5F5",
        "dash",
        "This policy does not bind the site (another jurisdiction or kind of organisation).",
        False,
    ),
)

STATUS_ORDER: tuple[str, ...] = tuple(s.status for s in _STYLES)
"""Every status a view may show, most severe first."""

_BY_STATUS: dict[str, StatusStyle] = {s.status: s for s in _STYLES}
FLAGGED: frozenset[str] = frozenset(s.status for s in _STYLES if s.flagged)


def style(status: str | VerdictStatus) -> StatusStyle:
    """The style of a status (KeyError for a status no view knows: a bug to surface)."""
    return _BY_STATUS[str(status)]


def label(status: str | VerdictStatus) -> str:
    return style(status).label


def rank(status: str | VerdictStatus) -> int:
    """0 for the most severe status; sort ascending to put the worst first."""
    return STATUS_ORDER.index(str(status))


def worst(statuses: Iterable[str | VerdictStatus]) -> str:
    """The most severe of ``statuses``, or ``not_judged`` when there are none."""
    found = {str(s) for s in statuses}
    return next((s for s in STATUS_ORDER if s in found), NOT_JUDGED)


# ----------------------------------------------------------------- names and sentences

ORGANISATION_LABELS: dict[str, str] = {
    "federal_agency": "Federal agency",
    "federal_contractor": "Federal contractor",
    "grant_recipient": "Grant or loan recipient",
    "state_body": "State, provincial or national-government body",
    "municipal_body": "Municipal or local body",
    "private": "Private organisation",
}
"""Who runs a site, as a person picks it (core.model.Organisation values)."""

ORGANISATION_PLURALS: dict[str, str] = {
    "federal_agency": "federal agencies",
    "federal_contractor": "federal contractors",
    "grant_recipient": "grant and loan recipients",
    "state_body": "state, provincial or national-government bodies",
    "municipal_body": "municipal and local bodies",
    "private": "private organisations",
}
"""The same, in "binds ..." sentences."""

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

LINK_LABELS: dict[str, str] = {
    "own_brand": "own brand",
    "subsidiary": "subsidiary",
    "former_subsidiary": "subsidiary",
    "affiliate": "affiliate",
    "oem": "OEM",
    "unknown": "relationship unknown",
}
"""How a catalogue link kind or an identity's relationship reads in a sentence."""


def link_label(kind: str) -> str:
    return LINK_LABELS.get(kind, kind.replace("_", " "))


def with_article(words: str) -> str:
    """``words`` with "a" or "an" in front ("an OEM", "a subsidiary", "an own brand")."""
    return f"{'an' if words[:1].lower() in 'aeiou' else 'a'} {words}"


def display_name(ident: str | None, names: Mapping[str, str] | None = None) -> str:
    """A catalogue id as people write it: from ``names`` when known, else a title-cased slug."""
    if not ident:
        return ""
    if names and ident in names:
        return names[ident]
    return ident.replace("_", " ").title() if _SLUG.match(ident) else ident


def identity_sentence(
    maker: str | None,
    brand: str | None,
    relationship: str | Relationship,
    names: Mapping[str, str] | None = None,
) -> str:
    """'Sold as Annke, made by Hikvision (OEM rebrand)' and its siblings, in plain words."""
    maker_name, brand_name = display_name(maker, names), display_name(brand, names)
    rel = str(relationship)
    if not maker_name:
        if brand_name:
            return f"Sold as {brand_name}; who made it could not be established"
        return "Maker not identified: not enough evidence"
    if not brand_name:
        return f"Made by {maker_name} (brand not identified)"
    if rel == Relationship.OEM.value:
        return f"Sold as {brand_name}, made by {maker_name} (OEM rebrand)"
    if rel == Relationship.SUBSIDIARY.value:
        return f"Sold as {brand_name}, a brand of {maker_name}'s group (subsidiary)"
    if brand_name != maker_name:
        return f"Sold as {brand_name}, made by {maker_name}"
    return f"Made and sold by {maker_name}"
