"""What a scan may look at: target parsing and scope safety (docs/design.md, "Scope").

The default target is the chosen interface's own subnet (and its non-public IPv6 prefixes:
unique local and link-local).  Public address ranges are refused unless the user says
``--allow-public``; IPv4 ranges larger than a /16 need ``--force`` because a sweep of them
takes long and looks like an attack to an IDS.

IPv6 prefixes are **not swept** (a /64 has 2**64 addresses): on them a scan listens
(WS-Discovery on FF02::C, mDNS on FF02::FB) and reads the neighbour table, so an IPv6
target only says which answers are in scope.  Only tiny IPv6 ranges (``/120`` or longer)
are enumerated host by host; prefixes shorter than a /48 (a whole site) need ``--force``.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from discovery.base import DiscoveryError, Network

# Ranges that never leave a site: RFC 1918, CGNAT (RFC 6598), link-local, the RFC 2544
# benchmarking range the lab uses, and loopback; for IPv6 unique local addresses (RFC 4193,
# the lab's), link-local, loopback and the RFC 5180 benchmarking range.  Everything else,
# global unicast and the documentation prefix included, counts as public.
NON_PUBLIC: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "198.18.0.0/15",
        "127.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
        "2001:2::/48",
    )
)
LARGEST_UNFORCED_PREFIX = 16
LARGEST_UNFORCED_PREFIX6 = 48
SWEPT_PREFIX6 = 120  # IPv6 ranges this small (256 addresses) are enumerated; larger: listened


class TargetError(DiscoveryError):
    """A target the user gave cannot or may not be scanned (the message says why)."""


def _within(net: Network, block: Network) -> bool:
    """``net`` lies inside ``block`` (False across address families, never a TypeError)."""
    if isinstance(net, ipaddress.IPv4Network) and isinstance(block, ipaddress.IPv4Network):
        return net.subnet_of(block)
    if isinstance(net, ipaddress.IPv6Network) and isinstance(block, ipaddress.IPv6Network):
        return net.subnet_of(block)
    return False


def is_non_public(net: Network) -> bool:
    """True when the whole network lies inside one of the non-public ranges."""
    return any(_within(net, block) for block in NON_PUBLIC)


def is_swept(net: Network) -> bool:
    """IPv4 networks are swept host by host; IPv6 ones only when tiny (module docstring)."""
    return net.version == 4 or net.prefixlen >= SWEPT_PREFIX6


def parse_network(text: str) -> Network:
    """One target: ``198.18.0.0/24``, ``198.18.0.7`` (a /32), ``198.18.0.7/24`` (its subnet),
    ``fd00:1::/64``, ``fe80::/64`` or one IPv6 address (a /128); a zone (``%eth0``) is
    dropped: the scan's interface decides where link-local addresses are."""
    value = text.strip()
    address, _, length = value.partition("/")
    if "%" in address:
        address = address.partition("%")[0]
    plain = f"{address}/{length}" if length else address
    try:
        return ipaddress.ip_network(plain, strict=False)
    except ValueError as exc:
        raise TargetError(f"{value!r} is not an IP address or CIDR range ({exc})") from None


def check_scope(net: Network, *, allow_public: bool = False, force: bool = False) -> None:
    """Raise TargetError unless ``net`` may be scanned with these permissions."""
    if not allow_public and not is_non_public(net):
        raise TargetError(
            f"{net} contains public addresses; camaudit scans only private, CGNAT, link-local, "
            "benchmarking (198.18.0.0/15, 2001:2::/48), loopback and IPv6 unique local "
            "(fc00::/7) ranges unless you pass --allow-public (and are allowed to scan that range)"
        )
    if net.version == 6:
        if net.prefixlen < LARGEST_UNFORCED_PREFIX6 and not force:
            raise TargetError(
                f"{net} is larger than a /48 (a whole site, not one link); "
                "pass --force if you really mean it (IPv6 prefixes are listened on, not swept)"
            )
        return
    if net.prefixlen < LARGEST_UNFORCED_PREFIX and not force:
        raise TargetError(
            f"{net} has {net.num_addresses:,} addresses (larger than a /16); "
            "pass --force if you really mean to sweep it"
        )


def parse_targets(
    specs: Iterable[str], *, allow_public: bool = False, force: bool = False
) -> list[Network]:
    """Parse comma- or space-separated targets, check each one's scope, drop duplicates."""
    nets: list[Network] = []
    for spec in specs:
        for part in spec.replace(",", " ").split():
            net = parse_network(part)
            check_scope(net, allow_public=allow_public, force=force)
            if not any(_within(net, known) for known in nets):
                nets = [n for n in nets if not _within(n, net)] + [net]
    if not nets:
        raise TargetError("no targets given")
    return nets


IfaceT = TypeVar("IfaceT", ipaddress.IPv4Interface, ipaddress.IPv6Interface)


