"""Dahua DHIP discovery (UDP 37810): the search probe and the notifyDevInfo parser.

Wire format (julienblitte/UniversalScanner ``Dahua2.cs``): a
32-byte little-endian header of u32 words, ``0x20`` header size, the magic ``DHIP``, then the
body length twice (words 4 and 6), followed by a JSON body.  Both length fields must equal
the body actually received: a mismatch means a truncated or forged datagram and is refused.

OEM units rename ``Vendor``/``DeviceType`` but keep this protocol, the Dahua serial and
version formats; every key is kept as ``dhip.<key>`` (nested objects flattened with dots,
e.g. ``dhip.IPv4Address.IPAddr``) and the top-level ``mac`` as ``dhip.mac``.
"""

from __future__ import annotations

import ipaddress
import json
import struct
from collections.abc import AsyncIterator, Mapping
from typing import Any

from core.jsonlimits import JsonLimitError, load_json
from core.model import Observation, Problem, normalize_mac
from discovery import udp
from discovery.base import ParseError, ProbeContext

PORT = 37810
GROUP = "239.255.255.251"
SOURCE = "dhip"
HEADER = struct.Struct("<I4sIIIIII")
MAGIC = b"DHIP"
MAX_BODY = 64 * 1024
MAX_KEYS = 200
MAX_VALUE_CHARS = 256

# The search request real clients send (UniversalScanner ``Dahua2.cs``); a read-only query.
SEARCH_BODY = b'{ "method" : "DHDiscover.search", "params" : { "mac" : "", "uni" : 1 } }\n'


def frame(body: bytes) -> bytes:
    """``body`` behind a DHIP header carrying its length in both length fields."""
    return HEADER.pack(0x20, MAGIC, 0, 0, len(body), 0, len(body), 0) + body


def search_request() -> bytes:
    """The DHDiscover.search datagram (the only DHIP message camaudit sends)."""
    return frame(SEARCH_BODY)


def unframe(data: bytes) -> bytes:
    """The JSON body of a DHIP datagram; ParseError says which check failed."""
    if len(data) < HEADER.size:
        raise ParseError(f"DHIP datagram too short for its header ({len(data)} < 32 bytes)")
    _, magic, _, _, length1, _, length2, _ = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ParseError(f"no DHIP magic (got {magic!r})")
    body = data[HEADER.size :]
    if length1 != len(body) or length2 != len(body):
        raise ParseError(
            f"DHIP length fields ({length1}, {length2}) do not match the "
            f"{len(body)}-byte body (truncated or forged datagram)"
        )
    if len(body) > MAX_BODY:
        raise ParseError(f"DHIP body too large ({len(body)} bytes)")
    return body


def parse_reply(data: bytes, source_ip: str | None = None) -> Observation | None:
    """A DHIP datagram -> Observation; None for a search request (another client's probe)."""
    message = _json(unframe(data))
    method = message.get("method")
    if method == "DHDiscover.search":
        return None
    params = message.get("params")
    info = params.get("deviceInfo") if isinstance(params, Mapping) else None
    if not isinstance(info, Mapping):
        raise ParseError(f"DHIP message {method!r} carries no params.deviceInfo")
    fields = _flatten(info, "dhip.")
    if isinstance(message.get("mac"), str):
        fields["dhip.mac"] = message["mac"][:MAX_VALUE_CHARS]
    if mac := normalize_mac(str(fields.get("dhip.mac", ""))):
        fields["mac"] = mac
    if ip := source_ip or _ipv4(fields):
        fields["ip"] = ip
    return Observation(source=SOURCE, fields=fields)


def _json(body: bytes) -> Mapping[str, Any]:
    text = body.rstrip(b"\x00\r\n ").decode("utf-8", errors="replace")
    try:
        value = load_json(text)
    except JsonLimitError as exc:  # bad JSON, too deep, a huge number or a lone surrogate
        raise ParseError(f"DHIP body is not JSON we can use: {exc}") from exc
    if not isinstance(value, dict):
        raise ParseError("DHIP body is not a JSON object")
    return value


def _flatten(value: Mapping[str, Any], prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    stack: list[tuple[str, Any]] = [(prefix + str(k), v) for k, v in value.items()]
    while stack and len(out) < MAX_KEYS:
        key, item = stack.pop(0)
        if isinstance(item, Mapping):
            stack.extend((f"{key}.{k}", v) for k, v in item.items())
        elif item is not None:
            out[key] = _text(item)
    return out


def _text(item: Any) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"  # JSON spelling, not Python's
    if isinstance(item, (list, tuple)):
        return json.dumps(item)[:MAX_VALUE_CHARS]
    return str(item)[:MAX_VALUE_CHARS]


def _ipv4(fields: Mapping[str, str]) -> str | None:
    for key in ("dhip.IPv4Address.IPAddress", "dhip.IPv4Address.IPAddr"):
        try:
            return str(ipaddress.IPv4Address(fields.get(key, "")))
        except ValueError:
            continue
    return None


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """Multicast DHDiscover.search (and unicast it to known hosts); yield each device once
    (by serial, MAC or IP) and a Problem per device that sends a malformed reply."""
    request = search_request()
    async for item in udp.discover(ctx, request, GROUP, PORT, "DHIP", parse_reply, SOURCE):
        yield item
