from __future__ import annotations

import os
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QSettings and the store must never touch the developer's real config during tests.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="camaudit-gui-config-")


@pytest.fixture(autouse=True)
def _qt_app(qapp):
    """Every GUI test runs with the (one) QApplication, even pure model tests."""
    return qapp
