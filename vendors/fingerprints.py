"""Fingerprint rules: regexes over evidence fields, kept as tested data (the rapid7/recog habit).

Each file in ``vendors/data/fingerprints/`` declares the evidence ``fields`` it matches (a
trailing ``*`` matches a field family such as ``sadp.*``) and holds ``[[rule]]`` entries: ``id``,
``regex`` (a '''literal'''), ``description``, ``weight`` (an evidence class, see WEIGHTS),
``source``, fixed ``params`` (maker, brand, component, likely ...), ``captures`` (group index ->
param name, e.g. ``{ 1 = "model" }``) and ``examples`` whose other keys are the expected
extractions.  Within a file the first matching rule wins, so specific rules come first; every
file is consulted.  Files with ``kind = "model" | "serial" | "firmware"`` also re-check values
other rules capture under that name (a model in an ONVIF scope is still a model).
``python -m vendors.verify`` checks every example.  Pure: reads only its own data files.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data" / "fingerprints"

# Evidence classes, strongest first.  The number is how much one match counts.
WEIGHTS: dict[str, float] = {
    "vendor_protocol": 0.9,  # the maker's own protocol answered (SADP, DHIP, ISAPI, magicBox)
    "format": 0.8,  # serial / firmware / model numbering only the maker uses
    "oui": 0.7,  # IEEE registry owner of the device's own MAC (used by vendors.identify)
    "onvif": 0.55,  # ONVIF scopes / self-reported manufacturer names
    "banner": 0.4,  # HTTP / RTSP server banners and realms
    "weak": 0.25,  # defaults many firmwares share: "likely" at best
    "port": 0.15,  # port profile
    "user": 0.1,  # a brand name a person typed
    "info": 0.0,  # extracts values, points at no maker
}
DERIVED_KINDS = ("model", "serial", "firmware")
_RULE_KEYS = {
    "id",
    "fields",
    "regex",
    "description",
    "weight",
    "source",
    "params",
    "captures",
    "examples",
}


class FingerprintError(ValueError):
    """A rule file is broken; the message starts with file:line."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken entry, located for a person to fix."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Example:
    value: str
    expect: Mapping[str, str]
    line: int


@dataclass(frozen=True, slots=True)
class Rule:
    """One fingerprint."""

    id: str
    file: str
    fields: tuple[str, ...]
    regex: str
    pattern: re.Pattern[str]
    description: str
    weight_class: str
    source: str
    params: Mapping[str, str]
    captures: Mapping[int, str]
    examples: tuple[Example, ...]
    line: int
    ref: str = ""  # how a reason names this rule: ``<file>:<id>`` (filled in by __post_init__)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ref", f"{self.file}:{self.id}")

    @property
    def weight(self) -> float:
        return WEIGHTS[self.weight_class]

    def extract(self, value: str) -> dict[str, str] | None:
        """Fixed params plus captured groups if ``value`` matches, else None."""
        found = self.pattern.search(value)
        if found is None:
            return None
        out = dict(self.params)
        for index, name in self.captures.items():
            group = found.group(index)
            if group is not None and group != "":
                out[name] = group
        return out


@dataclass(slots=True)
class RuleFile:
    name: str
    path: Path
    description: str
    fields: tuple[str, ...]
    kind: str
    rules: list[Rule]


def field_matches(pattern: str, name: str) -> bool:
    """``sadp.*`` matches ``sadp.DeviceSN``; other patterns match exactly."""
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return pattern == name


@dataclass(slots=True)
class Hit:
    """A rule that matched one field value, with what it extracted."""

    rule: Rule
    field: str
    value: str
    extracted: dict[str, str]


MATCH_CACHE_SIZE = 100_000


@dataclass(slots=True)
class RuleSet:
    """All rule files, indexed by field (the index is filled lazily per field name).

    Results of ``match`` are memoised per (field, value): a fleet repeats the same models,
    firmware and banners, and hits are never mutated by their users.
    """

    files: list[RuleFile]
    cache: bool = True
    _by_field: dict[str, list[list[Rule]]] = field(default_factory=dict, repr=False)
    _hits: dict[tuple[str, str], list[Hit]] = field(default_factory=dict, repr=False)

    def rules_for(self, name: str) -> list[list[Rule]]:
        """Per file, the rules that apply to field ``name`` (file order, rule order)."""
        cached = self._by_field.get(name)
        if cached is None:
            cached = []
            for rule_file in self.files:
                rules = [
                    r for r in rule_file.rules if any(field_matches(f, name) for f in r.fields)
                ]
                if rules:
                    cached.append(rules)
            self._by_field[name] = cached
        return cached

    def match(self, name: str, value: str) -> list[Hit]:
        """The first matching rule of each file that applies to ``name`` (do not mutate)."""
        if not self.cache:
            return self._match(name, value)
        key = (name, value)
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= MATCH_CACHE_SIZE:
                self._hits.clear()
            hits = self._hits[key] = self._match(name, value)
        return hits

    def _match(self, name: str, value: str) -> list[Hit]:
        hits = []
        for rules in self.rules_for(name):
            for rule in rules:
                extracted = rule.extract(value)
                if extracted is not None:
                    hits.append(Hit(rule, name, value, extracted))
                    break
        return hits

    def match_kind(self, kind: str, value: str, name: str) -> list[Hit]:
        """Match a captured model / serial / firmware against the files of that kind."""
        hits = []
        for rule_file in self.files:
            if rule_file.kind != kind:
                continue
            for rule in rule_file.rules:
                extracted = rule.extract(value)
                if extracted is not None:
                    hits.append(Hit(rule, name, value, extracted))
                    break
        return hits

    def all_rules(self) -> list[Rule]:
        return [r for f in self.files for r in f.rules]


