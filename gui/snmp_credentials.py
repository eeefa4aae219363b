"""SNMP credentials in the GUI: communities and SNMPv3 users per device or subnet.

The same layout as the CLI's credentials file with ``keyring = true`` (discovery/credentials.py):
the settings keep only what is not secret (target, version, v3 user and protocols); the
community goes to the OS keyring as ``snmp-community@<target>``, a v3 user's passwords as
``snmp-auth:<user>@<target>`` and ``snmp-priv:<user>@<target>``.  Every entry is checked by the
same parser the CLI uses, so the GUI accepts exactly what a credentials file would.  camaudit
never guesses a community: only what is listed here is tried (read-only GET / GETNEXT).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from discovery.credentials import (
    SNMP_AUTH,
    SNMP_PRIV,
    CredentialsError,
    SnmpStore,
    keyring_user,
    parse_snmp,
    target_network,
)
from gui.secrets import Secrets, remove_selected, saved_message
from gui.util import named, plain_label

SNMP_SETTINGS_KEY = "credentials/snmp"
VERSIONS = ("2c", "1", "3")


@dataclass(frozen=True)
class SavedSnmp:
    """One SNMP entry as the settings keep it (no secret)."""

    target: str
    version: str
    username: str = ""
    auth: str = ""
    priv: str = ""

    def label(self) -> str:
        if self.version == "3":
            return (
                f"SNMPv3 {self.username} @ {self.target} "
                f"(auth {self.auth or 'none'}, privacy {self.priv or 'none'})"
            )
        return f"SNMPv{self.version} community @ {self.target}"

    def key(self) -> str:
        return "|".join((self.version, self.target, self.username, self.auth, self.priv))

    def secret_users(self) -> dict[str, str]:
        """Raw-entry key -> keyring user name, for each secret this entry has."""
        if self.version != "3":
            return {"community": keyring_user("snmp-community", self.target)}
        users = {}
        if self.auth:
            users["auth_password"] = keyring_user(f"snmp-auth:{self.username}", self.target)
        if self.priv:
            users["priv_password"] = keyring_user(f"snmp-priv:{self.username}", self.target)
        return users

    def raw(self, secrets: dict[str, str]) -> dict[str, object]:
        """The entry as a credentials file's ``[[snmp]]`` table would hold it."""
        raw: dict[str, object] = {"target": self.target, "version": self.version, **secrets}
        if self.version == "3":
            raw |= {"username": self.username, "auth_protocol": self.auth}
            raw["priv_protocol"] = self.priv
        return raw

    @classmethod
    def parse(cls, text: str) -> SavedSnmp | None:
        parts = str(text).split("|")
        if len(parts) != 5 or parts[0] not in VERSIONS or not parts[1]:
            return None
        version, target, username, auth, priv = parts
        return cls(target, version, username, auth, priv)


class SnmpBook:
    """The SNMP entries: settings for the entries, the keyring (or this session) for secrets."""

    def __init__(self, settings: QSettings, secrets: Secrets) -> None:
        self._settings = settings
        self.secrets = secrets  # shared with the credentials book

    def entries(self) -> list[SavedSnmp]:
        raw = self._settings.value(SNMP_SETTINGS_KEY, [])
        items = raw if isinstance(raw, list) else [raw] if raw else []
        return [e for e in (SavedSnmp.parse(str(i)) for i in items) if e is not None]

    def add(self, target: str, version: str, secrets: dict[str, str], **v3: str) -> None:
        """Check the entry as the CLI would (CredentialsError says what is wrong), then save
        it; ``secrets``: ``community``, or a v3 user's ``auth_password`` / ``priv_password``."""
        try:
            net = target_network(target)
        except ValueError:
            raise CredentialsError(f"{target!r} is not an IP address or subnet") from None
        single = net.prefixlen == net.max_prefixlen
        entry = SavedSnmp(
            str(net.network_address) if single else str(net),
            version,
            v3.get("username", "").strip() if version == "3" else "",
            v3.get("auth", "") if version == "3" else "",
            v3.get("priv", "") if version == "3" else "",
        )
        wanted = entry.secret_users()
        parse_snmp([entry.raw({k: secrets.get(k, "") for k in wanted})])  # raises if not usable
        for key, user in wanted.items():
            self.secrets.put(user, secrets[key])
        kept = [e.key() for e in self.entries() if e.key() != entry.key()]
        self._settings.setValue(SNMP_SETTINGS_KEY, [*kept, entry.key()])

    def remove(self, entry: SavedSnmp) -> None:
        kept = [e.key() for e in self.entries() if e != entry]
        self._settings.setValue(SNMP_SETTINGS_KEY, kept)
        for user in entry.secret_users().values():
            self.secrets.drop(user)

    def store(self) -> SnmpStore:
        """The SNMP lookup a scan uses; entries whose secrets are unavailable, or that the
        parser now refuses, are left out."""
        usable = []
        for entry in self.entries():
            secrets = {key: self.secrets.get(user) for key, user in entry.secret_users().items()}
            if any(value is None for value in secrets.values()):
                continue
            raw = entry.raw({k: v for k, v in secrets.items() if v is not None})
            with contextlib.suppress(CredentialsError):
                parse_snmp([raw])
                usable.append(raw)
        return parse_snmp(usable)


