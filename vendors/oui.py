"""The IEEE MAC address registry: which organisation a MAC address block was assigned to.

Reads the generated ``vendors/data/oui/registry.tsv.gz`` (see vendors/oui_build.py and
vendors/data/oui/README.md), or the copy ``camaudit vendors update`` wrote to the user data
directory, which takes precedence.  Matching is longest prefix first (36, 28, then 24 bits),
because IEEE sub-divides some MA-L blocks: ``40:2C:76:1`` is "Shanghai Dahua Scale Factory"
(MA-M), not Dahua.  Locally administered (randomized) MACs carry no maker meaning and never
match.  Pure: no I/O besides reading these data files.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from core.model import is_locally_administered, normalize_mac
from vendors.datafile import Header, read_text

BUNDLED = Path(__file__).resolve().parent / "data" / "oui" / "registry.tsv.gz"
_BITS_BY_DIGITS = {6: 24, 7: 28, 9: 36}
REGISTRY_KIND = {24: "MA-L", 28: "MA-M", 36: "MA-S"}


def user_registry_path() -> Path:
    """Where ``camaudit vendors update`` writes a refreshed registry."""
    return Path(platformdirs.user_data_dir("camaudit")) / "oui" / "registry.tsv.gz"


def previous_registry_path() -> Path:
    """The table a refresh replaced, kept for ``camaudit vendors update --rollback``."""
    return user_registry_path().with_name("registry.previous.tsv.gz")


@dataclass(frozen=True, slots=True)
class OuiMatch:
    """The registry block a MAC falls in."""

    prefix: str  # "44:19:B6" or "40:2C:76:1" (28 bits) or "8C:1F:64:F4:B" (36 bits)
    bits: int
    org: str

    @property
    def registry(self) -> str:
        """MA-L, MA-M or MA-S (IAB blocks are 36-bit and reported as MA-S)."""
        return REGISTRY_KIND[self.bits]


def _pretty(digits: str) -> str:
    pairs = [digits[i : i + 2] for i in range(0, len(digits), 2)]
    return ":".join(pairs)


@dataclass(slots=True)
class OuiRegistry:
    """Registry blocks by size; ``lookup`` is three dict probes."""

    tables: dict[int, dict[int, str]] = field(default_factory=lambda: {36: {}, 28: {}, 24: {}})
    data_as_of: dt.date | None = None
    source: str = ""
    path: Path | None = None

    def __len__(self) -> int:
        return sum(len(t) for t in self.tables.values())

    def counts(self) -> dict[str, int]:
        return {REGISTRY_KIND[bits]: len(table) for bits, table in self.tables.items()}

    def lookup(self, mac: str) -> OuiMatch | None:
        """The longest registry block containing ``mac``; None if unassigned or randomized."""
        norm = normalize_mac(mac)
        if norm is None or is_locally_administered(norm):
            return None
        return self.lookup_normalized(norm)

    def lookup_normalized(self, norm: str) -> OuiMatch | None:
        """``lookup`` for a MAC already in ``aa:bb:cc:dd:ee:ff`` form and not randomized."""
        value = int(norm.replace(":", ""), 16)
        for bits in (36, 28, 24):
            org = self.tables[bits].get(value >> (48 - bits))
            if org is not None:
                digits = f"{value >> (48 - bits):0{bits // 4}X}"
                return OuiMatch(_pretty(digits), bits, org)
        return None

    def blocks(self) -> dict[tuple[str, int], str]:
        """Every block as (upper-case hex prefix, bits) -> organisation."""
        return {
            (f"{key:0{bits // 4}X}", bits): org
            for bits, table in self.tables.items()
            for key, org in table.items()
        }

    def blocks_of(self, org: str) -> list[str]:
        """Every prefix assigned to exactly ``org`` (for reports and tests)."""
        out: list[str] = []
        for bits, table in self.tables.items():
            out.extend(_pretty(f"{k:0{bits // 4}X}") for k, v in table.items() if v == org)
        return sorted(out)


def parse_registry(text: str, path: Path | None = None) -> OuiRegistry:
    """Build a registry from the TSV text (see vendors/oui_build.py for the format)."""
    registry = OuiRegistry(path=path)
    header = Header()
    for line in text.splitlines():
        if header.read(line):
            continue
        prefix, _, org = line.partition("\t")
        bits = _BITS_BY_DIGITS.get(len(prefix))
        if bits and org:
            registry.tables[bits][int(prefix, 16)] = org
    registry.data_as_of, registry.source = header.data_as_of, header.source
    return registry


def read_registry(path: Path) -> OuiRegistry:
    """Read a registry file written by vendors.oui_build (gzip or plain TSV)."""
    return parse_registry(read_text(path), path)


@functools.lru_cache(maxsize=1)
def default_registry() -> OuiRegistry:
    """The user's refreshed registry if there is one, else the bundled snapshot."""
    user = user_registry_path()
    if user.is_file():
        try:
            return read_registry(user)
        except (OSError, ValueError):
            pass  # a damaged refresh must not take identification down: use the bundled copy
    return read_registry(BUNDLED)


def lookup(mac: str) -> OuiMatch | None:
    """Look ``mac`` up in the default registry."""
    return default_registry().lookup(mac)


def registry_date() -> dt.date | None:
    """The "data as of" date of the registry in use (shown by the app and in reports)."""
    return default_registry().data_as_of
