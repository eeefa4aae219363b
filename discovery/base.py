"""The contract every discovery probe keeps, and the one root error class.

A probe module (``discovery/<name>.py``) holds pure parsing functions (bytes in, observations
out, never a socket) and one I/O entry point::

    async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]

The orchestrator (``discovery/scan.py``) runs probes with bounded concurrency, merges their
observations into devices (``core.merge.DeviceMerger``) and turns them into scan events.
A probe owns its timeouts and must stop promptly when cancelled, yielding what it found.
It sends only read-only requests (docs/design.md, safety rules) and calls
``core.netguard.check_send_allowed`` before its first packet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from core.model import Observation, Problem

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
"""A scan target: IPv4 networks are swept, IPv6 prefixes listened on (discovery/targets.py)."""


class DiscoveryError(Exception):
    """Root of every error discovery raises on purpose."""


class ParseError(DiscoveryError):
    """A reply could not be understood. Parsers raise only this on bad input."""


@dataclass(frozen=True, slots=True)
class Credential:
    """A username/password the user gave for one device or subnet (never stored in a scan)."""

    username: str
    password: str = field(repr=False)


SNMP_VERSIONS = ("1", "2c", "3")


@dataclass(frozen=True, slots=True)
class SnmpCredential:
    """An SNMP community (v1/v2c) or USM user (v3) the user gave for a device, subnet or
    router (discovery/credentials.py); never guessed, never stored in a scan.

    ``auth_protocol`` / ``priv_protocol`` are "" for none (v3 noAuthNoPriv / authNoPriv),
    else md5, sha, sha224, sha256, sha384, sha512 / des, aes, aes192, aes256.
    """

    version: str  # one of SNMP_VERSIONS
    community: str = field(default="", repr=False)
    username: str = ""
    auth_protocol: str = ""
    auth_password: str = field(default="", repr=False)
    priv_protocol: str = ""
    priv_password: str = field(default="", repr=False)
    port: int = 161


def _no_snmp(ip: str) -> SnmpCredential | None:
    return None


WEB_PORTS: tuple[int, ...] = (80, 81, 443, 5000, 8080, 8081, 8443, 8888)
TLS_PORTS: frozenset[int] = frozenset({443, 8443})
RTSP_PORTS: tuple[int, ...] = (554, 8554)
ONVIF_PORTS: tuple[int, ...] = (80, 8899, 8080, 81, 8000, 5000)
# Services that greet first (discovery/banner.py reads the greeting and sends nothing).
BANNER_PORTS: tuple[tuple[int, str], ...] = ((21, "ftp"), (22, "ssh"), (23, "telnet"))
SIP_PORTS: tuple[int, ...] = (5060,)


@dataclass(frozen=True, slots=True)
class ServicePorts:
    """Which open TCP ports each service probe tries (tests narrow them to their fakes)."""

    web: tuple[int, ...] = WEB_PORTS
    tls: frozenset[int] = TLS_PORTS  # web ports spoken to with TLS
    rtsp: tuple[int, ...] = RTSP_PORTS
    onvif: tuple[int, ...] = ONVIF_PORTS
    banner: tuple[tuple[int, str], ...] = BANNER_PORTS  # (port, ftp | ssh | telnet)
    sip: tuple[int, ...] = SIP_PORTS  # SIP OPTIONS over UDP and TCP


@dataclass(frozen=True, slots=True)
class ScanHints:
    """What the earlier phases of a scan learnt, for the probes of the later ones."""

    open_ports: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    onvif_xaddrs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # ONVIF devices only
    dahua_hosts: frozenset[str] = frozenset()  # DHIP replies, Dahua scopes, port 37777


def _ignore_host(ip: str) -> None:
    return None


@dataclass
class ProbeContext:
    """What a probe is told: where to look, how fast, with which credentials."""

    interface: str | None
    networks: Sequence[Network]
    hosts: Sequence[str] = ()  # live hosts known so far (unicast probes use them)
    timeout: float = 2.0  # per-request timeout, seconds
    concurrency: int = 64
    rate: float = 500.0  # packets per second ceiling for sweeps
    credentials: Callable[[str], Credential | None] = lambda ip: None
    ports: tuple[int, ...] = ()  # TCP ports the port probe tries (empty: the camera ports)
    service_ports: ServicePorts = field(default_factory=ServicePorts)
    hints: ScanHints = field(default_factory=ScanHints)
    arp_retries: int = 1
    on_host_done: Callable[[str], None] = _ignore_host  # progress: one host finished
    snmp_credentials: Callable[[str], SnmpCredential | None] = _no_snmp
    routers: tuple[str, ...] = ()  # routers/switches whose ARP and bridge tables to read


ProbeResult = Observation | Problem


class Probe(Protocol):
    def __call__(self, ctx: ProbeContext) -> AsyncIterator[ProbeResult]: ...
