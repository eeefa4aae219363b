"""WS-Discovery (UDP 3702): our own Probe client; ProbeMatch, ResolveMatch, Hello and Bye
parsing; the metadata (WS-Transfer Get) of DPWS hosts.

Why not the ``wsdiscovery`` package: in the lab it lost 124-155 of 200 replies (its reader
polls and parses with minidom while the 208 kB buffer overflows).
This client sends one typed Probe (``dn:NetworkVideoTransmitter``) and one untyped Probe
(so printers, PCs and NAS boxes answer too and can be classified as non-cameras), both
multicast and unicast to each known host, reads with a 4 MB buffer, and deduplicates by
EndpointReference.  Hello and Bye messages heard on the group during the window are
recorded as ``method="hello"`` / ``method="bye"``.

Parsing (``parse_message``, bytes in, never a socket) is as lenient as the firmware we have
replies from (``tests/data/interop/``):

- Elements are matched by **local name only**, never by namespace URI or prefix.  WS-Discovery
  2005/04 and OASIS 2009/01, WS-Addressing 2004/08 and 2005/08, SOAP 1.1 and 1.2 all use the
  same local names, and replies exist whose URIs are simply wrong (Microsoft's published
  WSDAPI samples declare ``https://schemas.xmlsoap.org/...``).  Safety never rested on
  namespaces: ``xmlsafe`` refuses DTDs and entities and bounds the document, and every list
  and value here is capped (:data:`MAX_ITEMS`, :data:`MAX_VALUE_CHARS`).
- A Body may hold ``ProbeMatches`` wrappers, bare ``ProbeMatch`` elements (firmware that drops
  the wrapper), ``Hello`` or ``Bye``, several of each; other messages (Probe, Resolve,
  faults) are no endpoints and give ``[]``.
- ``Types``, ``Scopes`` and ``XAddrs`` are split on any whitespace (newlines and tabs too);
  XAddrs are kept as sent (http and https, IPv4 and bracketed IPv6 literals with a zone).
  Types keep the prefix the device wrote (``dn:``, ``tdn:``...): consumers match the local
  part.  Scopes arrive percent-encoded (``name/HIKVISION%20DS-2CD2143G0-I``); ``wsd.scopes``
  holds them decoded, as docs/design.md's vocabulary says.

Metadata (:func:`metadata`): a ``wsdp:Device`` host (Windows, wsdd, wsdd2, printers) says
who it is only in its DPWS metadata, so after its ProbeMatch camaudit does what Windows does:
a Resolve when the ProbeMatch carries no XAddr (wsdd's), then one WS-Transfer Get (read-only)
to an http(s) XAddr on the very address that answered, recorded as ``method="metadata"``
evidence (``wsd.friendly_name``, ``wsd.manufacturer``, ``wsd.model_name``, ``wsd.computer``
...).  ONVIF cameras are not asked: the onvif probe reads their identity.  Our messages use
Windows' prefixes (``soap``, ``wsa``, ``wsd``) and Content-Type, because wsdd2 matches both as
literal text (tests/data/interop/SOURCES.md).

What counts as a reply to us (:func:`accept`): a ProbeMatch that arrives on the socket our
Probe left from, within the window, is ours whatever its RelatesTo says: nothing else is sent
to that ephemeral port, and firmware that omits RelatesTo or echoes a wrong MessageID is still
answering the Probe that reached it.  Its ``wsd.relates_to`` evidence says how it matched:
``matched``, ``missing`` or ``different``.  On the group socket (port 3702, where Hello and Bye
arrive) a ProbeMatch is an answer to somebody else's Probe unless its RelatesTo names one of
our MessageIDs, and is dropped.  Hello and Bye are kept wherever they are heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import socket
import uuid
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Collection,
    Coroutine,
    Iterator,
)
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from core.model import Observation, Problem
from discovery import http, udp, xmlsafe
from discovery.base import ParseError, ProbeContext
from discovery.ports import guard_send

PORT = 3702
GROUP = "239.255.255.250"
GROUP6 = "ff02::c"  # WS-Discovery's IPv6 link-local group
SOURCE = "wsd"
NS_DISCOVERY = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
MAX_ITEMS = 64  # endpoints per message; scopes/types/xaddrs per endpoint
MAX_VALUE_CHARS = 512
ENDPOINT_KINDS = ("ProbeMatch", "ResolveMatch", "Hello", "Bye")
_METHODS = {"ProbeMatch": "probe", "ResolveMatch": "resolve", "Hello": "hello", "Bye": "bye"}
_WRAPPERS = {"ProbeMatches": "ProbeMatch", "ResolveMatches": "ResolveMatch"}

# Our messages use the prefixes Windows' WSDAPI writes (soap, wsa, wsd): wsdd2, the Samba
# publisher of Netgear and OpenWrt NAS firmware, finds Action and MessageID by the literal
# text "<wsa:Action>", and ignores a Probe whose addressing prefix is anything else.
_PROBE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"'
    f' xmlns:wsa="{NS_ADDRESSING}" xmlns:wsd="{NS_DISCOVERY}"'
    ' xmlns:dn="http://www.onvif.org/ver10/network/wsdl"'
    ' xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof">'
    "<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>"
    f"<wsa:Action>{NS_DISCOVERY}/Probe</wsa:Action>"
    "<wsa:MessageID>{message_id}</wsa:MessageID></soap:Header>"
    "<soap:Body><wsd:Probe>{types}</wsd:Probe></soap:Body></soap:Envelope>"
)


@dataclass(frozen=True, slots=True)
class Match:
    """One endpoint from a ProbeMatch, ResolveMatch, Hello or Bye."""

    kind: str  # "ProbeMatch", "ResolveMatch", "Hello" or "Bye"
    relates_to: str
    endpoint: str
    types: tuple[str, ...]
    scopes: tuple[str, ...]  # percent-decoded
    xaddrs: tuple[str, ...]

    def observation(self, source_ip: str | None, relates: str = "") -> Observation:
        """The evidence; ``relates`` is :func:`accept`'s verdict on a ProbeMatch's RelatesTo."""
        fields: dict[str, str | tuple[str, ...]] = {
            "wsd.types": self.types,
            "wsd.scopes": self.scopes,
            "wsd.xaddrs": self.xaddrs,
        }
        if self.kind == "Bye":  # a Bye need carry nothing but its endpoint
            fields = {k: v for k, v in fields.items() if v}
        if self.endpoint:
            fields["wsd.endpoint"] = self.endpoint
        if relates:
            fields["wsd.relates_to"] = relates
        if ip := source_ip or _xaddr_host(self.xaddrs):
            fields["ip"] = ip
        return Observation(source=SOURCE, fields=fields, method=_METHODS[self.kind])


# ---------------------------------------------------------------- pure parsing


def probe_message(message_id: str, types: str = "") -> bytes:
    """A WS-Discovery 2005/04 Probe; ``types`` like ``dn:NetworkVideoTransmitter`` or ""."""
    types_xml = f"<wsd:Types>{types}</wsd:Types>" if types else ""
    return _PROBE.format(message_id=message_id, types=types_xml).encode("utf-8")


def parse_message(data: bytes) -> list[Match]:
    """ProbeMatch(es), ResolveMatch(es), Hello or Bye -> its endpoints; [] for Probe,
    Resolve and faults.

    Raises ParseError when the datagram is not a SOAP message.
    """
    root = xmlsafe.parse(data)
    if xmlsafe.localname(root.tag) != "Envelope":
        raise ParseError(f"not a SOAP envelope (root <{xmlsafe.localname(root.tag)}>)")
    body = _child(root, "Body")
    if body is None or len(body) == 0:
        raise ParseError("SOAP envelope without a Body")
    header = _child(root, "Header")
    relates_to = _text(_child(header, "RelatesTo")) if header is not None else ""
    endpoints = itertools.islice(_endpoints(body), MAX_ITEMS)
    return [_match(element, kind, relates_to) for kind, element in endpoints]


def _endpoints(body: xmlsafe.Element) -> Iterator[tuple[str, xmlsafe.Element]]:
    """(kind, element) for each endpoint in the Body, wrapped in ProbeMatches (or
    ResolveMatches) or not."""
    for child in body:
        name = xmlsafe.localname(child.tag)
        if name in _WRAPPERS:
            kind = _WRAPPERS[name]
            yield from ((kind, m) for m in _children(child, kind))
        elif name in ENDPOINT_KINDS:
            yield name, child


def _children(element: xmlsafe.Element, name: str) -> Iterator[xmlsafe.Element]:
    return (child for child in element if xmlsafe.localname(child.tag) == name)


def _child(element: xmlsafe.Element | None, name: str) -> xmlsafe.Element | None:
    return None if element is None else next(_children(element, name), None)


def _text(element: xmlsafe.Element | None) -> str:
    return (element.text or "").strip()[:MAX_VALUE_CHARS] if element is not None else ""


def _match(element: xmlsafe.Element, kind: str, relates_to: str) -> Match:
    return Match(
        kind=kind,
        relates_to=relates_to,
        endpoint=_text(_child(_child(element, "EndpointReference"), "Address")),
        types=_tokens(_child(element, "Types")),
        scopes=tuple(decode_scope(s) for s in _tokens(_child(element, "Scopes"))),
        xaddrs=_tokens(_child(element, "XAddrs")),
    )


def _tokens(element: xmlsafe.Element | None) -> tuple[str, ...]:
    text = (element.text or "") if element is not None else ""
    words = itertools.islice(text.split(), MAX_ITEMS)
    return tuple(word[:MAX_VALUE_CHARS] for word in words)


def decode_scope(scope: str) -> str:
    """``onvif://www.onvif.org/name/HIKVISION%20DS-2CD`` -> ``.../name/HIKVISION DS-2CD``."""
    return unquote(scope, errors="replace")


