"""Reading recog's XML fingerprint files and matching their fingerprints, the way recog does.

A recog file (``xml/http_servers.xml``) is one ``<fingerprints matches="http_header.server">``
root holding ``<fingerprint pattern=... flags=...>`` entries, each with a ``<description>``,
``<example>`` inputs (attributes: the values the match must yield; ``_encoding="base64"`` for
binary ones) and ``<param pos=N name=... value=...>``: ``pos="0"`` a fixed value (which may
interpolate ``{other.param}``), ``pos="N"`` capture group N.  Within a file the first
fingerprint that matches wins.

Files are parsed with defusedxml (no DTD, no entities, no external references), with stated
limits on size and counts; anything else about a file is a :class:`RecogFormatError` naming
the file and line.  A fingerprint whose pattern cannot be read or translated is kept with its
``problem`` and never matches.  Patterns are compiled on first use (per fingerprint), so
loading a whole database costs parsing and translation only.  Pure: reads files, nothing else.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser

from core.files import read_regular
from vendors.recog.dialect import Translated, Untranslatable, analyse, translate

MAX_FILE_BYTES = 8 * 2**20  # recog's largest file is ~0.5 MB
MAX_TOTAL_BYTES = 64 * 2**20
MAX_FILES = 500
MAX_FINGERPRINTS = 20_000  # per file
MAX_EXAMPLES = 100  # per fingerprint (recog's own limit is 20)
MAX_PARAMS = 64  # per fingerprint
MAX_TEXT_CHARS = 64 * 1024  # one example, description or attribute
LIMITS = (
    f"Each XML file at most {MAX_FILE_BYTES // 2**20} MiB and {MAX_FINGERPRINTS:,} fingerprints, "
    f"{MAX_FILES} files and {MAX_TOTAL_BYTES // 2**20} MiB in all; no DTDs or entities."
)
_INTERPOLATION = re.compile(r"\{([^\s{}]+)\}")
_PARAM_NAME = re.compile(r"^(?:cookie|[^.\s]+\..+)$")


class RecogFormatError(ValueError):
    """A recog file that cannot be used at all; the message starts with ``file:line:``."""


class RecogMatchError(ValueError):
    """A fingerprint matched but its params cannot be built (recog raises here too)."""


@dataclass(frozen=True, slots=True)
class Example:
    """One ``<example>``: the input and the values the match must yield."""

    text: str
    expect: Mapping[str, str]
    line: int
    problem: str = ""  # unreadable (bad base64, missing example file)


@dataclass(slots=True)
class Fingerprint:
    """One ``<fingerprint>``; :meth:`match` behaves as recog's ``Fingerprint#match``."""

    file: str
    index: int
    line: int
    description: str
    pattern: str
    flags: str
    params: dict[str, tuple[int, str]]
    examples: tuple[Example, ...]
    problem: str = ""  # why it can never match (untranslatable, malformed)
    translated: Translated | None = None
    # a substring every match contains (dialect.required_literal): values without it are
    # skipped before the pattern is even compiled; lower case when ``needle_icase``
    needle: str = ""
    needle_icase: bool = False
    _regex: re.Pattern[str] | None = field(default=None, repr=False)

    @property
    def ref(self) -> str:
        """How reasons and reports name it: ``http_servers.xml:314``."""
        return f"{self.file}:{self.line}"

    def regex(self) -> re.Pattern[str] | None:
        """The compiled pattern (compiled on first use); None if it cannot be."""
        if self._regex is None and not self.problem and self.translated is not None:
            try:
                self._regex = self.translated.compile()
            except Untranslatable as exc:
                self.problem = f"untranslatable: {exc}"
        return self._regex

    def may_match(self, text: str, lowered: str | None = None) -> bool:
        """False only when ``text`` cannot match (it lacks the required literal)."""
        if not self.needle:
            return True
        if self.needle_icase:
            return self.needle in (lowered if lowered is not None else text.lower())
        return self.needle in text

    def match(self, text: str) -> dict[str, str | None] | None:
        """recog's result for ``text``: param name -> value (None: an unset capture)."""
        regex = self.regex()
        found = regex.search(text) if regex is not None else None
        if regex is None or found is None:
            return None
        groups = regex.groups
        result: dict[str, str | None] = {}
        for name, (pos, value) in self.params.items():
            result[name] = value if pos == 0 else (found.group(pos) if pos <= groups else None)
        return _interpolated(result, self.params)


def _interpolated(
    result: dict[str, str | None], params: Mapping[str, tuple[int, str]]
) -> dict[str, str | None]:
    for name, (pos, value) in params.items():
        if pos != 0 or "{" not in value:
            continue
        text = value
        for ref in dict.fromkeys(_INTERPOLATION.findall(value)):
            filled = result.get(ref)
            if filled is None and name.endswith(".cpe23") and ref.endswith(".version"):
                filled = "-"  # recog's rule for an optional version inside a CPE
            if filled is None:
                raise RecogMatchError(f"{name} interpolates {{{ref}}}, which has no value")
            text = text.replace(f"{{{ref}}}", filled)
        result[name] = text
    return {k: v for k, v in result.items() if not k.startswith("_tmp.")}


