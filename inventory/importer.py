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

import codecs
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.merge import aliases
from core.model import Device, Observation, Problem, Scan, ScanStatus, SiteProfile, utcnow
from core.sanitize import terminal_safe
from discovery import inventory_file as records
from discovery.events import Finished, replay
from discovery.passive import merge_in_batches
from inventory.scan_sink import StoreSink
from inventory.store import Store
from vendors.assess import Assessor, UnknownPolicyError
from vendors.versions import data_versions

PCAP_SUFFIXES = (".pcap", ".pcapng", ".cap")
BINARY_SNIFF = 8192  # a NUL byte this early means no text format (UTF-16 exports included)
READ_BLOCK = 1 << 20
BATCH = 2000  # rows merged and stored per transaction
MAX_SHOWN_PROBLEMS = 200  # problems returned to print; all are stored
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
    problems: list[str] = field(default_factory=list)  # the first file-level problems
    problem_count: int = 0  # all of them (every one is stored with the scan)


def detect_kind(path: Path) -> str:
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot open ({exc.strerror or exc})") from exc
    if head in _PCAP_MAGICS or path.suffix.lower() in PCAP_SUFFIXES:
        return "pcap"
    return "records"  # CSV or JSON Lines: discovery.inventory_file tells which


def _encoding(path: Path, problems: list[str]) -> str:
    """The text encoding to read ``path`` with, checked over the whole file in little memory."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    blank = True
    try:
        with path.open("rb") as f:
            head = f.read(BINARY_SNIFF)
            if b"\x00" in head:
                raise ImportFailed(
                    f"{path}: a binary file, not a CSV inventory or JSON Lines: nothing imported"
                )
            block = head
            utf8 = True
            while block:
                blank = blank and not block.strip(b" \t\r\n\xef\xbb\xbf")
                if utf8:
                    try:
                        decoder.decode(block)
                    except UnicodeDecodeError:
                        utf8 = False
                block = f.read(READ_BLOCK)
            if utf8:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8 = False
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if blank:
        raise ImportFailed(f"{path}: the file is empty: nothing imported")
    if utf8:
        return "utf-8-sig"
    # Spreadsheet programs still save "CSV" in the Windows code page.
    problems.append(f"{path.name}: not UTF-8; read as Windows-1252")
    return "cp1252"


def _records(
    path: Path, fmt: str, encoding: str, problems: list[Problem]
) -> tuple[str, Iterator[tuple[str, Observation]]]:
    """The format, and the file's observations as they are read (bad rows go to problems)."""
    with path.open(encoding=encoding, errors="replace", newline="") as f:
        start = f.read(BINARY_SNIFF)
    source = fmt if fmt in ("csv", "jsonl") else records.detect_format(start, path.name)

    def read() -> Iterator[tuple[str, Observation]]:
        now = utcnow()
        with path.open(encoding=encoding, errors="replace", newline="") as f:
            parsed = records.iter_csv(f) if source == "csv" else records.iter_jsonl(f)
            for item in parsed:
                if isinstance(item, records.RecordError):
                    problems.append(
                        Problem("import", "input", f"{path.name}:{item.line}: {item.error}")
                    )
                    continue
                fields = {k: v for k, v in item.evidence.items() if v not in ("", ())}
                where = f"{path.name}:{item.line}" if item.line else path.name
                yield where, Observation(source, fields, now, method="inventory")

    return source, read()


