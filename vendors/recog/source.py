"""recog as a knowledge source for identify(): evidence values in, weighed claims out.

For each (field, value) of a device, every recog file whose ``matches`` kind that field carries
(vendors.recog.meaning.FIELD_USES) is tried in recog's order (higher ``preference`` first); the
first fingerprint of a file that matches wins, as in recog.  A match becomes a
:class:`RecogClaim`: the maker, brand or component its vendor params name in the catalogue,
the model / firmware / serial it captured, its device type, a weight, and a reason that cites
``recog <file>: <description>`` with the recog version.

Weights: recog's fingerprints read banners, so a vendor named by ``hw.vendor`` or ``os.vendor``
counts as a banner (0.4, "likely" on its own); named only by ``service.vendor`` (the software's
maker) as weak evidence (0.25); a ``*.certainty`` below 0.5 makes it weak, 0 makes it
information only.  Matching is memoised per (field, value).  Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from core.model import DeviceType
from vendors.catalogue import Catalogue
from vendors.confidence import LIKELY_REASON_BELOW
from vendors.fingerprints import WEIGHTS
from vendors.recog.db import Fingerprint, RecogFile
from vendors.recog.meaning import (
    FIELD_USES,
    FieldUse,
    Vendor,
    device_type,
    recog_forms,
    resolve_vendor,
    uses_for,
)

MEMO_SIZE = 100_000
_NAMESPACES = ("hw", "os", "service")


@dataclass(frozen=True, slots=True)
class RecogClaim:
    """One recog match as identify() weighs it (the fields of its own claims)."""

    field: str
    value: str
    rule: str  # "recog:http_wwwauth.xml:314"
    weight: float
    maker: str | None
    brand: str | None
    component: str | None
    extracted: dict[str, str]  # shared by every claim of this value: never mutated
    detail: str
    likely: bool


@dataclass(slots=True)
class RecogDB:
    """Loaded recog files, ready to match; ``version`` labels every reason."""

    files: list[RecogFile]
    version: str = "recog"
    _by_field: dict[str, list[tuple[RecogFile, FieldUse]]] = field(default_factory=dict, repr=False)

    def uses(self, name: str) -> list[tuple[RecogFile, FieldUse]]:
        """The files (best preference first) that read values of field ``name``."""
        cached = self._by_field.get(name)
        if cached is None:
            by_kind: dict[str, list[RecogFile]] = {}
            for recog_file in self.files:
                by_kind.setdefault(recog_file.matches, []).append(recog_file)
            cached = [
                (recog_file, use)
                for use in uses_for(name)
                for recog_file in sorted(by_kind.get(use.matches, ()), key=lambda f: -f.preference)
            ]
            self._by_field[name] = cached
        return cached

    def match(self, name: str, value: str) -> list[tuple[Fingerprint, dict[str, str | None], str]]:
        """(fingerprint, result, form of the value that matched) per file reading ``name``."""
        hits = []
        for recog_file, use in self.uses(name):
            for form in recog_forms(use, name, value):
                found = recog_file.first_match(form)
                if found is not None:
                    hits.append((found[0], found[1], form))
                    break
        return hits

    def fields(self) -> list[str]:
        """Our evidence fields some loaded file reads (families end in ".")."""
        kinds = {f.matches for f in self.files}
        names = {
            u.field + ("<key>" if u.field.endswith(".") else "")
            for u in FIELD_USES
            if u.matches in kinds
        }
        return sorted(names)


class Recognizer:
    """A :class:`RecogDB` read against one catalogue, with memoised claims."""

    def __init__(self, db: RecogDB, catalogue: Catalogue) -> None:
        self.db = db
        self.catalogue = catalogue
        self._vendors: dict[str, Vendor] = {}
        self._memo: dict[tuple[str, str], tuple[RecogClaim, ...]] = {}

    def claims(self, pairs: Iterable[tuple[str, str]]) -> list[RecogClaim]:
        """The claims recog makes about a device's (field, value) pairs."""
        out: list[RecogClaim] = []
        uses = self.db.uses
        for name, value in pairs:
            if not uses(name):  # MACs, serials, ports...: no recog file reads them
                continue
            key = (name, value)
            found = self._memo.get(key)
            if found is None:
                if len(self._memo) >= MEMO_SIZE:
                    self._memo.clear()
                found = self._memo[key] = tuple(self._claims(name, value))
            out.extend(found)
        return out

    def vendor(self, name: str) -> Vendor:
        found = self._vendors.get(name)
        if found is None:
            found = self._vendors[name] = resolve_vendor(self.catalogue, name)
        return found

    def _claims(self, name: str, value: str) -> list[RecogClaim]:
        return [
            self.claim(name, value, fp, result, form)
            for fp, result, form in self.db.match(name, value)
        ]

    def claim(
        self, name: str, value: str, fp: Fingerprint, result: Mapping[str, str | None], form: str
    ) -> RecogClaim:
        """What one match says (see the module docstring for the weights)."""
        vendors = [(ns, self.vendor(v)) for ns in _NAMESPACES if (v := result.get(f"{ns}.vendor"))]
        maker = next(((ns, v) for ns, v in vendors if v.maker), None)
        brand = next((v.brand for _, v in vendors if v.brand), None)
        component = next((v.component for _, v in vendors if v.component), None)
        kind = device_type(
            next((d for ns in _NAMESPACES if (d := result.get(f"{ns}.device"))), None)
        )
        known = next((ns for ns, v in vendors if v.known), None)
        weight = self._weight(known, result)
        detail = f"recog {fp.file}: {fp.description or 'no description'} [{self.db.version}]"
        if form != value:
            detail += f" (read as {form!r})"
        if kind is not DeviceType.UNKNOWN:
            detail += f"; a {kind.label}"
        unknown = next((v.name for _, v in vendors if not v.known), None)
        if unknown and not maker:
            detail += f"; vendor {unknown!r} is not in the catalogue"
        if weight == 0 and (maker or brand or component):
            detail += f"; {vendors[0][1].name} by recog's own account uncertain: not counted"
        named = weight > 0  # information only: shown, but naming no one
        return RecogClaim(
            field=name,
            value=value,
            rule=f"recog:{fp.ref}",
            weight=weight,
            maker=maker[1].maker if maker and named else None,
            brand=brand if named else None,
            component=component if named else None,
            extracted=_extracted(fp, result, kind, bool(maker)),
            detail=detail,
            likely=weight < LIKELY_REASON_BELOW,
        )

    @staticmethod
    def _weight(namespace: str | None, result: Mapping[str, str | None]) -> float:
        """By the namespace of the first vendor param the catalogue knows (None: none)."""
        if namespace is None:
            return WEIGHTS["info"]
        weight = WEIGHTS["banner"] if namespace in ("hw", "os") else WEIGHTS["weak"]
        certainty = result.get(f"{namespace}.certainty")
        try:
            value = float(certainty) if certainty is not None else 1.0
        except ValueError:
            value = 1.0
        if value <= 0:
            return WEIGHTS["info"]
        return min(weight, WEIGHTS["weak"]) if value < 0.5 else weight


def _extracted(
    fp: Fingerprint, result: Mapping[str, str | None], kind: DeviceType, has_maker: bool
) -> dict[str, str]:
    """Model, firmware and serial the device's own value carried (captured, not fixed: a
    fixed ``hw.product`` names a product line such as "Home Gateway", not a model)."""

    def captured(name: str) -> str | None:
        return result.get(name) if fp.params.get(name, (0, ""))[0] > 0 else None

    out: dict[str, str] = {}
    model = captured("hw.model") or captured("hw.product")
    firmware = captured("hw.version") or (captured("os.version") if has_maker else None)
    serial = captured("hw.serial_number")
    for key, text in (("model", model), ("firmware", firmware), ("serial", serial)):
        if text and text.strip():
            out[key] = text.strip()
    if kind is not DeviceType.UNKNOWN:
        out["device_type"] = kind.value
    return out
