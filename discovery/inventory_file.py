"""Evidence records from text: JSON Lines and CSV inventories (pure parsing, no file I/O).

- JSON Lines: one flat evidence object per line in the docs/design.md vocabulary (``{"mac": ...,
  "onvif.manufacturer": ...}``), with an optional ``id``; the shape ``{"id": ..., "evidence":
  {...}}`` is accepted too.  Nested objects are flattened with dots (``mdns.txt``).
- CSV: an inventory with a header row, read as RFC 4180 (fields in double quotes may hold the
  delimiter, line breaks and ``""`` for a quote: Excel's and LibreOffice's output).  Only the
  delimiter is detected (``,``, ``;`` or tab, counted outside quotes in the header row; an
  Excel ``sep=;`` first line is honoured).  The csv module's sniffer is not used: with only
  a sample it turned off ``doublequote`` and split ``"Dome 1/3"" sensor, IR"`` into two
  cells, and a cell such as ``'Lobby'`` makes it pick ``'`` as the quote.  A UTF-8 byte
  order mark is dropped.  Header names are matched loosely ("MAC Address",
  "Manufacturer", "Make", "IP", "Serial No." ...) and mapped to ``ip``, ``mac``, ``user.brand``,
  ``user.model``, ``user.firmware``, ``user.serial``, ``user.location``, ``user.notes``; columns
  already in the vocabulary (``onvif.model``) are kept as they are, and any other column is kept as
  ``user.<name>`` (unknown fields are kept, never dropped).

A line that cannot be read becomes a RecordError with its line number; the rest still parse.
Values are checked: ``ip`` must be an IP address, ``mac`` a MAC address, ``ports`` TCP port
numbers (so a line break inside a quoted ``ip`` cell cannot pass for a second device).
Limits (see LIMITS): a JSON Lines line of at most 1,000,000 characters, nested at most 32
levels, integers of at most 4,300 digits; a CSV field of at most 131,072 characters (a longer
one is a per-row error).  The inventory importer reuses this module.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

from core.jsonlimits import MAX_INT_DIGITS, JsonLimitError, load_json
from core.model import EvidenceValue, normalize_mac
from core.sanitize import terminal_safe

MAX_LINE_CHARS = 1_000_000  # one record that large is a broken or hostile file, not an inventory
MAX_DEPTH = 32  # JSON nesting of one record (``{"evidence": {"mdns": {"txt": ...}}}`` is 3)
LIMITS = (
    f"Limits: a JSON Lines line of at most {MAX_LINE_CHARS:,} characters, nested at most "
    f"{MAX_DEPTH} levels, integers of at most {MAX_INT_DIGITS:,} digits; a CSV field of at most "
    f"{csv.field_size_limit():,} characters."
)
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, slots=True)
class Record:
    """One device's evidence, with the input line it started on."""

    line: int
    evidence: dict[str, EvidenceValue]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class RecordError:
    """An input line that could not be read, and why."""

    line: int
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "error": self.error}


Parsed = Record | RecordError

# Loose CSV header names (lower-case, letters and digits only) -> evidence field.
CSV_HEADERS: dict[str, str] = {
    **dict.fromkeys(("ip", "ipaddress", "ipaddr", "ipv4", "ipv4address", "host", "hostip"), "ip"),
    **dict.fromkeys(
        ("mac", "macaddress", "macaddr", "hwaddress", "physicaladdress", "ethernetaddress"), "mac"
    ),
    **dict.fromkeys(("brand", "manufacturer", "make", "vendor", "maker", "oem"), "user.brand"),
    **dict.fromkeys(("model", "modelnumber", "modelname", "modelno", "devicemodel"), "user.model"),
    **dict.fromkeys(
        ("firmware", "firmwareversion", "fw", "fwversion", "softwareversion", "version"),
        "user.firmware",
    ),
    **dict.fromkeys(("serial", "serialnumber", "serialno", "sn", "serialnum"), "user.serial"),
    **dict.fromkeys(("location", "site", "room", "building", "area"), "user.location"),
    **dict.fromkeys(
        ("notes", "note", "comments", "comment", "description", "remarks"), "user.notes"
    ),
    **dict.fromkeys(("id", "assetid", "assettag", "asset", "deviceid", "tag"), "id"),
    **dict.fromkeys(("hostname", "name", "devicename", "cameraname"), "hostname"),
    "ports": "ports",
    "openports": "ports",
}
_FIELD = re.compile(r"^[a-z][a-zA-Z0-9_]*(\.[A-Za-z0-9_\-]+)+$")


def header_field(header: str) -> str:
    """The evidence field a CSV column header stands for."""
    text = header.strip().lstrip("\ufeff")
    if _FIELD.match(text):
        return text  # already a vocabulary name such as onvif.model
    key = re.sub(r"[^a-z0-9]", "", text.lower())
    return CSV_HEADERS.get(key) or f"user.{key or 'column'}"


# ----------------------------------------------------------------------------- values


def _value(raw: Any) -> EvidenceValue | None:
    if raw is None or isinstance(raw, bool):
        return None if raw is None else str(raw).lower()
    if isinstance(raw, (str, int)):
        return raw
    if isinstance(raw, float):
        return str(raw)
    if isinstance(raw, list):
        if all(isinstance(v, int) and not isinstance(v, bool) for v in raw):
            return tuple(raw)
        return tuple(str(v) for v in raw if v is not None)
    raise ValueError(f"unsupported value {raw!r}")


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, EvidenceValue]:
    out: dict[str, EvidenceValue] = {}
    for key, raw in data.items():
        name = f"{prefix}{key}"
        if isinstance(raw, Mapping):
            out.update(_flatten(raw, name + "."))
            continue
        value = _value(raw)
        if value is not None and value != "":
            out[name] = value
    return out