def accept(match: Match, our_ids: Collection[str], on_probe_socket: bool) -> str | None:
    """Whether to keep ``match`` (module docstring: what counts as ours).

    Returns None to drop it; for a kept ProbeMatch, how its RelatesTo matched
    (``matched``, ``missing``, ``different``); "" for Hello and Bye.
    """
    if match.kind not in ("ProbeMatch", "ResolveMatch"):
        return ""
    if match.relates_to in our_ids:
        return "matched"
    if not on_probe_socket:
        return None  # heard on the group: an answer to somebody else's Probe
    return "different" if match.relates_to else "missing"


def _xaddr_host(xaddrs: tuple[str, ...]) -> str | None:
    for xaddr in xaddrs:
        with contextlib.suppress(ValueError):
            host = urlsplit(xaddr).hostname
            if host and ":" not in host:
                return host
    return None


NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
ANONYMOUS = f"{NS_ADDRESSING}/role/anonymous"

_RESOLVE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"'
    f' xmlns:wsa="{NS_ADDRESSING}" xmlns:wsd="{NS_DISCOVERY}">'
    "<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>"
    f"<wsa:Action>{NS_DISCOVERY}/Resolve</wsa:Action>"
    "<wsa:MessageID>{message_id}</wsa:MessageID></soap:Header>"
    "<soap:Body><wsd:Resolve><wsa:EndpointReference><wsa:Address>{endpoint}</wsa:Address>"
    "</wsa:EndpointReference></wsd:Resolve></soap:Body></soap:Envelope>"
)
_GET = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"'
    f' xmlns:wsa="{NS_ADDRESSING}">'
    "<soap:Header><wsa:To>{endpoint}</wsa:To>"
    f"<wsa:Action>{NS_TRANSFER}/Get</wsa:Action>"
    "<wsa:MessageID>{message_id}</wsa:MessageID>"
    f"<wsa:ReplyTo><wsa:Address>{ANONYMOUS}</wsa:Address></wsa:ReplyTo>"
    "</soap:Header><soap:Body/></soap:Envelope>"
)

