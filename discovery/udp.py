"""The UDP plumbing shared by the multicast discovery probes (WS-Discovery, SADP, DHIP, SSDP).

Measured in the lab: 200 cameras answer a multicast probe within
~50 ms, which overflows the default 208 kB receive buffer when the reader is slow, so the
socket asks for 4 MB and the reader drains datagrams straight into a queue.  A namespace
without a default route cannot send to a multicast group unless the interface is named
(``IP_MULTICAST_IF``), so the socket is pinned to the chosen interface's address when known.
Multicast TTL is 1: discovery never leaves the local segment.

IPv6 (``open_socket6``): link-scope groups (FF02::C, FF02::FB) exist per link, so the socket
names the interface by index (IPV6_MULTICAST_IF, IPV6_JOIN_GROUP) and sends with a hop
limit of 1; replies from link-local addresses arrive as ``fe80::…%<interface>``.  A scan
uses IPv6 only when its targets include an IPv6 prefix and the interface has IPv6.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import psutil

from core.model import Observation, Problem
from core.netguard import check_send_allowed
from discovery.base import Network, ParseError, ProbeContext

RCVBUF_BYTES = 4 * 1024 * 1024
MAX_DATAGRAM = 65535
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux value; absent on some builds

Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Datagram:
    data: bytes
    ip: str
    port: int


def interface_ipv4(name: str | None) -> str | None:
    """The first IPv4 address of interface ``name`` (None if unknown or not given)."""
    if not name:
        return None
    for addr in psutil.net_if_addrs().get(name, ()):
        if addr.family == socket.AF_INET and addr.address:
            return str(addr.address)
    return None


def interface_index6(name: str | None) -> int | None:
    """The index of interface ``name`` when it has an IPv6 address (None otherwise)."""
    if not name:
        return None
    if not any(a.family == socket.AF_INET6 for a in psutil.net_if_addrs().get(name, ())):
        return None
    try:
        return socket.if_nametoindex(name)
    except OSError:
        return None


def ipv6_wanted(ctx: ProbeContext) -> int | None:
    """The interface index to use IPv6 on: the targets hold an IPv6 prefix and the interface
    has IPv6 (None: this scan is IPv4 only)."""
    if not any(n.version == 6 for n in ctx.networks):
        return None
    return interface_index6(ctx.interface)


def open_socket6(ctx: ProbeContext, index: int, port: int = 0, group: str = "") -> socket.socket:
    """A non-blocking IPv6 UDP socket on interface ``index``, like :func:`open_socket`.

    With ``port`` and ``group`` it also joins the group, to hear what devices multicast
    (Hello); if the port is taken it falls back to an ephemeral port without the group.
    """
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        try:
            sock.bind(("::", port))
        except OSError:
            sock.bind(("::", 0))
            group = ""
        if group:
            mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", index)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def in_scope(ip: str, networks: Sequence[Network]) -> bool:
    """True when ``ip`` lies in one of the scan's networks (or no networks were given)."""
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in net for net in networks)


def open_socket(ctx: ProbeContext, port: int = 0, group: str | None = None) -> socket.socket:
    """A non-blocking UDP socket for one probe run.

    With ``port`` and ``group`` the socket also hears replies that devices multicast back to
    the group (older SADP and DHIP firmware does); if that port is taken by another program
    it falls back to an ephemeral port, which still receives every unicast reply.
    """
    local = interface_ipv4(ctx.interface)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        _configure(sock, local)
        try:
            sock.bind(("", port))
        except OSError:
            sock.bind(("", 0))
            group = None
        if group:
            _join(sock, group, local)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _configure(sock: socket.socket, local: str | None) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:  # root may exceed net.core.rmem_max (which a namespace cannot raise)
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES)
    except OSError:  # not privileged: the kernel caps it at rmem_max, which still works
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    if local:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(local))


def _join(sock: socket.socket, group: str, local: str | None) -> None:
    any_interface = socket.inet_aton(local) if local else struct.pack("!I", socket.INADDR_ANY)
    membership = struct.pack("4s4s", socket.inet_aton(group), any_interface)
    with contextlib.suppress(OSError):  # no multicast route: unicast replies still arrive
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)


