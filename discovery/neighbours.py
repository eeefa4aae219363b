"""MACs from the OS neighbour tables: the ARP fallback, and the only MAC source for IPv6.

The TCP probes make the kernel resolve every host they touch, so afterwards
``/proc/net/arp`` (per network namespace) holds their MACs.  IPv6 has no ARP and a /64 is
never swept: the kernel learns a neighbour's MAC from its Neighbor Solicitation when the
device answers us (a WS-Discovery ProbeMatch) and from Neighbor Discovery when we connect
to it, and ``ip -6 neigh`` lists those entries.  Reading either table sends nothing.
Observations carry ``method="neighbour-table"`` so the scan record says how a MAC was
learned (an auditor trusts a sweep reply and a cached entry differently).

Link-local IPv6 addresses are written with their zone (``fe80::1%eth0``), the form sockets
report them in, so a neighbour entry and a WS-Discovery reply name the same address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import subprocess
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from core.model import Observation, Problem, normalize_mac
from discovery.base import Network, ParseError, ProbeContext

PROC_ARP = Path("/proc/net/arp")
METHOD = "neighbour-table"
_ATF_COM = 0x2  # entry complete: the kernel saw a reply
# Entries whose MAC the kernel has seen (STALE: seen, not recently confirmed).  INCOMPLETE
# and FAILED carry no MAC; NOARP entries are multicast mappings, not neighbours.
USABLE_STATES = frozenset({"REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT"})
IP_TIMEOUT_S = 5.0


def _in(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Sequence[Network]) -> bool:
    return not networks or any(addr in n for n in networks)


def parse_proc_net_arp(
    text: str,
    interface: str | None = None,
    networks: Sequence[Network] = (),
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
        if not _in(addr, networks):
            continue
        out.append(Observation.of("neighbours", method=METHOD, ip=ip, mac=norm))
    return out


def scoped(ip: str, device: str) -> str:
    """The address as sockets name it: link-local IPv6 with ``%<interface>``, others plain."""
    addr = ipaddress.ip_address(ip.partition("%")[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.is_link_local and device:
        return f"{addr}%{device}"
    return str(addr)


def parse_ip_neigh_json(
    text: str,
    interface: str | None = None,
    networks: Sequence[Network] = (),
) -> list[Observation]:
    """Usable IPv6 entries of ``ip -j -6 neigh show`` (optionally one interface, networks)."""
    try:
        entries = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise ParseError(f"not `ip -j neigh` output: {exc}") from None
    if not isinstance(entries, list):
        raise ParseError("not `ip -j neigh` output: expected a list")
    out: list[Observation] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        # `ip neigh show dev X` leaves "dev" out of each entry: they are all X's.
        device = str(entry.get("dev") or interface or "")
        mac = normalize_mac(str(entry.get("lladdr", "")))
        states = entry.get("state", [])
        usable = isinstance(states, list) and USABLE_STATES.intersection(states)
        if mac is None or not usable:
            continue
        if interface and device != interface:
            continue
        try:
            addr = ipaddress.IPv6Address(str(entry.get("dst", "")))
        except ValueError:
            continue
        if addr.is_multicast or not _in(addr, networks):
            continue
        ip = scoped(str(addr), device)
        out.append(Observation.of("neighbours", method=METHOD, ip=ip, mac=mac))
    return out


def read_ipv6_table(interface: str | None) -> str:
    """``ip -j -6 neigh show [dev IFACE]`` (a netlink read: nothing is sent)."""
    argv = ["ip", "-j", "-6", "neigh", "show"] + (["dev", interface] if interface else [])
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=IP_TIMEOUT_S, check=False)
    if proc.returncode != 0:
        raise OSError(proc.stderr.strip() or f"`{' '.join(argv)}` failed")
    return proc.stdout


def _families(ctx: ProbeContext) -> tuple[bool, bool]:
    """Which tables to read: the families of the hosts asked about, else of the targets."""
    if ctx.hosts:
        return any(":" not in h for h in ctx.hosts), any(":" in h for h in ctx.hosts)
    return any(n.version == 4 for n in ctx.networks), any(n.version == 6 for n in ctx.networks)


async def _observations(ctx: ProbeContext) -> list[Observation]:
    want4, want6 = _families(ctx)
    out: list[Observation] = []
    if want4:
        text = PROC_ARP.read_text(encoding="ascii", errors="replace")
        out += parse_proc_net_arp(text, ctx.interface, ctx.networks)
    if want6:
        text = await asyncio.to_thread(read_ipv6_table, ctx.interface)
        out += parse_ip_neigh_json(text, ctx.interface, ctx.networks)
    return out


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """Read the neighbour tables once (no packets)."""
    try:
        observations = await _observations(ctx)
    except (OSError, ParseError, subprocess.TimeoutExpired) as exc:
        yield Problem("neighbours", "unavailable", f"cannot read the neighbour table: {exc}")
        return
    wanted = set(ctx.hosts)
    for obs in observations:
        if not wanted or obs.ip in wanted:
            yield obs