# Devices Profile (DPWS) metadata: element -> evidence field.  ThisDevice says which unit,
# ThisModel which product; a Windows or wsdd host puts its computer name in pub:Computer.
METADATA_FIELDS = {
    "FriendlyName": "wsd.friendly_name",
    "FirmwareVersion": "wsd.firmware",
    "SerialNumber": "wsd.serial",
    "Manufacturer": "wsd.manufacturer",
    "ManufacturerUrl": "wsd.manufacturer_url",
    "ModelName": "wsd.model_name",
    "ModelNumber": "wsd.model_number",
    "ModelUrl": "wsd.model_url",
    "PresentationUrl": "wsd.presentation_url",
    "DeviceCategory": "wsd.device_category",
    "Computer": "wsd.computer",
}


def resolve_message(message_id: str, endpoint: str) -> bytes:
    """A WS-Discovery Resolve for ``endpoint`` (what Windows sends after a ProbeMatch that
    carries no XAddrs, as wsdd's do)."""
    return _RESOLVE.format(message_id=message_id, endpoint=_xml_text(endpoint)).encode()


def get_message(message_id: str, endpoint: str) -> bytes:
    """A WS-Transfer Get of ``endpoint``'s metadata: read-only (DPWS §5.1, the request
    Windows' network view and wsdd's discovery mode send)."""
    return _GET.format(message_id=message_id, endpoint=_xml_text(endpoint)).encode()


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wants_metadata(match: Match) -> bool:
    """A DPWS host (``wsdp:Device``: Windows PCs, wsdd NAS boxes, printers) describes itself
    only in its metadata; an ONVIF camera (``tds:Device``, NetworkVideoTransmitter) keeps
    its identity in the ONVIF device service, which the onvif probe reads."""
    onvif = {"NetworkVideoTransmitter", "NetworkVideoDisplay", "NetworkVideoStorage"}
    words = [t.rpartition(":") for t in match.types]
    if any(local in onvif or prefix in ("tds", "tdn") for prefix, _, local in words):
        return False
    return match.kind != "Bye" and any(local == "Device" for _, _, local in words)


