"""A central inventory on PostgreSQL: many concurrent writers, and ``inventory copy``.

    .venv/bin/python -m bench.postgres_writers [--writers 20] [--devices 2000] [--copy 100000]

A throwaway PostgreSQL server (tests/inventory/pgserver.py: Unix socket only, the server's
default durability: fsync and synchronous_commit on) and a SQLite file in the same run:

- writers: ``--writers`` processes, each a scan of its own site storing ``--devices`` devices
  one committed transaction each (``Store.add_device``, what a scanner does), all at once into
  PostgreSQL; the peer: the same processes into one SQLite file one after another (SQLite
  takes one writer at a time).  Devices per second over the wall time, and the p99 of the
  per-device commit latency each writer measured.
- copy: a ``--copy``-device inventory in SQLite copied into PostgreSQL and back with
  ``camaudit inventory copy``, each in a child process: wall time and peak RSS (the child's
  ``ru_maxrss``); the peer: writing the same inventory with ``Store.add_devices_bulk`` (the
  importer's path) in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.results import write_section
from inventory.store import Store
from tests.inventory.factories import fleet, scan
from tests.inventory.pgserver import PgServer, find_bindir

ROOT = Path(__file__).resolve().parents[1]


def worker(db: str, site: str, count: int, offset: int, out: str) -> None:
    """One writer: a scan of ``site`` storing ``count`` devices one commit each."""
    devices = fleet(count, offset=offset)
    latencies = []
    with Store(db) as store:
        scan_id = store.begin_scan(scan(), site=site)
        for dev in devices:
            t = time.perf_counter()
            store.add_device(scan_id, dev)
            latencies.append(time.perf_counter() - t)
        store.finish_scan(scan_id, "complete")
    Path(out).write_text("\n".join(f"{x:.6f}" for x in latencies), encoding="ascii")


def _spawn(db: str, site: str, count: int, offset: int, out: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "bench.postgres_writers", "--worker", db, site, str(count)]
    return subprocess.Popen([*argv, str(offset), str(out)], cwd=ROOT)


def _writers(db: str, writers: int, devices: int, tmp: Path, together: bool) -> tuple[float, float]:
    """(devices per second, p99 commit latency in ms)."""
    outs = [tmp / f"{Path(db).name[:8]}-{together}-{n}.txt" for n in range(writers)]
    start = time.perf_counter()
    if together:
        procs = [_spawn(db, f"site-{n}", devices, n * 500, outs[n]) for n in range(writers)]
        codes = [p.wait() for p in procs]
    else:
        codes = [_spawn(db, f"site-{n}", devices, n * 500, outs[n]).wait() for n in range(writers)]
    wall = time.perf_counter() - start
    assert codes == [0] * writers, codes
    lat = sorted(float(x) for o in outs for x in o.read_text(encoding="ascii").split())
    p99 = statistics.quantiles(lat, n=100)[98] * 1000
    return writers * devices / wall, p99


def _bulk(db: str, n: int) -> float:
    start = time.perf_counter()
    with Store(db) as store:
        scan_id = store.begin_scan(scan(), site="estate")
        for i in range(0, n, 2000):
            store.add_devices_bulk(scan_id, fleet(min(2000, n - i), offset=i))
        store.finish_scan(scan_id, "complete")
    return time.perf_counter() - start


def _copy(source: str, destination: str) -> tuple[float, float]:
    """Wall seconds and the child's peak RSS (MB) of one ``camaudit inventory copy``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    argv = ["-m", "main", "inventory", "copy", "--from", source, "--to", destination]
    subprocess.run([sys.executable, *argv], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def run(writers: int, devices: int, copy_devices: int, write: bool) -> str:
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (scripts/bootstrap.sh installs it)")
    server = PgServer(bindir, durable=True).start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            pg_rate, pg_p99 = _writers(server.new_database(), writers, devices, tmp, True)
            lite = str(tmp / "writers.sqlite3")
            lite_rate, lite_p99 = _writers(lite, writers, devices, tmp, False)
            source = str(tmp / "big.sqlite3")
            bulk_s = _bulk(source, copy_devices)
            to_pg_s, to_pg_mb = _copy(source, server.new_database())
            pg_source = server.new_database()
            _copy(source, pg_source)
            back_s, back_mb = _copy(pg_source, str(tmp / "back.sqlite3"))
    finally:
        server.stop()
    text = "\n".join(
        [
            "## PostgreSQL: concurrent writers and inventory copy",
            "",
            f"`python -m bench.postgres_writers --writers {writers} --devices {devices} "
            f"--copy {copy_devices}`; PostgreSQL {bindir.parts[-2]} on a Unix socket with "
            "its default durability (fsync, synchronous_commit on); SQLite in WAL mode with "
            "synchronous=NORMAL (no fsync per commit). One committed transaction per device.",
            "",
            "| | devices/s | p99 commit latency | ratio (devices/s) |",
            "|---|---|---|---|",
            f"| PostgreSQL, {writers} writers at once | {pg_rate:,.0f} | {pg_p99:.1f} ms | "
            f"{pg_rate / lite_rate:.2f}x |",
            f"| SQLite, the same writers one at a time (peer) | {lite_rate:,.0f} | "
            f"{lite_p99:.1f} ms | 1.00x |",
            "",
            f"`inventory copy` of a {copy_devices:,}-device inventory (one scan), each in a "
            "child process; peer: writing it with `Store.add_devices_bulk` (the importer's "
            "path) into SQLite in the same run:",
            "",
            "| | time | peak RSS | ratio (time) |",
            "|---|---|---|---|",
            f"| SQLite -> PostgreSQL | {to_pg_s:.1f} s | {to_pg_mb:.0f} MB | "
            f"{to_pg_s / bulk_s:.2f}x |",
            f"| PostgreSQL -> SQLite | {back_s:.1f} s | {back_mb:.0f} MB | "
            f"{back_s / bulk_s:.2f}x |",
            f"| bulk write into SQLite (peer) | {bulk_s:.1f} s | | 1.00x |",
            "",
            "Peak RSS is the largest of the copy children so far (`ru_maxrss` of "
            "RUSAGE_CHILDREN), an upper bound for the second copy.",
        ]
    )
    if write:
        write_section("## PostgreSQL: concurrent writers and inventory copy", text)
    return text


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        db, site, count, offset, out = sys.argv[2:7]
        worker(db, site, int(count), int(offset), out)
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--copy", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS")
    args = parser.parse_args()
    os.environ.setdefault("CAMAUDIT_DB", os.devnull)  # the workers name their database
    print(run(args.writers, args.devices, args.copy, not args.no_write))


if __name__ == "__main__":
    main()
