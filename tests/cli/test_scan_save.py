"""`camaudit scan` saving to the inventory, writing a report, and --notify-new (exit 4).

Passive mode (--pcap) on a real capture, so nothing is sent; the command runs as a real
process against a real SQLite file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.model import Scan, ScanStatus, utcnow
from inventory.store import Store
from tests.data import capture

ROOT = Path(__file__).resolve().parents[2]
CAPTURE = "iotsentinel_dlink-dcs-935l_setup-A-1.pcap"
D_LINK_MAC = "b0:c5:54:25:5b:0e"


def scan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "main", "scan", "--pcap", str(capture(CAPTURE)), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ),
    )  # fmt: skip


def test_scan_saves_by_default_to_the_chosen_db(tmp_path: Path) -> None:
    db = tmp_path / "inv.sqlite"
    result = scan("--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "saved as scan 1" in result.stderr
    with Store(db) as store:
        saved = store.load_scan(1)
    assert saved.status is ScanStatus.COMPLETE
    assert D_LINK_MAC in {d.mac for d in saved.devices}
    assert saved.data_versions.get("mac_registry")


def test_no_save_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "none.sqlite"
    result = scan("--no-save", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert not db.exists()


def test_notify_new_exits_4_and_names_the_new_device(tmp_path: Path) -> None:
    db = tmp_path / "inv.sqlite"
    first = scan("--db", str(db), "--notify-new")
    assert first.returncode == 0, first.stderr  # no baseline yet: nothing is "new"
    second = scan("--db", str(db), "--notify-new")
    assert second.returncode == 0, second.stderr  # same devices as the baseline
    # A baseline of the same targets that lacked the camera: now it is new.
    with Store(db) as store:
        targets = store.load_scan(1).targets
        sid = store.begin_scan(Scan(targets=targets, methods=("pcap",)))
        store.finish_scan(sid, ScanStatus.COMPLETE, utcnow())
    third = scan("--db", str(db), "--notify-new")
    assert third.returncode == 4, third.stderr
    assert "NEW DEVICE" in third.stdout and D_LINK_MAC in third.stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_output_writes_a_report_of_this_scan(tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    result = scan("--db", str(tmp_path / "inv.sqlite"), "-o", str(pdf))
    assert result.returncode == 0, result.stderr
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert D_LINK_MAC in text.stdout.lower()


def test_output_without_save_is_a_usage_error(tmp_path: Path) -> None:
    result = scan("--no-save", "-o", str(tmp_path / "x.pdf"))
    assert result.returncode == 2
    assert "need the scan saved" in result.stderr
