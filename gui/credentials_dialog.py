"""Credentials manager: per device or subnet, passwords in the OS keyring (SNMP communities
and v3 users too: gui/snmp_credentials.py).

Only the list of (target, username) pairs is kept in the app settings; the password goes
to the OS keyring (service ``camaudit``, user ``<username>@<target>``, the same layout the
CLI's credentials file uses with ``keyring = true``).  Where no keyring works (a headless
root session), the password is kept in memory for this session only and the dialog says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from discovery.base import Credential
from discovery.credentials import (
    CredentialEntry,
    CredentialStore,
    keyring_user,
    target_network,
)
from gui.secrets import Secrets, remove_selected, saved_message
from gui.snmp_credentials import SnmpBook, SnmpCredentialsBox
from gui.util import named, plain_label

SETTINGS_KEY = "credentials/targets"


@dataclass(frozen=True)
class SavedTarget:
    target: str
    username: str

    def label(self) -> str:
        return f"{self.username} @ {self.target}"


class CredentialsBook:
    """The user's credentials: targets in QSettings, secrets in the keyring (or memory)."""

    def __init__(self, settings: QSettings) -> None:
        self._settings = settings
        self.secrets = Secrets()
        self.snmp = SnmpBook(settings, self.secrets)  # SNMP communities and v3 users

    def targets(self) -> list[SavedTarget]:
        raw = self._settings.value(SETTINGS_KEY, [])
        items = raw if isinstance(raw, list) else [raw] if raw else []
        out = []
        for item in items:
            username, _, target = str(item).partition("@")
            if username and target:
                out.append(SavedTarget(target, username))
        return out

    def add(self, target: str, username: str, password: str) -> None:
        net = target_network(target)  # raises ValueError; IPv4 or IPv6, a zone dropped
        single = net.prefixlen == net.max_prefixlen
        entry = SavedTarget(str(net.network_address) if single else str(net), username)
        self.secrets.put(keyring_user(entry.username, entry.target), password)
        keys = [keyring_user(t.username, t.target) for t in self.targets() if t != entry]
        self._settings.setValue(SETTINGS_KEY, [*keys, keyring_user(username, entry.target)])

    def remove(self, entry: SavedTarget) -> None:
        keys = [keyring_user(t.username, t.target) for t in self.targets() if t != entry]
        self._settings.setValue(SETTINGS_KEY, keys)
        self.secrets.drop(keyring_user(entry.username, entry.target))

    def store(self) -> CredentialStore:
        """The lookup the scanner uses; entries whose secret is unavailable are skipped."""
        entries = []
        for entry in self.targets():
            secret = self.secrets.get(keyring_user(entry.username, entry.target))
            if secret is not None:
                net = target_network(entry.target)
                entries.append(CredentialEntry(net, Credential(entry.username, secret)))
        store = CredentialStore(entries)
        store.snmp = self.snmp.store()
        return store


class CredentialsDialog(QDialog):
    """Add and remove credentials; passwords are never shown again once saved."""

    def __init__(self, book: CredentialsBook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Credentials")
        self.book = book
        self.list = named(QListWidget(self), "credentialList")
        self.target = named(QLineEdit(self), "credTarget")
        self.target.setPlaceholderText("198.18.0.10 or 198.18.0.0/24")
        self.username = named(QLineEdit(self), "credUser")
        self.password = named(QLineEdit(self), "credPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = named(plain_label(QLabel(self)), "credMessage")
        self.message.setWordWrap(True)
        add, remove = QPushButton("Add"), QPushButton("Remove selected")
        form = QFormLayout()
        form.addRow("Device or subnet", self.target)
        form.addRow("Username", self.username)
        form.addRow("Password", self.password)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Used only for the devices they are given for; read-only queries."))
        layout.addWidget(self.list)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.snmp = named(SnmpCredentialsBox(book.snmp, self), "snmpBox")
        layout.addWidget(self.snmp)
        layout.addWidget(buttons)
        add.clicked.connect(self.add_current)
        remove.clicked.connect(self.remove_selected)
        buttons.rejected.connect(self.reject)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for entry in self.book.targets():
            self.list.addItem(entry.label())

    def add_current(self) -> bool:
        target, user, secret = (
            self.target.text(),
            self.username.text().strip(),
            self.password.text(),
        )
        if not user or not secret:
            self.message.setText("Enter a username and a password.")
            return False
        try:
            self.book.add(target, user, secret)
        except ValueError:
            self.message.setText(f"'{target}' is not an IP address or subnet (IPv4 or IPv6).")
            return False
        self.password.clear()
        self.message.setText(saved_message(self.book.secrets))
        self.refresh()
        return True

    def remove_selected(self) -> None:
        if remove_selected(self.list, self.book.targets(), self.book.remove):
            self.refresh()
