"""One export as plain data, and the function that writes it: no Qt here.

The GUI runs ``run_export`` in a spawned child process (gui/export_dialogs.py): reportlab and
openpyxl hold the interpreter lock for seconds on a 2,000-device report, which would stall
the window if they ran on one of its threads.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inventory.cli import display_names
from inventory.export_csv import write_csv
from inventory.export_json import write_json
from inventory.export_xlsx import write_xlsx
from inventory.report_data import ReportMeta, report_data_from_store
from inventory.report_pdf import PdfOptions, write_pdf
from inventory.store import Store


@dataclass(frozen=True, slots=True)
class ExportJob:
    """What one export needs; plain data, so the worker thread shares nothing with widgets."""

    db_path: Path
    scan_id: int
    fmt: str
    path: Path
    meta: ReportMeta
    paper: str = "letter"


def _write_pdf(data: Mapping[str, Any], path: Path, paper: str) -> None:
    write_pdf(data, path, PdfOptions(paper=paper, names=display_names(dict(data))))


def _write(fmt: str, data: Mapping[str, Any], path: Path, paper: str) -> None:
    if fmt == "pdf":
        _write_pdf(data, path, paper)
    elif fmt == "xlsx":
        write_xlsx(data, path)
    elif fmt == "csv":
        write_csv(data, path)
    else:
        write_json(data, path)


def run_export(job: ExportJob) -> str:
    """Write the file (any thread); return the sentence to show. Raises on failure."""
    with Store(job.db_path) as store:
        data = report_data_from_store(store, job.scan_id, job.meta)
    _write(job.fmt, data, job.path, job.paper)
    count = len(data["devices"])
    return f"Wrote {job.path} ({job.fmt.upper()}, scan {job.scan_id}, {count} devices)."


def run_export_in_process(job: ExportJob) -> str:
    """``run_export`` in a fresh child process; its exception, if any, is raised here."""
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(run_export, job).result()
