"""Past scans as a table model: one row per stored scan, newest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from inventory.store import ScanSummary

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Scan", "Started", "Ended", "Status", "Targets", "Devices", "Covered")
TOOLTIPS = (
    "Scan number (what 'camaudit history' and reports call it)",
    "When the scan started (local time)",
    "When it ended; blank while running",
    "complete, or interrupted when it was stopped or its process died",
    "Networks and addresses the scan covered",
    "Devices found",
    "Devices flagged covered, covered for the site's use, or likely covered under any policy",
)
SCAN_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _when(value: dt.datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _cells(s: ScanSummary) -> tuple[str, ...]:
    return (
        str(s.id),
        _when(s.started_at),
        _when(s.ended_at),
        s.status.value,
        ", ".join(s.targets),
        str(s.devices),
        str(s.flagged),
    )


class ScanListModel(QAbstractTableModel):
    """Rows of ScanSummary (from Store.list_scans), newest scan on top.

    Signals: none beyond QAbstractItemModel's.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scans: list[ScanSummary] = []

    def set_scans(self, scans: Sequence[ScanSummary]) -> None:
        self.beginResetModel()
        self._scans = sorted(scans, key=lambda s: -s.id)
        self.endResetModel()

    def scan_at(self, row: int) -> ScanSummary | None:
        return self._scans[row] if 0 <= row < len(self._scans) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._scans)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return TOOLTIPS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        scan = self.scan_at(index.row()) if index.isValid() else None
        if scan is None or not 0 <= index.column() < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _cells(scan)[index.column()]
        if role == SCAN_ID_ROLE:
            return scan.id
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (0, 5, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
