"""The emulator's SNMP agent (UDP 161): hostile agents only.

The lab's well-behaved agents are Debian's net-snmp ``snmpd`` (the router and the SNMP
camera, lab/router.py and lab/services/thirdparty.py): a program we did not write.  This one
misbehaves on purpose, the ways a broken or malicious agent can, so tests can show that
camaudit's SNMP reads fail cleanly within their timeouts.  ``[services.snmp]`` keys:

* ``community``: the only v1/v2c community it answers (others get silence, as real agents);
* ``mode``:

  - ``garbage``: every request gets undecodable datagrams back (a sequence cut short, a
    length of 2 GiB, 4,000 nested sequences, an unknown version, random bytes);
  - ``loop``: GETNEXT and GETBULK go one level into the subtree asked about, then answer
    the very OID they were asked after, so a walk never advances;
  - ``endless``: GETNEXT and GETBULK always answer a next OID inside the subtree asked
    about: a table without end;

  in ``loop`` and ``endless`` a GET of the system group is answered normally
  (``[identity] model`` in sysDescr), so a scanner starts walking.

Every request is recorded with its PDU type (``GetRequest``, ``GetNextRequest``,
``GetBulkRequest``, ``SetRequest`` ...), so a test can show no write was sent; a
SetRequest is answered ``noAccess`` and changes nothing.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import univ
from pysnmp.proto import api, rfc1902, rfc1905

from lab.services._util import ident, seeded_bytes
from lab.services.base import DeviceContext, udp_endpoint

PORT = 161
SYSTEM = (1, 3, 6, 1, 2, 1, 1)
NO_ACCESS = 6  # error-status noAccess(6)
MAX_ROWS_PER_REPLY = 50  # GETBULK max-repetitions is capped (a reply stays one datagram)
_APPEND_UNTIL = 13  # endless mode: deepen short OIDs, then count up the last sub-identifier

Oid = tuple[int, ...]


def garbage_replies(seed: str) -> list[bytes]:
    """Datagrams no SNMP decoder can use (each one a different way to break BER)."""
    deep = b"\x30\x80" * 4000 + b"\x00\x00" * 4000  # indefinite-length sequences, nested
    return [
        b"\x30\x82\x01\x00\x02\x01\x01\x04\x06public",  # claims 256 bytes, carries 11
        b"\x30\x84\x7f\xff\xff\xff\x02\x01\x01" + b"\x00" * 32,  # a 2 GiB sequence
        deep,
        b"\x30\x0b\x02\x01\x63\x04\x06public",  # version 99
        seeded_bytes(seed, 600),
    ]


def next_oid(oid: Oid) -> Oid:
    """An OID greater than ``oid`` and inside its subtree's table (endless mode)."""
    if len(oid) <= _APPEND_UNTIL:
        return (*oid, 1)
    return (*oid[:-1], oid[-1] + 1)


def stuck_oid(oid: Oid) -> Oid:
    """Loop mode: into the subtree first (a walk starts), then the OID asked after itself."""
    return (*oid, 1) if len(oid) <= _APPEND_UNTIL else oid


def fake_mac(oid: Oid) -> bytes:
    return bytes([0x02, *(o & 0xFF for o in oid[-5:])]).ljust(6, b"\x00")


class Agent:
    """Answers one device's SNMP datagrams according to its mode."""

    def __init__(self, ctx: DeviceContext) -> None:
        conf = ctx.service("snmp")
        self.ctx = ctx
        self.mode = str(conf.get("mode", "loop"))
        self.community = str(conf.get("community", "")).encode()
        self.counter = itertools.count()
        model = ident(ctx, "model", "hostile SNMP agent")
        self.system: dict[Oid, Any] = {
            (*SYSTEM, 1, 0): rfc1902.OctetString(f"{model} ({self.mode})"),
            (*SYSTEM, 2, 0): rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 99999, 1)),
            (*SYSTEM, 5, 0): rfc1902.OctetString(ctx.name),
        }

    def handle(self, data: bytes, peer: str, send: Callable[[bytes], None]) -> None:
        if self.mode == "garbage":
            self.ctx.record("snmp", "datagram", {"peer": peer, "bytes": len(data)})
            for reply in garbage_replies(f"{self.ctx.name}:{next(self.counter)}"):
                send(reply)
            return
        try:
            version = int(api.verdec.decode_message_version(data))
            module = api.PROTOCOL_MODULES[version]
            message, _ = decoder.decode(data, asn1Spec=module.Message())
        except Exception as exc:  # a request we cannot read: a real agent drops it
            self.ctx.record("snmp", "undecodable", {"peer": peer, "error": type(exc).__name__})
            return
        pdu = module.apiMessage.get_pdu(message)
        kind = type(pdu).__name__.removesuffix("PDU")
        oids = [tuple(oid) for oid, _ in module.apiPDU.get_varbinds(pdu)]
        good = bytes(module.apiMessage.get_community(message)) == self.community
        detail = {"peer": peer, "version": version, "oids": [".".join(map(str, o)) for o in oids]}
        self.ctx.record("snmp", kind, {**detail, "community_ok": good})
        if not good:
            return  # silence, as real agents answer a wrong community
        response = module.apiMessage.get_response(message)
        reply = module.apiMessage.get_pdu(response)
        if kind == "SetRequest":
            module.apiPDU.set_error_status(reply, NO_ACCESS)
            module.apiPDU.set_error_index(reply, 1)
            module.apiPDU.set_varbinds(reply, [(o, univ.Null("")) for o in oids])
        else:
            module.apiPDU.set_varbinds(reply, self.answer(kind, oids, module, pdu))
        send(encoder.encode(response))

    def answer(self, kind: str, oids: list[Oid], module: Any, pdu: Any) -> list[tuple[Oid, Any]]:
        if kind == "GetRequest":
            return [(o, self.system.get(o, rfc1905.noSuchObject)) for o in oids]
        rows = 1
        if kind == "GetBulkRequest":
            rows = max(1, min(int(module.apiBulkPDU.get_max_repetitions(pdu)), MAX_ROWS_PER_REPLY))
        out: list[tuple[Oid, Any]] = []
        for oid in oids:
            current = oid
            for _ in range(rows if self.mode == "endless" else 1):
                current = next_oid(current) if self.mode == "endless" else stuck_oid(current)
                out.append((current, rfc1902.OctetString(fake_mac(current))))
        return out


async def start(ctx: DeviceContext) -> None:
    agent = Agent(ctx)
    loop = asyncio.get_running_loop()

    def on_datagram(
        data: bytes, addr: tuple[str, int], transport: asyncio.DatagramTransport
    ) -> None:
        agent.handle(data, addr[0], lambda reply: transport.sendto(reply, addr))

    sock = ctx.udp_socket(int(ctx.service("snmp").get("port", PORT)), None)
    transport, _ = await udp_endpoint(loop, sock, on_datagram)
    ctx.closers.append(transport)
