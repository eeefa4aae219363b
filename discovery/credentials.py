"""Credentials the user gave, per device IP or subnet (docs/design.md, "Secrets").

A credentials file is TOML::

    [[credential]]
    target = "198.18.0.0/24"      # or one IP; IPv6 too ("fd00::/64", "fd00::7", "fe80::1%eth0")
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
SNMP (``camaudit scan`` methods ``snmp`` and ``routers``) reads only with what the user lists
here, never a guessed community (not even ``public``)::

    [[snmp]]
    target = "198.18.0.1"         # a device, router or subnet; the most specific wins
    version = "2c"                # "1", "2c" or "3"
    community = "..."             # v1/v2c (or keyring = true: user snmp-community@<target>)

    [[snmp]]
    target = "198.18.0.0/24"
    version = "3"
    username = "auditor"
    auth_protocol = "sha256"      # md5, sha, sha224, sha256, sha384, sha512; omit for noAuth
    auth_password = "..."         # keyring = true: users snmp-auth:<user>@<target> and
    priv_protocol = "aes"         # des, aes, aes192, aes256; omit for noPriv
    priv_password = "..."         # snmp-priv:<user>@<target>
    port = 161                    # optional

Passwords are never logged, never stored with a scan and never put in an event or an
export: :class:`discovery.base.Credential` hides its password from ``repr``, and nothing
here formats one into a message.

A credentials file that group or others may read gets a one-line warning
(:attr:`CredentialStore.warnings`), which a scan records among its problems: the file
holds passwords, so it should be ``chmod 600``.  The scan still runs (refusing would only
make the user loosen something else).
"""

from __future__ import annotations

import ipaddress
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.model import Problem
from discovery.base import Credential, DiscoveryError, Network, SnmpCredential

KEYRING_SERVICE = "camaudit"


class CredentialsError(DiscoveryError):
    """The credentials file is unreadable or an entry is incomplete (no secret in the text)."""


