"""Run inside a throwaway network namespace (see test_multicast.py): never on its own.

Starts the wsd, ssdp and mdns services of the given profiles (one device each, on
127.0.0.2, .3 ...) with announcements on, and reports as JSON what listeners on the same
loopback saw: WS-Discovery Hellos, SSDP NOTIFYs, and the mDNS services a zeroconf browser
resolved.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
from typing import Any

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from core import netguard
from lab.profile import build_mix
from lab.services import mdns, ssdp, wsd
from lab.services.base import DeviceContext, nothing


def _listener(port: int, group: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", port))  # inside the throwaway namespace only
    mreq = socket.inet_aton(group) + socket.inet_aton("127.0.0.1")
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    sock.setblocking(False)
    return sock


def _device_sockets(ip: str) -> tuple[Any, Any]:
    def udp(port: int, group: str | None) -> socket.socket:
        sock = _listener(port, group) if group else socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        return sock

    def tcp(port: int) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, port))
        sock.listen(8)
        sock.setblocking(False)
        return sock

    return tcp, udp


async def _collect(sock: socket.socket, seconds: float) -> list[str]:
    loop = asyncio.get_running_loop()
    got: list[str] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                got.append((await loop.sock_recv(sock, 65535)).decode("utf-8", "replace"))
    return got


async def _start(number: int, spec: Any) -> DeviceContext:
    ip = f"127.0.0.{number + 1}"
    tcp, udp = _device_sockets(ip)
    ctx = DeviceContext(
        name=f"n{number:03d}",
        ip=ip,
        mac=spec.mac,
        netmask=8,
        netns="throwaway",
        profile=spec.profile,
        index=number,
        record=lambda p, k, d: None,
        tcp_socket=tcp,
        udp_socket=udp,
        in_namespace=nothing,
    )
    for module in (wsd, ssdp, mdns):
        if module.__name__.rsplit(".", 1)[1] in spec.profile["services"]:
            await module.start(ctx)
    return ctx


async def _resolve(specs: list[Any]) -> dict[str, Any]:
    browser = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    infos = [
        AsyncServiceInfo(entry["type"], f"{entry['name']}.{entry['type']}")
        for spec in specs
        for entry in spec.profile["services"].get("mdns", {}).get("service", [])
    ]
    answered = await asyncio.gather(*(i.async_request(browser.zeroconf, 3000) for i in infos))
    found = {
        info.name: {
            "port": info.port,
            "server": info.server,
            "addresses": info.parsed_addresses(),
            "txt": {k.decode(): (v or b"").decode() for k, v in info.properties.items()},
        }
        for info, ok in zip(infos, answered, strict=True)
        if ok
    }
    await browser.async_close()
    return found


async def main(profile_ids: list[str]) -> dict[str, Any]:
    mix = build_mix(40)
    specs = [next(s for s in mix if s.profile_id == pid) for pid in profile_ids]
    hello = _listener(3702, wsd.GROUP)  # bound before the devices announce
    notify = _listener(1900, ssdp.GROUP)
    contexts = [await _start(number, spec) for number, spec in enumerate(specs, start=1)]
    hellos, notifies = await asyncio.gather(_collect(hello, 1.0), _collect(notify, 1.0))
    seen = {"hello": hellos, "notify": notifies, "mdns": await _resolve(specs)}
    for ctx in contexts:
        for closer in reversed(ctx.closers):
            result = closer.close()
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                await result
    return seen


if __name__ == "__main__":
    if netguard.in_root_namespace():  # multicast here would reach the real network
        sys.exit("refusing to run in the machine's own network namespace")
    print(json.dumps(asyncio.run(main(sys.argv[1:]))))
