"""DHCP client requests, heard, never answered: ``dhcp.vendor_class``, ``dhcp.hostname``,
``dhcp.params``.

A device asking for an address says who it is: option 60 (vendor class:
``AXIS,Network Camera,P3343,5.20.3``, rapid7/recog dhcp_vendor_class.xml), option 12 (its
host name) and option 55 (the options it wants, in its own order: the comma list
fingerbank's DHCP fingerprints use, ``1,3,6,12,15,28,42``).  :func:`parse_request` reads a
BOOTP/DHCP message (bytes in, fields out) and serves both the listener below and the
capture reader (discovery/pcap.py).

The listener is passive: during the scan's discovery window it holds a UDP socket bound to
the limited-broadcast address 255.255.255.255, port 67, on the scan's interface, so it
hears the broadcast DISCOVERs and REQUESTs of clients on that segment.  It never sends a
byte: no OFFER, no ACK, nothing.  Bound to the broadcast address (not 0.0.0.0) it takes no
unicast traffic away from a DHCP server running on the same machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

from core.model import Observation, Problem, normalize_mac
from discovery.base import ParseError, ProbeContext

SERVER_PORT = 67
MAGIC_COOKIE = b"\x63\x82\x53\x63"
BOOTP_FIXED = 236  # op .. file, before the magic cookie
MAX_VALUE = 256
MAX_DATAGRAM = 4096
MESSAGE_TYPES = {
    1: "discover",
    2: "offer",
    3: "request",
    4: "decline",
    5: "ack",
    6: "nak",
    7: "release",
    8: "inform",
}


# ---------------------------------------------------------------- pure parsing


def parse_options(data: bytes) -> dict[int, bytes]:
    """Options after the magic cookie (first occurrence of each code; RFC 3396 long options
    split over several instances are joined)."""
    options: dict[int, bytes] = {}
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        if code == 0:  # pad
            i += 1
            continue
        if code == 255:  # end
            break
        if i + 1 >= n:
            raise ParseError("DHCP option cut off before its length")
        length = data[i + 1]
        value = data[i + 2 : i + 2 + length]
        if len(value) < length:
            raise ParseError(f"DHCP option {code} cut off ({len(value)} of {length} bytes)")
        options[code] = options.get(code, b"") + value
        i += 2 + length
    return options


def _text(value: bytes | None) -> str | None:
    if not value:
        return None
    text = value.decode("utf-8", "replace").strip("\x00 ")
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return text[:MAX_VALUE] or None


def _ip(raw: bytes) -> str | None:
    text = ".".join(str(b) for b in raw)
    return None if text == "0.0.0.0" else text  # noqa: S104 - "no address" in BOOTP


def parse_message(data: bytes) -> dict[str, Any]:
    """A BOOTP/DHCP message -> evidence fields (client requests) or server fields.

    Client requests (op 1) give ``mac`` (chaddr), ``ip`` (ciaddr, if set), ``hostname`` and
    ``dhcp.hostname`` (12), ``dhcp.vendor_class`` (60), ``dhcp.params`` (55),
    ``dhcp.requested_ip`` (50) and ``dhcp.message_type``.  Server replies (op 2) give
    ``dhcp.server = "true"``, the message type, and ``dhcp.client_mac`` / ``dhcp.your_ip``.
    """
    if len(data) < BOOTP_FIXED + 4:
        raise ParseError(f"BOOTP message of {len(data)} bytes is too short")
    op, htype, hlen = data[0], data[1], data[2]
    if op not in (1, 2):
        raise ParseError(f"BOOTP op {op} is neither request nor reply")
    if data[BOOTP_FIXED : BOOTP_FIXED + 4] != MAGIC_COOKIE:
        raise ParseError("no DHCP magic cookie (plain BOOTP)")
    options = parse_options(data[BOOTP_FIXED + 4 :])
    kind = options.get(53, b"")
    fields: dict[str, Any] = {
        "dhcp.message_type": MESSAGE_TYPES.get(kind[0], str(kind[0])) if kind else None
    }
    mac = normalize_mac(data[28:34].hex()) if htype == 1 and hlen == 6 else None
    if op == 2:
        fields |= {"dhcp.server": "true", "dhcp.client_mac": mac, "dhcp.your_ip": _ip(data[16:20])}
        return {k: v for k, v in fields.items() if v}
    hostname = _text(options.get(12))
    params = options.get(55)
    requested = options.get(50)
    fields |= {
        "mac": mac,
        "ip": _ip(data[12:16]),
        "hostname": hostname,
        "dhcp.hostname": hostname,
        "dhcp.vendor_class": _text(options.get(60)),
        "dhcp.params": ",".join(str(b) for b in params) if params else None,
        "dhcp.requested_ip": _ip(requested) if requested and len(requested) == 4 else None,
    }
    return {k: v for k, v in fields.items() if v}


def observation(fields: dict[str, Any], source: str = "dhcp") -> Observation | None:
    """A client request's fields as an Observation (None for server replies and requests that
    name no client)."""
    if fields.get("dhcp.server") or not fields.get("mac"):
        return None
    kind = str(fields.get("dhcp.message_type", ""))
    return Observation(source=source, fields=dict(fields), method=kind)


# ---------------------------------------------------------------- the listener


def listening_socket(interface: str) -> socket.socket:
    """UDP 255.255.255.255:67 on ``interface``: receives broadcasts, never sends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        sock.bind(("255.255.255.255", SERVER_PORT))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class _Heard(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=4096)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a flood costs datagrams, not memory
            self.queue.put_nowait(data[:MAX_DATAGRAM])


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """Listen for ``ctx.timeout`` seconds (the scan's discovery window); yield each client
    request heard (one observation per distinct content)."""
    if not ctx.interface:
        yield Problem("dhcp", "unavailable", "listening for DHCP needs the scan's interface")
        return
    try:
        sock = listening_socket(ctx.interface)
    except OSError as exc:
        message = f"cannot listen on UDP {SERVER_PORT} ({ctx.interface}): {exc.strerror or exc}"
        yield Problem("dhcp", "unavailable", message)
        return
    loop = asyncio.get_running_loop()
    transport, heard = await loop.create_datagram_endpoint(_Heard, sock=sock)
    seen: set[tuple[tuple[str, str], ...]] = set()
    errors = 0
    try:
        deadline = loop.time() + ctx.timeout
        while (left := deadline - loop.time()) > 0:
            try:
                async with asyncio.timeout(left):
                    data = await heard.queue.get()
            except TimeoutError:
                break
            try:
                obs = observation(parse_message(data))
            except ParseError as exc:
                errors += 1
                if errors <= 5:  # a broken client repeats itself: report it a few times
                    yield Problem("dhcp", "parse", f"unreadable DHCP request: {exc}")
                continue
            key = tuple(sorted((k, str(v)) for k, v in obs.fields.items())) if obs else ()
            if obs is not None and key not in seen:
                seen.add(key)
                yield obs
    finally:
        transport.close()
