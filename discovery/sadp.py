"""Hikvision SADP (UDP 37020): the inquiry probe and its ProbeMatch parser.

Hikvision firmware >= V5.5 ships with ONVIF disabled, so SADP is how most modern Hikvision
and Hikvision-OEM units are found (securitycamcenter.com/enable-onvif-hikvision-cameras).
SADP also carries write
operations (``update`` = change IP, activation, password reset).  This module can only build
the inquiry: the message text is one constant whose only variable part is the UUID, and no
function here accepts a message type.  A test asserts ``inquiry`` is the only Types sent.

Every element of a reply is kept as ``sadp.<Element>`` (genuine firmware misspells booleans
as ``flase``; that is kept too, since it tells real units from emulators).
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import AsyncIterator

from core.model import Observation, Problem, normalize_mac
from discovery import udp, xmlsafe
from discovery.base import ParseError, ProbeContext

PORT = 37020
GROUP = "239.255.255.250"
SOURCE = "sadp"
MAX_VALUE_CHARS = 256
MAX_ELEMENTS = 200

# The exact inquiry real SADP clients send (julienblitte/UniversalScanner ``Hikvision.cs``);
# only the UUID varies.
_INQUIRY = (
    '<?xml version="1.0" encoding="utf-8"?><Probe><Uuid>{uuid}</Uuid><Types>inquiry</Types></Probe>'
)


def inquiry(probe_uuid: uuid.UUID | None = None) -> bytes:
    """The read-only SADP inquiry (the only SADP message camaudit can build)."""
    value = str(probe_uuid or uuid.uuid4()).upper()
    return _INQUIRY.format(uuid=value).encode("utf-8")


def parse_reply(data: bytes, source_ip: str | None = None) -> Observation | None:
    """A SADP datagram -> an Observation, None for a Probe (another client's inquiry).

    Raises ParseError for anything that is not a well-formed SADP reply.
    """
    root = xmlsafe.parse(data)
    kind = xmlsafe.localname(root.tag)
    if kind == "Probe":
        return None
    if kind not in ("ProbeMatch", "Hello"):
        raise ParseError(f"not a SADP reply (root element <{kind}>)")
    fields = _fields(root)
    if not any(k in fields for k in ("sadp.DeviceSN", "sadp.MAC", "sadp.DeviceDescription")):
        raise ParseError("SADP reply names no device (no DeviceSN, MAC or DeviceDescription)")
    ip = source_ip or _valid_ipv4(fields.get("sadp.IPv4Address"))
    if ip:
        fields["ip"] = ip
    mac = normalize_mac(fields.get("sadp.MAC", ""))
    if mac:
        fields["mac"] = mac
    return Observation(source=SOURCE, fields=fields, method="hello" if kind == "Hello" else "")


def _fields(root: xmlsafe.Element) -> dict[str, str]:
    """Every element as ``sadp.<Name>``; nested elements join names with dots."""
    out: dict[str, str] = {}
    for path, text in _walk(root, ""):
        if len(out) >= MAX_ELEMENTS:
            break
        out.setdefault(f"sadp.{path}", text[:MAX_VALUE_CHARS])
    return out


def _walk(element: xmlsafe.Element, prefix: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for child in element:
        name = xmlsafe.localname(child.tag)
        if not name:
            continue
        path = f"{prefix}{name}"
        if len(child):
            found.extend(_walk(child, path + "."))
        else:
            found.append((path, (child.text or "").strip()))
    return found


def _valid_ipv4(value: str | None) -> str | None:
    try:
        return str(ipaddress.IPv4Address((value or "").strip()))
    except ValueError:
        return None


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """Multicast the inquiry (and unicast it to each known host); yield one Observation per
    device (deduplicated by serial, MAC or IP) and a Problem for each malformed reply."""
    message = inquiry()
    async for item in udp.discover(ctx, message, GROUP, PORT, "SADP", parse_reply, SOURCE):
        yield item
