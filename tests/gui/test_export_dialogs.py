"""Export and report dialog: each format written off the GUI thread from a real inventory."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import QSettings, Qt

from core.model import VerdictStatus
from core.presentation import label
from gui.export_dialogs import FOLDER_KEY, ExportDialog
from inventory.store import Store
from tests.gui.test_history_view import axis, dahua, hikvision, store_scan

WAIT_MS = 30_000  # the PDF renders with reportlab on the worker thread


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "inventory.sqlite3"
    with Store(path) as store:
        scan_id = store_scan(store, [hikvision(), axis(), dahua()])
    return path, scan_id


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)


def export(qtbot, dialog: ExportDialog, path: Path, fmt: str) -> str:
    with qtbot.waitSignal(dialog.exported, timeout=WAIT_MS) as blocker:
        assert dialog.export_to(path, fmt)
    ok, message = blocker.args
    assert ok, message
    assert dialog.message_text() == message
    return str(message)


def make_dialog(qtbot, db: tuple[Path, int], settings: QSettings, fmt: str) -> ExportDialog:
    dialog = ExportDialog(db[0], db[1], settings, fmt)
    qtbot.addWidget(dialog)
    return dialog


def test_csv_has_a_row_per_device_with_verdicts(qtbot, db, settings, tmp_path) -> None:
    dialog = make_dialog(qtbot, db, settings, "csv")
    out = tmp_path / "inventory.csv"
    message = export(qtbot, dialog, out, "csv")
    assert str(out) in message and "3 devices" in message
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_ip = {r["IP"]: r for r in rows}
    assert set(by_ip) == {"198.18.0.11", "198.18.0.12", "198.18.0.20"}
    assert by_ip["198.18.0.12"]["Maker"] == "hikvision"
    verdict = next(k for k in rows[0] if k.endswith(" (code)"))  # the raw status code
    assert by_ip["198.18.0.11"][verdict] == "not_covered"
    assert by_ip["198.18.0.12"][verdict] != "not_covered"


def test_json_parses_back_to_the_scan(qtbot, db, settings, tmp_path) -> None:
    dialog = make_dialog(qtbot, db, settings, "json")
    out = tmp_path / "inventory.json"
    export(qtbot, dialog, out, "json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["scan"]["id"] == db[1]
    assert {d["key"] for d in data["devices"]} >= {"mac:44:19:b6:00:00:01"}


def test_xlsx_opens_with_inventory_sheet(qtbot, db, settings, tmp_path) -> None:
    dialog = make_dialog(qtbot, db, settings, "xlsx")
    out = tmp_path / "inventory.xlsx"
    export(qtbot, dialog, out, "xlsx")
    book = openpyxl.load_workbook(out)
    sheet = book["Inventory"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 4  # header + 3 devices
    assert any("198.18.0.20" in row for row in values)


def test_pdf_report_carries_device_verdict_and_sign_off(qtbot, db, settings, tmp_path) -> None:
    dialog = make_dialog(qtbot, db, settings, "pdf")
    assert dialog.report_box.isEnabled()
    dialog.meta_fields["organisation"].setText("Acme Corp")
    dialog.meta_fields["signer"].setText("J. Smith")
    dialog.meta_fields["signer_role"].setText("Compliance officer")
    out = tmp_path / "report.pdf"
    export(qtbot, dialog, out, "pdf")
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Acme Corp" in text and "J. Smith" in text and "Compliance officer" in text
    assert "198.18.0.12" in text and "DS-2CD2143G0-I" in text
    # The appendix row of the Hikvision camera names its verdict (judged from the real policy).
    rows = [line for line in text.splitlines() if "198.18.0.12" in line]
    # The PDF says each status with the one label every view uses (core.presentation).
    assert any(label(VerdictStatus.COVERED_FOR_USE) in line for line in rows), rows
    assert label(VerdictStatus.NOT_COVERED) in text  # the Axis camera


def test_report_fields_only_for_pdf(qtbot, db, settings) -> None:
    dialog = make_dialog(qtbot, db, settings, "csv")
    assert not dialog.report_box.isEnabled()
    dialog.format.setCurrentIndex(dialog.format.findData("pdf"))
    assert dialog.report_box.isEnabled()


def test_file_dialog_starts_in_the_remembered_folder(qtbot, db, settings, tmp_path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    first = make_dialog(qtbot, db, settings, "json")
    export(qtbot, first, folder / "first.json", "json")
    assert settings.value(FOLDER_KEY) == str(folder)

    second = make_dialog(qtbot, db, settings, "csv")
    second.show()
    qtbot.mouseClick(second.export_button, Qt.MouseButton.LeftButton)
    chooser = second.file_dialog
    assert chooser is not None and chooser.isVisible()
    assert Path(chooser.directory().absolutePath()) == folder
    assert chooser.selectedFiles() == [str(folder / f"camaudit-scan-{db[1]}.csv")]
    with qtbot.waitSignal(second.exported, timeout=WAIT_MS) as blocker:
        chooser.accept()
    assert blocker.args[0], blocker.args[1]
    assert (folder / f"camaudit-scan-{db[1]}.csv").exists()


def test_missing_suffix_is_added(qtbot, db, settings, tmp_path) -> None:
    dialog = make_dialog(qtbot, db, settings, "json")
    export(qtbot, dialog, tmp_path / "plain", "json")
    assert (tmp_path / "plain.json").exists()


def test_unwritable_path_reports_failure_naming_the_file(qtbot, db, settings, tmp_path) -> None:
    dialog = make_dialog(qtbot, db, settings, "csv")
    blocker = tmp_path / "a-file-not-a-folder"
    blocker.write_text("")
    target = blocker / "out.csv"
    with qtbot.waitSignal(dialog.exported, timeout=WAIT_MS) as blocker:
        dialog.export_to(target, "csv")
    ok, message = blocker.args
    assert not ok
    assert message.startswith(f"Could not write {target}:")
    assert dialog.export_button.isEnabled()


def test_remembers_report_fields(qtbot, db, settings, tmp_path) -> None:
    dialog = make_dialog(qtbot, db, settings, "pdf")
    dialog.meta_fields["site"].setText("Main plant")
    export(qtbot, dialog, tmp_path / "a.json", "json")
    again = make_dialog(qtbot, db, settings, "pdf")
    assert again.meta_fields["site"].text() == "Main plant"


def test_export_returns_at_once_and_refuses_a_second_meanwhile(
    qtbot, db, settings, tmp_path
) -> None:
    dialog = make_dialog(qtbot, db, settings, "pdf")
    out = tmp_path / "report.pdf"
    with qtbot.waitSignal(dialog.exported, timeout=WAIT_MS):
        assert dialog.export_to(out, "pdf")
        # The GUI thread is free while the worker renders: the window says what it is doing.
        assert dialog.message_text() == f"Writing {out} …"
        assert not dialog.export_button.isEnabled()
        assert not dialog.export_to(tmp_path / "other.pdf", "pdf")
    assert out.exists() and not (tmp_path / "other.pdf").exists()
