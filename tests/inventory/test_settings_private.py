"""The desktop app's settings file is the user's alone, as the databases are (issue 16)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from inventory.settings import private_settings_file


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_settings_file_and_its_folders_are_private(tmp_path: Path) -> None:
    path = tmp_path / "config" / "camaudit" / "camaudit.conf"
    tmp_path.chmod(0o755)
    old = os.umask(0o022)  # the usual umask: files 0644 and folders 0755 unless asked
    try:
        private_settings_file(path)
    finally:
        os.umask(old)
    assert path.is_file() and path.read_bytes() == b""
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700
    assert _mode(tmp_path) == 0o755  # a folder that existed is left alone


def test_an_existing_settings_file_is_made_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "camaudit.conf"
    path.write_text("[export]\norganisation=Acme\n")
    path.chmod(0o644)
    before = _mode(tmp_path)
    private_settings_file(path)
    assert _mode(path) == 0o600
    assert path.read_text() == "[export]\norganisation=Acme\n"
    assert _mode(tmp_path) == before
