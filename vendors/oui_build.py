"""Build the compact IEEE MAC registry file that vendors.oui reads.

Two inputs are understood, both as text (the caller reads the files):

- Wireshark ``manuf`` format, as shipped by pymanuf (``00:BC:99<TAB><TAB>Org`` for MA-L blocks,
  ``40:2C:76:10:00:00/28<TAB>Org`` for MA-M and MA-S / IAB blocks);
- the IEEE registry CSV files a user downloads (oui.csv, mam.csv, oui36.csv, iab.csv, cid.csv:
  ``Registry,Assignment,Organization Name,Organization Address``).  These are checked before
  they may replace a working table (:func:`check_ieee_files`): the header, four columns on
  every row, quotes closed (RFC 4180, strictly), each file holding only its own registry, at
  least :data:`MIN_MA_L` MA-L blocks, size limits (:data:`LIMITS`).  :func:`diff_blocks` says
  what would change against the table in use.

The output is a gzip-compressed TSV: ``# key<TAB>value`` header lines (data_as_of, source), then
one ``HEXPREFIX<TAB>ORG`` line per block, where the prefix length says the block size (6 hex
digits = 24 bits, 7 = 28, 9 = 36).  Regenerate the bundled file with::

    python -m vendors.oui_build            # from the installed pymanuf
    python -m vendors.oui_build --manuf FILE --as-of 2026-10-01
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import importlib.metadata
import importlib.util
import io
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vendors.catalogue import Catalogue, load_catalogue, org_base, org_key

BUNDLED = Path(__file__).resolve().parent / "data" / "oui" / "registry.tsv.gz"
IEEE_FILES = ("oui.csv", "mam.csv", "oui36.csv", "iab.csv", "cid.csv")
_HEX_DIGITS = {24: 6, 28: 7, 36: 9}
_REGISTRY_BITS = {"MA-L": 24, "CID": 24, "MA-M": 28, "MA-S": 36, "IAB": 36}
_HEX = re.compile(r"^[0-9A-F]+$")


MIN_MA_L = 20_000  # IEEE had assigned about 38,000 MA-L blocks by 2026: fewer is a broken file
MAX_FILE_BYTES = 64 * 2**20  # oui.csv is about 4 MB
MAX_FIELD_CHARS = csv.field_size_limit()  # 131,072 unless changed
LIMITS = (
    f"Each file at most {MAX_FILE_BYTES // 2**20} MiB, fields of at most {MAX_FIELD_CHARS:,} "
    f"characters; oui.csv must hold at least {MIN_MA_L:,} MA-L blocks."
)
FILE_REGISTRY = {
    "oui.csv": "MA-L",
    "mam.csv": "MA-M",
    "oui36.csv": "MA-S",
    "iab.csv": "IAB",
    "cid.csv": "CID",
}
IEEE_HEADER = ("Registry", "Assignment", "Organization Name", "Organization Address")


class RegistryFormatError(ValueError):
    """An input line or file is not in the expected registry format."""


@dataclass(frozen=True, slots=True)
class Block:
    """One registry assignment: a prefix of ``bits`` bits (as upper-case hex) and its owner."""

    prefix: str
    bits: int
    org: str
    # The IEEE list it came from (MA-L, MA-M, MA-S, IAB, CID), when known; not part of its value.
    registry: str = field(default="", compare=False)


def parse_manuf(text: str) -> list[Block]:
    """Blocks from Wireshark ``manuf`` text; comment and malformed lines are skipped."""
    blocks: list[Block] = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = [p for p in line.split("\t") if p]
        if len(parts) < 2:
            continue
        block = _manuf_block(parts[0], parts[-1].strip())
        if block:
            blocks.append(block)
    return blocks


def _manuf_block(address: str, org: str) -> Block | None:
    prefix, _, size = address.partition("/")
    bits = int(size) if size.isdigit() else 24
    if bits not in _HEX_DIGITS or not org:
        return None
    digits = prefix.replace(":", "").replace("-", "").upper()[: _HEX_DIGITS[bits]]
    if len(digits) != _HEX_DIGITS[bits] or not _HEX.match(digits):
        return None
    return Block(digits, bits, org)


def parse_ieee_csv(text: str, name: str = "csv") -> list[Block]:
    """Blocks from one IEEE registry CSV; raises RegistryFormatError naming the bad line.

    Strict RFC 4180: a quote left open (which would swallow the rest of the file into one
    field) or text after a closing quote is an error, and every row has the header's four
    columns.
    """
    reader = csv.reader(io.StringIO(text), strict=True)
    start = 1  # the line the row being read starts on (a quoted field may span lines)
    try:
        header = next(reader, None)
        if not header or tuple(h.strip() for h in header) != IEEE_HEADER:
            shown = ",".join(header or [])[:120]
            raise RegistryFormatError(f"{name}:1: not an IEEE registry CSV (header {shown!r})")
        blocks = []
        start = reader.line_num + 1
        for row in reader:
            if row and any(cell.strip() for cell in row):
                blocks.append(_ieee_block(row, f"{name}:{start}"))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise RegistryFormatError(f"{name}:{start}: unreadable CSV ({exc})") from None
    return blocks


def _ieee_block(row: Sequence[str], where: str) -> Block:
    if len(row) != len(IEEE_HEADER):
        raise RegistryFormatError(f"{where}: expected {len(IEEE_HEADER)} columns, got {len(row)}")
    if any("\n" in cell or "\r" in cell for cell in row):
        raise RegistryFormatError(f"{where}: a line break inside a field (a quote left open?)")
    registry, assignment, org = (cell.strip() for cell in row[:3])
    bits = _REGISTRY_BITS.get(registry)
    if bits is None:
        raise RegistryFormatError(f"{where}: unknown registry {registry!r}")
    digits = assignment.upper()
    if len(digits) != _HEX_DIGITS[bits] or not _HEX.match(digits):
        raise RegistryFormatError(f"{where}: assignment {assignment!r} is not a {bits}-bit prefix")
    return Block(digits, bits, org or "Private", registry)


def check_ieee_file(name: str, text: str) -> list[Block]:
    """The blocks of one IEEE file, after the checks that file must pass."""
    blocks = parse_ieee_csv(text, name)
    expected = FILE_REGISTRY.get(name)
    wrong = [b for b in blocks if expected and b.registry != expected]
    if wrong:
        raise RegistryFormatError(
            f"{name}: holds {wrong[0].registry} blocks, but {name} is the {expected} list"
        )
    if not blocks:
        raise RegistryFormatError(f"{name}: holds no blocks (only a header: a failed download?)")
    if name == "oui.csv" and len(blocks) < MIN_MA_L:
        raise RegistryFormatError(
            f"{name}: only {len(blocks):,} MA-L blocks, fewer than the {MIN_MA_L:,} a complete "
            "list has (a truncated or partial download?)"
        )
    return blocks


@dataclass(frozen=True, slots=True)
class BlockDiff:
    """What replacing one table by another changes, by (prefix, size)."""

    added: int
    removed: int
    changed: int  # same block, another organisation name
    before: int
    after: int
    removed_by_size: Mapping[int, int] = field(default_factory=dict)  # bits -> blocks removed

    def summary(self) -> str:
        return (
            f"{self.added:,} blocks added, {self.removed:,} removed, {self.changed:,} changed "
            f"({self.before:,} -> {self.after:,})"
        )


def diff_blocks(before: Mapping[tuple[str, int], str], after: Iterable[Block]) -> BlockDiff:
    """Compare a table ((prefix, bits) -> org) with new blocks (later duplicates win)."""
    new = {(b.prefix, b.bits): " ".join(b.org.split()) for b in after}
    added = sum(1 for key in new if key not in before)
    gone = Counter(key[1] for key in before if key not in new)
    changed = sum(1 for key, org in new.items() if key in before and before[key] != org)
    return BlockDiff(added, gone.total(), changed, len(before), len(new), dict(gone))


def render(blocks: Iterable[Block], *, as_of: dt.date, source: str) -> bytes:
    """The gzip TSV bytes for ``blocks`` (later duplicates of a prefix win)."""
    unique = {(b.prefix, b.bits): b for b in blocks}
    lines = [f"# data_as_of\t{as_of.isoformat()}", f"# source\t{source}"]
    for block in sorted(unique.values(), key=lambda b: (b.prefix, b.bits)):
        org = " ".join(block.org.split())
        lines.append(f"{block.prefix}\t{org}")
    # mtime=0 keeps the file byte-identical between runs (no churn in git).
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0)


def pymanuf_source() -> tuple[Path, dt.date, str]:
    """The installed pymanuf's manuf.txt, its data date (from the version) and a label."""
    spec = importlib.util.find_spec("pymanuf")
    if spec is None or spec.origin is None:
        raise RegistryFormatError("pymanuf is not installed")
    version = importlib.metadata.version("pymanuf")
    year, month, day = (int(x) for x in version.split(".")[:3])
    label = (
        f"pymanuf {version} (MIT; Wireshark-format manuf.txt from IEEE oui/mam/oui36/iab/cid CSVs)"
    )
    return Path(spec.origin).parent / "manuf.txt", dt.date(year, month, day), label


