"""The brand / OEM catalogue: who makes what, sold under which names, owned by whom, and when.

The knowledge lives in ``vendors/data/catalogue.toml`` (one ``[makers.<id>]`` table per company,
one ``[brands.<id>]`` table per trade name, a ``[sources]`` table that links cite by key).  This
module only loads and checks it and answers three questions:

- ``maker_for_org``: which catalogue company an IEEE registry organisation name belongs to
  (exact, case- and whitespace-normalised; never a substring: "Shanghai Dahua Scale Factory"
  is not Dahua);
- ``brand_by_name``: which brand a name a device or user gave is (exact name or alias);
- ``lineage``: the chain of parent companies in force on a date (for "subsidiary or affiliate of");
- ``link_registrant``: the same question as ``maker_for_org`` asked systematically of any registry
  spelling (see "Registrant linking" below).

Every maker gets an implicit own brand with the same id unless the file declares one, so
``brands["axis"]`` exists without repeating Axis twice.  Pure: reads only its own data file.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).resolve().parent / "data" / "catalogue.toml"

LINK_KINDS = ("own_brand", "subsidiary", "affiliate", "oem", "reseller", "former_subsidiary")
LINK_STATUSES = ("current", "former", "reseller")
CONFIDENCES = ("H", "M", "L")
# What a company is to an auditor: it builds devices, only sells a brand others build, is a
# component maker (SoC, modules), or provides services (carriers on the FCC list).
ROLES = ("manufacturer", "brand_owner", "component", "service_provider")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_]*$")
# A brand name shorter than this (letters, spaces left out) is too generic to identify a
# registrant: "DH", "AC", "DAS" or "XM" are somebody else's company name too.
MIN_BRAND_NAME_CHARS = 4
MAX_LINK_MEMO = 100_000


class CatalogueError(ValueError):
    """A catalogue entry is malformed; the message names the file, the line and the entry."""


@dataclass(frozen=True, slots=True)
class Link:
    """A tie from a company or brand to a maker, with when it held and who says so."""

    maker: str
    kind: str
    status: str = "current"
    since: dt.date | None = None
    until: dt.date | None = None
    scope: str = ""
    source: str = ""
    confidence: str = "M"
    note: str = ""

    def in_force(self, on: dt.date | None) -> bool:
        """True if the link held on ``on`` (None: today's state, i.e. not ended)."""
        if on is None:
            return self.until is None and self.status != "former"
        if self.since and on < self.since:
            return False
        if self.until:
            return on < self.until
        return self.status != "former"


@dataclass(frozen=True, slots=True)
class Maker:
    """A company: its IEEE registry spellings, country and corporate parents."""

    id: str
    name: str
    org_names: tuple[str, ...] = ()
    country: str = ""
    parents: tuple[Link, ...] = ()
    source: str = ""
    as_of: dt.date | None = None
    confidence: str = "M"
    role: str = "manufacturer"
    # The group a device of this company is reported under (EZVIZ -> hikvision), and the
    # brand it then carries; None: the company is reported as itself.
    identify_as: str | None = None
    brand: str | None = None
    note: str = ""
    # IANA Private Enterprise Numbers registered in this company's name (an SNMP sysObjectID
    # under 1.3.6.1.4.1.N names N); see vendors/pen.py.
    pen_numbers: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Brand:
    """A name devices are sold under, and the makers behind it (per product line and period)."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    note: str = ""

    def makers_on(self, on: dt.date | None) -> list[Link]:
        """Maker links in force on ``on`` (OEM, own brand, subsidiary), resellers excluded."""
        return [lk for lk in self.links if lk.in_force(on) and lk.kind != "reseller"]


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


# ------------------------------------------------------------------------ registrant linking
#
# Makers register MAC blocks under many spellings ("Huawei Technologies Co.,Ltd" and
# "Huawei Technologies Co., Ltd."), under a company name a catalogue entry gives without its
# legal form ("Hytera Communications Co .,ltd" for the maker "Hytera Communications"), and under
# old or trading names that the catalogue knows as a brand ("Lt Security Inc" for LTS).  Rather
# than curating each spelling, a registrant is linked by comparing *normalised* names:
#
#   key   = case, punctuation and spacing folded, legal forms spelt one way
#           ("co., limited" -> "co ltd", "corporation" -> "corp");
#   base  = the key without its trailing legal form ("huawei technologies").
#
# A registrant links to a maker when its key equals the key of one of the maker's curated
# registry spellings (same name, same legal form: "Teltronic AG" is not "Teltronic S.A.U."), or
# when its base equals the maker's name and that name carries no legal form.  It links to a
# brand (as the company behind that brand, "likely") when its base equals the brand's name or
# an alias.  Never a substring: "Shanghai Dahua Scale Factory" is not Dahua.

_LEGAL_WORDS = {
    "limited": "ltd",
    "corporation": "corp",
    "incorporated": "inc",
    "company": "co",
    "gesellschaft": "gmbh",
}
# Trailing tokens that only say what legal form a company has.
_LEGAL_TOKENS = frozenset(
    {"co", "ltd", "inc", "corp", "llc", "gmbh", "ag", "sa", "sau", "sas", "sarl", "bv", "nv",
     "ab", "as", "asa", "oy", "oyj", "plc", "pty", "pte", "pvt", "private", "spa", "srl", "kg",
     "kft", "sro", "sdn", "bhd", "kk", "lp", "llp", "jsc", "ojsc", "zao", "ooo", "se", "aps",
     "public", "the"}
)  # fmt: skip
# Dotted abbreviations written with spaces after punctuation is removed ("s.a.u." -> "s a u").
_SPACED_FORMS = (
    ("s a u", "sau"), ("s a s", "sas"), ("s a r l", "sarl"), ("s p a", "spa"), ("s r l", "srl"),
    ("s a", "sa"), ("b v", "bv"), ("n v", "nv"), ("a s", "as"), ("k k", "kk"), ("s r o", "sro"),
    ("a g", "ag"), ("l l c", "llc"), ("p l c", "plc"), ("s e", "se"),
)  # fmt: skip
_PUNCT = re.compile(r"[^\w&+]+", re.UNICODE)


def org_key(name: str) -> str:
    """A registry organisation name with case, punctuation, spacing and legal form spelling
    folded: ``"Huawei Technologies Co., Ltd."`` and ``"HUAWEI TECHNOLOGIES CO.,LTD"`` give the
    same key; the legal form stays (``"teltronic ag"`` differs from ``"teltronic sau"``)."""
    text = " " + _PUNCT.sub(" ", name.casefold().replace("&", " & ")).strip() + " "
    for spaced, joined in _SPACED_FORMS:
        if text.endswith(f" {spaced} "):
            text = text[: -len(spaced) - 1] + joined + " "
    words = [_LEGAL_WORDS.get(word, word) for word in text.split()]
    return " ".join(words)


def org_base(name: str) -> str:
    """``org_key`` without its trailing legal form: ``"Lt Security Inc"`` -> ``"lt security"``."""
    words = org_key(name).split()
    while len(words) > 1 and words[-1] in _LEGAL_TOKENS:
        words.pop()
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class RegistrantLink:
    """How an IEEE registrant name was tied to the catalogue.

    ``how`` is ``exact`` (a curated spelling), ``spelling`` (the same name and legal form spelt
    another way), ``maker_name`` (the maker's name without a legal form) or ``brand_name`` (the
    registrant's name is a brand's name or alias: taken, as *likely*, to be the company behind
    that brand, e.g. an old company name).  ``maker`` is set for the first three, ``brand`` for
    the last; ``matched`` is the catalogue spelling that matched.
    """

    org: str
    how: str
    maker: str | None = None
    brand: str | None = None
    matched: str = ""

    @property
    def likely(self) -> bool:
        return self.how == "brand_name"


@dataclass(slots=True)
class Catalogue:
    """The loaded catalogue with its lookup indexes."""

    makers: dict[str, Maker]
    brands: dict[str, Brand]
    as_of: dt.date | None = None
    path: Path | None = None
    sources: dict[str, str] = field(default_factory=dict)
    _by_org: dict[str, str] = field(default_factory=dict, repr=False)
    _by_pen: dict[int, str] = field(default_factory=dict, repr=False)
    _by_brand_name: dict[str, str] = field(default_factory=dict, repr=False)
    # registrant linking: org_key of curated spellings, org_base of names without a legal form
    _by_org_key: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    _by_maker_base: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    _by_brand_base: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    _links: dict[str, RegistrantLink | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for maker in self.makers.values():
            for number in maker.pen_numbers:
                if self._by_pen.setdefault(number, maker.id) != maker.id:
                    raise CatalogueError(
                        f"enterprise number {number} is listed under both "
                        f"{self._by_pen[number]!r} and {maker.id!r}"
                    )
            for org in maker.org_names:
                self._by_org[_norm(org)] = maker.id
                self._by_org_key.setdefault(org_key(org), (maker.id, org))
            # A bare company name ("Honeywell") also stands for its legal-form variants; a
            # curated spelling with a legal form ("Genetec Inc.") says a "GENETEC Corporation"
            # is another company, so a maker's display name counts only without curated ones.
            bare = [o for o in maker.org_names if org_key(o) == org_base(o)]
            for name in bare or ([] if maker.org_names else [maker.name]):
                if org_key(name) == org_base(name):
                    self._by_maker_base.setdefault(org_base(name), (maker.id, name))
        for brand in self.brands.values():
            for name in (brand.name, *brand.aliases):
                self._by_brand_name.setdefault(_norm(name), brand.id)
            for name in self._registrant_brand_names(brand):
                self._by_brand_base.setdefault(org_base(name), (brand.id, name))

    def _registrant_brand_names(self, brand: Brand) -> list[str]:
        """The names of ``brand`` a registrant may be matched on.

        Only brands whose own company the registry does not already know (a brand of a maker
        with curated spellings is found through those: "Axis Corporation" is not Axis
        Communications AB), and only the brand's own name or an alias of several words: a
        one-word alias ("Platinum", "Zeus") is too often another company's name.
        """
        own = (lk.maker for lk in brand.links if lk.kind in ("own_brand", "subsidiary"))
        if any(self.makers[m].org_names for m in own if m in self.makers):
            return []
        names = [brand.name, *(a for a in brand.aliases if len(a.split()) > 1)]
        return [n for n in names if len(org_base(n).replace(" ", "")) >= MIN_BRAND_NAME_CHARS]

    def maker_for_pen(self, number: int) -> str | None:
        """The maker an IANA enterprise number is registered to, as the catalogue lists it."""
        return self._by_pen.get(number)

    def maker_for_org(self, org_name: str) -> str | None:
        """The maker id whose curated IEEE spelling equals ``org_name`` (never a substring)."""
        return self._by_org.get(_norm(org_name))

    def link_registrant(self, org_name: str) -> RegistrantLink | None:
        """The catalogue maker or brand an IEEE registrant name belongs to (see the module's
        "Registrant linking" notes), or None; memoised per spelling."""
        if org_name in self._links:
            return self._links[org_name]
        link = self._link(org_name)
        if len(self._links) < MAX_LINK_MEMO:
            self._links[org_name] = link
        return link

    def _link(self, org_name: str) -> RegistrantLink | None:
        if (maker := self._by_org.get(_norm(org_name))) is not None:
            return RegistrantLink(org_name, "exact", maker=maker, matched=org_name)
        key, base = org_key(org_name), org_base(org_name)
        if (hit := self._by_org_key.get(key)) is not None:
            return RegistrantLink(org_name, "spelling", maker=hit[0], matched=hit[1])
        if (hit := self._by_maker_base.get(base)) is not None:
            return RegistrantLink(org_name, "maker_name", maker=hit[0], matched=hit[1])
        if (hit := self._by_brand_base.get(base)) is not None:
            return RegistrantLink(org_name, "brand_name", brand=hit[0], matched=hit[1])
        return None

    def brand_by_name(self, name: str) -> Brand | None:
        """The brand whose name or an alias equals ``name`` (case-insensitive, exact)."""
        brand_id = self._by_brand_name.get(_norm(name))
        return self.brands[brand_id] if brand_id else None

    def lineage(self, maker_id: str, on: dt.date | None = None) -> list[tuple[str, Link]]:
        """Parents of ``maker_id`` up the chain: (parent id, link) in order, nearest first.

        With ``on`` given only links in force on that day are followed; with None every
        parent link, past or present, is listed (callers then filter by date themselves).
        Raises KeyError for an unknown maker id.
        """
        chain: list[tuple[str, Link]] = []
        seen = {maker_id}
        todo = [maker_id]
        while todo:
            current = self.makers[todo.pop(0)]
            for link in current.parents:
                if on is not None and not link.in_force(on):
                    continue
                chain.append((link.maker, link))
                if link.maker not in seen:
                    seen.add(link.maker)
                    todo.append(link.maker)
        return chain

    def group_of(self, maker_id: str) -> str:
        """The id a device made by ``maker_id`` is reported under (its ``identify_as``)."""
        maker = self.makers.get(maker_id)
        return maker.identify_as if maker and maker.identify_as else maker_id

    def name_of(self, ident: str) -> str:
        """A readable name for a maker or brand id (the id itself if unknown)."""
        if ident in self.makers:
            return self.makers[ident].name
        brand = self.brands.get(ident)
        return brand.name if brand else ident


# --------------------------------------------------------------------------------- loading


class _Ctx:
    """Where an entry came from, for error messages that point at a line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.sources: dict[str, str] = {}

    def line_of(self, table: str, entry: str) -> int:
        pattern = re.compile(rf"^\s*\[{re.escape(table)}\.{re.escape(entry)}\]\s*(#.*)?$")
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                return number
        return 0

    def fail(self, table: str, entry: str, message: str) -> CatalogueError:
        line = self.line_of(table, entry)
        return CatalogueError(f"{self.path}:{line}: {table}.{entry}: {message}")


def _date(value: Any, what: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"{what} must be a TOML date (YYYY-MM-DD), got {value!r}")


def _strs(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of strings")
    return tuple(value)


def _choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)


def _source(ctx: _Ctx, value: Any) -> str:
    """A source is free text or ``@key`` naming an entry of the ``[sources]`` table."""
    text = str(value or "")
    if text.startswith("@"):
        key = text[1:]
        if key not in ctx.sources:
            raise ValueError(f"source {text!r} is not in [sources]")
        return ctx.sources[key]
    return text


_LINK_KEYS = {"maker", "kind", "status", "since", "until", "scope", "source", "confidence", "note"}


def _link(ctx: _Ctx, raw: Any) -> Link:
    if not isinstance(raw, Mapping):
        raise ValueError("each link must be a table")
    unknown = set(raw) - _LINK_KEYS
    if unknown:
        raise ValueError(f"unknown link keys: {', '.join(sorted(unknown))}")
    kind = _choice(raw.get("kind"), LINK_KINDS, "link kind")
    default_status = "former" if kind == "former_subsidiary" else "current"
    return Link(
        maker=str(raw.get("maker", "")),
        kind=kind,
        status=_choice(raw.get("status", default_status), LINK_STATUSES, "link status"),
        since=_date(raw.get("since"), "since"),
        until=_date(raw.get("until"), "until"),
        scope=str(raw.get("scope", "")),
        source=_source(ctx, raw.get("source")),
        confidence=_choice(raw.get("confidence", "M"), CONFIDENCES, "link confidence"),
        note=str(raw.get("note", "")),
    )


_MAKER_KEYS = {
    "pen_numbers",
    "name",
    "org_names",
    "country",
    "parents",
    "source",
    "as_of",
    "confidence",
    "role",
    "identify_as",
    "brand",
    "note",
}


def _maker(ctx: _Ctx, ident: str, raw: Mapping[str, Any]) -> Maker:
    unknown = set(raw) - _MAKER_KEYS
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
    if not raw.get("name"):
        raise ValueError("name is required")
    if not raw.get("source"):
        raise ValueError("source is required")
    return Maker(
        id=ident,
        name=str(raw["name"]),
        org_names=_strs(raw.get("org_names", []), "org_names"),
        country=str(raw.get("country", "")),
        parents=tuple(_link(ctx, p) for p in raw.get("parents", [])),
        source=_source(ctx, raw["source"]),
        as_of=_date(raw.get("as_of"), "as_of"),
        confidence=_choice(raw.get("confidence", "M"), CONFIDENCES, "confidence"),
        role=_choice(raw.get("role", "manufacturer"), ROLES, "role"),
        identify_as=raw.get("identify_as"),
        brand=raw.get("brand"),
        note=str(raw.get("note", "")),
        pen_numbers=_pen_numbers(raw.get("pen_numbers", [])),
    )


def _pen_numbers(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2**32 for n in value
    ):
        raise ValueError("pen_numbers must be a list of enterprise numbers (0 to 2**32-1)")
    return tuple(value)


def _brand(ctx: _Ctx, ident: str, raw: Mapping[str, Any]) -> Brand:
    unknown = set(raw) - {"name", "aliases", "links", "note"}
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
    if not raw.get("name"):
        raise ValueError("name is required")
    links = tuple(_link(ctx, lk) for lk in raw.get("links", []))
    for link in links:
        if not link.source:
            raise ValueError(f"link to {link.maker!r} has no source")
    return Brand(
        id=ident,
        name=str(raw["name"]),
        aliases=_strs(raw.get("aliases", []), "aliases"),
        links=links,
        note=str(raw.get("note", "")),
    )


def _entries(ctx: _Ctx, data: Mapping[str, Any], table: str, build: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    section = data.get(table, {})
    if not isinstance(section, Mapping):
        raise CatalogueError(f"{ctx.path}: [{table}] must be a table")
    for ident, raw in section.items():
        if not _SLUG.match(ident):
            raise ctx.fail(table, ident, "id must be a lowercase slug (a-z, 0-9, _)")
        if not isinstance(raw, Mapping):
            raise ctx.fail(table, ident, "must be a table")
        try:
            out[ident] = build(ctx, ident, raw)
        except ValueError as exc:
            raise ctx.fail(table, ident, str(exc)) from exc
    return out


def _own_brands(makers: Mapping[str, Maker], brands: dict[str, Brand]) -> None:
    """Every device maker sells under its own name unless the file says otherwise."""
    for maker in makers.values():
        if maker.id in brands or maker.role not in ("manufacturer", "brand_owner"):
            continue
        if maker.identify_as:
            continue
        brands[maker.id] = Brand(
            id=maker.id,
            name=maker.name,
            links=(
                Link(
                    maker=maker.id,
                    kind="own_brand",
                    source=maker.source,
                    confidence=maker.confidence,
                    note="implicit: a maker's own name",
                ),
            )
            if maker.role == "manufacturer"
            else (),
        )


def _check_references(ctx: _Ctx, makers: Mapping[str, Maker], brands: Mapping[str, Brand]) -> None:
    for maker in makers.values():
        for link in maker.parents:
            if link.maker not in makers:
                raise ctx.fail("makers", maker.id, f"parent {link.maker!r} is not a maker")
        if maker.identify_as and maker.identify_as not in makers:
            raise ctx.fail("makers", maker.id, f"identify_as {maker.identify_as!r} unknown")
        if maker.brand and maker.brand not in brands:
            raise ctx.fail("makers", maker.id, f"brand {maker.brand!r} is not a brand")
    for brand in brands.values():
        for link in brand.links:
            if link.maker not in makers:
                raise ctx.fail("brands", brand.id, f"link to unknown maker {link.maker!r}")


def find_cycle(makers: Mapping[str, Maker]) -> list[str] | None:
    """A parent cycle (ids in order) if the ownership graph has one, else None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for link in makers[node].parents if node in makers else ():
            if state.get(link.maker) == 1:
                return [*path, node, link.maker]
            if link.maker not in state and (found := visit(link.maker, [*path, node])):
                return found
        state[node] = 2
        return None

    for ident in makers:
        if ident not in state and (found := visit(ident, [])):
            return found
    return None


def parse_catalogue(text: str, path: Path) -> Catalogue:
    """Build a catalogue from TOML text; ``path`` is only used in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from exc
    ctx = _Ctx(path, text)
    ctx.sources = {str(k): str(v) for k, v in data.get("sources", {}).items()}
    makers = _entries(ctx, data, "makers", _maker)
    brands = _entries(ctx, data, "brands", _brand)
    _own_brands(makers, brands)
    _check_references(ctx, makers, brands)
    if cycle := find_cycle(makers):
        raise ctx.fail("makers", cycle[0], f"parent links form a cycle: {' -> '.join(cycle)}")
    meta = data.get("meta", {})
    return Catalogue(
        makers=makers,
        brands=brands,
        as_of=_date(meta.get("as_of"), "meta.as_of"),
        path=path,
        sources=ctx.sources,
    )


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load the catalogue (the built-in one, cached, when ``path`` is None)."""
    if path is None:
        return _default()
    return parse_catalogue(path.read_text(encoding="utf-8"), path)


@functools.lru_cache(maxsize=1)
def _default() -> Catalogue:
    return parse_catalogue(DATA_FILE.read_text(encoding="utf-8"), DATA_FILE)


def display_names(catalogue: Catalogue | None = None) -> dict[str, str]:
    """Catalogue id -> the name people use; a brand's short name wins over a maker's legal one.

    Every view (GUI, PDF, exports, command line) names makers and brands through this map
    and ``core.presentation.display_name``.  A catalogue that cannot be read gives ``{}``
    (ids are then title-cased): a broken data file must not stop a report.
    """
    try:
        cat = catalogue or load_catalogue()
    except Exception:
        return {}
    names = {m.id: m.name for m in cat.makers.values()}
    names.update({b.id: b.name for b in cat.brands.values()})
    return names