@dataclass(frozen=True)
class CredentialEntry:
    network: Network
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
        network = target_network(target)
    except ValueError:
        raise CredentialsError(
            f"{where}: target {target!r} is not an IPv4 or IPv6 address or prefix"
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


def target_network(target: str) -> Network:
    """A target as a network: an address (either family) is its own /32 or /128.  A zone
    (``fe80::1%eth0``) is dropped: it names the scanner's interface, not the device."""
    address, sep, rest = target.strip().partition("%")
    if sep:  # fe80::1%eth0 or fe80::%eth0/64
        zone, _, prefix = rest.partition("/")
        if not zone or ":" not in address:
            raise ValueError(f"bad zone in {target!r}")
        address += f"/{prefix}" if prefix else ""
    return ipaddress.ip_network(address, strict=False)


def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(ip.partition("%")[0])
    except ValueError:
        return None


# ---- SNMP: [[snmp]] entries (communities and v3 users), looked up like [[credential]]

SNMP_AUTH = frozenset({"md5", "sha", "sha224", "sha256", "sha384", "sha512"})
SNMP_PRIV = frozenset({"des", "aes", "aes192", "aes256"})
USM_MIN_PASSWORD = 8  # RFC 3414 section 11.2: shorter USM passwords are refused by agents


@dataclass(frozen=True)
class SnmpEntry:
    network: Network
    credential: SnmpCredential


def _snmp_secret(raw: Mapping[str, Any], key: str, keyring_user_name: str, target: str) -> str:
    """``raw[key]``, or the keyring's secret for ``keyring_user_name`` with ``keyring = true``."""
    if raw.get("keyring") is True:
        return _keyring_password(keyring_user_name, target)
    value = raw.get(key, "")
    return value if isinstance(value, str) else ""


def _snmp_v3(raw: Mapping[str, Any], where: str, target: str, port: int) -> SnmpCredential:
    user = raw.get("username")
    if not isinstance(user, str) or not user:
        raise CredentialsError(f"{where}: SNMPv3 needs a non-empty 'username'")
    auth = str(raw.get("auth_protocol", "")).lower()
    priv = str(raw.get("priv_protocol", "")).lower()
    if auth and auth not in SNMP_AUTH:
        raise CredentialsError(f"{where}: auth_protocol must be one of {sorted(SNMP_AUTH)}")
    if priv and priv not in SNMP_PRIV:
        raise CredentialsError(f"{where}: priv_protocol must be one of {sorted(SNMP_PRIV)}")
    if priv and not auth:
        raise CredentialsError(f"{where}: SNMPv3 privacy needs an auth_protocol too")
    auth_pw = _snmp_secret(raw, "auth_password", f"snmp-auth:{user}", target) if auth else ""
    priv_pw = _snmp_secret(raw, "priv_password", f"snmp-priv:{user}", target) if priv else ""
    for name, value, used in (("auth", auth_pw, auth), ("priv", priv_pw, priv)):
        if used and len(value) < USM_MIN_PASSWORD:
            raise CredentialsError(
                f"{where} ({user}@{target}): the {name} password must have at least "
                f"{USM_MIN_PASSWORD} characters (RFC 3414)"
            )
    return SnmpCredential("3", "", user, auth, auth_pw, priv, priv_pw, port)


def _snmp_entry(raw: Any, index: int) -> SnmpEntry:
    where = f"snmp #{index + 1}"
    if not isinstance(raw, Mapping):
        raise CredentialsError(f"{where} is not a table")
    target, version = raw.get("target"), str(raw.get("version", ""))
    if not isinstance(target, str):
        raise CredentialsError(f"{where} needs a string 'target'")
    try:
        network = target_network(target)
    except ValueError:
        raise CredentialsError(f"{where}: target {target!r} is not an address or prefix") from None
    port = raw.get("port", 161)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise CredentialsError(f"{where}: 'port' must be a number from 1 to 65535")
    if version == "3":
        return SnmpEntry(network, _snmp_v3(raw, where, target.strip(), port))
    if version not in ("1", "2c"):
        raise CredentialsError(f"{where}: 'version' must be 1, 2c or 3 (as a string)")
    community = _snmp_secret(raw, "community", "snmp-community", target.strip())
    if not community:
        raise CredentialsError(f"{where} ({target}): SNMPv{version} needs a 'community'")
    return SnmpEntry(network, SnmpCredential(version, community, port=port))


class SnmpStore:
    """The SNMP credential for one address: the most specific [[snmp]] target wins."""

    def __init__(self, entries: list[SnmpEntry] | None = None) -> None:
        self._entries = sorted(entries or [], key=lambda e: -e.network.prefixlen)

    def __call__(self, ip: str) -> SnmpCredential | None:
        addr = _address(ip)
        if addr is None:
            return None
        for entry in self._entries:
            if entry.network.version == addr.version and addr in entry.network:
                return entry.credential
        return None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def targets(self) -> list[str]:
        return [str(e.network) for e in self._entries]


def parse_snmp(raw: Any) -> SnmpStore:
    """The ``[[snmp]]`` array of a credentials file."""
    if not isinstance(raw, list):
        raise CredentialsError("'snmp' must be an array of tables ([[snmp]])")
    return SnmpStore([_snmp_entry(item, i) for i, item in enumerate(raw)])


class CredentialStore:
    """Looks up the credential for one IP (either family): the most specific target wins."""

    def __init__(
        self, entries: list[CredentialEntry] | None = None, warnings: tuple[str, ...] = ()
    ) -> None:
        self._entries = sorted(entries or [], key=lambda e: -e.network.prefixlen)
        self.warnings = warnings  # one line each, for the user (see the module docstring)
        self.snmp = SnmpStore()  # [[snmp]] entries: communities and v3 users

    def __call__(self, ip: str) -> Credential | None:
        entry = self._entry_for(ip)
        return entry.credential if entry else None

    def allows_basic_over_http(self, ip: str) -> bool:
        """Whether the user allowed HTTP Basic without TLS for ``ip`` (its entry says so)."""
        entry = self._entry_for(ip)
        return entry.allow_basic_over_http if entry else False

    def _entry_for(self, ip: str) -> CredentialEntry | None:
        addr = _address(ip)
        if addr is None:
            return None
        return next(
            (e for e in self._entries if e.network.version == addr.version and addr in e.network),
            None,
        )

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

    def problems(self) -> list[Problem]:
        """The warnings as the problems a scan records (never a secret in them)."""
        return [Problem("credentials", "insecure_file", text) for text in self.warnings]


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
    store = CredentialStore([_entry(item, i) for i, item in enumerate(raw)])
    store.snmp = parse_snmp(data.get("snmp", []))
    return store


def load_credentials(path: Path) -> CredentialStore:
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(f"cannot read credentials file {path}: {exc}") from None
    store = parse_credentials(text)
    if warning := permission_warning(path, mode):
        store.warnings = (*store.warnings, warning)
    return store


def permission_warning(path: Path, mode: int) -> str | None:
    """One line when group or others may read the file (it holds passwords), else None."""
    readers = [
        who for who, bit in (("group", stat.S_IRGRP), ("others", stat.S_IROTH)) if mode & bit
    ]
    if not readers:
        return None
    return (
        f"credentials file {path} is readable by {' and '.join(readers)} "
        f"(mode {stat.S_IMODE(mode):o}); it holds passwords: chmod 600 {path}"
    )
