"""Helpers the lab's services share: the device's identity, runtime placeholders, XML text."""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from lab.profile import render
from lab.services.base import DeviceContext

MAX_DATAGRAM = 65535


def identity(ctx: DeviceContext) -> Mapping[str, Any]:
    value = ctx.profile.get("identity", {})
    return value if isinstance(value, Mapping) else {}


def ident(ctx: DeviceContext, key: str, default: str = "") -> str:
    """One identity string (``manufacturer``, ``model``, ``serial``, ``firmware`` ...)."""
    value = identity(ctx).get(key, default)
    return str(runtime(ctx, str(value)))


def runtime(ctx: DeviceContext, value: Any) -> Any:
    """Fill the placeholders only known when the device runs (``${ip}``, ``${mac}`` ...)."""
    plain = ctx.mac.replace(":", "")
    return render(
        value,
        {
            "ip": ctx.ip,
            "name": ctx.name,
            "mac": ctx.mac,
            "mac_dash": ctx.mac.replace(":", "-"),
            "mac_plain": plain,
            "MAC_PLAIN": plain.upper(),
            "index": ctx.index,
            "n": ctx.index + 1,
            "uuid": device_uuid(ctx),
            "serial": str(identity(ctx).get("serial", "")),
            "netmask": str(ipaddress.ip_network(f"0.0.0.0/{ctx.netmask}").netmask),
        },
    )


def device_uuid(ctx: DeviceContext) -> str:
    """A UUID stable for this device across runs (WS-Discovery endpoint, UPnP UDN)."""
    configured = identity(ctx).get("uuid")
    if isinstance(configured, str) and "${" not in configured:
        return configured
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"camaudit-lab:{ctx.name}:{ctx.mac}"))


def x(value: Any) -> str:
    """XML-escape text for an element or a double-quoted attribute."""
    return escape(str(value), {'"': "&quot;"})


def seeded_bytes(seed: str, size: int) -> bytes:
    """Deterministic pseudo-random bytes (garbage replies, favicons)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2] if tag.startswith("{") else tag.rpartition(":")[2]


def as_bool(value: Any, default: bool) -> bool:
    return value if isinstance(value, bool) else default
