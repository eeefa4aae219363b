"""Where the GUI keeps passwords and communities: the OS keyring (service ``camaudit``), or, where
no keyring works (a headless root session), this session's memory, and then it says so."""

from __future__ import annotations

import contextlib

import keyring

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
