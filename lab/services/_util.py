"""Helpers the lab's services share: the device's identity, runtime placeholders, XML text."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import struct
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
            "ip6": ctx.ip6,
            "ll6": ctx.ll6,
            "dir": ctx.workdir,
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


def udp6_socket(ctx: DeviceContext, port: int, group: str) -> socket.socket:
    """An IPv6 UDP socket of the device on ``port``, joined to ``group`` on its eth0.

    IPv6 multicast names the interface by index (IPV6_JOIN_GROUP, IPV6_MULTICAST_IF), and
    that index is the device namespace's, so it is looked up inside it.
    """
    with ctx.in_namespace():
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        index = socket.if_nametoindex("eth0")
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(("::", port))
        mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", index)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