def zoned(addr: tuple[str | int, ...]) -> str:
    """The sender's address; a link-local IPv6 one with its zone (``fe80::1%eth0``), as the
    neighbour table and mDNS name it and as a later connect() needs it."""
    host = str(addr[0])
    if len(addr) >= 4 and addr[3] and host.lower().startswith("fe80:") and "%" not in host:
        with contextlib.suppress(OSError, OverflowError):
            return f"{host}%{socket.if_indextoname(int(addr[3]))}"
    return host


class _Receiver(asyncio.DatagramProtocol):
    """Pushes each datagram into a queue as the event loop reads it (no parsing here)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Datagram] = asyncio.Queue()
        self.error: Exception | None = None

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.queue.put_nowait(Datagram(data, zoned(addr), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        self.error = exc  # ICMP port unreachable from a unicast target: not fatal


async def exchange(
    sock: socket.socket,
    sends: Iterable[tuple[bytes, Address]],
    window: float,
    rate: float,
    what: str,
) -> AsyncIterator[Datagram]:
    """Send ``sends`` (paced at ``rate`` per second) and yield every datagram heard until
    ``window`` seconds after the last send.  Closes the socket when done or cancelled."""
    try:
        check_send_allowed(what)
    except BaseException:
        sock.close()
        raise
    loop = asyncio.get_running_loop()
    transport, receiver = await loop.create_datagram_endpoint(_Receiver, sock=sock)
    sender = asyncio.create_task(_send_all(transport, list(sends), rate))
    try:
        async for datagram in _drain(receiver, sender, window):
            yield datagram
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await sender
        transport.close()


async def _send_all(
    transport: asyncio.DatagramTransport, sends: list[tuple[bytes, Address]], rate: float
) -> None:
    gap = 1.0 / rate if rate > 0 else 0.0
    for payload, address in sends:
        with contextlib.suppress(OSError):  # one unreachable target must not stop the rest
            transport.sendto(payload, address)
        await asyncio.sleep(gap)


async def _drain(
    receiver: _Receiver, sender: asyncio.Task[None], window: float
) -> AsyncIterator[Datagram]:
    deadline: float | None = None
    while True:
        if deadline is None and sender.done():
            deadline = time.monotonic() + window
        remaining = 0.05 if deadline is None else deadline - time.monotonic()
        if deadline is not None and remaining <= 0:
            return
        try:
            yield await asyncio.wait_for(receiver.queue.get(), timeout=max(remaining, 0.001))
        except TimeoutError:
            continue


T = TypeVar("T")


async def parsed(
    datagrams: AsyncIterator[Datagram],
    ctx: ProbeContext,
    parse: Callable[[Datagram], T],
    source: str,
    what: str,
) -> AsyncIterator[tuple[Datagram, T] | Problem]:
    """Datagrams from inside the scan's networks, parsed; a malformed one becomes one
    Problem per device (a hostile device may send thousands), never an exception."""
    errored: set[str] = set()
    async for datagram in datagrams:
        if not in_scope(datagram.ip, ctx.networks):
            continue
        try:
            value = parse(datagram)
        except ParseError as exc:
            if datagram.ip not in errored:
                errored.add(datagram.ip)
                yield Problem(source, "parse", f"bad {what} reply: {exc}", ip=datagram.ip)
            continue
        yield datagram, value


async def discover(
    ctx: ProbeContext,
    payload: bytes,
    group: str,
    port: int,
    what: str,
    parse: Callable[[bytes, str], Observation | None],
    source: str,
) -> AsyncIterator[Observation | Problem]:
    """Multicast ``payload`` (and unicast it to each known host); yield one observation per
    device (deduplicated by serial, MAC or IP) and one Problem per device whose reply is
    malformed: a hostile device may send thousands.  The shape SADP and DHIP share."""
    sends = [(payload, (group, port))] + [(payload, (host, port)) for host in ctx.hosts]
    sock = open_socket(ctx, port, group)
    seen: set[str] = set()
    replies = exchange(sock, sends, ctx.timeout, ctx.rate, what)
    async for item in parsed(replies, ctx, lambda d: parse(d.data, d.ip), source, what):
        if isinstance(item, Problem):
            yield item
            continue
        datagram, obs = item
        if obs is None:
            continue
        key = obs.serial or obs.mac or datagram.ip
        if key not in seen:
            seen.add(key)
            yield obs
