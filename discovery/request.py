"""What a user asks a scan to do: one plain, picklable description for every front end.

``camaudit scan`` builds a :class:`ScanRequest` from its arguments, the GUI from its scan
panel (and sends it to its scan process), benchmarks and tests directly.  The orchestrator
(``discovery.scan``) runs it; :meth:`ScanRequest.record` is the :class:`core.model.Scan` as it
is saved and exported: how the scan ran, never a secret.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.model import Scan, SiteProfile
from discovery.base import Credential, Network, SnmpCredential
from discovery.methods import SCAN_METHODS

CredentialLookup = Callable[[str], Credential | None]


def _no_credentials(ip: str) -> Credential | None:
    return None


def _no_snmp(ip: str) -> SnmpCredential | None:
    return None


@dataclass(frozen=True)
class ScanRequest:
    """Where to look, with which methods, how fast, for which site and policies.

    ``targets`` are networks as strings (``198.18.0.0/24``), already checked by
    ``discovery.targets.parse_targets``.  ``credentials`` is a per-address lookup (a
    ``CredentialStore`` pickles; it never reaches a Scan record).  ``policies`` empty means
    every pack.  ``exclude`` addresses are never probed (default: the interface's own).
    """

    targets: tuple[str, ...]
    interface: str | None = None
    methods: tuple[str, ...] = SCAN_METHODS
    timeout: float = 2.0  # per request, seconds
    rate: float = 500.0  # packets per second ceiling for sweeps
    concurrency: int = 64
    connect_concurrency: int = 512
    discovery_window: float = 3.0  # how long the multicast protocols listen
    grace: float = 10.0  # a listening probe is cut off this long after its window closes
    ports: tuple[int, ...] = ()  # TCP ports to check (empty: the camera ports)
    exclude: tuple[str, ...] = ()
    site: SiteProfile = field(default_factory=SiteProfile)
    policies: tuple[str, ...] = ()
    credentials: CredentialLookup | None = field(default=None, repr=False, compare=False)
    origin: str = "cli"  # who asked: cli, gui, bench, test
    snmp_routers: tuple[str, ...] = ()  # routers/switches whose tables to read (method routers)
    site_name: str = ""  # the site this scan is stored under (empty: the unnamed site)

    def networks(self) -> list[Network]:
        return [ipaddress.ip_network(t, strict=False) for t in self.targets]

    def credential_lookup(self) -> CredentialLookup:
        return self.credentials or _no_credentials

    def snmp_credential_lookup(self) -> Callable[[str], SnmpCredential | None]:
        """The ``[[snmp]]`` entries of the credentials (none: SNMP asks nobody)."""
        lookup = getattr(self.credentials, "snmp", None)
        return lookup if callable(lookup) else _no_snmp

    def record(self, data_versions: dict[str, str] | None = None) -> Scan:
        """The Scan record this request starts: settings only, never a password."""
        options: dict[str, Any] = {
            "interface": self.interface or "",
            "timeout": self.timeout,
            "rate": self.rate,
            "concurrency": self.concurrency,
            "ports": list(self.ports),
            "credentials_for": list(getattr(self.credentials, "targets", [])),
            "basic_over_http_for": list(getattr(self.credentials, "basic_over_http_targets", [])),
            "started_from": self.origin,
            "snmp_credentials_for": list(
                getattr(getattr(self.credentials, "snmp", None), "targets", [])
            ),
            "snmp_routers": list(self.snmp_routers),
        }
        return Scan(
            targets=tuple(self.targets),
            methods=tuple(self.methods),
            site=self.site,
            policies=tuple(self.policies),
            options=options,
            data_versions=dict(data_versions or {}),
        )