def parse_metadata(data: bytes) -> dict[str, str | tuple[str, ...]]:
    """A WS-Transfer GetResponse (DPWS ThisDevice, ThisModel, Relationship) -> ``wsd.*``
    fields; the first value of each element wins (FriendlyName may come once per language).

    Raises ParseError when the reply is not a SOAP envelope with Metadata in its Body.
    """
    root = xmlsafe.parse(data)
    body = _child(root, "Body") if xmlsafe.localname(root.tag) == "Envelope" else None
    metadata = _child(body, "Metadata")
    if metadata is None:
        raise ParseError("not a WS-Transfer GetResponse (no Metadata in a SOAP Body)")
    fields: dict[str, str | tuple[str, ...]] = {}
    hosted: list[str] = []
    for element in itertools.islice(metadata.iter(), 4096):
        name = xmlsafe.localname(element.tag)
        text = _text(element) if name in METADATA_FIELDS and len(element) == 0 else ""
        if text and text != "(null)":  # wsdd2 prints an unset URL as C's "(null)"
            fields.setdefault(METADATA_FIELDS[name], text)
        elif name == "Hosted":
            hosted += _tokens(_child(element, "Types"))
    if hosted:
        fields["wsd.hosted_types"] = tuple(dict.fromkeys(hosted))[:MAX_ITEMS]
    return fields


# ---------------------------------------------------------------- sockets


@dataclass(frozen=True, slots=True)
class _Heard(udp.Datagram):
    """A datagram, and whether it came to the socket our Probe left from."""

    on_probe_socket: bool = False


def _sends(
    ctx: ProbeContext, ids: dict[str, str], group: str = GROUP
) -> Iterator[tuple[bytes, udp.Address]]:
    """The Probes to ``group`` and to each known host of the group's address family."""
    messages = [probe_message(mid, types) for mid, types in ids.items()]
    for message in messages:
        yield message, (group, PORT)
    ipv6 = ":" in group
    for host in ctx.hosts:
        if (":" in host) == ipv6:
            for message in messages:
                yield message, (host, PORT)


