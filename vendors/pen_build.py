"""Build the compact IANA Private Enterprise Numbers (PEN) file that vendors.pen reads.

An SNMP agent's sysObjectID sits under 1.3.6.1.4.1.N, where N is the enterprise number IANA
assigned to the organisation that registered it.  The registry is
https://www.iana.org/assignments/enterprise-numbers.txt ; Debian ships Wireshark's copy of it
(package ``libwireshark-data``, ``/usr/share/wireshark/enterprises.tsv``), which is what the
bundled file is built from.  Two inputs are understood, both as text (the caller reads them):

- Wireshark's ``enterprises.tsv``: ``#`` comment lines (one of them ``# (last updated
  YYYY-MM-DD)``, the data's date), then ``NUMBER<spaces or tabs>NAME`` lines; a few carry a
  note after a tab (``78<TAB>LogMatrix Inc<TAB># formerly 'OpenService Inc.'``), dropped;
- IANA's own ``enterprise-numbers.txt``: a header (with the same ``(last updated ...)`` line),
  then four-line records: the number alone on a line, the organisation indented by two spaces,
  the contact by four, the e-mail address by six.

The input is checked (:func:`parse`) before it may replace the bundled file: numbers unique,
decimal and in 0..2**32-1 (so never negative), every name non-empty, without control
characters and at most :data:`MAX_NAME_CHARS` long, at least :data:`MIN_ENTRIES` and at most
:data:`MAX_ENTRIES` entries, the input at most :data:`MAX_INPUT_BYTES`.  Invisible format
characters (a left-to-right mark, zero-width spaces) occur in a few names and are dropped; runs
of white space become one space.

The output is a gzip-compressed TSV (UTF-8): ``# key<TAB>value`` header lines (``data_as_of``,
``source``), then one ``NUMBER<TAB>ORG`` line per entry, by number.  Regenerate it with::

    python -m vendors.pen_build --tsv /usr/share/wireshark/enterprises.tsv --as-of 2024-08-23

``--as-of`` defaults to the input's ``(last updated ...)`` date, else to the date of the
Debian package the input belongs to (its latest changelog entry, found through dpkg's own files);
the tool says which it used.
``--source`` defaults to a line naming the IANA registry and, when ``dpkg-query`` knows the
file, the Debian package and version it came from.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import gzip
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "data" / "pen" / "enterprises.tsv.gz"
IANA_URL = "https://www.iana.org/assignments/enterprise-numbers.txt"
MIN_ENTRIES = 50_000  # IANA had assigned about 62,000 numbers by 2024: fewer is a broken file
MAX_ENTRIES = 1_000_000
MAX_INPUT_BYTES = 32 * 2**20  # enterprises.tsv is about 1.7 MB, IANA's text about 4 MB
MAX_NAME_CHARS = 256  # the longest registered name in 2024 has 182 characters
MAX_NUMBER = 2**32 - 1  # an OID sub-identifier is an unsigned 32-bit number
SIZE_WARNING_BYTES = 1_200_000  # the bundled file should stay small

_WIRESHARK_LINE = re.compile(r"([0-9]{1,10})[ \t]+([^\t]*?)[ \t]*(?:\t[ \t]*#.*)?")
_UPDATED = re.compile(r"last updated ([0-9]{4}-[0-9]{2}-[0-9]{2})")
_IANA_NUMBER = re.compile(r"[0-9]{1,10}")


class PenError(ValueError):
    """The input is not a usable enterprise-number registry; the message says where."""


@dataclass(frozen=True, slots=True)
class Registry:
    """A parsed registry: number -> organisation, the input's own date if it gives one, and
    which of the two formats it was in (``wireshark`` or ``iana``)."""

    entries: dict[int, str]
    updated: dt.date | None
    kind: str


def clean_name(name: str, where: str) -> str:
    """``name`` with format characters dropped and white space folded; PenError if it holds a
    control character, is empty or too long."""
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise PenError(f"{where}: control character in the organisation name {name[:60]!r}")
    name = " ".join("".join(ch for ch in name if unicodedata.category(ch) != "Cf").split())
    if not name:
        raise PenError(f"{where}: empty organisation name")
    if len(name) > MAX_NAME_CHARS:
        raise PenError(f"{where}: organisation name longer than {MAX_NAME_CHARS} characters")
    return name


def _add(entries: dict[int, str], digits: str, name: str, where: str) -> None:
    number = int(digits)
    if number > MAX_NUMBER:
        raise PenError(f"{where}: enterprise number {number} is out of range (above 2**32-1)")
    if number in entries:
        raise PenError(f"{where}: enterprise number {number} is listed twice")
    if len(entries) >= MAX_ENTRIES:
        raise PenError(f"{where}: more than {MAX_ENTRIES:,} entries")
    entries[number] = clean_name(name, where)


def is_iana_text(text: str) -> bool:
    """True for IANA's four-line record layout, False for Wireshark's one-line one."""
    head = text[:20_000].split("\n")
    if any(line.strip() == "Decimal" for line in head):
        return True
    return re.search(r"^[0-9]+\r?\n  \S", text[:20_000], re.MULTILINE) is not None


def parse(text: str, *, min_entries: int = MIN_ENTRIES) -> Registry:
    """Read either input format; raises PenError on anything that does not look right."""
    if len(text) > MAX_INPUT_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
        raise PenError(f"input larger than {MAX_INPUT_BYTES // 2**20} MiB")
    iana = is_iana_text(text)
    # Lines end at LF (or CRLF) only: str.splitlines would also break at U+0085, U+2028 and
    # other separators inside a name, where they must be seen (and refused or folded).
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    entries = parse_iana(lines) if iana else parse_wireshark(lines)
    if len(entries) < min_entries:
        raise PenError(
            f"only {len(entries):,} entries, fewer than the {min_entries:,} a whole registry "
            "has (a truncated or partial file?)"
        )
    found = _UPDATED.search(text[:8192])
    updated = dt.date.fromisoformat(found.group(1)) if found else None
    return Registry(entries, updated, "iana" if iana else "wireshark")


def parse_wireshark(lines: list[str]) -> dict[int, str]:
    """Entries of Wireshark's ``enterprises.tsv``; every non-comment line must be an entry."""
    entries: dict[int, str] = {}
    for index, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _WIRESHARK_LINE.fullmatch(line)
        if match is None:
            raise PenError(f"line {index}: not 'NUMBER NAME': {line[:60]!r}")
        _add(entries, match.group(1), match.group(2), f"line {index}")
    return entries


