from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _qt_app(qapp):
    """Every GUI test runs with the (one) QApplication, even pure model tests."""
    return qapp
