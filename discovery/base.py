"""The contract every discovery probe keeps, and the one root error class.

A probe module (``discovery/<name>.py``) holds pure parsing functions (bytes in, observations
out, never a socket) and one I/O entry point::

    async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | ProbeError]

The orchestrator (``discovery/scan.py``) runs probes with bounded concurrency, merges their
observations into devices (``core.merge.DeviceMerger``) and turns them into scan events.
A probe owns its timeouts and must stop promptly when cancelled, yielding what it found.
It sends only read-only requests (DESIGN.md, safety rules) and calls
``core.netguard.check_send_allowed`` before its first packet.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from core.model import Observation, ProbeError


class DiscoveryError(Exception):
    """Root of every error discovery raises on purpose."""


class ParseError(DiscoveryError):
    """A reply could not be understood. Parsers raise only this on bad input."""


@dataclass(frozen=True, slots=True)
class Credential:
    """A username/password the user gave for one device or subnet (never stored in a scan)."""

    username: str
    password: str = field(repr=False)


@dataclass
class ProbeContext:
    """What a probe is told: where to look, how fast, with which credentials."""

    interface: str | None
    networks: Sequence[ipaddress.IPv4Network]
    hosts: Sequence[str] = ()  # live hosts known so far (unicast probes use them)
    timeout: float = 2.0  # per-request timeout, seconds
    concurrency: int = 64
    rate: float = 500.0  # packets per second ceiling for sweeps
    credentials: Callable[[str], Credential | None] = lambda ip: None
    options: Mapping[str, object] = field(default_factory=dict)


ProbeResult = Observation | ProbeError


class Probe(Protocol):
    def __call__(self, ctx: ProbeContext) -> AsyncIterator[ProbeResult]: ...