class _AliasIndex:
    """Which stored device of this import holds each MAC, serial and IP: a temporary on-disk
    table (SQLite's private temporary database), so a million devices cost no memory."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("")
        self._db.execute("CREATE TABLE alias (alias TEXT PRIMARY KEY, key TEXT) WITHOUT ROWID")

    def close(self) -> None:
        self._db.close()

    def keys(self, aliases: Sequence[str]) -> list[str]:
        found: list[str] = []
        for i in range(0, len(aliases), 500):
            part = aliases[i : i + 500]
            marks = ",".join("?" * len(part))
            found += [
                r[0]
                for r in self._db.execute(
                    f"SELECT DISTINCT key FROM alias WHERE alias IN ({marks})",  # noqa: S608
                    part,
                )
            ]
        return sorted(set(found))

    def record(self, devices: Iterable[Device]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO alias VALUES (?, ?)",
                [(a, dev.key) for dev in devices for a in aliases(dev)],
            )


def _import_records(
    store: Store, path: Path, fmt: str, assessor: Assessor, batch: int, site_name: str = ""
) -> ImportResult:
    """Stream a CSV or JSON Lines inventory into the store, ``batch`` rows at a time."""
    notes: list[str] = []
    encoding = _encoding(path, notes)
    problems: list[Problem] = [Problem("import", "input", n) for n in notes]
    kind, found = _records(path, fmt, encoding, problems)
    record = _record(path, kind, assessor)
    sink = StoreSink(store, record, site=site_name)
    index = _AliasIndex()
    shown: list[str] = [p.message for p in problems]
    total_problems = len(problems)

    def stored(keys: Sequence[str]) -> Iterator[Device]:
        for key in index.keys(keys):
            dev = store.load_device(sink.scan_id, key)
            if dev is not None:
                yield dev

    def file_problems(more: Iterable[Problem]) -> None:
        nonlocal total_problems
        batch_problems = [*problems, *more]
        problems.clear()
        if batch_problems:
            store.add_errors(sink.scan_id, batch_problems)
            total_problems += len(batch_problems)
            room = MAX_SHOWN_PROBLEMS - len(shown)
            shown.extend(p.message for p in batch_problems[: max(room, 0)])

    try:
        store.add_errors(sink.scan_id, [*assessor.load_problems(), *problems])
        problems.clear()
        for part in merge_in_batches(found, assessor, kind, stored, batch):
            store.add_devices_bulk(sink.scan_id, part.devices, part.removed)
            index.record(part.devices)
            file_problems(part.problems)
        file_problems(())
        devices = store.count_devices(sink.scan_id)
        if not devices:
            raise ImportFailed(_nothing_usable(path, total_problems, shown))
    except BaseException:
        store.delete_scan(sink.scan_id)  # nothing half-imported stays behind
        raise
    finally:
        index.close()
    store.finish_scan(sink.scan_id, ScanStatus.COMPLETE, utcnow())
    return ImportResult(sink.scan_id, devices, shown, total_problems)


def _pcap(path: Path, assessor: Assessor) -> Finished:
    from discovery.base import DiscoveryError
    from discovery.passive import pcap_scan

    try:
        return pcap_scan(path, assessor)
    except DiscoveryError as exc:
        raise ImportFailed(str(exc)) from exc


def _nothing_usable(path: Path, count: int, messages: Sequence[str]) -> str:
    if not count:
        return f"{path}: no device in it (empty?): nothing imported"
    first = terminal_safe(messages[0], 160) if messages else "?"
    what = f"{count} problem{'' if count == 1 else 's'}"
    return f"{path}: no usable row, {what} (first: {first}): nothing imported"


def _record(path: Path, kind: str, assessor: Assessor) -> Scan:
    return Scan(
        targets=(f"file:{path.name}",),
        methods=(kind,),
        site=assessor.site,
        policies=assessor.policy_ids,
        options={"imported_file": str(path)},
        started_at=utcnow(),
        data_versions=data_versions(assessor.packs),
    )


def import_file(
    store: Store,
    path: Path,
    *,
    kind: str | None = None,
    policies: Sequence[str] | None = None,
    site: SiteProfile | None = None,
    batch: int = BATCH,
    site_name: str = "",
) -> ImportResult:
    """Import ``path`` into ``store`` as one complete scan; return its id and the problems.

    CSV and JSON Lines are read as a stream, ``batch`` rows merged and stored at a time, so
    memory stays bounded whatever the file's size.  ``site_name``: the site the file's
    devices are at (one inventory holds many sites).
    """
    kind = kind or detect_kind(path)
    try:
        assessor = Assessor(site or SiteProfile(), tuple(policies or ()))
    except UnknownPolicyError as exc:
        raise ImportFailed(str(exc)) from exc
    if kind != "pcap":
        return _import_records(store, path, kind, assessor, batch, site_name)
    final = _pcap(path, assessor)
    if not final.devices:
        errors = [e.message for e in final.errors if e.source != "policy"]
        raise ImportFailed(_nothing_usable(path, len(errors), errors))
    sink = StoreSink(store, _record(path, kind, assessor), site=site_name)
    replay(final, [sink])
    messages = [e.message for e in final.errors]
    return ImportResult(sink.scan_id, len(final.devices), messages, len(messages))
