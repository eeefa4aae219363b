"""A million-row inventory: import and CSV/XLSX export in bounded memory (issue 16, item 9).

    .venv/bin/python -m bench.bulk_inventory [--rows 1000000] [--dir DIR] [--write]

A six-column CSV (ip, mac, model, firmware, serial, name) of ``--rows`` rows is generated
(deterministic: eight makers' OUIs and models, six firmware strings), then each step runs as
its own ``camaudit`` process, the way a user runs it, with its wall time and peak RSS
(``ru_maxrss`` of the child) recorded:

- ``import`` of the file into a new database, then the database's size per device;
- ``report -o x.csv`` and ``report -o x.xlsx`` of that scan.

Peers, run in the same script on the same file: for the import, Python's csv module reading
the file into one SQLite table of six text columns in one transaction (the bare minimum of
storing the rows, no merging, identification or judging); for the exports, csv.writer and
openpyxl's write-only mode over that peer table.  The ratios say what camaudit's work costs
on top of moving the bytes.  Targets (issue 16): peak RSS under 500 MB and under 3 KB per
device in the database.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.results import write_section

ROOT = Path(__file__).resolve().parent.parent
OUIS = ("44:19:b6", "bc:ad:28", "3c:ef:8c", "00:40:8c", "a4:14:37", "00:12:34", "9c:8e:cd")
MODELS = (
    "DS-2CD2143G0-I",
    "IPC-HDW1230S",
    "AXIS P3245-V",
    "RLC-410",
    "C6N",
    "DS-7608NI-K2",
    "NVR4108HS",
    "XNV-6080R",
)
FIRMWARE = ("V5.5.82 build 190909", "2.800.0000000.24.R", "10.12.3", "v3.0.0.94", "5.3.6", "1.0")


@dataclass(frozen=True)
class Step:
    name: str
    seconds: float
    peak_mb: float


def make_csv(path: Path, rows: int) -> None:
    rnd = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["ip", "mac", "model", "firmware", "serial", "name"])
        for i in range(rows):
            a, b, c = (i >> 16) & 255, (i >> 8) & 255, i & 255
            out.writerow(
                [
                    f"10.{a}.{b}.{c}",
                    f"{rnd.choice(OUIS)}:{a:02x}:{b:02x}:{c:02x}",
                    rnd.choice(MODELS),
                    rnd.choice(FIRMWARE),
                    f"SN{i:09d}",
                    f"cam-{i}",
                ]
            )


def _child(name: str, argv: list[str]) -> Step:
    """Run ``argv`` as a child process; its wall time and its own peak RSS."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: exec so ru_maxrss is the program's, not this script's
        os.execvp(argv[0], argv)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{name}: {' '.join(argv)} failed ({status})")
    return Step(name, seconds, usage.ru_maxrss / 1024)


def _camaudit(name: str, *args: str) -> Step:
    return _child(name, [sys.executable, str(ROOT / "main.py"), *args])


def _peer(name: str, code: str, *args: str) -> Step:
    return _child(name, [sys.executable, "-c", code, *args])


PEER_IMPORT = """
import csv, sqlite3, sys
db = sqlite3.connect(sys.argv[2])
db.execute("CREATE TABLE rows (ip, mac, model, firmware, serial, name)")
with open(sys.argv[1], newline="", encoding="utf-8") as f, db:
    reader = csv.reader(f)
    next(reader)
    db.executemany("INSERT INTO rows VALUES (?,?,?,?,?,?)", reader)
"""
PEER_CSV = """
import csv, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
    csv.writer(f).writerows(db.execute("SELECT * FROM rows"))
"""
PEER_XLSX = """
import sqlite3, sys
from openpyxl import Workbook
db = sqlite3.connect(sys.argv[1])
book = Workbook(write_only=True)
sheet = book.create_sheet("rows")
for row in db.execute("SELECT * FROM rows"):
    sheet.append(list(row))
book.save(sys.argv[2])
"""


def run(rows: int, work: Path) -> tuple[list[tuple[Step, Step]], dict[str, float]]:
    source = work / "inventory.csv"
    make_csv(source, rows)
    db, peer_db = work / "camaudit.sqlite3", work / "peer.sqlite3"
    env_db = ["--db", str(db)]
    pairs = [
        (
            _camaudit("import", "import", *env_db, str(source)),
            _peer("import", PEER_IMPORT, str(source), str(peer_db)),
        ),
        (
            _camaudit("CSV export", "report", *env_db, "-o", str(work / "x.csv")),
            _peer("CSV export", PEER_CSV, str(peer_db), str(work / "peer.csv")),
        ),
        (
            _camaudit("XLSX export", "report", *env_db, "-o", str(work / "x.xlsx")),
            _peer("XLSX export", PEER_XLSX, str(peer_db), str(work / "peer.xlsx")),
        ),
    ]
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        stored = conn.execute("SELECT count(*) FROM scan_devices").fetchone()[0]
    sizes = {
        "devices": float(stored),
        "db_bytes": float(db.stat().st_size),
        "peer_bytes": float(peer_db.stat().st_size),
        "csv_bytes": float(source.stat().st_size),
    }
    return pairs, sizes


def report(rows: int, pairs: list[tuple[Step, Step]], sizes: dict[str, float]) -> str:
    per_device = sizes["db_bytes"] / max(sizes["devices"], 1)
    lines = [
        "## Bulk inventory: a million rows in bounded memory",
        "",
        f"`.venv/bin/python -m bench.bulk_inventory --rows {rows}` (module docstring: what runs "
        "and what the peers do). Each step is its own process; peak RSS is that process's "
        "`ru_maxrss`. Targets: peak RSS under 500 MB, database under 3 KB per device.",
        "",
        "| step | camaudit | peak RSS | peer | peer peak RSS | time ratio |",
        "|---|---|---|---|---|---|",
    ]
    for ours, peer in pairs:
        lines.append(
            f"| {ours.name} | {ours.seconds:.1f} s | {ours.peak_mb:.0f} MB | "
            f"{peer.seconds:.1f} s | {peer.peak_mb:.0f} MB | {ours.seconds / peer.seconds:.1f}x |"
        )
    lines += [
        "",
        f"Database: {sizes['db_bytes'] / 1e6:.0f} MB for {sizes['devices']:.0f} devices, "
        f"{per_device:.0f} bytes per device (peer table of the bare rows: "
        f"{sizes['peer_bytes'] / sizes['devices']:.0f} bytes per row; the CSV itself: "
        f"{sizes['csv_bytes'] / sizes['devices']:.0f} bytes per row). camaudit stores per "
        "device the evidence, the identity with its reasons and a reference to a verdict set "
        "kept once for every device judged alike.",
        "",
        f"Machine: {os.cpu_count()} CPUs; Python {sys.version.split()[0]}; "
        f"SQLite {sqlite3.sqlite_version}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        pairs, sizes = run(args.rows, Path(tmp))
    text = report(args.rows, pairs, sizes)
    print(text)
    if args.write:
        write_section("## Bulk inventory: a million rows in bounded memory", text)


if __name__ == "__main__":
    main()