# ------------------------------------------------------------------ registrant linking summary
#
# vendors.catalogue.Catalogue.link_registrant ties a registrant to a maker or brand by normalised
# name (see there).  This summary runs it over every registrant of a registry table, so a person
# can see which registrants link, how, and which stay unlinked although they share a distinctive
# word with a linked maker ("Shanghai Dahua Scale Factory", "Teltronic AG"): those are listed for
# review, never linked by the word.

# Words too common in company names to tell one company from another.
_GENERIC_WORDS = frozenset(
    {"technology", "technologies", "tech", "digital", "network", "networks", "communication",
     "communications", "electronic", "electronics", "international", "systems", "system",
     "security", "vision", "video", "smart", "information", "science", "industries", "industry",
     "group", "holding", "holdings", "device", "devices", "software", "intelligent", "solutions",
     "products", "and", "&", "of", "the", "new", "mobile", "wireless", "control", "labs",
     "americas", "china", "central", "motion", "picture", "access",
     # place names say where a company is, not which one it is
     "shanghai", "beijing", "shenzhen", "hangzhou", "zhejiang", "guangdong", "guangzhou",
     "jinan", "suzhou", "xiamen", "wuhan", "chengdu", "sichuan", "nanjing", "dongguan",
     "zhuhai", "qingdao", "tianjin", "india", "usa", "europe", "asia", "korea", "japan",
     "taiwan", "malaysia", "vietnam", "nederland", "canada"}
)  # fmt: skip
DISTINCTIVE_MAX_REGISTRANTS = 10  # a word in more registrant names than this is not distinctive


