"""How the device table copes with 10,000 devices: load, sort, filter, memory.

Run: ``.venv/bin/python -m bench.gui_table [--devices 10000] [--repeat 5] [--profile]``
(offscreen).  Each side runs in its own child process so its RSS delta is its own:

* ours: gui.device_model.DeviceTableModel behind DeviceFilterProxy in a shown QTableView;
* peer: the same cells as strings in a QStandardItemModel behind a stock
  QSortFilterProxyModel (case-insensitive fixed-string filter on every column; verdict filter
  as an exact match on the verdict column), in the same kind of view.

Each time includes ``processEvents()`` so the view has re-laid out and painted the change.
Devices come from tests/inventory/factories.fleet (merged observations, identity, two policy
verdicts).  The peer's string table is prepared before its clock starts (ours computes cells
lazily, so its load includes whatever it precomputes).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_MS = 100.0
POLICIES = ["ndaa889", "fcc_covered_list"]
TEXT_QUERY = "hikvision"
STEPS = ("load", "sort IP", "sort maker", "sort verdict", "filter text", "filter verdict")


def _rss() -> int:
    import psutil

    gc.collect()
    return int(psutil.Process().memory_info().rss)


def _timed(app: Any, action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    app.processEvents()
    return (time.perf_counter() - start) * 1000


def _view(app: Any, model: Any) -> Any:
    from PySide6.QtWidgets import QTableView

    view = QTableView()
    view.resize(1400, 900)
    view.setModel(model)
    view.show()
    app.processEvents()
    return view


def _columns(model: Any) -> dict[str, int]:
    from PySide6.QtCore import Qt

    heads = [
        model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        for c in range(model.columnCount())
    ]
    return {
        "IP": heads.index("IP"),
        "maker": heads.index("Maker"),
        "verdict": heads.index("ndaa889"),
    }


def _ours(app: Any, devices: list[Any], repeat: int) -> dict[str, list[float]]:
    from core.model import VerdictStatus
    from gui.device_model import DeviceFilterProxy, DeviceTableModel

    model = DeviceTableModel()
    model.set_policies(POLICIES)
    proxy = DeviceFilterProxy()
    proxy.setSourceModel(model)
    view = _view(app, proxy)
    cols = _columns(model)
    times: dict[str, list[float]] = {s: [] for s in STEPS}
    for _ in range(repeat):
        times["load"].append(_timed(app, lambda: model.set_devices(devices)))
        for name in ("IP", "maker", "verdict"):
            times[f"sort {name}"].append(_timed(app, partial(proxy.sort, cols[name])))
        times["filter text"].append(_timed(app, lambda: proxy.set_text(TEXT_QUERY)))
        proxy.set_text("")
        times["filter verdict"].append(
            _timed(app, lambda: proxy.set_verdict(VerdictStatus.COVERED))
        )
        proxy.set_verdict(None)
        app.processEvents()
    view.close()
    return times


def _cells(devices: list[Any]) -> tuple[list[str], list[list[str]]]:
    """The display strings of our model, so the peer shows exactly the same table."""
    from PySide6.QtCore import Qt

    from gui.device_model import DeviceTableModel

    model = DeviceTableModel()
    model.set_policies(POLICIES)
    model.set_devices(devices)
    ncol = model.columnCount()
    head = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(ncol)]
    rows = [
        [str(model.index(r, c).data() or "") for c in range(ncol)] for r in range(model.rowCount())
    ]
    return head, rows


def _peer(app: Any, devices: list[Any], repeat: int) -> dict[str, list[float]]:
    from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt
    from PySide6.QtGui import QStandardItem, QStandardItemModel

    from core.model import VerdictStatus
    from core.presentation import label

    head, rows = _cells(devices)
    model = QStandardItemModel()
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    view = _view(app, proxy)

    def load() -> None:
        model.clear()
        model.setHorizontalHeaderLabels(head)
        for row in rows:
            model.appendRow([QStandardItem(text) for text in row])

    cols = {"IP": head.index("IP"), "maker": head.index("Maker"), "verdict": head.index("ndaa889")}
    covered = QRegularExpression(f"^{label(VerdictStatus.COVERED)}$")
    times: dict[str, list[float]] = {s: [] for s in STEPS}
    for _ in range(repeat):
        times["load"].append(_timed(app, load))
        for name in ("IP", "maker", "verdict"):
            times[f"sort {name}"].append(_timed(app, partial(proxy.sort, cols[name])))
        proxy.setFilterKeyColumn(-1)
        times["filter text"].append(_timed(app, lambda: proxy.setFilterFixedString(TEXT_QUERY)))
        proxy.setFilterFixedString("")
        proxy.setFilterKeyColumn(cols["verdict"])
        times["filter verdict"].append(
            _timed(app, lambda: proxy.setFilterRegularExpression(covered))
        )
        proxy.setFilterFixedString("")
        app.processEvents()
    view.close()
    return times


def run_side(side: str, n: int, repeat: int, profile: bool) -> dict[str, Any]:
    from PySide6.QtWidgets import QApplication

    from tests.inventory.factories import fleet

    app = QApplication.instance() or QApplication([])
    devices = fleet(n)
    before = _rss()
    runner = _ours if side == "ours" else _peer
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    times = runner(app, devices, repeat)
    if profiler:
        profiler.disable()
    out: dict[str, Any] = {s: statistics.median(v) for s, v in times.items()}
    out["rss_mb"] = (_rss() - before) / 2**20
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(25)
        out["profile"] = buf.getvalue()
    return out


def _child(side: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.gui_table", "--side", side, "--devices", str(args.devices),
           "--repeat", str(args.repeat)] + (["--profile"] if args.profile else [])  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _table(ours: dict[str, Any], peer: dict[str, Any], n: int) -> str:
    lines = [
        f"| step ({n:,} devices) | camaudit ms | peer ms | ratio | target |",
        "|---|---|---|---|---|",
    ]
    for step in STEPS:
        target = "-" if step == "load" else ("met" if ours[step] < TARGET_MS else "MISSED")
        ratio = ours[step] / peer[step] if peer[step] else float("nan")
        lines.append(f"| {step} | {ours[step]:.1f} | {peer[step]:.1f} | {ratio:.2f}x | {target} |")
    lines.append(
        f"| RSS delta (MB) | {ours['rss_mb']:.1f} | {peer['rss_mb']:.1f} | "
        f"{ours['rss_mb'] / peer['rss_mb']:.2f}x | - |"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print where our time goes")
    parser.add_argument("--side", choices=("ours", "peer"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(run_side(args.side, args.devices, args.repeat, args.profile)))
        return 0
    ours, peer = _child("ours", args), _child("peer", args)
    print(_table(ours, peer, args.devices))
    if args.profile:
        print(ours["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