def parse_iana(lines: list[str]) -> dict[int, str]:
    """Entries of IANA's text: a number alone on its line, the organisation indented by two
    spaces on the next.  Numbers without an organisation (``---none---``) are left out."""
    entries: dict[int, str] = {}
    for index in range(len(lines) - 1):
        line, org = lines[index], lines[index + 1]
        if not _IANA_NUMBER.fullmatch(line):
            continue
        if not org.startswith("  ") or org.startswith("   "):
            raise PenError(f"line {index + 2}: expected the organisation of {line}")
        name = org.strip()
        if name != "---none---":
            _add(entries, line, name, f"line {index + 2}")
    return entries


def render(registry: Registry, *, as_of: dt.date, source: str) -> bytes:
    """The gzip TSV bytes of ``registry``."""
    body = [f"# data_as_of\t{as_of.isoformat()}", f"# source\t{clean_name(source, 'source')}"]
    body += [f"{number}\t{name}" for number, name in sorted(registry.entries.items())]
    # mtime 0: the same input gives the same bytes (a rebuild with no change is no git diff)
    return gzip.compress(("\n".join(body) + "\n").encode("utf-8"), compresslevel=9, mtime=0)


def write(registry: Registry, source: str, as_of: dt.date, path: Path = OUTPUT) -> int:
    """Write the compact file (replacing the old one only once complete); returns its size."""
    data = render(registry, as_of=as_of, source=source)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".new")
    staged.write_bytes(data)
    staged.replace(path)
    return len(data)


