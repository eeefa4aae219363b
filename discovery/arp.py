"""ARP sweep of the on-link target networks (scapy's layer-2 socket; needs CAP_NET_RAW).

Every host on the link answers ARP whatever its firewall says, and the answer carries
the device's own MAC: the strongest identity evidence there is.
Requests are paced by ``ctx.rate``; one retry pass asks the hosts that stayed silent.
Frames are built and parsed here as bytes (``build_request`` / ``parse_reply``), which is
both faster than building packet objects on a /16 and testable without a network.

Without raw-socket privilege the probe yields one ``Problem(kind="no_privilege")``
and the orchestrator falls back to the neighbour table (``discovery/neighbours.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import select
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence

from core.model import Observation, Problem, normalize_mac
from discovery.base import ParseError, ProbeContext
from discovery.ports import guard_send
from discovery.targets import interface_addresses, iter_hosts

ETH_P_ARP = 0x0806
PACKET_OUTGOING = 4
METHOD = "arp-sweep"
_ARP_HEADER = struct.Struct("!HHBBH6s4s6s4s")  # htype ptype hlen plen op sha spa tha tpa


def _mac_bytes(mac: str) -> bytes:
    norm = normalize_mac(mac)
    if norm is None:
        raise ParseError(f"not a MAC address: {mac!r}")
    return bytes.fromhex(norm.replace(":", ""))


def build_request(src_mac: str, src_ip: str, target_ip: str) -> bytes:
    """A broadcast who-has frame (42 bytes; the kernel pads it)."""
    sha = _mac_bytes(src_mac)
    eth = b"\xff" * 6 + sha + struct.pack("!H", ETH_P_ARP)
    arp = _ARP_HEADER.pack(
        1,
        0x0800,
        6,
        4,
        1,
        sha,
        ipaddress.IPv4Address(src_ip).packed,
        b"\x00" * 6,
        ipaddress.IPv4Address(target_ip).packed,
    )
    return eth + arp


def parse_reply(frame: bytes) -> tuple[str, str] | None:
    """(ip, mac) from an Ethernet ARP reply, None for anything else (requests included)."""
    if len(frame) < 14 + _ARP_HEADER.size or frame[12:14] != b"\x08\x06":
        return None
    htype, ptype, hlen, plen, op, sha, spa, _tha, _tpa = _ARP_HEADER.unpack_from(frame, 14)
    if (htype, ptype, hlen, plen, op) != (1, 0x0800, 6, 4, 2):
        return None
    mac = normalize_mac(sha.hex())
    if mac is None:
        return None
    return str(ipaddress.IPv4Address(spa)), mac


def socket_mac(sock: socket.socket) -> str:
    """The hardware address of the interface a bound AF_PACKET socket is on."""
    address = sock.getsockname()
    mac = normalize_mac(address[4].hex()) if len(address) > 4 else None
    if mac is None:
        raise OSError(f"{address[0]} has no Ethernet address")
    return mac


def _source_ip(interface: str, network: ipaddress.IPv4Network) -> str | None:
    addrs = interface_addresses(interface)
    for addr in addrs:
        if addr.ip in network or network.subnet_of(addr.network):
            return str(addr.ip)
    return None


class Sweep:
    """The blocking sweep, run in a worker thread; ``stop`` ends it within ~50 ms."""

    def __init__(self, interface: str, rate: float, wait: float, retries: int) -> None:
        self.interface, self.rate, self.wait, self.retries = interface, rate, wait, retries
        self.stop = threading.Event()

    def run(self, plan: Sequence[tuple[str, str]], found: Callable[[str, str], None]) -> None:
        """``plan`` is (target ip, our source ip); ``found(ip, mac)`` for each new answer."""
        # scapy only here (one module per library seam); importing scapy.arch picks the
        # platform's L2 socket.
        import scapy.arch  # noqa: PLC0415, F401
        from scapy.config import conf  # noqa: PLC0415

        quiet = logging.getLogger("scapy.runtime")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # "Unable to guess type": harmless, we parse bytes
        try:
            sock = conf.L2socket(iface=self.interface, type=ETH_P_ARP)
        finally:
            quiet.setLevel(level)
        seen: set[str] = set()
        try:
            # The interface's MAC as the kernel of *this* namespace knows it.  /sys would show
            # the machine's own interface of that name when /sys was not remounted for the
            # namespace, and ARP requests carrying a wrong MAC poison the hosts' caches.
            src_mac = socket_mac(sock.ins)
            todo = list(plan)
            for _attempt in range(1 + self.retries):
                self._send_all(sock, todo, src_mac, seen, found)
                self._drain(sock, time.monotonic() + self.wait, seen, found)
                todo = [p for p in todo if p[0] not in seen]
                if not todo or self.stop.is_set():
                    break
        finally:
            sock.close()

    def _send_all(
        self,
        sock: object,
        plan: Sequence[tuple[str, str]],
        src_mac: str,
        seen: set[str],
        found: Callable[[str, str], None],
    ) -> None:
        interval = 1.0 / self.rate if self.rate > 0 else 0.0
        start = time.monotonic()
        raw = sock.outs  # type: ignore[attr-defined]
        for index, (target, source) in enumerate(plan):
            if self.stop.is_set():
                return
            with contextlib.suppress(OSError):  # a full send buffer: the retry pass covers it
                raw.send(build_request(src_mac, source, target))
            due = start + (index + 1) * interval
            # Read replies while we wait for the next send slot, so buffers never overflow.
            self._drain(sock, due, seen, found)

    def _drain(
        self, sock: object, until: float, seen: set[str], found: Callable[[str, str], None]
    ) -> None:
        ins = sock.ins  # type: ignore[attr-defined]
        while not self.stop.is_set():
            left = until - time.monotonic()
            readable, _, _ = select.select([ins], [], [], max(0.0, min(left, 0.05)))
            if not readable:
                if left <= 0:
                    return
                continue
            with contextlib.suppress(BlockingIOError, InterruptedError):
                data, addr = ins.recvfrom(2048)
                pair = parse_reply(data) if addr[2] != PACKET_OUTGOING else None
                if pair and pair[0] not in seen:
                    seen.add(pair[0])
                    found(*pair)


def sweep_plan(ctx: ProbeContext) -> list[tuple[str, str]]:
    """(target, our source address) for every host of every on-link target network."""
    assert ctx.interface
    own = {str(a.ip) for a in interface_addresses(ctx.interface)}
    plan: list[tuple[str, str]] = []
    for net in ctx.networks:
        if not isinstance(net, ipaddress.IPv4Network):
            continue  # IPv6 has no ARP: its MACs come from the neighbour table
        source = _source_ip(ctx.interface, net)
        if source is None:
            continue  # not on this link: ARP cannot reach it (the port probe will)
        plan += [(ip, source) for ip in iter_hosts([net], exclude=own)]
    return plan


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """Yield ``ip`` + ``mac`` (method ``arp-sweep``) for every host that answers."""
    if not ctx.interface:
        yield Problem("arp", "unavailable", "an ARP sweep needs --interface")
        return
    plan = sweep_plan(ctx)
    if not plan:
        return
    guard_send("an ARP sweep", [ip for ip, _ in plan])
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
    retries = ctx.arp_retries
    sweep = Sweep(ctx.interface, ctx.rate, min(ctx.timeout, 1.0), retries)  # LAN replies: ms

    def found(ip: str, mac: str) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, (ip, mac))

    def run() -> BaseException | None:
        try:
            sweep.run(plan, found)
            return None
        except BaseException as exc:  # handed to the loop: a thread must not die silently
            return exc
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, None)

    worker = loop.run_in_executor(None, run)
    try:
        while (item := await queue.get()) is not None:
            yield Observation.of("arp", method=METHOD, ip=item[0], mac=item[1])
        error = await worker
    finally:
        sweep.stop.set()  # cancellation: the thread notices within 50 ms
    if isinstance(error, PermissionError):
        yield Problem("arp", "no_privilege", f"ARP sweep needs CAP_NET_RAW: {error}")
    elif error is not None:
        yield Problem("arp", "unavailable", f"ARP sweep failed: {error}")
