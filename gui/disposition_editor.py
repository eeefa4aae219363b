"""Disposition editor: record what the organisation decided about the selected device.

Validation is inventory's (``make_disposition``); this widget only collects the fields,
shows the error in words when the input is incomplete, and lists earlier decisions.
"""

from __future__ import annotations

import getpass
import html

from PySide6.QtCore import QDate, QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gui.util import named, plain_label
from inventory.dispositions import (
    Disposition,
    DispositionError,
    DispositionStatus,
    make_disposition,
)
from inventory.store import Store, StoreError

BY_KEY = "dispositions/by"
LABELS = {
    DispositionStatus.EXCEPTION_GRANTED: "Exception granted",
    DispositionStatus.SCHEDULED_FOR_REMOVAL: "Scheduled for removal",
    DispositionStatus.REMOVED: "Removed",
    DispositionStatus.FALSE_POSITIVE: "False positive",
}
ERROR_STYLE = "color: #b00020"
NO_DATE = QDate(2000, 1, 1)


def login_name() -> str:
    """The OS account name, the default for 'who decided' (blank when there is none)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container user without a passwd entry
        return ""


def history_html(history: list[Disposition]) -> str:
    """Earlier decisions, newest first, escaped."""
    if not history:
        return "<p>No decision recorded for this device yet.</p>"
    items = "".join(
        f"<li>{html.escape(d.describe())}</li>"
        for d in sorted(history, key=lambda d: d.recorded_at, reverse=True)
    )
    return f"<ul>{items}</ul>"


class DispositionEditor(QWidget):
    """Status, date, who and why for one device key, saved into the inventory.

    Signals:
        saved(str, str): a decision was stored (device key, its one-line description).
    """

    saved = Signal(str, str)

    def __init__(
        self, settings: QSettings, store: Store | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.store = store
        self.device_key: str | None = None
        self.status = named(QComboBox(self), "dispositionStatus")
        for status, label in LABELS.items():
            self.status.addItem(label, status.value)
        self.date = named(QDateEdit(self), "dispositionDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        # A date edit always holds some date; its minimum stands for "not chosen yet", so a
        # removal is never scheduled for a date nobody picked.
        self.date.setMinimumDate(NO_DATE)
        self.date.setSpecialValueText("choose a date")
        self.date.setDate(NO_DATE)
        self.by = named(QLineEdit(self), "dispositionBy")
        self.by.setText(str(settings.value(BY_KEY, "") or login_name()))
        self.reason = named(QLineEdit(self), "dispositionReason")
        self.reason.setPlaceholderText("Why (required): ticket, contract clause, approval …")
        self.save_button = named(QPushButton("Save decision", self), "dispositionSave")
        self.message = named(plain_label(QLabel(self)), "dispositionMessage")
        self.message.setWordWrap(True)
        self.history = named(QTextBrowser(self), "dispositionHistory")
        self._layout()
        self.status.currentIndexChanged.connect(lambda _i: self._update_date())
        self.save_button.clicked.connect(self.save)
        self.set_device(None)

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Decision", self.status)
        form.addRow("Removal date", self.date)
        form.addRow("Decided by", self.by)
        form.addRow("Why", self.reason)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(self)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.save_button)
        layout.addWidget(self.message)
        layout.addWidget(QLabel("<b>Earlier decisions</b>", self))
        layout.addWidget(self.history)

    # -- state --------------------------------------------------------------------------
    def set_store(self, store: Store | None) -> None:
        self.store = store
        self.set_device(self.device_key)

    def set_device(self, key: str | None) -> None:
        """Edit decisions for ``key`` (None: nothing selected, the editor is disabled)."""
        self.device_key = key
        enabled = key is not None and self.store is not None
        for widget in (self.status, self.by, self.reason, self.save_button):
            widget.setEnabled(enabled)
        self._update_date()
        self.message.setText("")
        self.title.setText(
            f"Decision for <b>{html.escape(key)}</b>" if key else "No device selected"
        )
        self._show_history()

    def selected_status(self) -> DispositionStatus:
        return DispositionStatus(self.status.currentData())

    def _update_date(self) -> None:
        scheduled = self.selected_status() is DispositionStatus.SCHEDULED_FOR_REMOVAL
        self.date.setEnabled(scheduled and self.save_button.isEnabled())

    def _show_history(self) -> None:
        if self.store is None or self.device_key is None:
            self.history.setHtml("")
            return
        history = self.store.disposition_history(self.device_key)
        self.history.setHtml(history_html(history))
        # Start from the standing decision (a new one still needs its own why), else afresh.
        if history:
            self._show_current(history[-1])
        else:
            self.status.setCurrentIndex(0)
            self.date.setDate(NO_DATE)

    def _show_current(self, current: Disposition) -> None:
        self.status.setCurrentIndex(self.status.findData(current.status.value))
        if current.date:
            self.date.setDate(QDate(current.date.year, current.date.month, current.date.day))

    # -- saving -------------------------------------------------------------------------
    def save(self) -> bool:
        """Validate and store the decision; on bad input say what is wrong and store nothing."""
        if self.store is None or self.device_key is None:
            return self._fail("Select a device first.")
        date = None
        chosen = self.date.date()
        if self.selected_status() is DispositionStatus.SCHEDULED_FOR_REMOVAL and chosen != NO_DATE:
            date = chosen.toString("yyyy-MM-dd")
        try:
            decision = make_disposition(
                self.device_key, self.selected_status().value, self.by.text(),
                self.reason.text(), date,
            )  # fmt: skip
            self.store.set_disposition(decision)
        except (DispositionError, StoreError) as exc:
            return self._fail(_plain(str(exc)))
        self.settings.setValue(BY_KEY, decision.by)
        self.reason.clear()
        self.message.setStyleSheet("")
        self.message.setText(f"Saved: {decision.describe()}")
        self._show_history()
        self.saved.emit(decision.device_key, decision.describe())
        return True

    def _fail(self, text: str) -> bool:
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(text)
        return False


def _plain(message: str) -> str:
    """inventory's messages name CLI options; in the window the fields have labels instead."""
    for option, field in (
        (" (--by NAME)", " in 'Decided by'"),
        (" (--reason TEXT)", " in 'Why'"),
        (" (--date YYYY-MM-DD)", ": set 'Removal date'"),
    ):
        message = message.replace(option, field)
    return message
