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


# ---------------------------------------------------------------------------------- SNMP


def _snmp_box(qtbot, settings) -> CredentialsDialog:
    dialog = CredentialsDialog(CredentialsBook(settings))
    qtbot.addWidget(dialog)
    return dialog


def test_snmp_community_goes_to_the_keyring_and_reaches_the_scan(
    qtbot, memory_keyring, settings, tmp_path
) -> None:
    dialog = _snmp_box(qtbot, settings)
    box = dialog.snmp
    box.target.setText("198.18.0.0/24")
    box.version.setCurrentText("v2c")
    assert not box.username.isEnabled()  # v3 fields are off for a community
    box.community.setText("lab-read-only")
    assert box.add_current()
    settings.sync()
    assert "lab-read-only" not in (tmp_path / "settings.ini").read_text()
    assert memory_keyring.secrets[("camaudit", "snmp-community@198.18.0.0/24")] == "lab-read-only"
    assert box.community.text() == ""
    assert box.list.item(0).text() == "SNMPv2c community @ 198.18.0.0/24"
    snmp = CredentialsBook(settings).store().snmp  # a new book reads settings and keyring
    credential = snmp("198.18.0.20")
    assert credential is not None and credential.version == "2c"
    assert credential.community == "lab-read-only"
    assert snmp("198.19.0.1") is None


def test_snmpv3_user_with_the_clis_keyring_layout(qtbot, memory_keyring, settings) -> None:
    dialog = _snmp_box(qtbot, settings)
    box = dialog.snmp
    box.target.setText("198.18.0.1")
    box.version.setCurrentText("v3")
    box.username.setText("auditor")
    box.auth.setCurrentText("sha256")
    box.auth_password.setText("auth-pass-1")
    box.priv.setCurrentText("aes")
    box.priv_password.setText("priv-pass-1")
    assert box.add_current(), box.message.text()
    assert memory_keyring.secrets[("camaudit", "snmp-auth:auditor@198.18.0.1")] == "auth-pass-1"
    assert memory_keyring.secrets[("camaudit", "snmp-priv:auditor@198.18.0.1")] == "priv-pass-1"
    credential = CredentialsBook(settings).store().snmp("198.18.0.1")
    assert credential is not None and credential.version == "3"
    assert (credential.username, credential.auth_protocol, credential.priv_protocol) == (
        "auditor", "sha256", "aes",
    )  # fmt: skip
    box.list.setCurrentRow(0)
    box.remove_selected()
    assert box.list.count() == 0
    assert not [k for k in memory_keyring.secrets if k[1].startswith("snmp-")]
    assert CredentialsBook(settings).store().snmp("198.18.0.1") is None


@pytest.mark.parametrize(
    ("version", "fill", "message"),
    [
        ("v2c", {}, "needs a 'community'"),
        ("v3", {"username": "auditor", "auth": "sha", "auth_password": "short"}, "RFC 3414"),
        ("v3", {"auth": "sha", "auth_password": "long-enough-1"}, "needs a non-empty 'username'"),
        ("v3", {"username": "u", "priv": "aes", "priv_password": "long-enough-1"}, "auth_protocol"),
    ],
)
def test_snmp_entries_the_cli_would_refuse_are_refused(
    qtbot, memory_keyring, settings, version, fill, message
) -> None:
    dialog = _snmp_box(qtbot, settings)
    box = dialog.snmp
    box.target.setText("198.18.0.1")
    box.version.setCurrentText(version)
    for name, value in fill.items():
        widget = getattr(box, name)
        widget.setCurrentText(value) if hasattr(widget, "setCurrentText") else widget.setText(value)
    assert not box.add_current()
    assert message in box.message.text()
    assert box.list.count() == 0 and not memory_keyring.secrets


def test_a_bad_snmp_target_is_refused(qtbot, memory_keyring, settings) -> None:
    dialog = _snmp_box(qtbot, settings)
    box = dialog.snmp
    box.target.setText("not-an-address")
    box.community.setText("x")
    assert not box.add_current()
    assert "not an IP address or subnet" in box.message.text()


def test_snmp_routers_need_an_snmp_entry_and_turn_the_method_on(
    qtbot, memory_keyring, monkeypatch
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from tests.gui.test_main_window import _window

    requests = []

    async def scan(request, stop):  # an empty scan: it only records what it was asked
        requests.append(request)
        nothing: tuple[object, ...] = ()
        for item in nothing:
            yield item

    window = _window(qtbot, scan)
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warned.append(str(a[2])))
    window.panel.snmp_routers.setText("8.8.8.8")
    window.start_scan()
    assert warned and "8.8.8.8" in warned[-1] and not requests  # outside the allowed ranges
    window.panel.snmp_routers.setText("198.18.0.1, 198.18.0.1")
    window.start_scan()
    assert "No SNMP entry covers 198.18.0.1" in warned[-1] and not requests
    window.credentials.snmp.add("198.18.0.0/24", "2c", {"community": "lab-ro-2026"})
    with qtbot.waitSignal(window.scan_finished, timeout=5000):
        qtbot.mouseClick(window.panel.start_button, Qt.MouseButton.LeftButton)
    (request,) = requests
    assert request.snmp_routers == ("198.18.0.1",)
    assert "routers" in request.methods
    credential = request.snmp_credential_lookup()("198.18.0.1")
    assert credential is not None and credential.community == "lab-ro-2026"