@dataclass(slots=True)
class RecogFile:
    """One XML file: what it matches, and its fingerprints in order."""

    name: str  # "http_servers.xml"
    matches: str  # "http_header.server" (recog: the file's stem when the attribute is absent)
    protocol: str
    database_type: str
    preference: float
    fingerprints: list[Fingerprint]

    def first_match(self, text: str) -> tuple[Fingerprint, dict[str, str | None]] | None:
        """The first fingerprint of the file that matches ``text``, with its result."""
        lowered = text.lower()
        for fingerprint in self.fingerprints:
            if not fingerprint.may_match(text, lowered):
                continue
            try:
                result = fingerprint.match(text)
            except RecogMatchError:
                continue
            if result is not None:
                return fingerprint, result
        return None


# ------------------------------------------------------------------------------ parsing


class _Reader:
    """An ElementTree parser target that keeps what recog reads, with line numbers."""

    def __init__(self, name: str, example_dir: Path | None) -> None:
        self.name = name
        self.example_dir = example_dir
        self.parser: Any = None  # the expat parser, for line numbers
        self.depth = 0
        self.root: dict[str, str] = {}
        self.fingerprints: list[Fingerprint] = []
        self.current: dict[str, Any] | None = None
        self.text: list[str] | None = None
        self.text_attrs: dict[str, str] = {}
        self.text_line = 0
        self.size = 0

    def line(self) -> int:
        return int(self.parser.parser.CurrentLineNumber) if self.parser is not None else 0

    def fail(self, message: str) -> RecogFormatError:
        return RecogFormatError(f"{self.name}:{self.line()}: {message}")

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth == 1:
            if tag != "fingerprints":
                raise self.fail(f"root element is <{tag}>, not <fingerprints>")
            self.root = dict(attrs)
        elif self.depth == 2 and tag == "fingerprint":
            if len(self.fingerprints) >= MAX_FINGERPRINTS:
                raise self.fail(f"more than {MAX_FINGERPRINTS:,} fingerprints")
            self.current = {
                "attrs": dict(attrs),
                "line": self.line(),
                "description": "",
                "examples": [],
                "params": {},
                "problems": [],
            }
        elif self.depth == 3 and self.current is not None:
            self._child(tag, attrs)
        elif self.depth > 8:
            raise self.fail("elements nested too deeply")

    def _child(self, tag: str, attrs: dict[str, str]) -> None:
        assert self.current is not None
        if tag in ("description", "example"):
            self.text, self.text_attrs, self.text_line, self.size = [], dict(attrs), self.line(), 0
        elif tag == "param":
            params: dict[str, tuple[int, str]] = self.current["params"]
            if len(params) >= MAX_PARAMS:
                raise self.fail(f"more than {MAX_PARAMS} params in one fingerprint")
            name, pos = attrs.get("name", ""), attrs.get("pos", "")
            if not _PARAM_NAME.match(name) or not pos.strip().isdigit():
                self.current["problems"].append(
                    f"param at line {self.line()}: needs a dotted name and a numeric pos"
                )
                return
            number = int(pos)
            params[name] = (number, attrs.get("value", "") if number == 0 else "")

    def data(self, text: str) -> None:
        if self.text is not None:
            self.size += len(text)
            if self.size > MAX_TEXT_CHARS:
                raise self.fail(f"text longer than {MAX_TEXT_CHARS:,} characters")
            self.text.append(text)

    def end(self, tag: str) -> None:
        if self.depth == 3 and self.current is not None and self.text is not None:
            text = "".join(self.text)
            if tag == "description":
                self.current["description"] = " ".join(text.split())
            else:
                if len(self.current["examples"]) >= MAX_EXAMPLES:
                    raise self.fail(f"more than {MAX_EXAMPLES} examples in one fingerprint")
                self.current["examples"].append(self._example(text))
            self.text = None
        elif self.depth == 2 and self.current is not None:
            self.fingerprints.append(self._fingerprint(self.current))
            self.current = None
        self.depth -= 1

    def _example(self, text: str) -> Example:
        attrs = self.text_attrs
        expect = {k: v for k, v in attrs.items() if k not in ("_encoding", "_filename")}
        problem = ""
        if "_filename" in attrs:
            text, problem = self._example_file(attrs["_filename"])
        if attrs.get("_encoding") == "base64":
            try:
                raw = base64.b64decode(text)
            except (binascii.Error, ValueError) as exc:
                return Example("", expect, self.text_line, f"unreadable base64: {exc}")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")  # recog matches the raw bytes
        elif "_encoding" in attrs:
            problem = f"unknown _encoding {attrs['_encoding']!r}"
        return Example(text, expect, self.text_line, problem)

    def _example_file(self, relative: str) -> tuple[str, str]:
        if self.example_dir is None:
            return "", "example file not available"
        base = self.example_dir.resolve()
        path = (base / relative).resolve()
        if not path.is_relative_to(base):
            return "", f"example file {relative!r} is outside the fingerprint directory"
        try:
            return read_regular(path, MAX_TEXT_CHARS).decode("latin-1"), ""
        except OSError as exc:
            return "", f"example file {relative!r}: {exc.strerror or exc}"

    def _fingerprint(self, raw: dict[str, Any]) -> Fingerprint:
        attrs: dict[str, str] = raw["attrs"]
        pattern, flags = attrs.get("pattern"), attrs.get("flags", "")
        problems: list[str] = raw["problems"]
        translated: Translated | None = None
        needle, icase = "", False
        if pattern is None:
            problems.append("no pattern attribute")
        else:
            try:
                translated = translate(pattern, flags)
            except Untranslatable as exc:
                problems.append(f"untranslatable: {exc}")
            else:
                analysis = analyse(translated)
                needle, icase = analysis.needle, analysis.icase
                if analysis.runaway:
                    problems.append(f"runaway-prone in Python: {analysis.runaway}")
        return Fingerprint(
            file=self.name,
            index=len(self.fingerprints),
            line=raw["line"],
            description=raw["description"],
            pattern=pattern or "",
            flags=flags,
            params=raw["params"],
            examples=tuple(raw["examples"]),
            problem="; ".join(problems),
            translated=translated,
            needle=needle,
            needle_icase=icase,
        )

    def close(self) -> None:
        return None


