"""One export as plain data, and the function that writes it: no Qt here.

The GUI runs ``run_export`` in a spawned child process (gui/export_dialogs.py): reportlab and
openpyxl hold the interpreter lock for seconds on a 2,000-device report, which would stall
the window if they ran on one of its threads.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from inventory.exports import write_report
from inventory.report_data import ReportMeta, report_data_from_store
from inventory.store import Store


@dataclass(frozen=True, slots=True)
class ExportJob:
    """What one export needs; plain data, so the worker thread shares nothing with widgets."""

    db_path: Path | str  # a SQLite file or a postgresql:// URL
    scan_id: int
    fmt: str
    path: Path
    meta: ReportMeta
    paper: str = "letter"


def run_export(job: ExportJob) -> str:
    """Write the file (any thread); return the sentence to show. Raises on failure."""
    with Store(job.db_path) as store:
        data = report_data_from_store(store, job.scan_id, job.meta)
    write_report(data, job.path, job.fmt, job.paper)
    count = len(data["devices"])
    return f"Wrote {job.path} ({job.fmt.upper()}, scan {job.scan_id}, {count} devices)."


def run_export_in_process(job: ExportJob) -> str:
    """``run_export`` in a fresh child process; its exception, if any, is raised here."""
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(run_export, job).result()
