"""Where the GUI keeps passwords and communities: the OS keyring (service ``camaudit``), or, where
no keyring works (a headless root session), this session's memory, and then it says so."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import TypeVar

import keyring
from PySide6.QtWidgets import QListWidget

from discovery.credentials import KEYRING_SERVICE


class Secrets:
    """Secrets by keyring user name (``<user>@<target>``, the CLI's layout)."""

    def __init__(self) -> None:
        self._session: dict[str, str] = {}
        self.keyring_error = ""  # why the last put stayed in memory, or ""

    def put(self, user: str, secret: str) -> None:
        try:
            keyring.set_password(KEYRING_SERVICE, user, secret)
            self.keyring_error = ""
        except Exception as exc:  # any backend failure: keep it for this session only
            self.keyring_error = (
                f"OS keyring unavailable ({type(exc).__name__}); kept for this session"
            )
            self._session[user] = secret

    def get(self, user: str) -> str | None:
        if user in self._session:
            return self._session[user]
        try:
            value = keyring.get_password(KEYRING_SERVICE, user)
        except Exception:
            return None
        return None if value is None else str(value)

    def drop(self, user: str) -> None:
        self._session.pop(user, None)
        with contextlib.suppress(Exception):  # nothing stored there, or no keyring: fine
            keyring.delete_password(KEYRING_SERVICE, user)


SAVED = "Saved in the OS keyring."
E = TypeVar("E")


def saved_message(secrets: Secrets) -> str:
    """What a dialog says after saving: where the secret went."""
    return secrets.keyring_error or SAVED


def remove_selected(shown: QListWidget, entries: Sequence[E], remove: Callable[[E], None]) -> bool:
    """Remove the entry a list widget has selected (it lists ``entries`` in order)."""
    row = shown.currentRow()
    if not 0 <= row < len(entries):
        return False
    remove(entries[row])
    return True
