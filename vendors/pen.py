"""IANA Private Enterprise Numbers: who registered the enterprise an SNMP sysObjectID names.

An agent's sysObjectID sits under ``1.3.6.1.4.1.N``: N is the enterprise number IANA gave the
organisation that registered it (Hikvision 39165, Huawei 2011, ZTE 3902, Hytera 40297).  The
bundled ``vendors/data/pen/enterprises.tsv.gz`` (built by vendors/pen_build.py) is the whole
registry; identification links its organisation name to a catalogue maker the way it links an
IEEE MAC registrant.  The registry says who *registered* a number, not who uses it: generic
stacks (net-snmp 8072, lwIP 26381) name no maker, and a vendor that ships an agent under a
number registered to someone else is not found this way.

The file is read on first use (:func:`default_pen_registry`), never at import; :func:`forget`
drops the loaded copy.  Pure: no I/O besides reading that file.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from vendors.datafile import Header, read_text

BUNDLED = Path(__file__).resolve().parent / "data" / "pen" / "enterprises.tsv.gz"
MAX_NUMBER = 2**32 - 1  # an OID sub-identifier is an unsigned 32-bit number
_MAX_OID_CHARS = 4096

# The enterprises arc (1.3.6.1.4.1) as SNMP tools print it, then N and any further arcs:
#   1.3.6.1.4.1.N   .1.3.6.1.4.1.N   iso.3.6.1.4.1.N   .iso.org.dod.internet.private.enterprises.N
#   SNMPv2-SMI::enterprises.N   enterprises.N
# ASCII digits only (``\d`` would take other scripts' digits), each arc at most 10 digits.
_OID = re.compile(
    r"\s*(?:\.?(?:1|iso)\.3\.6\.1\.4\.1|\.?iso\.org\.dod\.internet\.private\.enterprises"
    r"|(?:SNMPv2-SMI::)?enterprises)"
    r"\.([0-9]{1,10})(?:\.[0-9]{1,10})*\s*",
    re.ASCII,
)


def enterprise_number(oid: str) -> int | None:
    """The enterprise number N of an OID under 1.3.6.1.4.1 (in any of the usual spellings),
    else None: other OIDs, text that is no OID, N above 2**32-1 or an arc of over 10 digits."""
    if not isinstance(oid, str) or len(oid) > _MAX_OID_CHARS:
        return None
    match = _OID.fullmatch(oid)
    if match is None:
        return None
    number = int(match.group(1))
    return number if number <= MAX_NUMBER else None


@dataclass(slots=True)
class PenRegistry:
    """Enterprise number -> registered organisation, with the data's date and source."""

    entries: dict[int, str] = field(default_factory=dict)
    data_as_of: dt.date | None = None
    source: str = ""
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def count(self) -> int:
        """How many enterprise numbers the registry holds."""
        return len(self.entries)

    def lookup(self, number: int) -> str | None:
        """The organisation enterprise ``number`` is registered to, or None."""
        return self.entries.get(number)

    def lookup_oid(self, oid: str) -> tuple[int, str] | None:
        """(enterprise number, organisation) for an OID such as a sysObjectID, or None."""
        number = enterprise_number(oid)
        if number is None:
            return None
        org = self.entries.get(number)
        return None if org is None else (number, org)


def parse_registry(text: str, path: Path | None = None) -> PenRegistry:
    """Build a registry from the TSV text vendors/pen_build.py writes (``# key<TAB>value``
    header lines, then ``NUMBER<TAB>ORG`` lines); lines that are neither are skipped."""
    header = Header()
    entries: dict[int, str] = {}
    for line in text.split("\n"):
        number, _, org = line.partition("\t")
        if org and number.isascii() and number.isdigit():
            entries[int(number)] = org.rstrip("\r")
        else:
            header.read(line)
    return PenRegistry(entries, header.data_as_of, header.source, path)


def read_registry(path: Path) -> PenRegistry:
    """Read a registry file written by vendors.pen_build (gzip or plain TSV)."""
    return parse_registry(read_text(path), path)


@functools.lru_cache(maxsize=1)
def default_pen_registry() -> PenRegistry:
    """The bundled registry, read once on first use."""
    return read_registry(BUNDLED)


def forget() -> None:
    """Drop the loaded registry: the next lookup reads the file again."""
    default_pen_registry.cache_clear()


def lookup(number: int) -> str | None:
    """The organisation enterprise ``number`` is registered to, in the bundled registry."""
    return default_pen_registry().lookup(number)


def registrant(oid: str) -> tuple[int, str] | None:
    """(enterprise number, organisation) for a sysObjectID, from the bundled registry (read
    only when ``oid`` is under 1.3.6.1.4.1)."""
    if enterprise_number(oid) is None:
        return None
    return default_pen_registry().lookup_oid(oid)


def registry_date() -> dt.date | None:
    """The "data as of" date of the bundled registry."""
    return default_pen_registry().data_as_of
