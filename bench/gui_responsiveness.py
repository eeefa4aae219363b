"""How long the GUI thread is blocked while the app scans a 200-device lab.

Run as root: ``.venv/bin/python -m bench.gui_responsiveness [--devices 200]``.

A 5 ms QTimer on the GUI thread records the gap between its ticks while the real main
window runs a real scan of a real lab (discovery, identification, judgement and the SQLite
store in the worker thread; the table, details and summary on the GUI thread).  The longest
gap is the longest the GUI was unresponsive.  The peer, run in the same process on the same
lab: the same window with the scan run on a thread of the GUI process (the obvious design,
and camaudit's first one) instead of in a child process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CAMAUDIT_LAB_ONLY", "1")

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from discovery.events import ScanEvent
from discovery.request import ScanRequest
from discovery.scan import ScanHooks, scan
from discovery.stop import StopSignal
from gui.app import LaunchOptions, build_context
from gui.main_window import MainWindow, ScanFactory
from inventory.scan_sink import open_store_sink
from lab import netns, profile

TICK_MS = 5


def in_thread_factory(db: Path) -> ScanFactory:
    """The peer: discovery.scan on the controller's worker thread, in the GUI process."""

    def factory(request: ScanRequest, stop: StopSignal) -> AsyncIterator[ScanEvent]:
        sink = open_store_sink(request.record(), db)
        return scan(request, ScanHooks(stop=stop, sinks=[sink]))

    return factory


def measure(app: QApplication, subnet: str, db: Path, in_process: bool) -> dict[str, float]:
    context = build_context(LaunchOptions(interface="eth0", targets=(subnet,), db=db))
    if in_process:
        context.scan_factory = in_thread_factory(db)
    window = MainWindow(context)
    window.resize(1400, 850)
    window.show()
    gaps: list[float] = []
    last = [time.perf_counter()]
    worst: list[tuple[float, float, str]] = []  # (gap ms, seconds into the scan, phase)

    def tick() -> None:
        now = time.perf_counter()
        gap = (now - last[0]) * 1000
        gaps.append(gap)
        worst.append((gap, now - started, window.phase_label.text()))
        last[0] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    done: list[bool] = []
    window.scan_finished.connect(lambda _c: done.append(True))
    started = time.perf_counter()
    timer.start()
    window.start_scan()
    while not done:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    for _ in range(50):  # the ticks right after finishing (summary charts, column sizing)
        app.processEvents()
        time.sleep(0.005)
    wall = time.perf_counter() - started
    rows = window.model.rowCount()
    window.close()
    window.deleteLater()
    gaps.sort()
    worst.sort(reverse=True)
    for gap, at, phase in worst[:3]:
        print(f"  gap {gap:6.1f} ms at {at:5.2f} s ({phase})")
    return {
        "rows": rows,
        "wall_s": wall,
        "max_gap_ms": gaps[-1],
        "p99_gap_ms": gaps[int(len(gaps) * 0.99) - 1],
        "median_gap_ms": statistics.median(gaps),
        "ticks": len(gaps),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=200)
    args = parser.parse_args()
    netns.require_root()
    specs = profile.build_mix(args.devices)
    lab = netns.up(specs, prefix="benchgui")
    try:
        switch = netns.NamespaceSwitch()
        with switch.inside(lab.scanner_ns):
            app = QApplication.instance() or QApplication(sys.argv[:1])
            assert isinstance(app, QApplication)
            with tempfile.TemporaryDirectory() as tmp:
                ours = measure(app, str(lab.subnet), Path(tmp) / "a.sqlite", False)
                peer = measure(app, str(lab.subnet), Path(tmp) / "b.sqlite", True)
    finally:
        netns.down("benchgui")
    print(f"devices in lab: {len(specs)}")
    for name, r in (("camaudit (scan process)", ours), ("peer (scan thread)", peer)):
        print(
            f"{name:30} rows {r['rows']:4.0f}  scan {r['wall_s']:5.1f} s  "
            f"max gap {r['max_gap_ms']:6.1f} ms  p99 {r['p99_gap_ms']:5.1f} ms  "
            f"median {r['median_gap_ms']:4.1f} ms  ticks {r['ticks']:.0f}"
        )
    print(f"max-gap ratio camaudit/peer: {ours['max_gap_ms'] / peer['max_gap_ms']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
