"""Export the inventory (CSV, JSON, XLSX) or write the signed-off PDF report, off the GUI thread.

The dialog collects the format, the file and, for the PDF, who the report is for and who signs
it.  The work is inventory's (``report_data_from_store`` and the ``write_*`` functions, the
same ones ``camaudit report`` uses); a job on a :class:`gui.worker.Worker` hands it to a
child process (gui/export_job.py) with its own Store connection, and the outcome comes back
to the GUI thread the way every worker's does.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.disposition_editor import login_name
from gui.export_job import ExportJob, run_export_in_process
from gui.util import named, plain_label
from gui.worker import Worker
from inventory.report_data import ReportMeta
from inventory.settings import SettingsError, load_report_settings

FOLDER_KEY = "export/last_folder"
META_KEYS = ("organisation", "site", "run_by", "signer", "signer_role")
META_LABELS = ("Organisation", "Site", "Prepared by", "Signed off by", "Signer's role")
FORMATS: dict[str, tuple[str, str]] = {  # id -> (label, file filter)
    "csv": ("Inventory as CSV", "CSV files (*.csv)"),
    "json": ("Inventory as JSON", "JSON files (*.json)"),
    "xlsx": ("Inventory as Excel workbook", "Excel workbooks (*.xlsx)"),
    "pdf": ("PDF report with sign-off", "PDF files (*.pdf)"),
}
ERROR_STYLE = "color: #b00020"


class ExportDialog(QDialog):
    """Choose a format and a file; export a stored scan or write its PDF report.

    Signals:
        exported(bool, str): an export ended (success, message naming the file).
    """

    exported = Signal(bool, str)

    def __init__(
        self,
        db_path: Path | str,
        scan_id: int,
        settings: QSettings,
        fmt: str = "csv",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export scan {scan_id}")
        self.db_path, self.scan_id, self.settings = db_path, scan_id, settings
        self.format = named(QComboBox(self), "exportFormat")
        for key, (label, _filter) in FORMATS.items():
            self.format.addItem(label, key)
        self.paper = named(QComboBox(self), "exportPaper")
        self.paper.addItems(["letter", "a4"])
        self.meta_fields = {k: named(QLineEdit(self), f"export_{k}") for k in META_KEYS}
        self.export_button = named(QPushButton("Export…", self), "exportButton")
        self.close_button = named(QPushButton("Close", self), "exportClose")
        self.message = named(plain_label(QLabel(self)), "exportMessage")
        self.message.setWordWrap(True)
        # Busy until the outcome has reached the GUI thread, not merely until the job ends:
        # a second export cannot start between the two.
        self.worker = Worker(self, name="camaudit-export")
        self.file_dialog: QFileDialog | None = None
        self._layout()
        self._prefill()
        self.format.setCurrentIndex(max(0, self.format.findData(fmt)))
        self._update_report_fields()
        self.format.currentIndexChanged.connect(lambda _i: self._update_report_fields())
        self.export_button.clicked.connect(self.choose_and_export)
        self.close_button.clicked.connect(self.reject)

    def _layout(self) -> None:
        self.report_box = QGroupBox("Report title and sign-off (PDF)", self)
        form = QFormLayout(self.report_box)
        for key, label in zip(META_KEYS, META_LABELS, strict=True):
            form.addRow(label, self.meta_fields[key])
        form.addRow("Paper", self.paper)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        top = QFormLayout()
        top.addRow("Format", self.format)
        layout.addLayout(top)
        layout.addWidget(self.report_box)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def _prefill(self) -> None:
        """Last values typed here, else the site's settings.toml (as ``camaudit report``)."""
        try:
            defaults = load_report_settings(None)
        except SettingsError as exc:
            defaults = {}
            self._say(False, f"Report settings ignored: {exc}")
        for key, field in self.meta_fields.items():
            field.setText(str(self.settings.value(f"export/{key}", defaults.get(key, "")) or ""))
        paper = str(self.settings.value("export/paper", defaults.get("paper", "letter")))
        self.paper.setCurrentText(paper if paper in ("letter", "a4") else "letter")
        if not self.meta_fields["run_by"].text():
            self.meta_fields["run_by"].setText(login_name())

    def selected_format(self) -> str:
        return str(self.format.currentData())

    def last_folder(self) -> str:
        return str(self.settings.value(FOLDER_KEY, "") or str(Path.home()))

    def _update_report_fields(self) -> None:
        self.report_box.setEnabled(self.selected_format() == "pdf")

    # -- exporting ----------------------------------------------------------------------
    def choose_and_export(self) -> None:
        """Ask for the file (Qt's own dialog, window-modal, in the last folder), then export."""
        self.file_dialog = self._file_dialog(self.selected_format())
        self.file_dialog.fileSelected.connect(
            lambda path: self.export_to(Path(path), self.selected_format())
        )
        self.file_dialog.open()

    def _file_dialog(self, fmt: str) -> QFileDialog:
        dialog = QFileDialog(self, "Export to", self.last_folder(), FORMATS[fmt][1])
        dialog.setObjectName("exportFileDialog")
        # Qt's own dialog: the same on every desktop, and drivable from tests.
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setDefaultSuffix(fmt)
        dialog.selectFile(f"camaudit-scan-{self.scan_id}.{fmt}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        return dialog

    def export_to(self, path: Path, fmt: str | None = None) -> bool:
        """Start writing ``path`` (the file dialog's path, or a test's); False if refused."""
        fmt = fmt or self.selected_format()
        if fmt not in FORMATS:
            return self._say(False, f"Unknown format {fmt!r}.")
        if self.worker.busy:
            return self._say(False, "An export is still running; wait for it to finish.")
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(path.name + f".{fmt}")
        self._remember(path)
        self.export_button.setEnabled(False)
        self._say(True, f"Writing {path} …")
        job = self._job(path, fmt)
        self.worker.submit(
            lambda _put: run_export_in_process(job),
            done=lambda message: self._finished(True, message),
            # any failure is the user's message, never a crash
            failed=lambda exc: self._finished(False, f"Could not write {job.path}: {exc}"),
        )
        return True

    def _job(self, path: Path, fmt: str) -> ExportJob:
        value = {k: f.text().strip() for k, f in self.meta_fields.items()}
        meta = ReportMeta(
            organisation=value["organisation"],
            site=value["site"],
            run_by=value["run_by"],
            signer=value["signer"],
            signer_role=value["signer_role"],
        )
        return ExportJob(self.db_path, self.scan_id, fmt, path, meta, self.paper.currentText())

    def _remember(self, path: Path) -> None:
        self.settings.setValue(FOLDER_KEY, str(path.parent))
        for key, field in self.meta_fields.items():
            self.settings.setValue(f"export/{key}", field.text().strip())
        self.settings.setValue("export/paper", self.paper.currentText())

    def _finished(self, ok: bool, message: str) -> None:
        self.export_button.setEnabled(True)
        self._say(ok, message)
        self.exported.emit(ok, message)

    def _say(self, ok: bool, text: str) -> bool:
        self.message.setStyleSheet("" if ok else ERROR_STYLE)
        self.message.setText(text)
        return ok

    def message_text(self) -> str:
        return self.message.text()
