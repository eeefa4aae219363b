"""What kind of box a device is (camera, recorder, router, phone ...), and how that was decided.

The rules live in ``vendors/data/device_types.toml`` (each with a source and examples the test
suite checks).  A fingerprint rule that knows the kind says so in its params
(``device_type = "router"``) and wins; otherwise the first rule of the file that matches any of
the device's evidence values decides (the file is ordered by trust: the maker's own device
class, its model numbering, what discovery protocols announce, ports).  Pure: reads only its own
data file.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.model import DeviceType

DATA_FILE = Path(__file__).resolve().parent / "data" / "device_types.toml"
MODEL = "model"  # the pseudo-field for the identity's model
PARAM = "device_type"  # the fingerprint rule param that names a type
_RULE_KEYS = {
    "id", "fields", "regex", "type", "description", "source", "likely", "makers", "examples",
}  # fmt: skip
_MEMO_SIZE = 50_000


class DeviceTypeError(ValueError):
    """The device type data is broken; the message names the rule."""


@dataclass(frozen=True, slots=True)
class TypeRule:
    """One way of telling a device's kind from one kind of evidence."""

    id: str
    fields: tuple[str, ...]
    pattern: re.Pattern[str]
    type: DeviceType
    description: str
    source: str
    likely: bool = False
    makers: frozenset[str] = frozenset()
    examples: tuple[tuple[str, DeviceType], ...] = ()

    def applies_to(self, name: str) -> bool:
        return any(name.startswith(f[:-1]) if f.endswith("*") else name == f for f in self.fields)


@dataclass(frozen=True, slots=True)
class Decision:
    type: DeviceType
    how: str


def parse_type(value: str, where: str) -> DeviceType:
    """A device type named in data (``access_point`` or ``access point``)."""
    try:
        return DeviceType(value.strip().replace(" ", "_"))
    except ValueError:
        known = ", ".join(t.value for t in DeviceType)
        raise DeviceTypeError(f"{where}: unknown device type {value!r} (one of {known})") from None


def _rule(raw: Mapping[str, Any]) -> TypeRule:
    ident = str(raw.get("id", "?"))
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise DeviceTypeError(f"rule {ident}: unknown keys {', '.join(sorted(unknown))}")
    for key in ("id", "regex", "type", "description", "source"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise DeviceTypeError(f"rule {ident}: '{key}' is required")
    fields = raw.get("fields")
    if not isinstance(fields, list) or not fields:
        raise DeviceTypeError(f"rule {ident}: 'fields' must list the evidence it reads")
    try:
        pattern = re.compile(raw["regex"])
    except re.error as exc:
        raise DeviceTypeError(f"rule {ident}: regex does not compile: {exc}") from exc
    examples = tuple(
        (str(e["value"]), parse_type(str(e["type"]), f"rule {ident} example"))
        for e in raw.get("examples", [])
    )
    if not examples:
        raise DeviceTypeError(f"rule {ident}: at least one example is required")
    return TypeRule(
        id=ident,
        fields=tuple(str(f) for f in fields),
        pattern=pattern,
        type=parse_type(raw["type"], f"rule {ident}"),
        description=raw["description"],
        source=raw["source"],
        likely=bool(raw.get("likely", False)),
        makers=frozenset(str(m) for m in raw.get("makers", [])),
        examples=examples,
    )


def parse_rules(text: str) -> tuple[TypeRule, ...]:
    """Rules from the TOML text of a device type file (raises DeviceTypeError)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeviceTypeError(f"not valid TOML: {exc}") from exc
    rules = tuple(_rule(raw) for raw in data.get("rule", []))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise DeviceTypeError(f"rule {rule.id}: duplicate id")
        seen.add(rule.id)
    return rules


@functools.lru_cache(maxsize=1)
def default_rules() -> tuple[TypeRule, ...]:
    return parse_rules(DATA_FILE.read_text(encoding="utf-8"))


@dataclass(slots=True)
class TypeRules:
    """The rules with a per-(field, value) memo: a fleet repeats its models and banners."""

    rules: tuple[TypeRule, ...]
    _by_field: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    _memo: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict, repr=False)

    def matching(self, name: str, value: str) -> tuple[int, ...]:
        """Indexes of the rules that apply to ``name`` and match ``value``."""
        key = (name, value)
        hits = self._memo.get(key)
        if hits is None:
            candidates = self._by_field.get(name)
            if candidates is None:
                candidates = tuple(i for i, r in enumerate(self.rules) if r.applies_to(name))
                self._by_field[name] = candidates
            hits = tuple(i for i in candidates if self.rules[i].pattern.search(value))
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = hits
        return hits

    def decide(
        self,
        pairs: Iterable[tuple[str, str]],
        model: str | None,
        maker: str | None,
        family: Callable[[str], frozenset[str]],
    ) -> Decision | None:
        """The first rule (in file order) any value matches; ``family(maker)`` is the maker
        and its parents, for rules limited to some makers."""
        best: tuple[int, str, str] | None = None
        values = [(MODEL, model)] if model else []
        for name, value in (*values, *pairs):
            for index in self.matching(name, value):
                rule = self.rules[index]
                if rule.makers and maker is not None and not (rule.makers & family(maker)):
                    continue
                if best is None or index < best[0]:
                    best = (index, name, value)
                break
        if best is None:
            return None
        rule = self.rules[best[0]]
        likely = "likely " if rule.likely else ""
        how = (
            f"{likely}{rule.type.label}: {best[1]} {best[2]!r} ({rule.description}; "
            f"device_types.toml:{rule.id})"
        )
        return Decision(rule.type, how)


@functools.lru_cache(maxsize=1)
def default_type_rules() -> TypeRules:
    return TypeRules(default_rules())


def from_params(hits: Iterable[tuple[str, str, str, str]]) -> Decision | None:
    """A type named by a fingerprint rule's params: (type, rule ref, field, value), strongest
    first; unknown type names are ignored (the fingerprint self-test reports them)."""
    for type_name, ref, name, value in hits:
        try:
            kind = DeviceType(type_name.strip().replace(" ", "_"))
        except ValueError:
            continue
        return Decision(kind, f"{kind.label}: {name} {value!r} (fingerprint {ref})")
    return None
