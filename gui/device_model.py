"""The live device table: a Qt item model over core.model.Device objects.

Rows appear and update as a scan runs (``upsert``).  Sorting is done here in Python with
precomputed keys (one list.sort, then layoutChanged) rather than by a proxy comparing cells
through data(); filtering uses a precomputed lowercase haystack per row.  Both keep a
10,000-device table responsive (bench/gui_table.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from core import presentation
from core.model import Device, DeviceType, VerdictStatus
from gui import badges
from gui.util import plain_tooltip

Index = QModelIndex | QPersistentModelIndex

DEVICE_ROLE = Qt.ItemDataRole.UserRole + 1  # the Device object of a row
KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # the device key


def _ip_key(ip: str | None) -> tuple[int, int]:
    if not ip:
        return (9, 0)
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return (8, 0)
    return (addr.version, int(addr))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[Device, Names], str]
    tooltip: str

    def sort_key(self, names: Names) -> Callable[[Device], Any]:
        if self.title == "IP":
            return lambda d: _ip_key(d.ip)
        return lambda d: self.text(d, names).lower() or "~"


Names = Mapping[str, str]
"""Display names for catalogue ids ("hikvision" -> "Hikvision")."""


def _identity_attr(name: str) -> Callable[[Device, Names], str]:
    def get(dev: Device, names: Names) -> str:
        value = _text(getattr(dev.identity, name, None)) if dev.identity else ""
        return presentation.display_name(value, names) if name in ("brand", "maker") else value

    return get


def _maker(dev: Device, names: Names) -> str:
    maker = _identity_attr("maker")(dev, names)
    registrant = dev.identity.registrant if dev.identity else None
    return maker or (f"({registrant})" if registrant else "")


def _device_type(dev: Device, _names: Names) -> str:
    if dev.identity is None or dev.identity.device_type is DeviceType.UNKNOWN:
        return ""
    return dev.identity.device_type.label


def _confidence(dev: Device) -> str:
    return f"{dev.identity.confidence:.0%}" if dev.identity else ""


BASE_COLUMNS: tuple[Column, ...] = (
    Column("IP", lambda d, _n: d.ip or "", "Address the device answered on"),
    Column("MAC", lambda d, _n: d.mac or "", "MAC address (how it was learnt: see details)"),
    Column("Brand", _identity_attr("brand"), "The name the device is sold under"),
    Column("Maker", _maker, "Who made it, from the evidence (in brackets: its MAC registrant)"),
    Column("Type", _device_type, "What kind of device it is (hover a cell: how that was decided)"),
    Column("Model", _identity_attr("model"), "Model reported by the device"),
    Column("Firmware", _identity_attr("firmware"), "Firmware version reported by the device"),
)  # fmt: skip


class DeviceTableModel(QAbstractTableModel):
    """Rows of devices; one verdict column per selected policy.

    Signals: none beyond QAbstractItemModel's.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._devices: list[Device] = []
        self._row_of: dict[str, int] = {}
        self._haystack: list[str] = []
        self._policies: list[str] = []
        self._policy_names: dict[str, str] = {}
        self._policy_notes: dict[str, str] = {}
        self._dispositions: dict[str, str] = {}
        self._names: dict[str, str] = {}

    # -- content ---------------------------------------------------------------------
    @property
    def devices(self) -> list[Device]:
        return list(self._devices)

    @property
    def policies(self) -> list[str]:
        return list(self._policies)

    @property
    def dispositions(self) -> dict[str, str]:
        """What was decided, by device key (the text the Disposition column shows)."""
        return dict(self._dispositions)

    def set_policies(
        self,
        policies: Sequence[str],
        names: Mapping[str, str] | None = None,
        notes: Mapping[str, str] | None = None,
    ) -> None:
        """The verdict columns, in order: policy ids, their display names (``NDAA §889``) and a
        note for each header's tooltip (its full title, or why it does not bind the site)."""
        self.beginResetModel()
        self._policies = list(policies)
        self._policy_names = dict(names or {})
        self._policy_notes = dict(notes or {})
        self.endResetModel()

    def policy_name(self, policy: str) -> str:
        """A policy as people read it: its display name, never a bare id."""
        return self._policy_names.get(policy) or presentation.display_name(policy)

    def set_names(self, names: Names) -> None:
        self.beginResetModel()
        self._names = dict(names)
        self._reindex()
        self.endResetModel()

    def set_devices(self, devices: Iterable[Device]) -> None:
        self.beginResetModel()
        self._devices = list(devices)
        self._reindex()
        self.endResetModel()

    def clear(self) -> None:
        self.set_devices(())

    def set_dispositions(self, dispositions: Mapping[str, str]) -> None:
        self._dispositions = dict(dispositions)
        self._haystack = [self._make_haystack(d) for d in self._devices]
        if self._devices:
            col = self.columnCount() - 1
            self.dataChanged.emit(self.index(0, col), self.index(len(self._devices) - 1, col))

    def upsert(self, device: Device, replaces: Sequence[str] = ()) -> int:
        """Insert a new device or refresh an existing one; returns its row.

        ``replaces`` names keys the device was known by before (the scanner re-keys a device
        when it learns its MAC, and fuses two rows that turn out to be one box): the first
        such row is reused, any other is removed.
        """
        row = self._row_of.get(device.key)
        for old in replaces:
            old_row = self._row_of.get(old)
            if old == device.key or old_row is None:
                continue
            if row is None:
                row = old_row
                del self._row_of[old]
            else:
                self._remove_row(old_row)
                row = self._row_of.get(device.key, row)
        if row is None:
            row = len(self._devices)
            self.beginInsertRows(QModelIndex(), row, row)
            self._devices.append(device)
            self._haystack.append(self._make_haystack(device))
            self._row_of[device.key] = row
            self.endInsertRows()
            return row
        self._devices[row] = device
        self._haystack[row] = self._make_haystack(device)
        self._row_of[device.key] = row
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
        return row

    def _remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._devices[row]
        del self._haystack[row]
        self._row_of = {d.key: i for i, d in enumerate(self._devices)}
        self.endRemoveRows()

    def device_at(self, row: int) -> Device | None:
        return self._devices[row] if 0 <= row < len(self._devices) else None

    def row_of(self, key: str) -> int | None:
        return self._row_of.get(key)

    def _reindex(self) -> None:
        self._row_of = {d.key: i for i, d in enumerate(self._devices)}
        self._haystack = [self._make_haystack(d) for d in self._devices]

    def _make_haystack(self, dev: Device) -> str:
        parts = [col.text(dev, self._names) for col in BASE_COLUMNS]
        parts.extend(v.status.value for v in dev.verdicts.values())
        parts.extend(presentation.label(v.status) for v in dev.verdicts.values())
        parts.append(self._dispositions.get(dev.key, ""))
        return "\t".join(parts).lower()

    # -- filtering helpers (used by DeviceFilterProxy) ---------------------------------
    def row_matches(self, row: int, text: str, verdict: VerdictStatus | None, maker: str) -> bool:
        if text and text not in self._haystack[row]:
            return False
        dev = self._devices[row]
        if maker and (not dev.identity or dev.identity.maker != maker):
            return False
        if verdict is not None:
            statuses = {v.status for k, v in dev.verdicts.items() if k in self._policies}
            if verdict not in statuses:
                return False
        return True

    def makers(self) -> list[str]:
        return sorted({d.identity.maker for d in self._devices if d.identity and d.identity.maker})

    # -- Qt model interface -------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._devices)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(BASE_COLUMNS) + len(self._policies) + 2

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        kind, arg = self._column_kind(section)
        if role == Qt.ItemDataRole.DisplayRole:
            if kind == "base":
                return BASE_COLUMNS[arg].title
            if kind == "verdict":
                return self.policy_name(self._policies[arg])
            return kind.capitalize()
        if role == Qt.ItemDataRole.ToolTipRole:
            if kind == "base":
                return BASE_COLUMNS[arg].tooltip
            if kind == "verdict":
                policy = self._policies[arg]
                note = self._policy_notes.get(policy, "")
                head = f"Verdict under {self.policy_name(policy)} ({policy})"
                return f"{head}\n{note}" if note else head
            if kind == "confidence":
                return "How sure the identification is (conflicting evidence lowers it)"
            return "What was decided about this device (kept across scans)"
        return None

    def _column_kind(self, column: int) -> tuple[str, int]:
        nbase, npol = len(BASE_COLUMNS), len(self._policies)
        if column < nbase:
            return "base", column
        if column < nbase + npol:
            return "verdict", column - nbase
        return ("confidence", 0) if column == nbase + npol else ("disposition", 0)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._devices):
            return None
        dev = self._devices[index.row()]
        if role == DEVICE_ROLE:
            return dev
        if role == KEY_ROLE:
            return dev.key
        kind, arg = self._column_kind(index.column())
        if kind == "verdict":
            return self._verdict_data(dev, self._policies[arg], role)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell_text(dev, kind, arg)
        if role == Qt.ItemDataRole.ToolTipRole:  # device strings: never markup
            text = self._cell_text(dev, kind, arg)
            if kind == "base" and BASE_COLUMNS[arg].title == "Type" and dev.identity and text:
                text = f"{text}: {dev.identity.device_type_how}"
            return plain_tooltip(text)
        return None

    def _cell_text(self, dev: Device, kind: str, arg: int) -> str:
        if kind == "base":
            return BASE_COLUMNS[arg].text(dev, self._names)
        if kind == "confidence":
            return _confidence(dev)
        return self._dispositions.get(dev.key, "")

    def _verdict_data(self, dev: Device, policy: str, role: int) -> Any:
        verdict = dev.verdicts.get(policy)
        if verdict is None:
            return None
        st = presentation.style(verdict.status)
        if role == Qt.ItemDataRole.DisplayRole:
            return st.label
        if role == Qt.ItemDataRole.DecorationRole:
            return badges.icon(verdict.status)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(st.colour))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(st.text_colour))
        if role == Qt.ItemDataRole.ToolTipRole:
            why = "\n".join(f"• {r}" for r in verdict.reasons[:4])
            return plain_tooltip(f"{st.label}: {st.explanation}\n{why}".strip())
        return None

    def sort_key(self, column: int) -> Callable[[Device], Any]:
        kind, arg = self._column_kind(column)
        if kind == "base":
            return BASE_COLUMNS[arg].sort_key(self._names)
        if kind == "verdict":
            policy = self._policies[arg]

            def by_verdict(d: Device) -> Any:
                v = d.verdicts.get(policy)
                # Most severe first; a device with no verdict under this policy sorts last.
                return presentation.rank(v.status) if v else len(presentation.STATUS_ORDER)

            return by_verdict
        if kind == "confidence":
            return lambda d: d.identity.confidence if d.identity else -1.0
        return lambda d: self._dispositions.get(d.key, "~")

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < self.columnCount():
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        held = [(self._devices[p.row()].key, p.column()) for p in persistent]
        key = self.sort_key(column)
        # Sort a permutation and carry the precomputed haystacks along (rebuilding them for
        # 10,000 rows cost ~60 ms, more than the sort itself).
        keys = [key(d) for d in self._devices]
        perm = sorted(range(len(keys)), key=keys.__getitem__)
        if order == Qt.SortOrder.DescendingOrder:
            perm.reverse()
        self._devices = [self._devices[i] for i in perm]
        self._haystack = [self._haystack[i] for i in perm]
        self._row_of = {d.key: i for i, d in enumerate(self._devices)}
        moved = [self.index(self._row_of[k], c) for k, c in held]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()


class DeviceFilterProxy(QSortFilterProxyModel):
    """Text / verdict / maker filter; sorting is delegated to the source model."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._verdict: VerdictStatus | None = None
        self._maker = ""

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_verdict(self, verdict: VerdictStatus | None) -> None:
        self.beginFilterChange()
        self._verdict = verdict
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_maker(self, maker: str) -> None:
        self.beginFilterChange()
        self._maker = maker
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, DeviceTableModel):
            return True
        return model.row_matches(source_row, self._text, self._verdict, self._maker)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        model = self.sourceModel()
        if isinstance(model, DeviceTableModel):
            model.sort(column, order)
