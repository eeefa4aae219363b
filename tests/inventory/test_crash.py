"""A scan killed with SIGKILL keeps every device it stored and shows as interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from core.model import ScanStatus
from inventory.store import Store

ROOT = Path(__file__).resolve().parents[2]


def test_sigkill_mid_scan_loses_nothing_stored(tmp_path: Path) -> None:
    db = tmp_path / "inv.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.inventory.writer_script", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        scan_id = int(proc.stdout.readline().split()[1])
        stored = 0
        while stored < 40:
            line = proc.stdout.readline()
            assert line, "the writer died on its own"
            stored = int(line.split()[1])
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with Store(db) as store:
        assert store.integrity_check() == "ok"
        loaded = store.load_scan(scan_id)
        assert loaded.status is ScanStatus.INTERRUPTED
        assert loaded.ended_at is not None
        # Every device the writer reported as stored is there (it may have stored one more
        # between our last read and the kill).
        assert len(loaded.devices) >= stored
        keys = [d.key for d in loaded.devices]
        assert len(set(keys)) == len(keys)
        assert all(d.identity is not None and d.verdicts for d in loaded.devices)