def parse_file(name: str, data: bytes, example_dir: Path | None = None) -> RecogFile:
    """One recog XML file from its bytes; :class:`RecogFormatError` if it is not one."""
    if len(data) > MAX_FILE_BYTES:
        raise RecogFormatError(f"{name}:0: larger than {MAX_FILE_BYTES // 2**20} MiB: refused")
    reader = _Reader(name, example_dir)
    parser = DefusedXMLParser(
        target=reader, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    reader.parser = parser
    try:
        parser.feed(data)
        parser.close()
    except RecogFormatError:
        raise
    except DefusedXmlException as exc:
        raise RecogFormatError(f"{name}:{reader.line()}: refused: {_refusal(exc)}") from None
    except SyntaxError as exc:  # xml.etree.ElementTree.ParseError
        line = getattr(exc, "position", (0, 0))[0]
        why = str(exc).split(":", 1)[0]
        raise RecogFormatError(f"{name}:{line}: not well-formed XML ({why})") from None
    if not reader.root and not reader.fingerprints:
        raise RecogFormatError(f"{name}:0: no <fingerprints> element")
    root = reader.root
    try:
        preference = float(root.get("preference", "0.10"))
    except ValueError:
        raise RecogFormatError(
            f"{name}:1: preference {root['preference']!r} is no number"
        ) from None
    return RecogFile(
        name=name,
        matches=root.get("matches") or name.removesuffix(".xml"),
        protocol=root.get("protocol", ""),
        database_type=root.get("database_type", ""),
        preference=preference,
        fingerprints=reader.fingerprints,
    )


def _refusal(exc: DefusedXmlException) -> str:
    if isinstance(exc, DTDForbidden):
        return "a DTD (recog files have none; DTDs carry entity expansion and external references)"
    if isinstance(exc, EntitiesForbidden):
        return "an entity declaration (entity expansion)"
    return "an external reference"


def xml_files(directory: Path) -> list[Path]:
    """The ``*.xml`` files recog would load from ``directory`` (its ``xml/`` folder)."""
    paths = sorted(p for p in directory.glob("*.xml") if p.name != "fingerprints.xsd")
    if len(paths) > MAX_FILES:
        raise RecogFormatError(f"{directory}: more than {MAX_FILES} XML files")
    return paths


def read_directory(directory: Path) -> list[RecogFile]:
    """Every recog file in ``directory``, in name order; the first broken one raises."""
    files, total = [], 0
    for path in xml_files(directory):
        try:
            data = read_regular(path, MAX_FILE_BYTES)
        except OSError as exc:
            raise RecogFormatError(f"{path.name}:0: {exc.strerror or exc}") from None
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise RecogFormatError(f"{directory}: more than {MAX_TOTAL_BYTES // 2**20} MiB of XML")
        files.append(parse_file(path.name, data, directory))
    return files


def all_fingerprints(files: list[RecogFile]) -> Iterator[Fingerprint]:
    for recog_file in files:
        yield from recog_file.fingerprints
