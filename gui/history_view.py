"""History: the scans kept in the inventory, and what changed between two of them.

``diff_html`` is a pure function (ScanDiff in, escaped HTML out) so the summary tab reuses it
for "changes since the previous scan" and tests read it without widgets.  Reading the store
(the scan list, scans to compare or open) happens on a worker (gui/worker.py) with a Store
connection of its own, through the plain functions below: the view updates when the result
arrives, and the GUI thread never waits for SQLite.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from core import presentation
from core.model import Device, Scan
from gui.history_model import ScanListModel
from gui.util import named, plain_label
from gui.worker import Worker
from inventory.history import ChangeKind, DeviceChange, ScanDiff, diff_scans
from inventory.store import ScanSummary, Store

_KIND_WORDS = {
    ChangeKind.IP: "IP address",
    ChangeKind.FIRMWARE: "firmware",
    ChangeKind.IDENTITY: "identity (maker/brand/model)",
    ChangeKind.VERDICT: "verdict",
}


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _device_line(dev: Device, names: Mapping[str, str]) -> str:
    ident = dev.identity
    who = ""
    if ident and (ident.brand or ident.maker):
        who = presentation.identity_sentence(ident.maker, ident.brand, ident.relationship, names)
        who = f": {who}" + (f", {ident.model}" if ident.model else "")
    return f"<li><b>{_e(dev.ip or '-')}</b>{_e(who)} <small>{_e(dev.key)}</small></li>"


def _change_line(change: DeviceChange) -> str:
    what = _KIND_WORDS[change.kind]
    if change.policy:
        what += f" ({change.policy})"
    before, after = change.before, change.after
    if change.kind is ChangeKind.VERDICT:  # statuses read as on every other view
        before, after = (presentation.label(s) if s else "" for s in (before, after))
    return (
        f"<li><small>{_e(change.key)}</small>: {_e(what)} "
        f"<b>{_e(before or '-')}</b> &rarr; <b>{_e(after or '-')}</b></li>"
    )


def diff_html(diff: ScanDiff, names: Mapping[str, str] | None = None) -> str:
    """The diff as HTML: new, gone and changed devices; every device value escaped."""
    names = names or {}
    title = f"Scan {diff.before_id} &rarr; scan {diff.after_id}"
    if diff.empty:
        return f"<h3>{title}</h3><p>No changes: the same devices, unchanged.</p>"
    parts = [f"<h3>{title}</h3>"]
    sections = (
        ("New devices", [_device_line(d, names) for d in diff.new]),
        ("Gone devices", [_device_line(d, names) for d in diff.gone]),
        ("Changed", [_change_line(c) for c in diff.changes]),
    )
    for heading, lines in sections:
        if lines:
            parts.append(f"<h4>{heading} ({len(lines)})</h4><ul>{''.join(lines)}</ul>")
    return "".join(parts)


# -- loads (any thread; each opens its own Store: one connection per thread) ---------------
@dataclass(frozen=True, slots=True)
class OpenedScan:
    """A stored scan with what changed since the previous complete scan of the same targets."""

    scan: Scan
    changes: ScanDiff | None

    def changes_html(self, names: Mapping[str, str]) -> str:
        return diff_html(self.changes, names) if self.changes else ""


def load_scan_list(db: Path | str) -> list[ScanSummary]:
    with Store(db) as store:
        return store.list_scans()


def load_opened(db: Path | str, scan_id: int) -> OpenedScan:
    with Store(db) as store:
        scan = store.load_scan(scan_id)
        previous = store.previous_scan(scan_id, same_targets=True)
        before = store.load_scan(previous) if previous is not None else None
    return OpenedScan(scan, diff_scans(before, scan) if before is not None else None)


def load_diff(db: Path | str, older: int, newer: int) -> ScanDiff:
    with Store(db) as store:
        return diff_scans(store.load_scan(older), store.load_scan(newer))


class HistoryView(QWidget):
    """The scan list with Open and Diff buttons, and the diff below it.

    Signals:
        open_requested(int): the user asked to open a scan (double-click or Open).
        list_loaded(): the scan list has been (re-)read from the store.
        diff_loaded(): the diff of the two selected scans is shown.
    """

    open_requested = Signal(int)
    list_loaded = Signal()
    diff_loaded = Signal()

    def __init__(
        self,
        store: Store | None = None,
        parent: QWidget | None = None,
        worker: Worker | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.worker = worker or Worker(self, name="camaudit-history")
        self.names: dict[str, str] = {}
        self.model = ScanListModel(self)
        self.table = named(QTableView(self), "historyTable")
        self.open_button = named(QPushButton("Open", self), "historyOpen")
        self.diff_button = named(QPushButton("Diff", self), "historyDiff")
        self.refresh_button = named(QPushButton("Refresh", self), "historyRefresh")
        self.message = named(plain_label(QLabel(self)), "historyMessage")
        self.diff_view = named(QTextBrowser(self), "historyDiffView")
        self._setup_table()
        self._layout()
        self.open_button.clicked.connect(self.open_selected)
        self.diff_button.clicked.connect(self.show_diff)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.refresh()

    def _setup_table(self) -> None:
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.diff_button.setToolTip("Select two scans to see what changed from the older one")
        self.diff_view.setHtml("<p>Select two scans and press Diff to see what changed.</p>")

    def _layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.open_button, self.diff_button, self.refresh_button):
            buttons.addWidget(button)
        buttons.addWidget(self.message, 1)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table)
        top_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(top)
        splitter.addWidget(self.diff_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # -- actions ------------------------------------------------------------------------
    def set_store(self, store: Store | None) -> None:
        self.store = store
        self.refresh()

    def refresh(self) -> None:
        """Re-read the scan list (after a scan finished, or on Refresh), on the worker."""
        if self.store is None:
            self._show_scans(None, [])
            self.message.setText("No inventory database open.")
            return
        db = self.store.path
        self.worker.submit(
            lambda _put: load_scan_list(db),
            done=lambda scans: self._show_scans(db, scans),
            failed=self._say("Cannot read the scan list"),
        )

    def _show_scans(self, db: Path | str | None, scans: list[ScanSummary]) -> None:
        if db is not None and (self.store is None or self.store.path != db):
            return  # the store changed while the list loaded
        self.model.set_scans(scans)
        self.message.setText("")
        self._update_buttons()
        self.list_loaded.emit()

    def selected_scan_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        scans = [self.model.scan_at(r) for r in rows]
        return [s.id for s in scans if s is not None]

    def open_selected(self) -> None:
        ids = self.selected_scan_ids()
        if len(ids) == 1:
            self.open_requested.emit(ids[0])
        else:
            self.message.setText("Select one scan to open.")

    def show_diff(self) -> None:
        """Diff the two selected scans, older to newer, into the pane below the list."""
        ids = self.selected_scan_ids()
        if len(ids) != 2 or self.store is None:
            self.message.setText("Select exactly two scans to compare.")
            return
        older, newer = sorted(ids)
        db = self.store.path
        self.message.setText(f"Comparing scan {older} with scan {newer}…")
        self.worker.submit(
            lambda _put: load_diff(db, older, newer),
            done=self._show_diff,
            failed=self._say("Cannot compare"),
        )

    def _show_diff(self, diff: ScanDiff) -> None:
        self.message.setText("")
        self.diff_view.setHtml(diff_html(diff, self.names))
        self.diff_loaded.emit()

    def _say(self, what: str) -> Callable[[BaseException], None]:
        return lambda exc: self.message.setText(f"{what}: {exc}")

    def diff_text(self) -> str:
        return self.diff_view.toPlainText()

    def _double_clicked(self, index: QModelIndex) -> None:
        scan = self.model.scan_at(index.row())
        if scan is not None:
            self.open_requested.emit(scan.id)

    def _update_buttons(self) -> None:
        count = len(self.selected_scan_ids())
        self.open_button.setEnabled(count == 1)
        self.diff_button.setEnabled(count == 2)