def _check(evidence: dict[str, EvidenceValue]) -> str | None:
    """Why a record cannot be used as given, or None."""
    mac = evidence.get("mac")
    if mac is not None and not (isinstance(mac, str) and normalize_mac(mac)):
        return f"'mac' is not a MAC address: '{terminal_safe(mac, 60)}'"
    ip = evidence.get("ip")
    if ip is not None and not _is_ip(ip):
        return f"'ip' is not an IP address: '{terminal_safe(ip, 60)}'"
    if not evidence:
        return "no evidence fields"
    return None


def _is_ip(value: EvidenceValue) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# ----------------------------------------------------------------------------- JSON Lines


def parse_jsonl(text: str) -> list[Parsed]:
    """Records (or errors) from JSON Lines text; blank lines and # comments are skipped."""
    return list(iter_jsonl(io.StringIO(text)))


def iter_jsonl(lines: Iterable[str]) -> Iterator[Parsed]:
    """:func:`parse_jsonl` over lines as they are read (a file of any size, little memory)."""
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        yield _jsonl_record(number, stripped)


def _jsonl_record(number: int, line: str) -> Parsed:
    if len(line) > MAX_LINE_CHARS:
        return RecordError(number, f"line longer than {MAX_LINE_CHARS} characters")
    try:
        data = load_json(line, MAX_DEPTH)
    except JsonLimitError as exc:
        return RecordError(number, str(exc))
    if not isinstance(data, dict):
        return RecordError(number, "expected a JSON object")
    ident = data.pop("id", None)
    if isinstance(data.get("evidence"), dict):
        data = data["evidence"]  # the {"id", "evidence", ...} shape
    try:
        evidence = _flatten(data)
    except ValueError as exc:
        return RecordError(number, str(exc))
    if why := _check(evidence):
        return RecordError(number, why)
    return Record(number, evidence, None if ident is None else str(ident))


# ----------------------------------------------------------------------------- CSV


class Rfc4180(csv.Dialect):
    """RFC 4180: double quotes around fields, ``""`` for a quote inside one, CRLF or LF."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL
    strict = False


def delimiter_of(header: str) -> str:
    """The delimiter a header row uses: whichever of , ; TAB occurs most outside quotes."""
    outside = "".join(header.split('"')[0::2])  # the text between quoted stretches
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties keep the earlier, the comma
    return best if counts[best] else ","


def _dialect(first: str) -> tuple[type[csv.Dialect], bool]:
    """The dialect a file's first line shows, and whether that line is Excel's ``sep=``."""
    first = first.rstrip("\r\n")
    is_sep = first.lower().startswith("sep=") and len(first) == 5
    delimiter = first[4] if is_sep else delimiter_of(first)

    class Detected(Rfc4180):
        pass

    Detected.delimiter = delimiter
    return Detected, is_sep


def parse_csv(text: str) -> list[Parsed]:
    """Records (or errors) from a CSV inventory with a header row."""
    return list(iter_csv(io.StringIO(text)))


def iter_csv(lines: Iterable[str]) -> Iterator[Parsed]:
    """:func:`parse_csv` over lines as they are read (open files with ``newline=""``)."""
    stream = iter(lines)
    first = next(stream, "").lstrip("\ufeff")
    if not first:
        yield RecordError(1, "no header row")
        return
    dialect, is_sep = _dialect(first)
    skip = 1 if is_sep else 0
    reader = csv.reader(stream if is_sep else chain([first], stream), dialect)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        yield RecordError(1, "no header row")
        return
    fields = [header_field(h) for h in header]
    start = reader.line_num + 1 + skip
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield RecordError(start, f"unreadable CSV: {exc}")
            start = reader.line_num + 1 + skip
            continue
        if any(cell.strip() for cell in row):
            yield _csv_record(start, fields, row)
        start = reader.line_num + 1 + skip


def _ports(text: str) -> tuple[int, ...]:
    ports = tuple(int(p) for p in re.split(r"[\s,;/|]+", text.strip()) if p)
    if any(not 0 < p < 65536 for p in ports):
        raise ValueError(f"not TCP ports: {text!r}")
    return ports


def _csv_record(number: int, fields: list[str], row: list[str]) -> Parsed:
    if len(row) > len(fields):
        return RecordError(number, f"{len(row)} cells but the header has {len(fields)} columns")
    evidence: dict[str, EvidenceValue] = {}
    ident = None
    for name, cell in zip(fields, row, strict=False):
        value = cell.strip()
        if not value:
            continue
        if name == "id":
            ident = value
        elif name == "ports":
            try:
                evidence["ports"] = _ports(value)
            except ValueError as exc:
                return RecordError(number, str(exc))
        else:
            evidence.setdefault(name, value)
    if why := _check(evidence):
        return RecordError(number, why)
    return Record(number, evidence, ident)


# ----------------------------------------------------------------------------- either


def detect_format(text: str, name: str | None = None) -> str:
    """ "jsonl" or "csv", from the file name's extension, else from the content (the start
    of the file is enough)."""
    lowered = (name or "").lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith((".csv", ".tsv")):
        return "csv"
    for line in text.lstrip("\ufeff").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return "jsonl" if line.lstrip().startswith("{") else "csv"
    return "jsonl"


def parse_records(text: str, name: str | None = None) -> list[Parsed]:
    """Records from JSON Lines or CSV text (format detected by name, else content)."""
    if detect_format(text, name) == "jsonl":
        return parse_jsonl(text)
    return parse_csv(text)
