"""Small Qt helpers shared by the widgets."""

from __future__ import annotations

import html
from typing import TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel

T = TypeVar("T", bound=QObject)


def named(obj: T, name: str) -> T:
    """Give a widget an objectName (tests and stylesheets find it by that) and return it."""
    obj.setObjectName(name)
    return obj


def plain_label(label: QLabel) -> QLabel:
    """A label that shows its text literally: a QLabel guesses rich text from a leading tag,
    and its messages can quote a device key or an error that quotes a device string."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally: Qt renders a tooltip that looks like markup as
    rich text, so a device's model string ``<img src=/tmp/x.png>`` would load a local image.
    Escaped and wrapped in ``<qt>``, it is shown as the characters it is."""
    if not text:
        return text
    body = html.escape(text, quote=False).replace("\n", "<br>")
    return f"<qt>{body}</qt>"
