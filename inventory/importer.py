# ruff: noqa: PLC0415  (scapy loads only when a capture is imported)
"""``camaudit import FILE``: a CSV inventory or a packet capture brought in as a scan.

The file's rows or packets become Observations and go the way every scan goes
(``discovery.passive``: merged into devices, assessed by ``vendors.assess``), then into the
store through the same sink a live scan writes to.  A bad row or packet is a problem line
(with its line number), never an abort; but a file that yields no device at all (empty,
binary, or every row bad) is refused whole and stores nothing, so it can never become an
empty "complete" scan that later reports silently cover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.model import Observation, Problem, Scan, SiteProfile, utcnow
from core.sanitize import terminal_safe
from discovery import inventory_file as records
from discovery.events import Finished, replay
from discovery.passive import merge_and_assess
from inventory.scan_sink import StoreSink
from inventory.store import Store
from vendors.assess import Assessor, UnknownPolicyError
from vendors.versions import data_versions

PCAP_SUFFIXES = (".pcap", ".pcapng", ".cap")
BINARY_SNIFF = 8192  # a NUL byte this early means no text format (UTF-16 exports included)
_PCAP_MAGICS = (
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x0a\x0d\x0d\x0a",
)


class ImportFailed(Exception):
    """The file as a whole cannot be imported (unreadable, not CSV or pcap, bad options)."""


@dataclass(slots=True)
class ImportResult:
    scan_id: int
    devices: int
    problems: list[str] = field(default_factory=list)  # file-level; device ones stay on devices


def detect_kind(path: Path) -> str:
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot open ({exc.strerror or exc})") from exc
    if head in _PCAP_MAGICS or path.suffix.lower() in PCAP_SUFFIXES:
        return "pcap"
    return "records"  # CSV or JSON Lines: discovery.inventory_file tells which


def _read_text(path: Path, problems: list[str]) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if b"\x00" in raw[:BINARY_SNIFF]:
        raise ImportFailed(
            f"{path}: a binary file, not a CSV inventory or JSON Lines: nothing imported"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet programs still save "CSV" in the Windows code page.
        problems.append(f"{path.name}: not UTF-8; read as Windows-1252")
        return raw.decode("cp1252", errors="replace")


def _read_records(
    path: Path, fmt: str, problems: list[str]
) -> tuple[str, list[tuple[int, Observation]]]:
    """The format read, and (line, observation) per readable record (bad lines: problems)."""
    text = _read_text(path, problems)
    if not text.strip():
        raise ImportFailed(f"{path}: the file is empty: nothing imported")
    source = fmt if fmt in ("csv", "jsonl") else records.detect_format(text, path.name)
    parse = records.parse_csv if source == "csv" else records.parse_jsonl
    now = utcnow()
    out: list[tuple[int, Observation]] = []
    for item in parse(text):
        if isinstance(item, records.RecordError):
            problems.append(f"{path.name}:{item.line}: {item.error}")
            continue
        fields = {k: v for k, v in item.evidence.items() if v not in ("", ())}
        out.append((item.line, Observation(source, fields, now, method="inventory")))
    return source, out


def _pcap(path: Path, assessor: Assessor) -> Finished:
    from discovery.base import DiscoveryError
    from discovery.passive import pcap_scan

    try:
        return pcap_scan(path, assessor)
    except DiscoveryError as exc:
        raise ImportFailed(str(exc)) from exc


def _nothing_usable(path: Path, final: Finished) -> str:
    errors = [e.message for e in final.errors if e.source != "policy"]
    if not errors:
        return f"{path}: no device in it (empty?): nothing imported"
    first = terminal_safe(errors[0], 160)
    count = f"{len(errors)} problem{'' if len(errors) == 1 else 's'}"
    return f"{path}: no usable row, {count} (first: {first}): nothing imported"


def import_file(
    store: Store,
    path: Path,
    *,
    kind: str | None = None,
    policies: Sequence[str] | None = None,
    site: SiteProfile | None = None,
) -> ImportResult:
    """Import ``path`` into ``store`` as one complete scan; return its id and the problems."""
    kind = kind or detect_kind(path)
    try:
        assessor = Assessor(site or SiteProfile(), tuple(policies or ()))
    except UnknownPolicyError as exc:
        raise ImportFailed(str(exc)) from exc
    if kind == "pcap":
        final = _pcap(path, assessor)
    else:
        problems: list[str] = []
        kind, found = _read_records(path, kind, problems)
        where = ((f"{path.name}:{line}" if line else path.name, obs) for line, obs in found)
        notes = [Problem("import", "input", line) for line in problems]
        final = merge_and_assess(where, notes, assessor, kind)
    if not final.devices:
        raise ImportFailed(_nothing_usable(path, final))
    record = Scan(
        targets=(f"file:{path.name}",),
        methods=(kind,),
        site=assessor.site,
        policies=assessor.policy_ids,
        options={"imported_file": str(path)},
        started_at=utcnow(),
        data_versions=data_versions(assessor.packs),
    )
    sink = StoreSink(store, record)
    replay(final, [sink])
    return ImportResult(sink.scan_id, len(final.devices), [e.message for e in final.errors])
