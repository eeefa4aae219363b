"""WS-Discovery (UDP 3702): our own Probe client, ProbeMatch and Hello parsing.

Why not the ``wsdiscovery`` package: in the lab it lost 124-155 of 200 replies (its reader
polls and parses with minidom while the 208 kB buffer overflows).
This client sends one typed Probe (``dn:NetworkVideoTransmitter``) and one untyped Probe
(so printers, PCs and NAS boxes answer too and can be classified as non-cameras), both
multicast and unicast to each known host, reads with a 4 MB buffer, keeps only replies whose
RelatesTo names one of our MessageIDs, and deduplicates by EndpointReference.  Hello
messages heard on the group during the window are recorded as ``method="hello"``.

Scopes arrive percent-encoded (``name/HIKVISION%20DS-2CD2143G0-I``); ``wsd.scopes`` holds
them decoded, as DESIGN.md's vocabulary says.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from core.model import Observation, Problem
from discovery import udp, xmlsafe
from discovery.base import ParseError, ProbeContext

PORT = 3702
GROUP = "239.255.255.250"
SOURCE = "wsd"
NS_DISCOVERY = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
MAX_ITEMS = 64  # scopes/types/xaddrs per reply
MAX_VALUE_CHARS = 512

_PROBE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
    f' xmlns:a="{NS_ADDRESSING}" xmlns:d="{NS_DISCOVERY}"'
    ' xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
    "<s:Header><a:MessageID>{message_id}</a:MessageID>"
    "<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>"
    f"<a:Action>{NS_DISCOVERY}/Probe</a:Action></s:Header>"
    "<s:Body><d:Probe>{types}</d:Probe></s:Body></s:Envelope>"
)


@dataclass(frozen=True, slots=True)
class Match:
    """One endpoint from a ProbeMatch or Hello."""

    kind: str  # "ProbeMatch" or "Hello"
    relates_to: str
    endpoint: str
    types: tuple[str, ...]
    scopes: tuple[str, ...]  # percent-decoded
    xaddrs: tuple[str, ...]

    def observation(self, source_ip: str | None) -> Observation:
        fields: dict[str, str | tuple[str, ...]] = {
            "wsd.types": self.types,
            "wsd.scopes": self.scopes,
            "wsd.xaddrs": self.xaddrs,
        }
        if self.endpoint:
            fields["wsd.endpoint"] = self.endpoint
        if ip := source_ip or _xaddr_host(self.xaddrs):
            fields["ip"] = ip
        return Observation(
            source=SOURCE, fields=fields, method="hello" if self.kind == "Hello" else "probe"
        )


def probe_message(message_id: str, types: str = "") -> bytes:
    """A WS-Discovery 2005/04 Probe; ``types`` like ``dn:NetworkVideoTransmitter`` or ""."""
    types_xml = f"<d:Types>{types}</d:Types>" if types else ""
    return _PROBE.format(message_id=message_id, types=types_xml).encode("utf-8")


def parse_message(data: bytes) -> list[Match]:
    """ProbeMatches or Hello -> its endpoints; [] for Probe/Bye/Resolve (not replies).

    Raises ParseError when the datagram is not a WS-Discovery SOAP message.
    """
    root = xmlsafe.parse(data)
    if xmlsafe.localname(root.tag) != "Envelope":
        raise ParseError(f"not a SOAP envelope (root <{xmlsafe.localname(root.tag)}>)")
    body = xmlsafe.find_local(root, "Body")
    if body is None or len(body) == 0:
        raise ParseError("SOAP envelope without a Body")
    action = xmlsafe.localname(body[0].tag)
    if action not in ("ProbeMatches", "Hello"):
        return []
    relates_to = xmlsafe.text_of(root, "RelatesTo") or ""
    items = list(xmlsafe.iter_local(body, "ProbeMatch")) if action == "ProbeMatches" else [body[0]]
    kind = "Hello" if action == "Hello" else "ProbeMatch"
    return [_match(item, kind, relates_to) for item in items[:MAX_ITEMS]]


def _match(element: xmlsafe.Element, kind: str, relates_to: str) -> Match:
    reference = xmlsafe.find_local(element, "EndpointReference")
    endpoint = xmlsafe.text_of(reference, "Address") if reference is not None else None
    return Match(
        kind=kind,
        relates_to=relates_to,
        endpoint=(endpoint or "")[:MAX_VALUE_CHARS],
        types=_tokens(xmlsafe.text_of(element, "Types")),
        scopes=tuple(decode_scope(s) for s in _tokens(xmlsafe.text_of(element, "Scopes"))),
        xaddrs=_tokens(xmlsafe.text_of(element, "XAddrs")),
    )


def _tokens(text: str | None) -> tuple[str, ...]:
    return tuple(t[:MAX_VALUE_CHARS] for t in (text or "").split()[:MAX_ITEMS])


def decode_scope(scope: str) -> str:
    """``onvif://www.onvif.org/name/HIKVISION%20DS-2CD`` -> ``.../name/HIKVISION DS-2CD``."""
    return unquote(scope, errors="replace")