def _streams(
    ctx: ProbeContext, ids: dict[str, str]
) -> list[tuple[bool, AsyncIterator[udp.Datagram]]]:
    """(on the probe socket?, datagrams) for IPv4 and, when the scan has IPv6, IPv6."""
    sockets = [(udp.open_socket(ctx, 0), _hello_socket(ctx), GROUP)]
    index = udp.ipv6_wanted(ctx)
    if index is not None:
        hello6 = _hello_socket(ctx, lambda: udp.open_socket6(ctx, index, PORT, GROUP6))
        sockets.append((udp.open_socket6(ctx, index), hello6, GROUP6))
    streams: list[tuple[bool, AsyncIterator[udp.Datagram]]] = []
    for sock, hello, group in sockets:
        sends = _sends(ctx, ids, group)
        probes = udp.exchange(sock, sends, ctx.timeout, ctx.rate, "WS-Discovery Probe")
        streams.append((True, probes))
        if hello is not None:
            listen = udp.exchange(hello, [], ctx.timeout, ctx.rate, "WS-Discovery listen")
            streams.append((False, listen))
    return streams


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """Probe (ONVIF-typed, wsdp:Device-typed and untyped; over IPv4, and IPv6 when the scan
    has an IPv6 target), yield one Observation per endpoint and family and per Hello/Bye,
    and for each DPWS host (``wsdp:Device``) its metadata (:func:`metadata`).

    The ``wsdp:Device`` Probe is what Windows sends: wsdd and WSDAPI hosts (NAS boxes,
    printers, PCs) answer nothing else, not even an untyped Probe.
    """
    kinds = ("dn:NetworkVideoTransmitter", "wsdp:Device", "")
    ids = {f"uuid:{uuid.uuid4()}": types for types in kinds}
    streams = _streams(ctx, ids)
    seen: set[str] = set()
    fetches: dict[str, asyncio.Task[Observation | Problem | None]] = {}
    gate = asyncio.Semaphore(METADATA_CONCURRENCY)  # a floor of Windows PCs: a few at a time
    stream = _merge(streams)
    try:
        async for item in udp.parsed(
            stream, ctx, lambda d: parse_message(d.data), SOURCE, "WS-Discovery"
        ):
            if isinstance(item, Problem):
                yield item
                continue
            datagram, matches = item
            on_probe_socket = isinstance(datagram, _Heard) and datagram.on_probe_socket
            for match in matches:
                relates = accept(match, ids, on_probe_socket)
                # Per family: a dual-stack device answers on both, and both addresses are its.
                key = f"{match.kind}:{match.endpoint or datagram.ip}:{':' in datagram.ip}"
                if relates is not None and key not in seen:
                    seen.add(key)
                    yield match.observation(datagram.ip, relates)
                # Once per device, whichever family it answered on.
                fetch = relates is not None and wants_metadata(match)
                if fetch and match.endpoint and match.endpoint not in fetches:
                    fetches[match.endpoint] = asyncio.create_task(
                        _gated(gate, metadata(ctx, datagram.ip, match))
                    )
        for result in await _fetched(list(fetches.values())):
            yield result
    finally:
        for task in fetches.values():
            task.cancel()


async def _gated(
    gate: asyncio.Semaphore, work: Coroutine[Any, Any, Observation | Problem | None]
) -> Observation | Problem | None:
    async with gate:
        return await work


async def _fetched(
    tasks: list[asyncio.Task[Observation | Problem | None]],
) -> list[Observation | Problem]:
    """What the metadata fetches found, waiting for them at most one Resolve and one Get
    past the listening window (a device that never answers costs no more)."""
    if tasks:
        await asyncio.wait(tasks, timeout=RESOLVE_WINDOW + GET_TIMEOUT)
    done = [t for t in tasks if t.done() and not t.cancelled()]
    # A bug (or the network guard) raises here, as it would in the probe itself.
    return [result for t in done if (result := t.result()) is not None]


def _hello_socket(
    ctx: ProbeContext, opener: Callable[[], socket.socket] | None = None
) -> socket.socket | None:
    """A socket on 3702 joined to the group, to hear Hello; None when the port is taken.
    ``opener`` opens it (default: IPv4, the 239.255.255.250 group)."""
    try:
        sock = opener() if opener else udp.open_socket(ctx, PORT, GROUP)
    except OSError:
        return None
    if sock.getsockname()[1] != PORT:
        sock.close()
        return None
    return sock


async def _merge(
    streams: list[tuple[bool, AsyncIterator[udp.Datagram]]],
) -> AsyncIterator[udp.Datagram]:
    """Interleave datagrams from several exchanges (probe replies and Hello listening), each
    marked with whether it came to the probe socket; an exchange's error (e.g. the network
    guard refusing to send) is raised here."""
    queue: asyncio.Queue[udp.Datagram | BaseException | None] = asyncio.Queue()

    async def pump(on_probe_socket: bool, stream: AsyncIterator[udp.Datagram]) -> None:
        try:
            async for item in stream:
                queue.put_nowait(_Heard(item.data, item.ip, item.port, on_probe_socket))
        except Exception as exc:  # handed to the consumer, which re-raises it
            queue.put_nowait(exc)
        finally:
            queue.put_nowait(None)

    tasks = [asyncio.create_task(pump(*s)) for s in streams]
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


# ---------------------------------------------------------------- metadata (WS-Transfer Get)

RESOLVE_WINDOW = 1.5  # seconds to wait for a ResolveMatch
GET_TIMEOUT = 2.0  # seconds for the metadata Get
METADATA_LIMIT = 64 * 1024  # a GetResponse is 1-4 kB
METADATA_CONCURRENCY = 16


