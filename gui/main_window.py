"""The main window: scan panel, live device table, details, summary and history.

The window wires widgets to the objects that do the work (ScanController, the store,
exporters); it holds no business logic of its own.  Scan events are matched by their class
(discovery.events, and gui.scan_process.ScanStored for the id the scan is stored under);
stored scans are loaded on a worker (gui/worker.py), never on the GUI thread.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import PySide6
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core import __version__, presentation
from core.model import Device, Relationship, SiteProfile, VerdictStatus
from discovery.events import DeviceError, DeviceFound, DeviceUpdated, Finished, Progress
from discovery.request import ScanRequest
from discovery.stop import StopSignal
from discovery.targets import TargetError
from gui import badges
from gui.controller import ScanController
from gui.credentials_dialog import CredentialsBook, CredentialsDialog
from gui.details import DeviceDetails
from gui.device_model import DEVICE_ROLE, DeviceFilterProxy, DeviceTableModel
from gui.disposition_editor import DispositionEditor
from gui.export_dialogs import ExportDialog
from gui.history_view import HistoryView, OpenedScan, load_opened
from gui.scan_panel import ScanPanel
from gui.scan_process import ScanStored
from gui.summary import SummaryView
from gui.util import named, plain_label, plain_tooltip
from gui.worker import Worker
from inventory.report_data import PolicyView, policy_views
from inventory.settings import private_settings_file
from inventory.store import Store, StoreError

log = logging.getLogger(__name__)

MAX_COLUMN_WIDTH = 200
ScanFactory = Callable[[ScanRequest, StopSignal], AsyncIterator[object]]
"""Runs a scan (request, its stop signal) and yields its events (gui.app: a child process)."""


@dataclass
class AppContext:
    """What the window is given: policies to offer, how to scan, where data lives."""

    policies: Sequence[tuple[str, str]] = ()  # (id, title)
    scan_factory: ScanFactory | None = None
    preset_interface: str | None = None
    preset_targets: Sequence[str] = ()
    maker_names: dict[str, str] = field(default_factory=dict)
    data_versions: dict[str, str] = field(default_factory=dict)
    settings_scope: str = "camaudit"
    db_path: Path | str | None = None  # the inventory the scans are saved to (history, exports)
    # How to scan into another inventory ("Open inventory…"); None: the window cannot switch.
    factory_for: Callable[[Path | str], ScanFactory] | None = None


def private_settings(settings: QSettings) -> QSettings:
    """Make the settings file the user's alone (0600 in 0700) before Qt first writes it.

    It holds what was typed last (organisation, site, who decides) and the user names of
    stored credentials.  Only a settings *file*: the Windows registry and macOS preferences
    are per-user stores already.
    """
    in_a_file = settings.format() == QSettings.Format.IniFormat or sys.platform.startswith(
        ("linux", "freebsd", "openbsd", "netbsd")
    )
    if not in_a_file:
        return settings
    try:
        private_settings_file(Path(settings.fileName()))
    except OSError as exc:  # a read-only home: Qt will fail to save as well, and say so
        log.warning("settings file %s not made private: %s", settings.fileName(), exc)
    return settings


def _check_inventory(target: str | Path) -> None:
    """Open ``target`` as an existing inventory and close it again: the slow and failing part of
    opening one (connecting, a missing file, a server that does not answer, no privilege),
    done on a worker.  Raises StoreError or OSError with the reason."""
    Store(target, create=False).close()


def _show_all_box(parent: QWidget) -> QCheckBox:
    box = named(QCheckBox("Show policies that do not bind this site", parent), "showAllPolicies")
    box.setToolTip(
        "Packs for other jurisdictions or kinds of organisation judge every device "
        '"Not applicable"; they are hidden unless you ask for them.'
    )
    return box


class MainWindow(QMainWindow):
    """camaudit's main window.

    Signals:
        scan_finished(bool): a scan ended (True when cancelled); the table is final.
        scan_opened(int): a stored scan (History: Open) is in the table.
        changes_loaded(int): what changed since the previous scan is known for this scan.
    """

    scan_finished = Signal(bool)
    scan_opened = Signal(int)
    changes_loaded = Signal(int)
    inventory_opened = Signal(bool)  # Scan > Open inventory… ended: switched, or kept the old
    _checking_inventory = False  # an Open inventory… check is under way on the worker

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("camaudit")
        self.setObjectName("mainWindow")
        self.settings = private_settings(QSettings(context.settings_scope, "camaudit"))
        self.controller = ScanController(self)
        self.loader = Worker(self, name="camaudit-history")
        self.credentials = CredentialsBook(self.settings)
        self.model = DeviceTableModel(self)
        self.model.set_names(context.maker_names)
        self.proxy = DeviceFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.panel = ScanPanel(context.policies, self)
        self.details = DeviceDetails(self)
        self.details.names = dict(context.maker_names)
        self.store = self._open_store(context.db_path)
        self.current_scan_id: int | None = None  # the scan in the table, once it is stored
        self._stored_scan_id: int | None = None  # the running scan's, from its process
        self._opening: int | None = None  # a stored scan being loaded for the table
        self.disposition_editor = DispositionEditor(self.settings, self.store, self)
        self.history = HistoryView(self.store, self, worker=self.loader)
        self.history.names = dict(context.maker_names)
        self.table = named(QTableView(self), "deviceTable")
        self.filter_text = named(QLineEdit(self), "filterText")
        self.filter_verdict = named(QComboBox(self), "filterVerdict")
        self.filter_maker = named(QComboBox(self), "filterMaker")
        self.show_all_policies = _show_all_box(self)
        # The site the verdicts were judged for (the scan panel's request during a live scan,
        # the stored scan's site profile once one is opened) and its policies, main one first.
        self.site = SiteProfile()
        self.policy_views: list[PolicyView] = []
        self.tabs = QTabWidget(self)
        self.summary = SummaryView(self)
        self.phase_label = named(plain_label(QLabel("Ready")), "phaseLabel")
        self.progress = named(QProgressBar(self), "progress")
        self.found_label = named(QLabel("0 devices"), "foundLabel")
        self.scan_label = named(QLabel(""), "scanLabel")
        self.problems_label = named(QLabel(""), "problemsLabel")
        self.elapsed_label = named(QLabel(""), "elapsedLabel")
        self.errors: list[DeviceError] = []
        self._summary_dirty = True
        self._last_diff = ""
        self._shown_versions: dict[str, str] = {}  # data versions of a scan opened from History
        self._started = 0.0
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._update_elapsed)
        self._build()
        self._connect()
        self.panel.apply_preset(context.preset_interface, context.preset_targets)
        self._restore()
        self.set_site_policies([pid for pid, _ in context.policies], self._panel_site())

    # -- construction -----------------------------------------------------------------
    def _build(self) -> None:
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        # Sizing columns from the first rows only keeps a 10,000-row table instant.
        self.table.horizontalHeader().setResizeContentsPrecision(50)
        self.table.verticalHeader().setVisible(False)
        self.filter_text.setPlaceholderText("Filter (Ctrl+F): IP, MAC, brand, maker, model…")
        self.filter_text.setClearButtonEnabled(True)
        self.filter_verdict.addItem("All verdicts", None)
        verdicts = {s.value: s for s in VerdictStatus}
        for code in presentation.STATUS_ORDER:  # most severe first, as every view orders them
            if code in verdicts:
                status = verdicts[code]
                self.filter_verdict.addItem(badges.icon(status), presentation.label(status), status)
        self.filter_maker.addItem("All makers", "")
        bar = QHBoxLayout()
        for w in (self.filter_text, self.filter_verdict, self.filter_maker, self.show_all_policies):
            bar.addWidget(w)
        centre = QWidget(self)
        col = QVBoxLayout(centre)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(bar)
        col.addWidget(self.table)
        # Table above details: both get the full width (verdict columns and evidence
        # tables are wide); the scan panel sits on the left.
        right = named(QSplitter(Qt.Orientation.Vertical, self), "tableDetailsSplitter")
        right.addWidget(centre)
        details_pane = named(QSplitter(Qt.Orientation.Horizontal, self), "detailsSplitter")
        details_pane.addWidget(self.details)
        details_pane.addWidget(self.disposition_editor)
        details_pane.setStretchFactor(0, 3)
        details_pane.setStretchFactor(1, 1)
        right.addWidget(details_pane)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        split = named(QSplitter(Qt.Orientation.Horizontal, self), "mainSplitter")
        split.addWidget(self.panel)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        self.splitter, self.right_splitter = split, right
        self.tabs.addTab(split, "Devices")
        self.tabs.addTab(self.summary, "Summary")
        self.tabs.addTab(self.history, "History")
        self.setCentralWidget(self.tabs)
        bar_widgets: tuple[QWidget, ...] = (
            self.phase_label,
            self.progress,
            self.found_label,
            self.scan_label,
            self.problems_label,
            self.elapsed_label,
        )
        for widget in bar_widgets:
            self.statusBar().addPermanentWidget(widget)
        self._build_actions()

    def _build_actions(self) -> None:
        menu_scan = self.menuBar().addMenu("&Scan")
        self.action_start = QAction("&Start scan", self, shortcut=QKeySequence("F5"))
        self.action_cancel = QAction("&Cancel scan", self, shortcut=QKeySequence("Esc"))
        self.action_filter = QAction("&Filter", self, shortcut=QKeySequence("Ctrl+F"))
        self.action_quit = QAction("&Quit", self, shortcut=QKeySequence("Ctrl+Q"))
        self.action_export = QAction("&Export inventory…", self, shortcut=QKeySequence("Ctrl+E"))
        self.action_report = QAction(
            "&Compliance report (PDF)…", self, shortcut=QKeySequence("Ctrl+P")
        )
        for action in (self.action_start, self.action_cancel, self.action_filter,
                       self.action_export, self.action_report):  # fmt: skip
            menu_scan.addAction(action)
            self.addAction(action)
        menu_scan.addSeparator()
        self.action_open = QAction("&Open inventory…", self, shortcut=QKeySequence("Ctrl+O"))
        menu_scan.addAction(self.action_open)
        self.addAction(self.action_open)
        menu_scan.addAction(self.action_quit)
        help_menu = self.menuBar().addMenu("&Help")
        self.action_about = QAction("&About camaudit", self)
        help_menu.addAction(self.action_about)

    def _connect(self) -> None:
        self.panel.start_requested.connect(self.start_scan)
        self.panel.cancel_requested.connect(self.cancel_scan)
        self.panel.credentials_requested.connect(self.edit_credentials)
        self.action_start.triggered.connect(self.start_scan)
        self.action_cancel.triggered.connect(self.cancel_scan)
        self.action_filter.triggered.connect(self._focus_filter)
        self.action_quit.triggered.connect(self.close)
        self.action_open.triggered.connect(self.ask_inventory)
        self.action_about.triggered.connect(self.show_about)
        self.tabs.currentChanged.connect(self._on_tab)
        self.action_export.triggered.connect(lambda: self.open_export("xlsx"))
        self.action_report.triggered.connect(lambda: self.open_export("pdf"))
        self.history.open_requested.connect(self.open_scan)
        self.disposition_editor.saved.connect(lambda _k, _d: self.reload_dispositions())
        self.controller.events.connect(self._on_events)
        self.controller.finished.connect(self._on_finished)
        self.controller.failed.connect(self._on_failed)
        self.filter_text.textChanged.connect(self.proxy.set_text)
        self.filter_verdict.currentIndexChanged.connect(
            lambda _i: self.proxy.set_verdict(self.filter_verdict.currentData())
        )
        self.filter_maker.currentIndexChanged.connect(
            lambda _i: self.proxy.set_maker(self.filter_maker.currentData() or "")
        )
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.show_all_policies.toggled.connect(lambda _on: self._show_policy_columns())

    # -- scanning ---------------------------------------------------------------------
    def start_scan(self) -> None:
        if self.controller.running:
            return
        if self.context.scan_factory is None:
            QMessageBox.warning(self, "camaudit", "Scanning is not available in this build.")
            return
        try:
            request = self.panel.request()
        except TargetError as exc:
            QMessageBox.warning(self, "camaudit", str(exc))
            return
        request = dataclasses.replace(request, credentials=self.credentials.store())
        snmp = request.snmp_credential_lookup()
        uncovered = [r for r in request.snmp_routers if snmp(r) is None]
        if uncovered:
            QMessageBox.warning(
                self,
                "camaudit",
                f"No SNMP entry covers {', '.join(uncovered)}: add its community or SNMPv3 "
                "user under Credentials… (camaudit never guesses one).",
            )
            return
        if request.snmp_routers and "routers" not in request.methods:
            request = dataclasses.replace(request, methods=(*request.methods, "routers"))
        self._reset_for_scan(request)
        stop, factory = StopSignal(), self.context.scan_factory
        self.controller.start(lambda: factory(request, stop), stop)

    def _reset_for_scan(self, request: ScanRequest) -> None:
        self.summary.policy.clear()  # a new scan: the Summary opens on the site's main policy
        self.set_site_policies(request.policies, request.site)
        self.model.clear()
        self.errors.clear()
        self.current_scan_id = self._stored_scan_id = None
        self._shown_versions, self._last_diff = {}, ""
        self.scan_label.setText("")
        self.problems_label.setText("")
        self.details.show_device(None)
        self.panel.set_running(True)
        self.phase_label.setText("Starting")
        self.progress.setRange(0, 0)
        self._started = time.monotonic()
        self._tick.start()

    def edit_credentials(self) -> None:
        CredentialsDialog(self.credentials, self).exec()

    def cancel_scan(self) -> None:
        if self.controller.running:
            self.phase_label.setText("Cancelling…")
            self.controller.cancel()

    def _on_events(self, batch: list[object]) -> None:
        for event in batch:
            self._on_event(event)
        self.found_label.setText(f"{self.model.rowCount()} devices")
        self._show_problems()

    def _on_event(self, event: object) -> None:
        match event:
            case DeviceFound(device=device):
                self._on_device(device)
            case DeviceUpdated(device=device, replaces=replaces):
                self._on_device(device, replaces)
            case Progress():
                self._on_progress(event)
            case DeviceError(device=device):
                self.errors.append(event)
                if device is not None:
                    self._on_device(device)
            case ScanStored(scan_id=scan_id, db=db):
                self._stored_scan_id = scan_id
                self.scan_label.setText(f"Scan {scan_id}")
                self.scan_label.setToolTip(f"Saved as scan {scan_id} in {db}")
            case Finished():
                pass  # the controller's finished signal follows: the window ends the scan there
            case _:
                log.warning("ignored a scan event of unknown type %r", type(event))

    def _show_problems(self) -> None:
        """A count in the status bar; the tooltip lists them (each device's are in details)."""
        if not self.errors:
            return
        lines = []
        for event in self.errors[-30:]:
            err, dev = event.error, event.device
            where = (dev.ip if dev is not None else None) or err.ip or "scan"
            lines.append(f"{where}: {err.source} {err.kind}: {err.message}")
        self.problems_label.setText(f"⚠ {len(self.errors)} problems")
        self.problems_label.setToolTip(plain_tooltip("\n".join(lines)))

    def _on_device(self, device: Device, replaces: Sequence[str] = ()) -> None:
        self.model.upsert(device, replaces)
        maker = device.identity.maker if device.identity else None
        if maker and self.filter_maker.findData(maker) < 0:
            name = presentation.display_name(maker, self.context.maker_names)
            self.filter_maker.addItem(name, maker)
        current = self.table.currentIndex()
        if current.isValid() and current.data(DEVICE_ROLE) is device:
            self.details.show_device(device)

    def _on_progress(self, event: Progress) -> None:
        self.phase_label.setText(event.phase.capitalize() or "Scanning")
        if event.total:
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.done)
        self.progress.setFormat(f"%v/%m, {event.devices} devices")

    def _on_finished(self, cancelled: bool) -> None:
        self._tick.stop()
        self._update_elapsed()
        self.panel.set_running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setFormat("%p%")
        n = self.model.rowCount()
        if cancelled:
            self.phase_label.setText(f"Cancelled: kept {n} devices")
        elif n == 0:
            self.phase_label.setText("Finished: no devices answered in the chosen targets")
        else:
            self.phase_label.setText("Finished")
        self.fit_columns()
        self.after_scan_saved(self._stored_scan_id)
        self._summary_dirty = True
        if self.tabs.currentWidget() is self.summary:
            self.refresh_summary()
        self.scan_finished.emit(cancelled)

    def _on_failed(self, message: str) -> None:
        self.phase_label.setText("Scan failed")
        QMessageBox.warning(
            self, "camaudit", f"The scan stopped: {message}\nFound devices are kept."
        )

    def _update_elapsed(self) -> None:
        if self._started:
            self.elapsed_label.setText(f"{time.monotonic() - self._started:.0f} s")

    # -- the inventory: history, dispositions, exports -------------------------------------
    def _open_store(self, path: Path | str | None) -> Store | None:
        if path is None:
            return None
        try:
            return Store(path)
        except (StoreError, OSError) as exc:
            QMessageBox.warning(self, "camaudit", f"The inventory cannot be opened: {exc}")
            return None

    def ask_inventory(self) -> None:
        """Ask for another inventory: a SQLite file or a ``postgresql://`` URL."""
        current = str(self.store.path) if self.store is not None else ""
        target, ok = QInputDialog.getText(
            self,
            "Open inventory",
            "Inventory: a SQLite file, or a PostgreSQL URL\n"
            "(postgresql://user@host/db; the password comes from ~/.pgpass or the keyring,\n"
            "never from this box)",
            text=current,
        )
        if ok and target.strip():
            self.open_inventory(target.strip())

    def open_inventory(self, target: str | Path) -> bool:
        """Make ``target`` the window's inventory (history, decisions, exports, new scans).

        The target is first opened and checked on the worker, so a slow or unreachable
        PostgreSQL server (or a file on a hung network share) never freezes the window; only
        then is it opened here, for the window's own use.  An inventory that cannot be opened
        (missing file, wrong URL, no privilege) is said in a message and the current one is
        kept; ``inventory_opened`` tells the outcome.  Returns False when the request is
        refused at once (a scan is running, or another open is under way).
        """
        if self.controller.running:
            QMessageBox.information(self, "camaudit", "Wait for the scan to finish first.")
            return False
        if self._checking_inventory:
            return False
        self._checking_inventory = True
        self.statusBar().showMessage(f"Opening {target}…")
        self.loader.submit(
            lambda _put: _check_inventory(target),
            done=lambda _none: self._adopt_inventory(target),
            failed=self._inventory_refused,
        )
        return True

    def _inventory_refused(self, exc: BaseException) -> None:
        self._checking_inventory = False
        self.statusBar().clearMessage()
        QMessageBox.warning(self, "camaudit", f"The inventory cannot be opened: {exc}")
        self.inventory_opened.emit(False)

    def _adopt_inventory(self, target: str | Path) -> None:
        self._checking_inventory = False
        self.statusBar().clearMessage()
        if self.controller.running:  # a scan started while the target was checked
            self.inventory_opened.emit(False)
            return
        try:
            store = Store(target, create=False)
        except (StoreError, OSError) as exc:
            self._inventory_refused(exc)
            return
        if self.store is not None:
            self.store.close()
        self.store = store
        self.context.db_path = store.path
        if self.context.factory_for is not None:
            self.context.scan_factory = self.context.factory_for(store.path)
        self.disposition_editor.store = store
        self.current_scan_id = None
        self.history.set_store(store)
        self.reload_dispositions()
        self.setWindowTitle(f"camaudit: {store.path}")
        self.inventory_opened.emit(True)

    def after_scan_saved(self, scan_id: int | None) -> None:
        """The scan process saved the scan under ``scan_id``: make it the current scan, and
        show its history, decisions and (once loaded) the changes since the previous one."""
        if self.store is None or scan_id is None:
            return
        self.current_scan_id = scan_id
        self._shown_versions = {}
        self.history.refresh()
        self.reload_dispositions()
        self._load(scan_id, self._show_changes)

    def _load(self, scan_id: int, then: Callable[[OpenedScan], None]) -> None:
        """Load a stored scan and its changes on the worker; ``then`` gets them here."""
        assert self.store is not None
        db = self.store.path
        self.loader.submit(
            lambda _put: load_opened(db, scan_id),
            done=then,
            failed=lambda exc: self._load_failed(scan_id, exc),
        )

    def _load_failed(self, scan_id: int, exc: BaseException) -> None:
        message = f"Scan {scan_id} cannot be read: {exc}"
        if self._opening == scan_id:
            self._opening = None
            self.phase_label.setText(message)
        self.statusBar().showMessage(message, 10_000)

    def _show_changes(self, opened: OpenedScan) -> None:
        if opened.scan.id != self.current_scan_id:
            return  # another scan is shown by now
        self._last_diff = opened.changes_html(self.context.maker_names)
        self._summary_dirty = True
        if self.tabs.currentWidget() is self.summary:
            self.refresh_summary()
        self.changes_loaded.emit(opened.scan.id)

    def reload_dispositions(self) -> None:
        if self.store is not None:
            current = self.store.current_dispositions()
            self.model.set_dispositions({k: d.describe() for k, d in current.items()})

    def open_scan(self, scan_id: int) -> None:
        """Show a stored scan in the device table (History: Open); it loads on the worker."""
        if self.store is None or self.controller.running:
            return
        self.phase_label.setText(f"Opening scan {scan_id}…")
        self._opening = scan_id
        self._load(scan_id, self._show_opened)

    def _show_opened(self, opened: OpenedScan) -> None:
        scan = opened.scan
        self._opening = None
        if self.controller.running or scan.id is None:
            return  # a scan started meanwhile: its table wins
        judged = (p for d in scan.devices for p in d.verdicts)
        ids = list(dict.fromkeys([*scan.policies, *judged])) or [v.id for v in self.policy_views]
        self.summary.policy.clear()  # another scan: the Summary opens on its main policy
        self.set_site_policies(ids, scan.site)
        self.model.set_devices(scan.devices)
        self.current_scan_id = scan.id
        self._shown_versions = dict(scan.data_versions)
        self._last_diff = opened.changes_html(self.context.maker_names)
        self.reload_dispositions()
        self.fit_columns()
        self.phase_label.setText(
            f"Scan {scan.id} of {scan.started_at:%Y-%m-%d %H:%M} ({scan.status})"
        )
        self.scan_label.setText(f"Scan {scan.id}")
        self.found_label.setText(f"{self.model.rowCount()} devices")
        self._summary_dirty = True
        self.tabs.setCurrentIndex(0)
        self.scan_opened.emit(scan.id)

    def open_export(self, fmt: str) -> ExportDialog | None:
        """Export (Ctrl+E) or the PDF report (Ctrl+P) of the scan in the table."""
        if self.store is None or self.current_scan_id is None:
            QMessageBox.information(self, "camaudit", "Scan first (or open a scan in History).")
            return None
        dialog = ExportDialog(self.store.path, self.current_scan_id, self.settings, fmt, self)
        dialog.exported.connect(lambda ok, msg: self.statusBar().showMessage(msg, 10_000))
        dialog.show()
        return dialog

    def fit_columns(self) -> None:
        """Size columns to their contents, but no column wider than MAX_COLUMN_WIDTH."""
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for col in range(header.count()):
            header.resizeSection(col, min(header.sectionSize(col), MAX_COLUMN_WIDTH))

    def _on_tab(self, _index: int) -> None:
        # Charts are built when the Summary tab is shown, not at the end of every scan:
        # building them costs the GUI thread tens of milliseconds.
        if self.tabs.currentWidget() is self.summary and self._summary_dirty:
            self.refresh_summary()

    def refresh_summary(self, changes_html: str = "") -> None:
        self._summary_dirty = False
        self.summary.update_summary(
            self.model.devices,
            self.shown_policy_views(),
            self.context.maker_names,
            self._shown_versions or self.context.data_versions,
            changes_html or self._last_diff,
            decided=self.model.dispositions.keys(),
        )

    # -- policies: display names, which bind the site ---------------------------------------
    def _panel_site(self) -> SiteProfile:
        """The site the scan panel describes (the default site while it has no targets)."""
        try:
            return self.panel.request().site
        except TargetError:
            return SiteProfile()

    def set_site_policies(self, ids: Sequence[str], site: SiteProfile) -> None:
        """The policies judged and the site they were judged for: sets the verdict columns
        (display names; those that do not bind the site hidden unless asked for)."""
        self.site = site
        self.policy_views = policy_views(ids, site)
        self.details.policy_names = {v.id: v.name for v in self.policy_views}
        self._show_policy_columns()

    def shown_policy_views(self) -> list[PolicyView]:
        """The policies the table shows: those that bind the site, or all when asked."""
        every = self.show_all_policies.isChecked()
        return [v for v in self.policy_views if v.applies or every]

    def _show_policy_columns(self) -> None:
        shown = self.shown_policy_views()
        self.model.set_policies(
            [v.id for v in shown],
            names={v.id: v.name for v in shown},
            notes={v.id: v.why_not or v.title for v in shown},
        )
        if self.model.rowCount():
            self.fit_columns()
        self._summary_dirty = True
        if self.tabs.currentWidget() is self.summary:
            self.refresh_summary()

    # -- selection, filter ------------------------------------------------------------
    def _on_current_row(self, current: object, _previous: object) -> None:
        dev = self.table.currentIndex().data(DEVICE_ROLE)
        self.details.show_device(dev if isinstance(dev, Device) else None)
        self.disposition_editor.set_device(dev.key if isinstance(dev, Device) else None)

    def _focus_filter(self) -> None:
        self.filter_text.setFocus()
        self.filter_text.selectAll()

    def select_first_flagged(self) -> bool:
        """Select a flagged device, an OEM rebrand if there is one (screenshots, demos)."""
        flagged: list[int] = []
        for row in range(self.proxy.rowCount()):
            dev = self.proxy.index(row, 0).data(DEVICE_ROLE)
            if isinstance(dev, Device) and any(v.status.flagged for v in dev.verdicts.values()):
                if dev.identity and dev.identity.relationship is Relationship.OEM:
                    flagged.insert(0, row)
                    break
                flagged.append(row)
        if not flagged:
            return False
        self.table.setCurrentIndex(self.proxy.index(flagged[0], 0))
        return True

    def select_device(self, key: str) -> bool:
        row = self.model.row_of(key)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.setCurrentIndex(index)
        return True

    # -- about, settings ----------------------------------------------------------------
    def about_text(self) -> str:
        lines = [f"camaudit {__version__}", f"PySide6 {PySide6.__version__}"]
        lines += [f"{k}: {v}" for k, v in sorted(self.context.data_versions.items())]
        return "\n".join(lines)

    def show_about(self) -> None:
        QMessageBox.about(self, "About camaudit", self.about_text())

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 850)
        policies = self.settings.value("scan/policies")
        if isinstance(policies, list) and policies:
            self.panel.set_checked_policies([str(p) for p in policies])
        organisation = self.settings.value("scan/organisation")
        if isinstance(organisation, str):
            self.panel.set_organisation(organisation)
        for key, splitter in (("window/splitter", self.splitter),
                              ("window/right_splitter", self.right_splitter)):  # fmt: skip
            state = self.settings.value(key)
            if isinstance(state, QByteArray):
                splitter.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.controller.running:
            self.controller.cancel()
            self.controller.wait(2.0)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("window/right_splitter", self.right_splitter.saveState())
        self.settings.setValue("scan/policies", list(self.panel.checked_policies()))
        self.settings.setValue("scan/organisation", self.panel.organisation.currentData() or "")
        super().closeEvent(event)