def _chosen(box: QComboBox) -> str:
    return "" if box.currentText() == "none" else box.currentText()


class SnmpCredentialsBox(QGroupBox):
    """The SNMP part of the credentials dialog."""

    def __init__(self, book: SnmpBook, parent: QWidget | None = None) -> None:
        super().__init__(
            "SNMP (communities and SNMPv3 users: read-only GET, never guessed)", parent
        )
        self.book = book
        self.list = named(QListWidget(self), "snmpList")
        self.target = named(QLineEdit(self), "snmpTarget")
        self.target.setPlaceholderText("198.18.0.1 or 198.18.0.0/24")
        self.version = named(QComboBox(self), "snmpVersion")
        self.version.addItems([f"v{v}" for v in VERSIONS])
        self.community = self._secret_field("snmpCommunity")
        self.username = named(QLineEdit(self), "snmpUser")
        self.auth = self._choices("snmpAuth", SNMP_AUTH)
        self.auth_password = self._secret_field("snmpAuthPassword")
        self.priv = self._choices("snmpPriv", SNMP_PRIV)
        self.priv_password = self._secret_field("snmpPrivPassword")
        self.message = named(plain_label(QLabel(self)), "snmpMessage")
        self.message.setWordWrap(True)
        form = QFormLayout()
        for label, widget in (
            ("Device or subnet", self.target), ("Version", self.version),
            ("Community (v1/v2c)", self.community), ("User (v3)", self.username),
            ("Authentication (v3)", self.auth), ("Auth password", self.auth_password),
            ("Privacy (v3)", self.priv), ("Privacy password", self.priv_password),
        ):  # fmt: skip
            form.addRow(label, widget)
        add, remove = QPushButton("Add SNMP entry"), QPushButton("Remove selected")
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.message)
        add.clicked.connect(self.add_current)
        remove.clicked.connect(self.remove_selected)
        self.version.currentIndexChanged.connect(lambda _i: self._follow_version())
        self._follow_version()
        self.refresh()

    def _secret_field(self, name: str) -> QLineEdit:
        field = named(QLineEdit(self), name)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        return field

    def _choices(self, name: str, values: frozenset[str]) -> QComboBox:
        box = named(QComboBox(self), name)
        box.addItems(["none", *sorted(values)])
        return box

    def _chosen_version(self) -> str:
        return self.version.currentText().removeprefix("v")

    def _follow_version(self) -> None:
        v3 = self._chosen_version() == "3"
        self.community.setEnabled(not v3)
        for widget in (self.username, self.auth, self.auth_password, self.priv, self.priv_password):
            widget.setEnabled(v3)

    def refresh(self) -> None:
        self.list.clear()
        for entry in self.book.entries():
            self.list.addItem(entry.label())

    def add_current(self) -> bool:
        version = self._chosen_version()
        secrets = {
            "community": self.community.text(),
            "auth_password": self.auth_password.text(),
            "priv_password": self.priv_password.text(),
        }
        try:
            self.book.add(
                self.target.text(),
                version,
                secrets,
                username=self.username.text(),
                auth=_chosen(self.auth),
                priv=_chosen(self.priv),
            )
        except CredentialsError as exc:
            self.message.setText(str(exc).replace("snmp #1", "This entry"))
            return False
        for field in (self.community, self.auth_password, self.priv_password):
            field.clear()
        self.message.setText(saved_message(self.book.secrets))
        self.refresh()
        return True

    def remove_selected(self) -> None:
        if remove_selected(self.list, self.book.entries(), self.book.remove):
            self.refresh()
