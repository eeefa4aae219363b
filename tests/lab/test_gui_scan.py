"""The desktop app scanning the lab, driven through its real widgets (pytest-qt).

Click Start in the window, wait for the scan to finish, and check what a user sees: every
lab device in the table with the verdict its profile calls for, a flagged OEM device's
evidence in the details pane, and the scan saved in the real SQLite store.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from core.model import Device, SiteUse, VerdictStatus
from gui.app import LaunchOptions, build_context
from gui.device_model import DEVICE_ROLE
from gui.main_window import MainWindow
from inventory.store import Store
from lab.state import LabState

pytestmark = [pytest.mark.lab, pytest.mark.slow]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OWN_BRAND_COVERED = {"hikvision-ipc", "hikvision-nvr", "dahua-ipc", "dahua-nvr"}
NOT_COVERED_MAKERS = {"axis", "bosch", "hanwha", "uniview", "reolink"}


def rendered_profiles(lab: LabState) -> dict[str, Mapping[str, Any]]:
    rendered = json.loads((Path(lab.request_log).parent / "devices.json").read_text())
    return {d.ip: rendered[d.name]["profile"] for d in lab.devices}


def _window(qtbot: Any, lab: LabState, db: Path) -> MainWindow:
    options = LaunchOptions(interface="eth0", targets=(str(lab.subnet),), db=db,
                            settings_scope="camaudit-test-lab")  # fmt: skip
    window = MainWindow(build_context(options))
    qtbot.addWidget(window)
    panel = window.panel
    panel.site_use.setCurrentIndex(panel.site_use.findData(SiteUse.PUBLIC_SAFETY))
    panel.set_checked_policies(["ndaa889", "fcc_covered_list"])
    return window


def _devices_by_ip(window: MainWindow) -> dict[str, Device]:
    out: dict[str, Device] = {}
    for row in range(window.model.rowCount()):
        dev = window.model.index(row, 0).data(DEVICE_ROLE)
        for ip in dev.ips:
            out.setdefault(ip, dev)
    return out


def test_gui_scan_of_the_lab(qtbot: Any, lab: LabState, tmp_path: Path) -> None:
    db = tmp_path / "gui.sqlite"
    window = _window(qtbot, lab, db)
    with qtbot.waitSignal(window.scan_finished, timeout=90_000) as finished:
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    assert finished.args == [False]
    assert window.phase_label.text() == "Finished"

    seen = _devices_by_ip(window)
    profiles = rendered_profiles(lab)
    missing = sorted(set(profiles) - set(seen))
    assert not missing, f"devices not in the table: {missing}"

    for ip, prof in profiles.items():
        dev, pid = seen[ip], prof["id"]
        status = dev.verdicts["ndaa889"].status
        maker = prof.get("expect", {}).get("maker")
        if pid in OWN_BRAND_COVERED:
            assert status is VerdictStatus.COVERED, (ip, pid, dev.verdicts["ndaa889"])
        elif prof.get("category") == "realistic" and maker in ("hikvision", "dahua"):
            assert status in (VerdictStatus.COVERED, VerdictStatus.LIKELY_COVERED), (ip, pid)
        elif maker in NOT_COVERED_MAKERS:
            assert status is VerdictStatus.NOT_COVERED, (ip, pid, dev.verdicts["ndaa889"])
        elif pid == "hisilicon-noname":
            assert status is VerdictStatus.COMPONENT_RISK, (ip, pid)

    # Hostile devices cost recorded problems, shown in the status bar, and nothing else.
    assert "problems" in window.problems_label.text()
    assert window.panel.start_button.isEnabled()

    # A compliance officer opens the Annke recorder and sees why it is flagged.
    annke_ip = next(ip for ip, p in profiles.items() if p["id"] == "annke-nvr")
    assert window.select_device(seen[annke_ip].key)
    text = window.details.text()
    assert "made by Hikvision" in text
    assert "oui:" in text  # the evidence chain names the OUI rule
    assert "§889" in text  # the citation of the rule that covers it

    # The officer grants an exception; it is stored against the device and shown in the table.
    editor = window.disposition_editor
    editor.status.setCurrentIndex(editor.status.findData("exception_granted"))
    editor.by.setText("C. Officer")
    qtbot.keyClicks(editor.reason, "waiver W-17 until the recorder is replaced")
    with qtbot.waitSignal(editor.saved, timeout=2000):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    annke_key = seen[annke_ip].key
    row = window.model.row_of(annke_key)
    assert row is not None
    last_col = window.model.columnCount() - 1
    assert "waiver W-17" in window.model.index(row, last_col).data()

    # Export the inventory (Ctrl+E) and the report (Ctrl+P) through their dialogs.
    import openpyxl

    xlsx_dialog = window.open_export("xlsx")
    assert xlsx_dialog is not None
    with qtbot.waitSignal(xlsx_dialog.exported, timeout=30_000) as done:
        assert xlsx_dialog.export_to(tmp_path / "inventory.xlsx", "xlsx")
    assert done.args[0], done.args[1]
    sheet = openpyxl.load_workbook(tmp_path / "inventory.xlsx").worksheets[0]
    cells = {str(c.value) for r in sheet.iter_rows() for c in r if c.value is not None}
    assert seen[annke_ip].mac in {c.lower() for c in cells}
    pdf_dialog = window.open_export("pdf")
    assert pdf_dialog is not None
    with qtbot.waitSignal(pdf_dialog.exported, timeout=60_000) as done:
        assert pdf_dialog.export_to(tmp_path / "report.pdf", "pdf")
    assert done.args[0], done.args[1]
    text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "waiver W-17" in text and "Annke" in text

    # The scan is in the real store under the id its process sent, complete, with every
    # device the window showed.
    store = Store(db)
    assert store.current_dispositions()[annke_key].reason.startswith("waiver W-17")
    scan_id = window.current_scan_id
    assert scan_id is not None and scan_id == store.latest_scan()
    assert window.scan_label.text() == f"Scan {scan_id}"
    saved = store.load_scan(scan_id)
    assert saved.status.value == "complete"
    assert {d.key for d in saved.devices} == {d.key for d in window.model.devices}


def test_gui_cancel_keeps_what_was_found(qtbot: Any, lab: LabState, tmp_path: Path) -> None:
    window = _window(qtbot, lab, tmp_path / "cancel.sqlite")
    qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.rowCount() >= 5, timeout=30_000)
    with qtbot.waitSignal(window.scan_finished, timeout=3_000) as finished:
        qtbot.mouseClick(window.panel.cancel_button, Qt.MouseButton.LeftButton)
    assert finished.args == [True]
    assert window.model.rowCount() >= 5
    assert window.panel.start_button.isEnabled()
    store = Store(tmp_path / "cancel.sqlite")
    scan_id = window.current_scan_id
    assert scan_id is not None
    saved = store.load_scan(scan_id)
    assert saved.status.value == "interrupted"
    assert {d.key for d in saved.devices} >= {d.key for d in window.model.devices}


def test_demo_scans_screenshots_and_removes_its_lab(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    from cli.demo import DEMO_PREFIX
    from lab import netns
    from tests.lab.helpers import run_cli

    png, db = tmp_path / "demo.png", tmp_path / "demo.sqlite"
    result = run_cli("demo", "--devices", "8", "--screenshot", str(png), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "lab removed" in result.stdout
    assert netns.lab_namespaces(DEMO_PREFIX) == []
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1400, 850)
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 29)
    }
    assert len(colours) > 20  # a rendered window, not a blank frame
    with Store(db) as store:
        scan_id = store.latest_scan()
        assert scan_id is not None
        saved = store.load_scan(scan_id)
    assert saved.status.value == "complete"
    assert len(saved.devices) == 8


def test_gui_empty_network_says_so_and_stays_usable(
    qtbot: Any, lab: LabState, tmp_path: Path
) -> None:
    window = _window(qtbot, lab, tmp_path / "empty.sqlite")
    # The lab's devices sit low in its subnet; its last /28 is empty.
    empty = list(ipaddress.IPv4Network(lab.subnet).subnets(new_prefix=28))[-1]
    window.panel.targets.setText(str(empty))
    with qtbot.waitSignal(window.scan_finished, timeout=60_000):
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    assert window.model.rowCount() == 0
    assert "no devices answered" in window.phase_label.text()
    assert window.panel.start_button.isEnabled()


def test_gui_bad_credentials_are_shown_not_fatal(qtbot: Any, lab: LabState, tmp_path: Path) -> None:
    window = _window(qtbot, lab, tmp_path / "creds.sqlite")
    hik = next(ip for ip, p in rendered_profiles(lab).items() if p["id"] == "hikvision-ipc")
    window.credentials.add(hik, "admin", "definitely-wrong")
    window.panel.targets.setText(f"{hik}/32")
    with qtbot.waitSignal(window.scan_finished, timeout=60_000):
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    assert window.model.rowCount() == 1
    assert "problems" in window.problems_label.text()
    assert "bad_credentials" in window.problems_label.toolTip()
    assert window.select_device(window.model.devices[0].key)
    assert "bad_credentials" in window.details.text()
    assert window.model.devices[0].identity is not None  # identified from what it did say
    assert window.panel.start_button.isEnabled()
