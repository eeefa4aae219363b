"""What a scan may look at: target parsing and scope safety (DESIGN.md, "Scope").

The default target is the chosen interface's own subnet.  Public address ranges are
refused unless the user says ``--allow-public``; ranges larger than a /16 need
``--force`` because a sweep of them takes long and looks like an attack to an IDS.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Iterable, Iterator, Sequence

from discovery.base import DiscoveryError

# Ranges that never leave a site: RFC 1918, CGNAT (RFC 6598), link-local, the RFC 2544
# benchmarking range the lab uses, and loopback.  Everything else counts as public.
NON_PUBLIC = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "198.18.0.0/15",
        "127.0.0.0/8",
    )
)
LARGEST_UNFORCED_PREFIX = 16


class TargetError(DiscoveryError):
    """A target the user gave cannot or may not be scanned (the message says why)."""


def is_non_public(net: ipaddress.IPv4Network) -> bool:
    """True when the whole network lies inside one of the non-public ranges."""
    return any(net.subnet_of(block) for block in NON_PUBLIC)


def parse_network(text: str) -> ipaddress.IPv4Network:
    """One target: ``198.18.0.0/24``, ``198.18.0.7`` (a /32) or ``198.18.0.7/24`` (its subnet)."""
    value = text.strip()
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise TargetError(f"{value!r} is not an IPv4 address or CIDR range ({exc})") from None
    if not isinstance(net, ipaddress.IPv4Network):
        raise TargetError(f"{value!r}: only IPv4 targets are supported")
    return net


def check_scope(
    net: ipaddress.IPv4Network, *, allow_public: bool = False, force: bool = False
) -> None:
    """Raise TargetError unless ``net`` may be scanned with these permissions."""
    if not allow_public and not is_non_public(net):
        raise TargetError(
            f"{net} contains public addresses; camaudit scans only private, CGNAT, link-local, "
            "benchmarking (198.18.0.0/15) and loopback ranges unless you pass --allow-public "
            "(and are allowed to scan that range)"
        )
    if net.prefixlen < LARGEST_UNFORCED_PREFIX and not force:
        raise TargetError(
            f"{net} has {net.num_addresses:,} addresses (larger than a /16); "
            "pass --force if you really mean to sweep it"
        )


def parse_targets(
    specs: Iterable[str], *, allow_public: bool = False, force: bool = False
) -> list[ipaddress.IPv4Network]:
    """Parse comma- or space-separated targets, check each one's scope, drop duplicates."""
    nets: list[ipaddress.IPv4Network] = []
    for spec in specs:
        for part in spec.replace(",", " ").split():
            net = parse_network(part)
            check_scope(net, allow_public=allow_public, force=force)
            if not any(net.subnet_of(known) for known in nets):
                nets = [n for n in nets if not n.subnet_of(net)] + [net]
    if not nets:
        raise TargetError("no targets given")
    return nets


def parse_ip_addr_json(text: str) -> list[ipaddress.IPv4Interface]:
    """The IPv4 addresses (with prefix) in ``ip -j -4 addr show`` output."""
    try:
        links = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise TargetError(f"cannot read `ip -j addr` output: {exc}") from None
    out: list[ipaddress.IPv4Interface] = []
    for link in links if isinstance(links, list) else []:
        for info in link.get("addr_info", []) if isinstance(link, dict) else []:
            if isinstance(info, dict) and info.get("family") == "inet":
                try:
                    out.append(ipaddress.IPv4Interface(f"{info['local']}/{info['prefixlen']}"))
                except (KeyError, ValueError):
                    continue
    return out


def interface_addresses(interface: str) -> list[ipaddress.IPv4Interface]:
    """The IPv4 addresses configured on ``interface`` (reads, sends nothing)."""
    try:
        proc = subprocess.run(
            ["ip", "-j", "-4", "addr", "show", "dev", interface],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TargetError(f"cannot list the addresses of {interface}: {exc}") from None
    if proc.returncode != 0:
        raise TargetError(f"no such interface {interface!r}: {proc.stderr.strip()}")
    return parse_ip_addr_json(proc.stdout)


def default_targets(interface: str) -> list[ipaddress.IPv4Network]:
    """The interface's own subnet(s): what a scan covers when no target is given."""
    addrs = interface_addresses(interface)
    if not addrs:
        raise TargetError(
            f"{interface} has no IPv4 address; give --targets or choose another --interface"
        )
    return list(dict.fromkeys(a.network for a in addrs))


def iter_hosts(
    networks: Sequence[ipaddress.IPv4Network], exclude: Iterable[str] = ()
) -> Iterator[str]:
    """Every host address in ``networks`` (a /32 is its own host), minus ``exclude``."""
    skip = set(exclude)
    seen: set[str] = set()
    for net in networks:
        for addr in net.hosts():  # a /32 yields itself, a /31 both addresses
            ip = str(addr)
            if ip not in skip and ip not in seen:
                seen.add(ip)
                yield ip


def host_count(networks: Sequence[ipaddress.IPv4Network]) -> int:
    return sum(n.num_addresses if n.prefixlen >= 31 else n.num_addresses - 2 for n in networks)


def in_networks(ip: str, networks: Sequence[ipaddress.IPv4Network]) -> bool:
    try:
        addr = ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    return any(addr in n for n in networks)
