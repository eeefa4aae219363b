"""Hikvision SADP responder (UDP 37020, 239.255.255.250).

Answers an ``inquiry`` (or ``inquiry_v32``) Probe with a ProbeMatch carrying the profile's
fields in the real capture's order (the reply quoted in Haicam/Haicam's ``hikvisionProbe``),
echoing the probe's Uuid.  Every other
verb (``update``, activation, password reset ...) is a write: recorded with its Types and
ignored.  Garbage and XML bombs are recorded as ``garbage`` and ignored.

``[services.sadp]``: ``fields`` (element -> value, in wire order; ``${ip}``, ``${mac_dash}``,
``${serial}``, ``${netmask}`` are filled in), ``reply_to`` (``sender``, the default, or
``group``: older firmware multicasts its reply).
"""

from __future__ import annotations

import asyncio
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from lab.services._util import MAX_DATAGRAM, runtime, x
from lab.services.base import DeviceContext, udp_endpoint

PORT = 37020
GROUP = "239.255.255.250"
INQUIRIES = frozenset({"inquiry", "inquiry_v32"})


def parse_probe(data: bytes) -> tuple[str, str] | None:
    """(Uuid, Types) of a SADP Probe, or None if the datagram is not one."""
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError):
        return None
    if root.tag != "Probe":
        return None
    return ((root.findtext("Uuid") or "").strip(), (root.findtext("Types") or "").strip())


class Responder:
    def __init__(self, ctx: DeviceContext) -> None:
        self.ctx = ctx
        self.conf = ctx.service("sadp")

    def on_datagram(
        self, data: bytes, addr: tuple[str, int], transport: asyncio.DatagramTransport
    ) -> None:
        probe = parse_probe(data[:MAX_DATAGRAM])
        if probe is None:
            self.ctx.record("sadp", "garbage", {"peer": addr[0], "bytes": len(data)})
            return
        uuid, types = probe
        write = types.lower() not in INQUIRIES
        self.ctx.record(
            "sadp", types or "(no Types)", {"peer": addr[0], "uuid": uuid, "write": write}
        )
        if write:
            return  # never act on update / activate / reset
        target = (
            (GROUP, PORT) if self.conf.get("reply_to") == "group" and self.ctx.announce else addr
        )
        transport.sendto(self.reply(uuid, types), target)

    def reply(self, uuid: str, types: str) -> bytes:
        fields = runtime(self.ctx, self.conf.get("fields", {}))
        body = "".join(f"<{name}>{x(value)}</{name}>" for name, value in fields.items())
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f"<ProbeMatch><Uuid>{x(uuid)}</Uuid><Types>{x(types)}</Types>{body}</ProbeMatch>"
        ).encode()


async def start(ctx: DeviceContext) -> None:
    responder = Responder(ctx)
    sock = ctx.udp_socket(PORT, GROUP)
    transport, _ = await udp_endpoint(asyncio.get_running_loop(), sock, responder.on_datagram)
    ctx.closers.append(transport)
