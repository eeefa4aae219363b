"""Inventory speed: storing, loading, diffing and exporting a 2,000-device scan.

    .venv/bin/python -m bench.inventory_speed [--devices 2000] [--runs 3]

Devices come from tests/inventory/factories.py (the scanner's shapes: merged observations,
an Identity with reasons, two policy verdicts with citations).  Each step runs against a peer
doing the bare minimum of the same job in the same run, and the ratio is printed:

- store:  Store.add_device (one committed transaction per device, evidence, identity and
          verdicts in their tables) vs one executemany of each device's JSON into a single
          table in a single transaction;
- load:   Store.load_scan vs reading that single table back and parsing the JSON;
- diff:   history.diff_scans vs comparing the two scans' to_dict() per key;
- csv:    export_csv (report rows, formula neutralising) vs csv.writer over the same rows;
- json:   export_json (indented report data) vs json.dumps(scan.to_dict());
- xlsx:   export_xlsx (three sheets, styles, colours) vs openpyxl write-only of the rows;
- pdf:    report_pdf.write_pdf (no peer: the target is under 10 s at 2,000 devices).
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inventory.export_common import table
from inventory.export_csv import write_csv
from inventory.export_json import write_json
from inventory.export_xlsx import write_xlsx
from inventory.history import diff_scans
from inventory.report_data import ReportMeta, build_report_data
from inventory.report_pdf import write_pdf
from inventory.store import Store
from tests.inventory.factories import fleet, scan


def _best(func: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def _peer_store(path: Path, devices: list[Any]) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE TABLE IF NOT EXISTS d (scan INTEGER, key TEXT, data TEXT)")
    with db:
        db.executemany(
            "INSERT INTO d VALUES (1, ?, ?)", [(d.key, json.dumps(d.to_dict())) for d in devices]
        )
    db.close()


def _peer_load(path: Path) -> list[Any]:
    db = sqlite3.connect(path)
    rows = [json.loads(r[0]) for r in db.execute("SELECT data FROM d WHERE scan = 1")]
    db.close()
    return rows


def _peer_diff(a: Any, b: Any) -> int:
    old = {d.key: d.to_dict() for d in a.devices}
    return sum(1 for d in b.devices if old.get(d.key) != d.to_dict())


def _peer_csv(rows: list[list[Any]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def _peer_xlsx(rows: list[list[Any]], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    for row in rows:
        ws.append(row)
    wb.save(path)


def measure(n: int, runs: int) -> list[tuple[str, float, float | None]]:
    with tempfile.TemporaryDirectory(prefix="camaudit-bench-") as tmp:
        return _measure(Path(tmp), n, runs)


def _measure(work: Path, n: int, runs: int) -> list[tuple[str, float, float | None]]:
    devices_a, devices_b = fleet(n), fleet(n - n // 10, offset=n // 10) + fleet(n // 10, offset=n)
    counter = iter(range(10**6))

    def store_ours() -> None:
        with Store(work / f"ours{next(counter)}.sqlite3") as store:
            scan_id = store.begin_scan(scan())
            for dev in devices_a:
                store.add_device(scan_id, dev)

    def store_peer() -> None:
        _peer_store(work / f"peer{next(counter)}.sqlite3", devices_a)

    results: list[tuple[str, float, float | None]] = [
        ("store", _best(store_ours, runs), _best(store_peer, runs))
    ]
    with Store(work / "main.sqlite3") as store:
        a, b = store.begin_scan(scan()), store.begin_scan(scan())
        store.add_devices(a, devices_a)
        store.add_devices(b, devices_b)
        _peer_store(work / "peer-load.sqlite3", devices_a)
        results.append(
            (
                "load",
                _best(lambda: store.load_scan(a), runs),
                _best(lambda: _peer_load(work / "peer-load.sqlite3"), runs),
            )
        )
        scan_a, scan_b = store.load_scan(a), store.load_scan(b)
    results.append(
        (
            "diff",
            _best(lambda: diff_scans(scan_a, scan_b), runs),
            _best(lambda: _peer_diff(scan_a, scan_b), runs),
        )
    )
    data = build_report_data(scan_a, ReportMeta("Bench Org", "Bench site", "bench"))
    head, rows = table(data)
    results += [
        (
            "csv",
            _best(lambda: write_csv(data, work / "r.csv"), runs),
            _best(lambda: _peer_csv([head, *rows], work / "p.csv"), runs),
        ),
        (
            "json",
            _best(lambda: write_json(data, work / "r.json"), runs),
            _best(lambda: json.dumps(scan_a.to_dict()), runs),
        ),
        (
            "xlsx",
            _best(lambda: write_xlsx(data, work / "r.xlsx"), runs),
            _best(lambda: _peer_xlsx([head, *rows], work / "p.xlsx"), runs),
        ),
        ("pdf", _best(lambda: write_pdf(data, work / "r.pdf"), max(1, runs - 1)), None),
    ]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = measure(args.devices, args.runs)
    print(f"| step ({args.devices} devices) | camaudit s | peer s | ratio |")
    print("|---|---|---|---|")
    for name, ours, peer in results:
        ratio = f"{ours / peer:.1f}x" if peer else "-"
        peer_s = f"{peer:.3f}" if peer is not None else "-"
        print(f"| {name} | {ours:.3f} | {peer_s} | {ratio} |")
    print(
        f"(best of {args.runs}; median ratio "
        f"{statistics.median(o / p for _, o, p in results if p):.1f}x)"
    )


if __name__ == "__main__":
    main()