def _addresses(text: str, family: str) -> list[tuple[str, str]]:
    """(address, prefix length) of one family (``inet``/``inet6``) in ``ip -j addr`` output."""
    try:
        links = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise TargetError(f"cannot read `ip -j addr` output: {exc}") from None
    out: list[tuple[str, str]] = []
    for link in links if isinstance(links, list) else []:
        for info in link.get("addr_info", []) if isinstance(link, dict) else []:
            if isinstance(info, dict) and info.get("family") == family:
                out.append((str(info.get("local", "")), str(info.get("prefixlen", ""))))
    return out


def _interfaces(text: str, family: str, make: Callable[[str], IfaceT]) -> list[IfaceT]:
    out: list[IfaceT] = []
    for local, prefix in _addresses(text, family):
        try:
            out.append(make(f"{local}/{prefix}"))
        except ValueError:
            continue
    return out


def parse_ip_addr_json(text: str) -> list[ipaddress.IPv4Interface]:
    """The IPv4 addresses (with prefix) in ``ip -j -4 addr show`` output."""
    return _interfaces(text, "inet", ipaddress.IPv4Interface)


def parse_ip_addr6_json(text: str) -> list[ipaddress.IPv6Interface]:
    """The IPv6 addresses (with prefix) in ``ip -j -6 addr show`` output."""
    return _interfaces(text, "inet6", ipaddress.IPv6Interface)


def _ip_addr_show(interface: str, family_flag: str) -> subprocess.CompletedProcess[str]:
    """``ip -j -4|-6 addr show dev IF`` (reads, sends nothing); OSError or timeout raise."""
    return subprocess.run(
        ["ip", "-j", family_flag, "addr", "show", "dev", interface],
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    )


def interface_addresses(interface: str) -> list[ipaddress.IPv4Interface]:
    """The IPv4 addresses configured on ``interface`` (reads, sends nothing)."""
    try:
        proc = _ip_addr_show(interface, "-4")
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TargetError(f"cannot list the addresses of {interface}: {exc}") from None
    if proc.returncode != 0:
        raise TargetError(f"no such interface {interface!r}: {proc.stderr.strip()}")
    return parse_ip_addr_json(proc.stdout)


def _interface6(interface: str) -> list[ipaddress.IPv6Interface]:
    try:
        proc = _ip_addr_show(interface, "-6")
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_ip_addr6_json(proc.stdout) if proc.returncode == 0 else []


def interface_addresses6(interface: str) -> list[str]:
    """The interface's own IPv6 addresses (link-local ones with ``%interface``); reads only."""
    return [
        f"{a.ip}%{interface}" if a.ip.is_link_local else str(a.ip) for a in _interface6(interface)
    ]


def interface_networks6(interface: str) -> list[ipaddress.IPv6Network]:
    """The interface's non-public IPv6 prefixes (unique local, link-local); reads only."""
    nets = [a.network for a in _interface6(interface)]
    return list(dict.fromkeys(n for n in nets if is_non_public(n) and not n.is_loopback))


def default_targets(interface: str) -> list[Network]:
    """The interface's own subnet(s): what a scan covers when no target is given."""
    addrs = interface_addresses(interface)
    nets6 = interface_networks6(interface)
    if not addrs and not nets6:
        raise TargetError(
            f"{interface} has no IPv4 or non-public IPv6 address; give --targets or choose "
            "another --interface"
        )
    return [*dict.fromkeys(a.network for a in addrs), *nets6]


def iter_hosts(networks: Sequence[Network], exclude: Iterable[str] = ()) -> Iterator[str]:
    """Every host address in the swept ``networks`` (a /32 is its own host), minus
    ``exclude``; IPv6 prefixes longer than a tiny range are skipped (listened on instead)."""
    skip = set(exclude)
    seen: set[str] = set()
    for net in networks:
        if not is_swept(net):
            continue
        for addr in net.hosts():  # a /32 yields itself, a /31 both addresses
            ip = str(addr)
            if ip not in skip and ip not in seen:
                seen.add(ip)
                yield ip


def host_count(networks: Sequence[Network]) -> int:
    """How many addresses a sweep of ``networks`` touches (IPv6 prefixes: none)."""
    # As hosts() counts: IPv4 leaves out network and broadcast, IPv6 the subnet-router anycast.
    reserved = {4: 2, 6: 1}
    return sum(
        n.num_addresses
        if n.prefixlen >= n.max_prefixlen - 1
        else n.num_addresses - reserved[n.version]
        for n in networks
        if is_swept(n)
    )


def in_networks(ip: str, networks: Sequence[Network]) -> bool:
    """``ip`` (IPv4, IPv6, or link-local with a ``%zone``) lies in one of ``networks``."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr in n for n in networks)
