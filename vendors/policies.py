"""Policy packs: procurement and use bans as dated, cited data.

A pack is one TOML file (``vendors/data/policies/<id>.toml`` for the built-in ones; users drop
their own, same format, in ``<user data dir>/camaudit/policies/``).  Each pack holds entries;
each entry says which makers it names (catalogue ids), for which equipment categories, under
which site uses, in which jurisdictions, from which date, and the citation to quote.  The code
only reads and checks these files; :mod:`vendors.judge` applies them.

A malformed pack never stops the others from loading: it becomes a :class:`PolicyLoadError`
naming the file and line, which the CLI and GUI show.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli  # tomllib's upstream, as a compiled wheel: 2.5x faster on a large pack

from core.files import NotRegularFile, TooLarge, read_regular
from core.model import Citation, Organisation, SiteUse, VerdictStatus

BUILTIN_DIR = Path(__file__).resolve().parent / "data" / "policies"
EXAMPLES_DIR = BUILTIN_DIR / "examples"
POLICY_DIR_ENV = "CAMAUDIT_POLICY_DIR"

ANY = "any"
# The equipment vocabulary entries may name; "any" matches every category.
CATEGORIES = frozenset(
    {
        "video_surveillance",
        "telecommunications",
        "router",
        "uas",
        "uas_component",
        "software",
        "services",
        ANY,
    }
)
CONFIDENCES = frozenset({"H", "M", "L"})
# Who a pack can bind (its optional ``binds`` key): the kinds of organisation a site may be.
# (Same values as core.model.Organisation.)  A national government outside a federation (the UK)
# has no kind of its own: packs for it list both federal_agency and state_body.
# The kinds of organisation a pack may bind: core.model.Organisation's values.
ORGANISATION_KINDS: tuple[str, ...] = tuple(o.value for o in Organisation)
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
MAX_PACK_BYTES = 64 * 2**20  # the built-in packs are a few kB; 20,000 entries are about 10 MB


class PackError(ValueError):
    """A problem in one pack file; ``line`` is 1-based when it could be located."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class PolicyLoadError:
    """Why one pack file (or one requested pack id) could not be loaded."""

    path: Path | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = str(self.path) if self.path else "policies"
        if self.line:
            where += f":{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class StatusMap:
    """Which verdict an entry gives for each way a device can fall under it.

    ``direct``: named maker (or its subsidiary) with the use condition met or absent;
    ``use_not_met``: named, but the site's declared use does not meet the condition;
    ``indirect``: OEM of a named maker, brand-level or low-confidence evidence;
    ``component``: a flagged component (e.g. a HiSilicon SoC) rather than the maker.
    """

    direct: VerdictStatus = VerdictStatus.COVERED
    use_not_met: VerdictStatus = VerdictStatus.COVERED_FOR_USE
    indirect: VerdictStatus = VerdictStatus.LIKELY_COVERED
    component: VerdictStatus = VerdictStatus.COMPONENT_RISK


@dataclass(frozen=True, slots=True)
class PolicyEntry:
    """One rule of a pack: who, what equipment, which uses, where, from when, and why."""

    id: str
    title: str
    citation: Citation
    effective: dt.date
    scope: str
    source: str
    confidence: str
    makers: tuple[str, ...] = ()
    include_affiliates: bool = True
    categories: tuple[str, ...] = (ANY,)
    # Categories the rule probably reaches though its text does not settle it (a person decides).
    likely_categories: tuple[str, ...] = ()
    uses: tuple[SiteUse, ...] | None = None  # None: applies whatever the site's use
    jurisdictions: tuple[str, ...] = ()  # empty: the pack's jurisdictions
    component_flags: tuple[str, ...] = ()
    # Categorical rules, judged on the maker's home country (so never better than "likely"):
    # "produced in a foreign country" lists the home country; "subject to PRC law" lists "cn".
    produced_outside: tuple[str, ...] = ()
    produced_in: tuple[str, ...] = ()
    until: dt.date | None = None
    use_note: str = ""
    note: str = ""
    status: StatusMap = field(default_factory=StatusMap)
    line: int | None = None

    @property
    def use_conditioned(self) -> bool:
        return self.uses is not None

    def in_force(self, on: dt.date) -> bool:
        return self.effective <= on and (self.until is None or on < self.until)


