"""The window's settings file (QSettings) is private from the start and stays so when Qt
rewrites it; message labels show device-derived text literally (issue 16)."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

from gui.main_window import AppContext, MainWindow


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_settings_file_is_private_before_and_after_qt_writes_it(qtbot) -> None:
    scope = f"camaudit-test-{uuid.uuid4().hex}"
    old = os.umask(0o022)  # files 0644, folders 0755 unless the app asks otherwise
    try:
        window = MainWindow(AppContext(settings_scope=scope))
        qtbot.addWidget(window)
        path = Path(window.settings.fileName())
        assert path.is_file() and _mode(path) == 0o600
        assert _mode(path.parent) == 0o700
        window.settings.setValue("export/organisation", "Acme Corp")
        window.settings.setValue("credentials/targets", ["198.18.0.0/24|operator"])
        window.settings.sync()  # Qt writes a new file and renames it over the old one
    finally:
        os.umask(old)
    assert "Acme Corp" in path.read_text()
    assert _mode(path) == 0o600


def test_message_labels_show_markup_as_text(qtbot) -> None:
    window = MainWindow(AppContext(settings_scope=f"camaudit-test-{uuid.uuid4().hex}"))
    qtbot.addWidget(window)
    label = window.history.message
    label.setText('<img src="/tmp/x.png" width=300 height=300> from serial:<b>x</b>')
    assert label.text().startswith("<img")
    # A default QLabel guesses rich text from the leading tag and lays out a 300 px image.
    assert label.sizeHint().height() < 100
    for other in (window.disposition_editor.message, window.phase_label):
        other.setText(label.text())
        assert other.sizeHint().height() < 100
