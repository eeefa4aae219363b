"""SSDP / UPnP (UDP 1900): M-SEARCH, reply and NOTIFY parsing, and the device description.

Cameras that speak no vendor protocol often still announce themselves over UPnP: the
D-Link DCS-930LB says ``SERVER: Cellvision UPnP/1.0`` (its ODM), the Edimax IC-3115W points
``LOCATION`` at ``IPCamDesc.xml`` (IoT Sentinel captures).  The description document names
manufacturer and model.  It is fetched only from the host that announced it, inside the
scan's networks, with size and time limits: a LOCATION is attacker-chosen text and must
not turn the scanner into a client of arbitrary URLs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from core.model import Observation, Problem
from discovery import udp, xmlsafe
from discovery.base import Network, ParseError, ProbeContext

PORT = 1900
GROUP = "239.255.255.250"
SOURCE = "ssdp"
SEARCH_TARGETS = ("ssdp:all", "upnp:rootdevice")
MAX_MESSAGE = 8 * 1024
MAX_HEADERS = 64
MAX_DESCRIPTION = 128 * 1024
MAX_VALUE_CHARS = 256

# UPnP description element -> evidence field (docs/design.md names the first four).
DESCRIPTION_FIELDS = {
    "manufacturer": "ssdp.manufacturer",
    "modelName": "ssdp.model",
    "friendlyName": "ssdp.friendly_name",
    "modelNumber": "ssdp.model_number",
    "serialNumber": "ssdp.serial",
    "UDN": "ssdp.udn",
    "modelDescription": "ssdp.model_description",
    "manufacturerURL": "ssdp.manufacturer_url",
    "deviceType": "ssdp.device_type",
}


@dataclass(frozen=True, slots=True)
class Message:
    """One SSDP datagram: ``kind`` is ``response``, ``notify`` or ``search``."""

    kind: str
    headers: Mapping[str, str]  # upper-case names

    def header(self, name: str) -> str | None:
        return self.headers.get(name.upper())


def msearch(target: str) -> bytes:
    """A read-only M-SEARCH for ``target`` (``ssdp:all``, ``upnp:rootdevice`` ...)."""
    return (
        "M-SEARCH * HTTP/1.1\r\n"
        f"HOST: {GROUP}:{PORT}\r\n"
        'MAN: "ssdp:discover"\r\n'
        "MX: 1\r\n"
        f"ST: {target}\r\n\r\n"
    ).encode("ascii")


def parse_message(data: bytes) -> Message:
    """Parse an SSDP datagram's start line and headers; ParseError if it is not SSDP."""
    if len(data) > MAX_MESSAGE:
        raise ParseError(f"SSDP message too large ({len(data)} bytes)")
    text = data.decode("utf-8", errors="replace")
    lines = text.replace("\r\n", "\n").split("\n")
    kind = _kind(lines[0].strip())
    headers: dict[str, str] = {}
    for line in lines[1 : MAX_HEADERS + 1]:
        name, sep, value = line.partition(":")
        if sep and name.strip() and " " not in name.strip():
            headers.setdefault(name.strip().upper(), value.strip()[:MAX_VALUE_CHARS])
    return Message(kind, headers)


def _kind(start: str) -> str:
    upper = start.upper()
    if upper.startswith("HTTP/1.") and " 200" in upper:
        return "response"
    if upper.startswith("NOTIFY * HTTP/1."):
        return "notify"
    if upper.startswith("M-SEARCH * HTTP/1."):
        return "search"
    raise ParseError(f"not an SSDP message (start line {start[:40]!r})")


def message_fields(message: Message) -> dict[str, str]:
    """The evidence an SSDP reply or NOTIFY carries about its sender."""
    fields: dict[str, str] = {}
    for header, name in (
        ("SERVER", "ssdp.server"),
        ("LOCATION", "ssdp.location"),
        ("USN", "ssdp.usn"),
        ("ST", "ssdp.st"),
        ("NT", "ssdp.nt"),
        ("NTS", "ssdp.nts"),
    ):
        if value := message.header(header):
            fields[name] = value
    return fields


