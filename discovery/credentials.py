"""Credentials the user gave, per device IP or subnet (docs/design.md, "Secrets").

A credentials file is TOML::

    [[credential]]
    target = "198.18.0.0/24"      # or one IP
    username = "admin"
    password = "..."              # or: keyring = true
    allow_basic_over_http = true  # optional, default false: see below

With ``keyring = true`` the password is read from the OS keyring, service ``camaudit``,
user name ``<username>@<target>`` (set it with
``keyring set camaudit admin@198.18.0.0/24``).  The most specific target wins.

HTTP Basic sends the password readably (Base64) to anyone on the path, so camaudit answers
a Basic challenge only over TLS, unless the entry says ``allow_basic_over_http = true``: a
user's explicit choice for the devices of that entry (some cameras' web servers know only
Basic on plain HTTP).  Which targets allow it is recorded with the scan (never the secret).
Passwords are never logged, never stored with a scan and never put in an event or an
export: :class:`discovery.base.Credential` hides its password from ``repr``, and nothing
here formats one into a message.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from discovery.base import Credential, DiscoveryError

KEYRING_SERVICE = "camaudit"


class CredentialsError(DiscoveryError):
    """The credentials file is unreadable or an entry is incomplete (no secret in the text)."""


@dataclass(frozen=True)
class CredentialEntry:
    network: ipaddress.IPv4Network
    credential: Credential
    allow_basic_over_http: bool = False


def keyring_user(username: str, target: str) -> str:
    """The keyring user name that holds the password for ``username`` on ``target``."""
    return f"{username}@{target}"


def _keyring_password(username: str, target: str) -> str:
    try:
        # Imported here: loading a keyring backend probes the desktop session.
        import keyring  # noqa: PLC0415
        import keyring.errors  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - keyring is a runtime dependency
        raise CredentialsError(f"the keyring package is not available: {exc}") from None
    try:
        secret = keyring.get_password(KEYRING_SERVICE, keyring_user(username, target))
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"cannot read the OS keyring: {type(exc).__name__}") from None
    if secret is None:
        raise CredentialsError(
            f"no password in the OS keyring for service {KEYRING_SERVICE!r}, "
            f"user {keyring_user(username, target)!r}"
        )
    return str(secret)


def _entry(raw: Any, index: int) -> CredentialEntry:
    where = f"credential #{index + 1}"
    if not isinstance(raw, Mapping):
        raise CredentialsError(f"{where} is not a table")
    target, username = raw.get("target"), raw.get("username")
    if not isinstance(target, str) or not isinstance(username, str) or not username:
        raise CredentialsError(f"{where} needs a string 'target' and a non-empty 'username'")
    try:
        network = ipaddress.IPv4Network(target.strip(), strict=False)
    except ValueError:
        raise CredentialsError(
            f"{where}: target {target!r} is not an IPv4 address or CIDR"
        ) from None
    password = raw.get("password")
    if raw.get("keyring") is True:
        password = _keyring_password(username, target.strip())
    elif not isinstance(password, str):
        raise CredentialsError(
            f"{where} ({username}@{target}) needs 'password' or 'keyring = true'"
        )
    basic = raw.get("allow_basic_over_http", False)
    if not isinstance(basic, bool):
        raise CredentialsError(f"{where}: 'allow_basic_over_http' must be true or false")
    return CredentialEntry(network, Credential(username, password), basic)


class CredentialStore:
    """Looks up the credential for one IP: the most specific matching target wins."""

    def __init__(self, entries: list[CredentialEntry] | None = None) -> None:
        self._entries = sorted(entries or [], key=lambda e: -e.network.prefixlen)

    def __call__(self, ip: str) -> Credential | None:
        entry = self._entry_for(ip)
        return entry.credential if entry else None

    def allows_basic_over_http(self, ip: str) -> bool:
        """Whether the user allowed HTTP Basic without TLS for ``ip`` (its entry says so)."""
        entry = self._entry_for(ip)
        return entry.allow_basic_over_http if entry else False

    def _entry_for(self, ip: str) -> CredentialEntry | None:
        try:
            addr = ipaddress.IPv4Address(ip)
        except ValueError:
            return None
        return next((e for e in self._entries if addr in e.network), None)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"CredentialStore({len(self._entries)} entries)"

    @property
    def targets(self) -> list[str]:
        return [str(e.network) for e in self._entries]

    @property
    def basic_over_http_targets(self) -> list[str]:
        """The targets whose entry allows HTTP Basic without TLS (for the scan record)."""
        return [str(e.network) for e in self._entries if e.allow_basic_over_http]


def parse_credentials(text: str) -> CredentialStore:
    """Parse a credentials file's text (TOML)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message names a line and column, never the value.
        raise CredentialsError(f"credentials file is not valid TOML: {exc}") from None
    raw = data.get("credential", [])
    if not isinstance(raw, list):
        raise CredentialsError("'credential' must be an array of tables ([[credential]])")
    return CredentialStore([_entry(item, i) for i, item in enumerate(raw)])


def load_credentials(path: Path) -> CredentialStore:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(f"cannot read credentials file {path}: {exc}") from None
    return parse_credentials(text)