@dataclass(frozen=True, slots=True)
class Milestone:
    """A dated consequence of a pack (e.g. FCC's 26 Jun 2026 import/marketing stop).

    ``entries`` lists the entry ids it concerns; empty means every entry of the pack.
    """

    id: str
    date: dt.date
    title: str
    text: str
    entries: tuple[str, ...] = ()
    citation: Citation | None = None

    def concerns(self, entry_id: str) -> bool:
        return not self.entries or entry_id in self.entries


@dataclass(frozen=True, slots=True)
class Reporting:
    """What a holder of covered equipment must report, and how fast (printed by the PDF report)."""

    clause: str
    summary: str
    deadlines: tuple[tuple[str, str], ...] = ()  # (what, within)
    report_to: str = ""
    fields: tuple[str, ...] = ()
    citation: Citation | None = None


@dataclass(frozen=True, slots=True)
class ChangelogEntry:
    """What changed in one version of a pack (``[[changelog]]``, newest first)."""

    version: str
    date: dt.date
    changes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    """One pack as loaded: its metadata, its entries and where it came from."""

    id: str
    title: str
    jurisdiction: str
    jurisdictions: tuple[str, ...]
    version: str
    as_of: dt.date
    citations: tuple[Citation, ...]
    entries: tuple[PolicyEntry, ...]
    description: str = ""
    milestones: tuple[Milestone, ...] = ()
    reporting: Reporting | None = None
    # Kinds of organisation the pack binds (ORGANISATION_KINDS); empty: the pack does not say.
    binds: tuple[str, ...] = ()
    changelog: tuple[ChangelogEntry, ...] = ()  # newest first
    short_title: str = ""  # a few words for table headers and filters (``name``)
    replaces: str = ""  # a user pack: the built-in pack it stands in for (``replaces = "id"``)
    path: Path | None = None
    origin: str = "builtin"  # "builtin" or "user"

    @property
    def citation(self) -> Citation:
        return self.citations[0]

    @property
    def name(self) -> str:
        """How people see the pack in columns, filters and reports: the short title or title."""
        return self.short_title or self.title

    def entry(self, entry_id: str) -> PolicyEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def named_makers(self) -> set[str]:
        return {m for e in self.entries for m in e.makers}


@dataclass(slots=True)
class PolicySet:
    """The packs that loaded, and the errors of those that did not."""

    packs: list[Policy] = field(default_factory=list)
    errors: list[PolicyLoadError] = field(default_factory=list)

    def get(self, policy_id: str) -> Policy | None:
        return next((p for p in self.packs if p.id == policy_id), None)

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.packs]


# ---------------------------------------------------------------------------------- loading


