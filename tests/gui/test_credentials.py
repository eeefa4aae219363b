from __future__ import annotations

import keyring
import keyring.backend
import pytest
from PySide6.QtCore import QSettings

from gui.credentials_dialog import CredentialsBook, CredentialsDialog


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend (the keyring API end to end) that keeps secrets in memory."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_password_goes_to_keyring_not_settings(qtbot, memory_keyring, settings, tmp_path) -> None:
    dialog = CredentialsDialog(CredentialsBook(settings))
    qtbot.addWidget(dialog)
    dialog.target.setText("198.18.0.0/24")
    dialog.username.setText("admin")
    dialog.password.setText("s3cret-Pa55")
    assert dialog.add_current()
    settings.sync()
    assert "s3cret-Pa55" not in (tmp_path / "settings.ini").read_text()
    assert memory_keyring.secrets[("camaudit", "admin@198.18.0.0/24")] == "s3cret-Pa55"
    assert dialog.password.text() == ""
    store = CredentialsBook(settings).store()
    cred = store("198.18.0.77")
    assert cred is not None and cred.username == "admin" and cred.password == "s3cret-Pa55"
    assert store("198.19.0.1") is None


def test_bad_target_is_refused_with_a_message(qtbot, memory_keyring, settings) -> None:
    dialog = CredentialsDialog(CredentialsBook(settings))
    qtbot.addWidget(dialog)
    dialog.target.setText("not-an-ip")
    dialog.username.setText("admin")
    dialog.password.setText("x")
    assert not dialog.add_current()
    assert "not an IP address or subnet" in dialog.message.text()
    assert dialog.list.count() == 0


def test_ipv6_targets_are_saved_and_matched(qtbot, memory_keyring, settings) -> None:
    dialog = CredentialsDialog(CredentialsBook(settings))
    qtbot.addWidget(dialog)
    for target in ("fdca:a0d1:7000::/48", "fe80::2%veth0"):
        dialog.target.setText(target)
        dialog.username.setText("admin")
        dialog.password.setText("pw6")
        assert dialog.add_current(), dialog.message.text()
    store = CredentialsBook(settings).store()
    assert store("fdca:a0d1:7000:1::5") is not None
    assert store("fe80::2") is not None  # the zone names our interface, not the device
    assert store("fdca:a0d2::5") is None and store("198.18.0.5") is None


def test_remove(qtbot, memory_keyring, settings) -> None:
    book = CredentialsBook(settings)
    book.add("198.18.0.10", "viewer", "pw")
    dialog = CredentialsDialog(book)
    qtbot.addWidget(dialog)
    dialog.list.setCurrentRow(0)
    dialog.remove_selected()
    assert book.targets() == []
    assert memory_keyring.secrets == {}