def _xaddr_host(xaddrs: tuple[str, ...]) -> str | None:
    for xaddr in xaddrs:
        with contextlib.suppress(ValueError):
            host = urlsplit(xaddr).hostname
            if host and ":" not in host:
                return host
    return None


def _sends(ctx: ProbeContext, ids: dict[str, str]) -> Iterator[tuple[bytes, udp.Address]]:
    messages = [probe_message(mid, types) for mid, types in ids.items()]
    for message in messages:
        yield message, (GROUP, PORT)
    for host in ctx.hosts:
        for message in messages:
            yield message, (host, PORT)


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """Probe (typed and untyped), yield one Observation per endpoint and per Hello heard."""
    typed, untyped = f"uuid:{uuid.uuid4()}", f"uuid:{uuid.uuid4()}"
    ids = {typed: "dn:NetworkVideoTransmitter", untyped: ""}
    sock = udp.open_socket(ctx, 0)
    hello = _hello_socket(ctx)
    streams = [udp.exchange(sock, _sends(ctx, ids), ctx.timeout, ctx.rate, "WS-Discovery Probe")]
    if hello is not None:
        streams.append(udp.exchange(hello, [], ctx.timeout, ctx.rate, "WS-Discovery listen"))
    seen: set[str] = set()
    stream = _merge(streams)
    async for item in udp.parsed(
        stream, ctx, lambda d: parse_message(d.data), SOURCE, "WS-Discovery"
    ):
        if isinstance(item, Problem):
            yield item
            continue
        datagram, matches = item
        for match in matches:
            if match.kind == "ProbeMatch" and match.relates_to not in ids:
                continue  # an answer to somebody else's probe
            key = f"{match.kind}:{match.endpoint or datagram.ip}"
            if key not in seen:
                seen.add(key)
                yield match.observation(datagram.ip)


def _hello_socket(ctx: ProbeContext) -> socket.socket | None:
    """A socket on 3702 joined to the group, to hear Hello; None when the port is taken."""
    try:
        sock = udp.open_socket(ctx, PORT, GROUP)
    except OSError:
        return None
    if sock.getsockname()[1] != PORT:
        sock.close()
        return None
    return sock


async def _merge(
    streams: list[AsyncIterator[udp.Datagram]],
) -> AsyncIterator[udp.Datagram]:
    """Interleave datagrams from several exchanges (probe replies and Hello listening);
    an exchange's error (e.g. the network guard refusing to send) is raised here."""
    queue: asyncio.Queue[udp.Datagram | BaseException | None] = asyncio.Queue()

    async def pump(stream: AsyncIterator[udp.Datagram]) -> None:
        try:
            async for item in stream:
                queue.put_nowait(item)
        except Exception as exc:  # handed to the consumer, which re-raises it
            queue.put_nowait(exc)
        finally:
            queue.put_nowait(None)

    tasks = [asyncio.create_task(pump(s)) for s in streams]
    try:
        remaining = len(tasks)
        while remaining:
            item = await queue.get()
            if item is None:
                remaining -= 1
                continue
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