def user_policy_dir() -> Path:
    """Where a user's own packs live: $CAMAUDIT_POLICY_DIR, else the platform data dir."""
    override = os.environ.get(POLICY_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs  # noqa: PLC0415  (only needed when no override is given)

    return Path(platformdirs.user_data_dir("camaudit")) / "policies"


def pack_files(directory: Path) -> list[Path]:
    """The pack files of one folder (``_``-prefixed files hold shared data, not packs)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.toml") if not p.name.startswith("_"))


def load_policies(
    ids: Sequence[str] | None = None,
    *,
    user_dir: Path | None = None,
    known_makers: Iterable[str] | None = None,
) -> PolicySet:
    """Load the built-in packs, then the user's.

    A user pack never silently shadows a built-in one: it has an id of its own, or says
    ``replaces = "<built-in id>"``, and then stands in for that pack (asking for the built-in
    id gives it).  A user pack that reuses a built-in's id without saying so is an error, and
    the built-in stays.  ``ids`` keeps only those packs (an id no file provides is an error).
    ``known_makers`` are the catalogue ids packs may name; by default the catalogue's.
    """
    result = PolicySet()
    makers = set(known_makers) if known_makers is not None else _catalogue_makers(result)
    by_id = {p.id: p for p in _load_all(pack_files(BUILTIN_DIR), "builtin", makers, result)}
    builtin = set(by_id)
    stand_ins: dict[str, str] = {}
    for policy in _load_all(pack_files(user_dir or user_policy_dir()), "user", makers, result):
        problem = _shadowing(policy, builtin)
        if problem:
            result.errors.append(PolicyLoadError(policy.path, None, problem))
            continue
        if policy.replaces:
            by_id.pop(policy.replaces, None)
            stand_ins[policy.replaces] = policy.id
        by_id[policy.id] = policy
    wanted = list(ids) if ids is not None else list(by_id)
    for policy_id in dict.fromkeys(stand_ins.get(i, i) for i in wanted):
        if policy_id in by_id:
            result.packs.append(by_id[policy_id])
        else:
            result.errors.append(PolicyLoadError(None, None, f"no policy pack named {policy_id!r}"))
    return result


def _load_all(
    paths: Iterable[Path], origin: str, makers: set[str] | None, result: PolicySet
) -> list[Policy]:
    loaded = []
    for path in paths:
        try:
            loaded.append(load_pack(path, origin=origin, known_makers=makers))
        except PackError as exc:
            result.errors.append(PolicyLoadError(path, exc.line, str(exc)))
    return loaded


def _shadowing(policy: Policy, builtin: set[str]) -> str | None:
    """Why a user pack may not load next to the built-in ones, or None."""
    if policy.replaces and policy.replaces not in builtin:
        return f"replaces = {policy.replaces!r}, but no built-in pack has that id"
    if policy.id in builtin and policy.replaces != policy.id:
        return (
            f"a user pack may not silently take the built-in pack id {policy.id!r}: give it "
            f'an id of its own, or say replaces = "{policy.id}" to stand in for the built-in'
        )
    return None


def _catalogue_makers(result: PolicySet) -> set[str] | None:
    """Maker ids of the brand catalogue, used to catch typos in a pack's ``makers``."""
    from vendors.catalogue import load_catalogue  # noqa: PLC0415  (keeps the CLI start light)

    try:
        return set(load_catalogue().makers)
    except (OSError, ValueError) as exc:  # a broken catalogue must not hide the packs
        result.errors.append(
            PolicyLoadError(None, None, f"catalogue unavailable, maker ids not checked: {exc}")
        )
        return None


def load_pack(path: Path, *, origin: str = "user", known_makers: set[str] | None = None) -> Policy:
    """Read and check one pack file; raises :class:`PackError` with the line where it can."""
    text = read_pack_text(path)
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise PackError(f"not valid TOML: {exc}", _toml_error_line(exc)) from exc
    locator = _Locator(text)
    policy = _build_policy(data, locator, path, origin)
    if policy.id != path.stem:
        raise PackError(
            f"pack id {policy.id!r} must match its file name {path.stem!r}", locator.key("id")
        )
    if known_makers is not None:
        _check_makers(policy, known_makers)
    return policy


def read_pack_text(path: Path) -> str:
    """A pack file's text; anything but a regular file is refused without reading it (a FIFO
    named ``x.toml`` in the packs folder would otherwise hang every command)."""
    try:
        raw = read_regular(path, MAX_PACK_BYTES)
    except (NotRegularFile, TooLarge) as exc:
        raise PackError(str(exc)) from exc
    except OSError as exc:
        raise PackError(f"cannot read pack: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackError(f"cannot read pack: not UTF-8 ({exc.reason} at byte {exc.start})") from exc


def _toml_error_line(exc: tomli.TOMLDecodeError) -> int | None:
    # Python 3.11's tomllib puts the position only in the message: "... (at line 3, column 5)".
    match = re.search(r"at line (\d+)", str(exc))
    return int(match.group(1)) if match else None


def _check_makers(policy: Policy, known: set[str]) -> None:
    for entry in policy.entries:
        unknown = sorted(set(entry.makers) - known)
        if unknown:
            raise PackError(
                f"entry {entry.id!r} names makers not in the catalogue: {', '.join(unknown)}",
                entry.line,
            )


class _Locator:
    """Line numbers of keys, tables and array-of-tables headers (tomllib gives none).

    Each kind of lookup is one regular-expression pass over the text, made the first time it
    is asked for and kept: a pack of 20,000 entries loads in linear time (a scan of every line
    per entry made it quadratic: 6.7 s for 2,000 entries, over 600 s for 20,000).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        first_table = re.search(r"^[ \t]*\[", text, re.M)
        # The top-level keys come before the first table: a missing key costs no full scan.
        self.preamble = text[: first_table.start()] if first_table else text
        self._headers: dict[str, list[int]] = {}
        self._first: dict[str, int | None] = {}

    def _header_lines(self, name: str) -> list[int]:
        """The line of every ``[[name]]`` that starts a line (indentation allowed), in order."""
        text, lines = self.text, []
        line, last = 1, 0
        # A literal search is far faster than a ^-anchored pattern tried at every line start.
        for found in re.finditer(rf"\[\[[ \t]*{re.escape(name)}[ \t]*\]\]", text):
            start = found.start()
            if text[text.rfind("\n", 0, start) + 1 : start].strip(" \t"):
                continue  # something else before it on its line
            line += text.count("\n", last, start)
            last = start
            lines.append(line)
        return lines

    def _first_line(self, pattern: str, text: str) -> int | None:
        if pattern not in self._first:
            found = re.search(pattern, text, re.M)
            self._first[pattern] = text.count("\n", 0, found.start()) + 1 if found else None
        return self._first[pattern]

    def header(self, name: str, index: int) -> int | None:
        """The line of the ``index``-th ``[[name]]`` header."""
        if name not in self._headers:
            self._headers[name] = self._header_lines(name)
        hits = self._headers[name]
        return hits[index] if index < len(hits) else None

    def table(self, name: str) -> int | None:
        return self._first_line(rf"^[ \t]*\[[ \t]*{re.escape(name)}[ \t]*\]", self.text)

    def key(self, key: str) -> int | None:
        """The line that sets the top-level ``key``."""
        return self._first_line(rf"^[ \t]*{re.escape(key)}[ \t]*=", self.preamble)


# ----------------------------------------------------------------------------- field readers


def _str(data: Mapping[str, Any], key: str, line: int | None, *, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise PackError(f"{key!r} must be a non-empty string", line)
    return value.strip()


def _bool(data: Mapping[str, Any], key: str, line: int | None, *, default: bool) -> bool:
    # TOML has true and false; the string "false" would be truthy, silently widening a rule.
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise PackError(f"{key!r} must be true or false (no quotes), got {value!r}", line)
    return value


def _date(data: Mapping[str, Any], key: str, line: int | None) -> dt.date:
    value = data.get(key)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise PackError(f"{key!r} must be a date (YYYY-MM-DD), got {value!r}", line)


def _str_list(data: Mapping[str, Any], key: str, line: int | None) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:  # most optional lists are absent: the common case stays cheap
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PackError(f"{key!r} must be a list of strings", line)
    return tuple(v.strip() for v in value)


def _citation(data: Any, line: int | None) -> Citation:
    if not isinstance(data, dict):
        raise PackError("a citation must be a table with title, clause, url and date", line)
    url = _str(data, "url", line)
    if not url.startswith(("https://", "http://")):
        raise PackError(f"citation url must be a web address, got {url!r}", line)
    return Citation(
        title=_str(data, "title", line),
        clause=_str(data, "clause", line, default=""),
        url=url,
        date=_date(data, "date", line).isoformat(),
    )


def _uses(value: Any, line: int | None) -> tuple[SiteUse, ...] | None:
    if value is None or value == ANY:
        return None
    if not isinstance(value, list) or not value:
        raise PackError("'uses' must be \"any\" or a non-empty list of site uses", line)
    try:
        return tuple(SiteUse(v) for v in value)
    except ValueError as exc:
        allowed = ", ".join(u.value for u in SiteUse)
        raise PackError(f"unknown site use in 'uses' ({exc}); allowed: {allowed}", line) from exc


def _status_map(value: Any, line: int | None) -> StatusMap:
    if value is None:
        return StatusMap()
    if not isinstance(value, dict):
        raise PackError("'status' must be a table", line)
    unknown = set(value) - set(StatusMap.__dataclass_fields__)
    if unknown:
        raise PackError(f"unknown status keys: {', '.join(sorted(unknown))}", line)
    try:
        return StatusMap(**{k: VerdictStatus(v) for k, v in value.items()})
    except ValueError as exc:
        raise PackError(f"bad status value: {exc}", line) from exc


# ------------------------------------------------------------------------------- builders


def _build_policy(data: dict[str, Any], loc: _Locator, path: Path, origin: str) -> Policy:
    policy_id = _str(data, "id", loc.key("id"))
    _no_stray_keys(data, _PACK_KEYS, "pack", loc.key("id"))
    if not _ID.match(policy_id):
        raise PackError(f"pack id {policy_id!r} must be a lowercase slug", loc.key("id"))
    citations = data.get("citations")
    if not isinstance(citations, list) or not citations:
        raise PackError("a pack needs at least one [[citations]] table", loc.key("id"))
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise PackError("a pack needs at least one [[entries]] table", loc.key("id"))
    jurisdictions = _str_list(data, "jurisdictions", loc.key("jurisdictions"))
    if not jurisdictions:
        raise PackError("'jurisdictions' must list at least one code", loc.key("jurisdictions"))
    entries = tuple(
        _build_entry(raw, loc.header("entries", n), jurisdictions)
        for n, raw in enumerate(raw_entries)
    )
    _check_unique([e.id for e in entries], "entry", loc)
    version = _str(data, "version", loc.key("version"))
    changelog = _build_changelog(data.get("changelog", []), loc)
    if changelog and changelog[0].version != version:
        raise PackError(
            f"the newest changelog entry is for {changelog[0].version!r}, "
            f"but the pack's version is {version!r}",
            loc.header("changelog", 0),
        )
    return Policy(
        id=policy_id,
        title=_str(data, "title", loc.key("title")),
        jurisdiction=_str(data, "jurisdiction", loc.key("jurisdiction")),
        jurisdictions=tuple(j.lower() for j in jurisdictions),
        version=version,
        as_of=_date(data, "as_of", loc.key("as_of")),
        citations=tuple(_citation(c, loc.header("citations", n)) for n, c in enumerate(citations)),
        entries=entries,
        description=_str(data, "description", loc.key("description"), default=""),
        milestones=_build_milestones(data.get("milestones", []), loc, entries),
        reporting=_build_reporting(data.get("reporting"), loc),
        binds=_binds(data, loc),
        changelog=changelog,
        short_title=_str(data, "short_title", loc.key("short_title"), default=""),
        replaces=_str(data, "replaces", loc.key("replaces"), default=""),
        path=path,
        origin=origin,
    )


def _check_unique(ids: list[str], what: str, loc: _Locator) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise PackError(f"duplicate {what} id {item!r}", loc.key("id"))
        seen.add(item)


_PACK_KEYS = {
    "id", "title", "jurisdiction", "jurisdictions", "version", "as_of", "description",
    "citations", "entries", "milestones", "reporting", "binds", "changelog",
    "short_title", "replaces",
}  # fmt: skip
_ENTRY_KEYS = {
    "id", "title", "citation", "effective", "until", "scope", "source", "confidence", "makers",
    "include_affiliates", "categories", "likely_categories", "uses", "jurisdictions",
    "component_flags", "produced_outside", "produced_in", "use_note", "note", "status",
}  # fmt: skip


_CHANGELOG_KEYS = {"version", "date", "changes"}


def _binds(data: Mapping[str, Any], loc: _Locator) -> tuple[str, ...]:
    line = loc.key("binds")
    kinds = _str_list(data, "binds", line)
    unknown = sorted(set(kinds) - set(ORGANISATION_KINDS))
    if unknown:
        allowed = ", ".join(ORGANISATION_KINDS)
        raise PackError(
            f"unknown organisation kind in 'binds': {', '.join(unknown)}; allowed: {allowed}", line
        )
    return kinds


def _build_changelog(raw: Any, loc: _Locator) -> tuple[ChangelogEntry, ...]:
    if not isinstance(raw, list):
        raise PackError("'changelog' must be an array of tables", loc.key("changelog"))
    out: list[ChangelogEntry] = []
    for n, item in enumerate(raw):
        line = loc.header("changelog", n) or loc.key("changelog")
        if not isinstance(item, dict):
            raise PackError("a changelog entry must be a table", line)
        _no_stray_keys(item, _CHANGELOG_KEYS, "changelog entry", line)
        changes = _str_list(item, "changes", line)
        if not changes or not all(c for c in changes):
            raise PackError("a changelog entry needs a non-empty list of 'changes'", line)
        entry = ChangelogEntry(
            version=_str(item, "version", line), date=_date(item, "date", line), changes=changes
        )
        if out and entry.date > out[-1].date:
            raise PackError("changelog entries must be newest first", line)
        out.append(entry)
    return tuple(out)


def _no_stray_keys(data: Mapping[str, Any], allowed: set[str], what: str, line: int | None) -> None:
    # A misspelt key ("use" for "uses") would silently widen a rule, so it is an error.
    stray = sorted(set(data) - allowed)
    if stray:
        raise PackError(f"{what}: unknown keys {', '.join(stray)}", line)


def _build_entry(raw: Any, line: int | None, pack_jurisdictions: tuple[str, ...]) -> PolicyEntry:
    if not isinstance(raw, dict):
        raise PackError("an entry must be a table", line)
    entry_id = _str(raw, "id", line)
    _no_stray_keys(raw, _ENTRY_KEYS, f"entry {entry_id!r}", line)
    categories = _str_list(raw, "categories", line) or (ANY,)
    likely = _str_list(raw, "likely_categories", line)
    bad = sorted(set(categories + likely) - CATEGORIES)
    if bad:
        raise PackError(f"entry {entry_id!r}: unknown equipment categories {bad}", line)
    confidence = _str(raw, "confidence", line)
    if confidence not in CONFIDENCES:
        raise PackError(f"entry {entry_id!r}: confidence must be H, M or L", line)
    makers = _str_list(raw, "makers", line)
    components = _str_list(raw, "component_flags", line)
    outside = tuple(c.lower() for c in _str_list(raw, "produced_outside", line))
    inside = tuple(c.lower() for c in _str_list(raw, "produced_in", line))
    if not (makers or components or outside or inside):
        raise PackError(
            f"entry {entry_id!r} names no makers, component_flags, produced_in or produced_outside",
            line,
        )
    return PolicyEntry(
        id=entry_id,
        title=_str(raw, "title", line),
        citation=_citation(raw.get("citation"), line),
        effective=_date(raw, "effective", line),
        until=_date(raw, "until", line) if "until" in raw else None,
        scope=_str(raw, "scope", line),
        source=_str(raw, "source", line),
        confidence=confidence,
        makers=makers,
        include_affiliates=_bool(raw, "include_affiliates", line, default=True),
        categories=categories,
        likely_categories=likely,
        uses=_uses(raw.get("uses", ANY), line),
        jurisdictions=tuple(j.lower() for j in _str_list(raw, "jurisdictions", line))
        or pack_jurisdictions,
        component_flags=components,
        produced_outside=outside,
        produced_in=inside,
        use_note=_str(raw, "use_note", line, default=""),
        note=_str(raw, "note", line, default=""),
        status=_status_map(raw.get("status"), line),
        line=line,
    )


def _build_milestones(
    raw: Any, loc: _Locator, entries: tuple[PolicyEntry, ...]
) -> tuple[Milestone, ...]:
    if not isinstance(raw, list):
        raise PackError("'milestones' must be an array of tables", loc.key("milestones"))
    known = {e.id for e in entries}
    out = []
    for n, item in enumerate(raw):
        line = loc.header("milestones", n)
        if not isinstance(item, dict):
            raise PackError("a milestone must be a table", line)
        concerns = _str_list(item, "entries", line)
        missing = sorted(set(concerns) - known)
        if missing:
            raise PackError(f"milestone names unknown entries: {missing}", line)
        cite = item.get("citation")
        out.append(
            Milestone(
                id=_str(item, "id", line),
                date=_date(item, "date", line),
                title=_str(item, "title", line),
                text=_str(item, "text", line),
                entries=concerns,
                citation=_citation(cite, line) if cite is not None else None,
            )
        )
    return tuple(out)


def _build_reporting(raw: Any, loc: _Locator) -> Reporting | None:
    if raw is None:
        return None
    line = loc.table("reporting")
    if not isinstance(raw, dict):
        raise PackError("'reporting' must be a table", line)
    deadlines = raw.get("deadlines", [])
    if not isinstance(deadlines, list) or not all(
        isinstance(d, dict) and isinstance(d.get("what"), str) and isinstance(d.get("within"), str)
        for d in deadlines
    ):
        raise PackError("reporting.deadlines must be tables with 'what' and 'within'", line)
    cite = raw.get("citation")
    return Reporting(
        clause=_str(raw, "clause", line),
        summary=_str(raw, "summary", line),
        deadlines=tuple((d["what"], d["within"]) for d in deadlines),
        report_to=_str(raw, "report_to", line, default=""),
        fields=_str_list(raw, "fields", line),
        citation=_citation(cite, line) if cite is not None else None,
    )