# ------------------------------------------------------------------------ where the input is from


@dataclass(frozen=True, slots=True)
class DebianPackage:
    name: str
    version: str
    date: dt.date | None  # of its latest changelog entry


DPKG_DIR = Path("/var/lib/dpkg")


def debian_package(path: Path, dpkg: Path = DPKG_DIR) -> DebianPackage | None:
    """The installed Debian package that ships ``path``, read from dpkg's own files (its file
    lists and status database; nothing is run)."""
    target = str(path.resolve())
    name = None
    for listing in sorted((dpkg / "info").glob("*.list")):
        try:
            if target in listing.read_text(encoding="utf-8", errors="replace").splitlines():
                name = listing.stem.split(":", 1)[0]
                break
        except OSError:
            continue
    if name is None:
        return None
    version = _installed_version(dpkg / "status", name)
    return DebianPackage(name, version, _changelog_date(name)) if version else None


def _installed_version(status: Path, name: str) -> str | None:
    try:
        text = status.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for block in text.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != " "
        )
        if fields.get("Package") == name and "installed" in fields.get("Status", ""):
            return fields.get("Version")
    return None


def _changelog_date(package: str) -> dt.date | None:
    changelog = Path("/usr/share/doc") / package / "changelog.Debian.gz"
    try:
        with gzip.open(changelog, "rt", encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if line.startswith(" -- ") and "  " in line[4:]:
                    stamp = line[4:].rsplit("  ", 1)[1].strip()
                    return email.utils.parsedate_to_datetime(stamp).date()
    except (OSError, ValueError, TypeError, IndexError):
        return None
    return None


def default_source(path: Path, package: DebianPackage | None) -> str:
    """The ``source`` line: the IANA registry and the copy of it the input is."""
    registry = f"IANA Private Enterprise Numbers registry ({IANA_URL})"
    if package is not None:
        return f"{registry}, as copied in Debian {package.name} {package.version} ({path})"
    return f"{registry}, from the file {path.name}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate vendors/data/pen/enterprises.tsv.gz")
    parser.add_argument(
        "--tsv",
        type=Path,
        required=True,
        help="Wireshark's enterprises.tsv or IANA's enterprise-numbers.txt",
    )
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        help="data date YYYY-MM-DD (default: the input's '(last updated ...)' date, else the "
        "Debian package's date)",
    )
    parser.add_argument("--source", help="where the input came from (default: worked out)")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    try:
        if args.tsv.stat().st_size > MAX_INPUT_BYTES:
            raise PenError(f"input larger than {MAX_INPUT_BYTES // 2**20} MiB")
        registry = parse(args.tsv.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, PenError) as exc:
        print(f"pen_build: {args.tsv}: {exc}", file=sys.stderr)
        return 1
    package = debian_package(args.tsv)
    if args.as_of is not None:
        as_of, why = args.as_of, "given with --as-of"
        if registry.updated and registry.updated != as_of:
            print(f"pen_build: note: the input says it was last updated {registry.updated}")
    elif registry.updated is not None:
        as_of, why = registry.updated, "the input's '(last updated ...)' line"
    elif package is not None and package.date is not None:
        as_of, why = package.date, f"the date of Debian {package.name} {package.version}"
    else:
        print("pen_build: the input gives no date: pass --as-of", file=sys.stderr)
        return 1
    source = args.source or default_source(args.tsv, package)
    size = write(registry, source, as_of, args.out)
    print(f"{len(registry.entries):,} enterprise numbers ({registry.kind} format) -> {args.out}")
    print(f"  data as of {as_of} ({why}); {size:,} bytes")
    print(f"  source: {source}")
    if size > SIZE_WARNING_BYTES:
        print(f"pen_build: note: {size:,} bytes is more than {SIZE_WARNING_BYTES:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
