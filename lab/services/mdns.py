"""mDNS / DNS-SD registrations with python-zeroconf (async API, the device's interface only).

``[[services.mdns.service]]`` entries: ``type`` (e.g. ``_CGI._tcp.local.``,
``_axis-video._tcp.local.``, ``_ipp._tcp.local.``), ``name`` (instance name), ``port``,
``txt`` (key -> value), optional ``host`` (default ``<device name>.local.``).  A device with
IPv6 answers on FF02::FB too and publishes AAAA records for its ULA and link-local
addresses.  Zeroconf opens its own sockets, so it is constructed inside
``ctx.in_namespace()``.  Registration runs in the background (probing and announcing take
about 1.7 s per service), so start() returns at once.  mDNS queries are answered by
zeroconf itself and are not recorded.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Mapping
from typing import Any

from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

from lab.services._util import runtime
from lab.services.base import DeviceContext


class _Closer:
    def __init__(self, zc: AsyncZeroconf, tasks: list[asyncio.Future[Any]]) -> None:
        self.zc = zc
        self.tasks = tasks

    def close(self) -> Awaitable[None]:  # the emulator awaits what close() returns
        for task in self.tasks:
            task.cancel()
        return self.zc.async_close()


def _retrieve(future: asyncio.Future[Any]) -> None:
    # A failed registration (name conflict) must not surface as "exception never retrieved".
    if not future.cancelled():
        future.exception()


def service_infos(ctx: DeviceContext) -> list[ServiceInfo]:
    entries = runtime(ctx, list(ctx.service("mdns").get("service", [])))
    infos = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        type_ = str(entry["type"])
        txt = {str(k): str(v) for k, v in dict(entry.get("txt", {})).items()}
        infos.append(
            ServiceInfo(
                type_,
                f"{entry['name']}.{type_}",
                parsed_addresses=[a for a in (ctx.ip, ctx.ip6, ctx.ll6) if a],
                port=int(entry.get("port", 80)),
                properties=txt,
                server=str(entry.get("host", f"{ctx.name}.local.")),
            )
        )
    return infos


async def _register(zc: AsyncZeroconf, info: ServiceInfo) -> None:
    # The first await probes the name (about 0.75 s), the second sends the announcements.
    announced = await zc.async_register_service(info)
    await announced


def _zeroconf(ctx: DeviceContext) -> AsyncZeroconf:
    """Zeroconf on the device's interface only, for the address families it has."""
    if not ctx.ip6:
        return AsyncZeroconf(interfaces=[ctx.ip], ip_version=IPVersion.V4Only)
    index = socket.if_nametoindex("eth0")  # IPv6 multicast names interfaces by index
    if not ctx.ip:
        return AsyncZeroconf(interfaces=[index], ip_version=IPVersion.V6Only)
    return AsyncZeroconf(interfaces=[ctx.ip, index], ip_version=IPVersion.All)


async def start(ctx: DeviceContext) -> None:
    with ctx.in_namespace():
        zc = _zeroconf(ctx)
    infos = service_infos(ctx)
    tasks: list[asyncio.Future[Any]] = []
    for info in infos:
        future = asyncio.ensure_future(_register(zc, info))
        future.add_done_callback(_retrieve)
        tasks.append(future)
    ctx.record("mdns", "registered", {"services": [i.name for i in infos]})
    ctx.closers.append(_Closer(zc, tasks))
