"""The contract between the lab's emulator host and its protocol services.

The host (``lab/emulator.py``) runs one asyncio loop for every simulated device.  For each
device it builds a :class:`DeviceContext` and calls ``start(ctx)`` of every service module
the device's profile enables (``lab/services/<name>.py``, name = key under ``[services]``
in the profile).  A service never creates sockets itself: it asks the context, which
creates them inside the device's network namespace (a socket stays in the namespace it
was created in), then hands them to asyncio with ``sock=``.  Libraries that open their
own sockets (zeroconf) are constructed inside ``with ctx.in_namespace():``.

Every request a service receives is recorded with ``ctx.record(...)`` before it answers,
so tests can prove what the scanner sent (read-only, credentials only where given).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

RecordFn = Callable[[str, str, Mapping[str, Any]], None]
"""record(protocol, kind, detail): kind is the request kind, e.g. ``probe``,
``GetDeviceInformation``, ``GET /ISAPI/System/deviceInfo``, ``OPTIONS``."""


class Closeable(Protocol):
    # close() may return an awaitable (zeroconf's async close); the host awaits it.
    def close(self) -> object: ...


@dataclass
class DeviceContext:
    """Everything a service needs to serve one simulated device."""

    name: str  # device name in the lab, e.g. "d007"
    ip: str
    mac: str  # aa:bb:cc:dd:ee:ff, as carried by the device's interface
    netmask: int  # prefix length
    netns: str  # ip netns name
    profile: Mapping[str, Any]  # the whole parsed profile (TOML table)
    index: int  # position in the lab (0-based), to derive unique serials etc.
    record: RecordFn
    tcp_socket: Callable[[int], socket.socket]  # bound+listening TCP socket in the netns
    udp_socket: Callable[[int, str | None], socket.socket]  # bound UDP socket, joined to group
    in_namespace: Callable[[], contextlib.AbstractContextManager[None]]
    closers: list[Closeable] = field(default_factory=list)
    # Unsolicited multicast (WS-Discovery Hello, SSDP NOTIFY).  Loopback unit tests in the
    # root namespace turn it off: there a multicast send would reach the real network.
    announce: bool = True
    ip6: str = ""  # the device's ULA address when its profile asks for IPv6 ("" otherwise)
    ll6: str = ""  # its link-local address, without the zone (the interface is eth0)
    workdir: str = ""  # a directory of its own (third-party programs' files)
    logfile: str = ""  # where a third-party program's output goes

    def service(self, name: str) -> Mapping[str, Any]:
        """The ``[services.<name>]`` table of this device's profile (empty if absent)."""
        services = self.profile.get("services", {})
        value = services.get(name, {})
        return value if isinstance(value, Mapping) else {}


StartFn = Callable[[DeviceContext], Awaitable[None]]
"""Each service module exposes ``async def start(ctx: DeviceContext) -> None`` that opens
its sockets through the context, registers anything to close in ``ctx.closers``, and returns
once it is serving (it must not block forever)."""


def udp_endpoint(
    loop: asyncio.AbstractEventLoop,
    sock: socket.socket,
    on_datagram: Callable[[bytes, tuple[str, int], asyncio.DatagramTransport], None],
) -> Awaitable[tuple[asyncio.DatagramTransport, asyncio.DatagramProtocol]]:
    """Serve a UDP socket: ``on_datagram(data, addr, transport)`` for each datagram."""

    class _Proto(asyncio.DatagramProtocol):
        transport: asyncio.DatagramTransport

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            # Python 3.11's selector datagram transport does not subclass DatagramTransport,
            # so an isinstance check would reject the real thing.
            self.transport = cast(asyncio.DatagramTransport, transport)

        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            on_datagram(data, addr, self.transport)

    return loop.create_datagram_endpoint(_Proto, sock=sock)


@contextlib.contextmanager
def nothing() -> Iterator[None]:
    yield
