"""MACs from the OS neighbour table: the fallback when an ARP sweep needs privilege we lack.

The TCP probes make the kernel resolve every host they touch, so afterwards
``/proc/net/arp`` (per network namespace) holds their MACs.  Reading it sends nothing.
Observations carry ``method="neighbour-table"`` so the scan record says how a MAC was
learned (an auditor trusts a sweep reply and a cached entry differently).
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from core.model import Observation, Problem, normalize_mac
from discovery.base import ParseError, ProbeContext

PROC_ARP = Path("/proc/net/arp")
METHOD = "neighbour-table"
_ATF_COM = 0x2  # entry complete: the kernel saw a reply


def parse_proc_net_arp(
    text: str,
    interface: str | None = None,
    networks: Sequence[ipaddress.IPv4Network] = (),
) -> list[Observation]:
    """Complete entries of ``/proc/net/arp`` (optionally one interface and some networks)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("IP address"):
        raise ParseError("not a /proc/net/arp table")
    out: list[Observation] = []
    for line in lines[1:]:
        cols = line.split()
        if len(cols) < 6:
            continue
        ip, flags, mac, device = cols[0], cols[2], cols[3], cols[5]
        try:
            addr = ipaddress.IPv4Address(ip)
            complete = int(flags, 16) & _ATF_COM
        except ValueError:
            continue
        norm = normalize_mac(mac)
        if not complete or norm is None or (interface and device != interface):
            continue
        if networks and not any(addr in n for n in networks):
            continue
        out.append(Observation.of("neighbours", method=METHOD, ip=ip, mac=norm))
    return out


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """Read the neighbour table once (no packets)."""
    try:
        text = PROC_ARP.read_text(encoding="ascii", errors="replace")
        observations = parse_proc_net_arp(text, ctx.interface, ctx.networks)
    except (OSError, ParseError) as exc:
        yield Problem("neighbours", "unavailable", f"cannot read the neighbour table: {exc}")
        return
    wanted = set(ctx.hosts)
    for obs in observations:
        if not wanted or obs.ip in wanted:
            yield obs