@dataclass(frozen=True, slots=True)
class RegistrantRow:
    org: str
    blocks: int
    target: str  # catalogue maker or brand id
    how: str  # exact | spelling | maker_name | brand_name | candidate (unlinked, for review)


@dataclass(frozen=True, slots=True)
class LinkSummary:
    """Which registrants of a registry table the catalogue links, and how."""

    blocks: int
    registrants: int  # distinct spellings
    groups: int  # distinct names once case, punctuation and legal form spelling are folded
    rows: tuple[RegistrantRow, ...]

    def by_how(self, how: str) -> list[RegistrantRow]:
        return [row for row in self.rows if row.how == how]

    def lines(self) -> list[str]:
        linked = [row for row in self.rows if row.how != "candidate"]
        out = [
            f"{self.blocks:,} blocks, {self.registrants:,} registrant spellings in "
            f"{self.groups:,} name groups; {len(linked)} registrants "
            f"({sum(r.blocks for r in linked):,} blocks) linked to the catalogue:",
        ]
        for how in ("exact", "spelling", "maker_name", "brand_name", "candidate"):
            rows = self.by_how(how)
            title = {
                "exact": "curated spelling",
                "spelling": "same name and legal form, other spelling",
                "maker_name": "a maker's bare name with a legal form added",
                "brand_name": "a brand's name (likely the company behind the brand)",
                "candidate": "NOT linked, shares a distinctive word with a linked maker (review)",
            }[how]
            blocks = sum(r.blocks for r in rows)
            out.append(f"  {how}: {len(rows)} registrants, {blocks:,} blocks ({title})")
            if how != "exact":
                out += [f"    {r.org!r} ({r.blocks}) -> {r.target}" for r in rows]
        return out


def _distinctive_words(bases: Iterable[str]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for base in bases:
        counts.update(set(base.split()))
    return {
        word: n
        for word, n in counts.items()
        if n <= DISTINCTIVE_MAX_REGISTRANTS and len(word) >= 3 and word not in _GENERIC_WORDS
    }


def link_summary(table: Mapping[tuple[str, int], str], catalogue: Catalogue) -> LinkSummary:
    """Run the catalogue's registrant linking over a registry table ((prefix, bits) -> org)."""
    blocks_of = Counter(table.values())
    links = {org: catalogue.link_registrant(org) for org in blocks_of}
    rows = [
        RegistrantRow(org, blocks_of[org], link.maker or link.brand or "", link.how)
        for org, link in sorted(links.items())
        if link is not None
    ]
    # A maker's own name words (its catalogue id: "dahua", "honor", "teltronic"), where the
    # registry uses them rarely enough to point at one company.
    distinctive = _distinctive_words(org_base(org) for org in blocks_of)
    maker_words: dict[str, str] = {}
    for maker in catalogue.makers:
        for word in maker.split("_"):
            if len(word) >= 4 and word in distinctive:
                maker_words.setdefault(word, maker)
    for org in sorted(org for org, link in links.items() if link is None):
        hit = next((maker_words[w] for w in org_base(org).split() if w in maker_words), None)
        if hit:
            rows.append(RegistrantRow(org, blocks_of[org], hit, "candidate"))
    return LinkSummary(
        blocks=len(table),
        registrants=len(blocks_of),
        groups=len({org_key(org) for org in blocks_of}),
        rows=tuple(rows),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate vendors/data/oui/registry.tsv.gz")
    parser.add_argument("--manuf", type=Path, help="a Wireshark manuf file (default: pymanuf's)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, help="data date (YYYY-MM-DD)")
    parser.add_argument("--out", type=Path, default=BUNDLED)
    parser.add_argument(
        "--links",
        action="store_true",
        help="print which registrants of the bundled table the catalogue links, then exit",
    )
    args = parser.parse_args(argv)
    if args.links:
        from vendors.oui import read_registry  # noqa: PLC0415  (only for this report)

        table = read_registry(args.out if args.out.exists() else BUNDLED).blocks()
        print("\n".join(link_summary(table, load_catalogue()).lines()))
        return 0
    path, as_of, source = pymanuf_source()
    if args.manuf:
        path, source = args.manuf, f"Wireshark manuf file {args.manuf.name}"
    blocks = parse_manuf(path.read_text(encoding="utf-8"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(render(blocks, as_of=args.as_of or as_of, source=source))
    print(f"{len(blocks)} blocks -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