def parse_description(data: bytes) -> dict[str, str]:
    """A UPnP device description -> ``ssdp.manufacturer``, ``ssdp.model`` ... (root device)."""
    root = xmlsafe.parse(data, max_bytes=MAX_DESCRIPTION)
    device = xmlsafe.find_local(root, "device")
    if device is None:
        raise ParseError("UPnP description has no <device> element")
    values = xmlsafe.children_text(device)
    fields = {
        field: values[element][:MAX_VALUE_CHARS]
        for element, field in DESCRIPTION_FIELDS.items()
        if values.get(element)
    }
    if not fields:
        raise ParseError("UPnP description names no manufacturer, model or name")
    return fields


def fetchable(location: str, replier: str, networks: Sequence[Network]) -> bool:
    """Only fetch plain-HTTP(S) URLs that point back at the replying host, inside scope."""
    try:
        parts = urlsplit(location)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and host == replier and udp.in_scope(host, networks)


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """M-SEARCH, yield each replying device, then fetch and parse its description."""
    searches = [msearch(t) for t in SEARCH_TARGETS]
    sends = [(m, (GROUP, PORT)) for m in searches]
    sends += [(m, (host, PORT)) for host in ctx.hosts for m in searches]
    sock = udp.open_socket(ctx, 0)
    locations: dict[str, str] = {}  # url -> replying ip
    seen: set[tuple[str, str]] = set()
    replies = udp.exchange(sock, sends, ctx.timeout, ctx.rate, "SSDP M-SEARCH")
    async for item in udp.parsed(replies, ctx, lambda d: parse_message(d.data), SOURCE, "SSDP"):
        if isinstance(item, Problem):
            yield item
            continue
        datagram, message = item
        if message.kind == "search":
            continue
        fields = message_fields(message)
        key = (datagram.ip, fields.get("ssdp.usn", ""))
        if key in seen:
            continue
        seen.add(key)
        yield Observation(SOURCE, {"ip": datagram.ip, **fields}, method="m-search")
        location = fields.get("ssdp.location", "")
        if fetchable(location, datagram.ip, ctx.networks) and len(locations) < 1024:
            locations.setdefault(location, datagram.ip)
    async for described in _describe_all(locations, ctx):
        yield described


async def _describe_all(
    locations: Mapping[str, str], ctx: ProbeContext
) -> AsyncIterator[Observation | Problem]:
    if not locations:
        return
    limit = asyncio.Semaphore(max(1, ctx.concurrency))
    timeout = aiohttp.ClientTimeout(total=max(ctx.timeout, 1.0))
    async with aiohttp.ClientSession(timeout=timeout) as session:
        tasks = [
            asyncio.create_task(_describe(session, limit, url, ip)) for url, ip in locations.items()
        ]
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _describe(
    session: aiohttp.ClientSession, limit: asyncio.Semaphore, url: str, ip: str
) -> Observation | Problem:
    async with limit:
        try:
            async with session.get(url, allow_redirects=False) as resp:
                if resp.status != 200:
                    return Problem(SOURCE, "protocol", f"{url}: HTTP {resp.status}", ip=ip)
                body = await resp.content.read(MAX_DESCRIPTION + 1)
        except TimeoutError:
            return Problem(SOURCE, "timeout", f"{url}: no description in time", ip=ip)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return Problem(SOURCE, "unreachable", f"{url}: {exc}", ip=ip)
    if len(body) > MAX_DESCRIPTION:
        return Problem(SOURCE, "parse", f"{url}: description larger than 128 kB", ip=ip)
    try:
        fields = parse_description(body)
    except ParseError as exc:
        return Problem(SOURCE, "parse", f"{url}: {exc}", ip=ip)
    fields["ssdp.location"] = url
    return Observation(SOURCE, {"ip": ip, **fields}, method="description")