# --------------------------------------------------------------------------------- loading


def _line_of(lines: list[str], needle: str, start: int = 0) -> int:
    for number in range(start, len(lines)):
        if needle in lines[number]:
            return number + 1
    return 0


def _str_map(raw: Any, what: str) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{what} must be a table")
    return {str(k): str(v) for k, v in raw.items()}


def _captures(raw: Any) -> dict[int, str]:
    out = {}
    for key, value in _str_map(raw, "captures").items():
        if not key.isdigit() or int(key) < 1:
            raise ValueError(f"capture key {key!r} must be a group number >= 1")
        out[int(key)] = value
    return out


def _examples(raw: Any, lines: list[str], line: int) -> tuple[Example, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("at least one example is required")
    out = []
    for item in raw:
        if not isinstance(item, Mapping) or not isinstance(item.get("value"), str):
            raise ValueError("each example needs a string 'value'")
        expect = {str(k): str(v) for k, v in item.items() if k != "value"}
        where = _line_of(lines, f'"{item["value"]}"', max(line - 1, 0)) or line
        out.append(Example(item["value"], expect, where))
    return tuple(out)


def _rule(raw: Mapping[str, Any], rule_file: RuleFile, lines: list[str], line: int) -> Rule:
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
    for key in ("id", "regex", "description", "weight", "source"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ValueError(f"'{key}' is required")
    if raw["weight"] not in WEIGHTS:
        raise ValueError(f"weight must be one of {', '.join(WEIGHTS)}; got {raw['weight']!r}")
    try:
        pattern = re.compile(raw["regex"])
    except re.error as exc:
        raise ValueError(f"regex does not compile: {exc}") from exc
    captures = _captures(raw.get("captures", {}))
    if pattern.groups != len(captures) or set(captures) != set(range(1, pattern.groups + 1)):
        raise ValueError(
            f"regex has {pattern.groups} capture group(s) but captures names {sorted(captures)}"
        )
    fields = raw.get("fields", list(rule_file.fields))
    return Rule(
        id=raw["id"],
        file=rule_file.name,
        fields=tuple(str(f) for f in fields),
        regex=raw["regex"],
        pattern=pattern,
        description=raw["description"],
        weight_class=raw["weight"],
        source=raw["source"],
        params=_str_map(raw.get("params", {}), "params"),
        captures=captures,
        examples=_examples(raw.get("examples"), lines, line),
        line=line,
    )


def parse_rule_file(path: Path, text: str) -> tuple[RuleFile, list[Problem]]:
    """Parse one file; broken rules are left out and reported as problems."""
    name = path.name.removesuffix(".toml")
    empty = RuleFile(name, path, "", (), "", [])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        return empty, [Problem(path, int(found.group(1)) if found else 0, f"not valid TOML: {exc}")]
    fields = data.get("fields")
    if not isinstance(fields, list) or not fields:
        return empty, [Problem(path, 1, "the file must declare the 'fields' it matches")]
    kind = str(data.get("kind", ""))
    rule_file = RuleFile(name, path, str(data.get("description", "")), tuple(fields), kind, [])
    problems: list[Problem] = []
    lines = text.splitlines()
    seen: set[str] = set()
    for raw in data.get("rule", []):
        ident = str(raw.get("id", ""))
        line = _line_of(lines, f'id = "{ident}"') if ident else 0
        try:
            rule = _rule(raw, rule_file, lines, line)
        except ValueError as exc:
            problems.append(Problem(path, line, f"rule {ident or '?'}: {exc}"))
            continue
        if rule.id in seen:
            problems.append(Problem(path, line, f"rule {rule.id}: duplicate id"))
            continue
        seen.add(rule.id)
        rule_file.rules.append(rule)
    return rule_file, problems


def read_rules(directory: Path) -> tuple[RuleSet, list[Problem]]:
    """Every ``*.toml`` in ``directory`` (sorted by name), with the problems found."""
    files, problems = [], []
    for path in sorted(directory.glob("*.toml")):
        rule_file, found = parse_rule_file(path, path.read_text(encoding="utf-8"))
        files.append(rule_file)
        problems.extend(found)
    return RuleSet(files), problems


def load_rules(directory: Path | None = None) -> RuleSet:
    """The rule set (the built-in one, cached, when ``directory`` is None); raises if broken."""
    if directory is None:
        return _default()
    rules, problems = read_rules(directory)
    if problems:
        raise FingerprintError("\n".join(str(p) for p in problems))
    return rules


@functools.lru_cache(maxsize=1)
def _default() -> RuleSet:
    return load_rules(DATA_DIR)
