"""PDF sign-off report: seconds and pages for 6, 200 and 2,000 devices (bench/RESULTS.md).

`.venv/bin/python -m bench.report_pages [--old FILE]`: times ``inventory.report_pdf.write_pdf``
on reports built from ``tests/inventory/factories.py`` fleets (best of 2 runs) and counts the
pages.  ``--old FILE`` also times another writer module with the same ``write_pdf(data, path)``
(e.g. ``git show HEAD:inventory/report_pdf.py > /tmp/old/report_pdf_head.py``), loaded from that
file, on the same data.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from bench.results import load_old
from inventory.report_data import ReportMeta, build_report_data
from inventory.report_pdf import write_pdf
from tests.inventory.factories import T0, fleet, scan

SIZES = (6, 200, 2000)


def _data(n: int) -> dict[str, Any]:
    record = scan(fleet(n))
    record.id = 1
    return build_report_data(record, ReportMeta("Acme", "Plant", "bench", generated_at=T0))


def _time(writer: Callable[[Any, Path], Any], data: Any, path: Path, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        writer(data, path)
        best = min(best, time.perf_counter() - start)
    return best


def _load(path: Path) -> Callable[[Any, Path], Any]:
    return load_old(path, "old_report_pdf").write_pdf  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, help="another writer module to time alongside")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    writers: list[tuple[str, Callable[[Any, Path], Any]]] = [("after", write_pdf)]
    if args.old:
        writers.insert(0, ("before", _load(args.old)))
    print("| devices | writer | seconds | pages |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            data = _data(n)
            for label, writer in writers:
                path = Path(tmp) / f"{label}-{n}.pdf"
                try:
                    seconds = _time(writer, data, path, args.runs)
                    pages = str(len(PdfReader(path).pages))
                    print(f"| {n:,} | {label} | {seconds:.2f} | {pages} |", flush=True)
                except Exception as exc:  # the old writer may fail on today's data
                    print(f"| {n:,} | {label} | failed: {type(exc).__name__} | - |", flush=True)


if __name__ == "__main__":
    main()
