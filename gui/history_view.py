"""History: the scans kept in the inventory, and what changed between two of them.

``diff_html`` is a pure function (ScanDiff in, escaped HTML out) so the summary tab reuses it
for "changes since the previous scan" and tests read it without widgets.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

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

from core.model import Device
from gui.history_model import ScanListModel
from gui.util import named
from inventory.history import ChangeKind, DeviceChange, ScanDiff, diff_scans
from inventory.store import Store, StoreError

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
        brand = names.get(ident.brand or "", ident.brand or "")
        maker = names.get(ident.maker or "", ident.maker or "")
        who = brand if brand == maker or not maker else f"{brand} (made by {maker})"
        who = " " + who + (f" {ident.model}" if ident.model else "")
    return f"<li><b>{_e(dev.ip or '-')}</b>{_e(who)} <small>{_e(dev.key)}</small></li>"


def _change_line(change: DeviceChange) -> str:
    what = _KIND_WORDS[change.kind]
    if change.policy:
        what += f" ({change.policy})"
    return (
        f"<li><small>{_e(change.key)}</small>: {_e(what)} "
        f"<b>{_e(change.before or '-')}</b> &rarr; <b>{_e(change.after or '-')}</b></li>"
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


class HistoryView(QWidget):
    """The scan list with Open and Diff buttons, and the diff below it.

    Signals:
        open_requested(int): the user asked to open a scan (double-click or Open).
    """

    open_requested = Signal(int)

    def __init__(self, store: Store | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.names: dict[str, str] = {}
        self.model = ScanListModel(self)
        self.table = named(QTableView(self), "historyTable")
        self.open_button = named(QPushButton("Open", self), "historyOpen")
        self.diff_button = named(QPushButton("Diff", self), "historyDiff")
        self.refresh_button = named(QPushButton("Refresh", self), "historyRefresh")
        self.message = named(QLabel(self), "historyMessage")
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
        """Re-read the scan list (after a scan finished, or on Refresh)."""
        self.model.set_scans(self.store.list_scans() if self.store else [])
        self.message.setText("" if self.store else "No inventory database open.")
        self._update_buttons()

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
        try:
            diff = diff_scans(self.store.load_scan(older), self.store.load_scan(newer))
        except StoreError as exc:
            self.message.setText(f"Cannot compare: {exc}")
            return
        self.message.setText("")
        self.diff_view.setHtml(diff_html(diff, self.names))

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