def metadata_target(xaddrs: Collection[str], ip: str) -> tuple[http.Target, str] | None:
    """The first http(s) XAddr on ``ip`` itself, as (target, path): XAddrs are
    device-controlled text, and nothing is sent to a host other than the one that answered."""
    for xaddr in xaddrs:
        try:
            parts = urlsplit(xaddr)
            same = _address(parts.hostname or "") == _address(ip)
            port = parts.port
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and same and parts.username is None:
            tls = parts.scheme == "https"
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            return http.Target(ip, port or (443 if tls else 80), tls), path[:500]
    return None


def _address(host: str) -> object:
    return ipaddress.ip_address(host.partition("%")[0])


async def resolve(ctx: ProbeContext, ip: str, endpoint: str) -> tuple[str, ...]:
    """The XAddrs of ``endpoint`` by a Resolve (to the group, as Windows sends it: wsdd hears
    only the group, and to ``ip``); () when nothing answers within the window."""
    message_id = f"uuid:{uuid.uuid4()}"
    message = resolve_message(message_id, endpoint)
    if ":" in ip:
        index = udp.ipv6_wanted(ctx)
        if index is None:
            return ()
        sock, group = udp.open_socket6(ctx, index), GROUP6
    else:
        sock, group = udp.open_socket(ctx, 0), GROUP
    sends = [(message, (group, PORT)), (message, (ip, PORT))]
    replies = cast(  # an async generator: closing it closes the socket at once
        AsyncGenerator[udp.Datagram, None],
        udp.exchange(sock, sends, RESOLVE_WINDOW, ctx.rate, "WS-Discovery Resolve"),
    )
    async with contextlib.aclosing(replies):
        async for datagram in replies:
            if datagram.ip.partition("%")[0] != ip.partition("%")[0]:
                continue
            with contextlib.suppress(ParseError):
                mine = [m for m in parse_message(datagram.data) if m.endpoint == endpoint]
                if xaddrs := next((m.xaddrs for m in mine if m.kind == "ResolveMatch"), ()):
                    return xaddrs
    return ()


async def metadata(ctx: ProbeContext, ip: str, match: Match) -> Observation | Problem | None:
    """The device's DPWS metadata (WS-Transfer Get to its XAddr, after a Resolve when the
    ProbeMatch carried none) as ``method="metadata"`` evidence; a Problem when the device
    answers with something that is not metadata (or too slowly); None when it has no XAddr
    on its own address, nothing listens there, or it declines (any HTTP status but 200)."""
    try:
        xaddrs = match.xaddrs or await resolve(ctx, ip, match.endpoint)
    except OSError as exc:  # e.g. the interface lost its address meanwhile
        return Problem(SOURCE, "unreachable", f"{ip}: Resolve: {exc}", ip=ip)
    where = metadata_target(xaddrs, ip)
    if where is None:
        return None
    target, path = where
    guard_send("WS-Transfer Get", [ip])
    body = get_message(f"urn:uuid:{uuid.uuid4()}", match.endpoint)
    # Exactly what Windows sends: wsdd2 refuses any other Content-Type (even with a charset).
    headers = {"Content-Type": "application/soap+xml"}
    try:
        reply = await http.request(
            target, "POST", path, timeout=GET_TIMEOUT, headers=headers, body=body,
            limit=METADATA_LIMIT,
        )  # fmt: skip
        if reply.status != 200:
            return None  # it does not describe itself (404, 400...): nothing wrong with it
        fields = parse_metadata(reply.body)
    except http.HttpError as exc:
        if exc.kind == "unreachable":
            return None  # an XAddr nobody serves: the device simply has no metadata
        return Problem(SOURCE, exc.kind, f"{ip}: metadata Get {path[:80]}: {exc}", ip=ip)
    except ParseError as exc:  # a reply, but not metadata: the user should know
        return Problem(SOURCE, "parse", f"{ip}: metadata Get {path[:80]}: {exc}", ip=ip)
    found: dict[str, str | tuple[str, ...]] = {"ip": ip, "wsd.endpoint": match.endpoint}
    if not match.xaddrs:
        found["wsd.xaddrs"] = xaddrs
    return Observation(source=SOURCE, fields={**found, **fields}, method="metadata")
