"""Loopback harness for the lab's services: no namespaces, no multicast.

Each device gets its own 127.77.x.y address, so services bind their real ports (80, 554,
3702 ...) without colliding with each other or with anything else on the machine.  Group
joins are skipped (joining on the root namespace's default interface would reach the real
network) and ``announce`` is off, so nothing unsolicited is sent.  The services run on an
event loop in a background thread; tests talk to them with plain blocking sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from lab.profile import PROFILE_DIR, build_mix
from lab.services.base import DeviceContext, nothing

_addresses = itertools.count(1)


class Loop:
    """An asyncio loop in a thread, serving the devices a test starts."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.contexts: list[DeviceContext] = []

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        async def close_all() -> None:
            for ctx in self.contexts:
                for closer in reversed(ctx.closers):
                    with contextlib.suppress(Exception):
                        result = closer.close()
                        if asyncio.iscoroutine(result):
                            await result

            # connections still open (keep-alive, tarpit) end with the test
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        self.run(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class Device:
    """One simulated device on loopback: its context and what it recorded."""

    def __init__(self, loop: Loop, profile: Mapping[str, Any], mac: str, index: int) -> None:
        number = next(_addresses)
        self.ip = f"127.77.{number // 250}.{number % 250 + 1}"
        self.records: list[tuple[str, str, dict[str, Any]]] = []
        self.loop = loop
        self.ctx = DeviceContext(
            name=f"t{number:04d}",
            ip=self.ip,
            mac=mac,
            netmask=24,
            netns="loopback-test",
            profile=profile,
            index=index,
            record=lambda proto, kind, detail: self.records.append((proto, kind, dict(detail))),
            tcp_socket=self._tcp,
            udp_socket=self._udp,
            in_namespace=nothing,
            announce=False,
        )
        loop.contexts.append(self.ctx)

    def _tcp(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.ip, port))
        sock.listen(64)
        sock.setblocking(False)
        return sock

    def _udp(self, port: int, group: str | None) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.ip, port))
        sock.setblocking(False)
        return sock

    def start(self, *services: str) -> Device:
        import importlib

        for name in services:
            module = importlib.import_module(f"lab.services.{name}")
            self.loop.run(module.start(self.ctx))
        return self

    def kinds(self, protocol: str) -> list[str]:
        return [kind for proto, kind, _ in self.records if proto == protocol]

    def udp(self, port: int, payload: bytes, timeout: float = 2.0) -> bytes | None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.bind(("127.0.0.1", 0))
            sock.sendto(payload, (self.ip, port))
            try:
                return sock.recv(65535)
            except TimeoutError:
                return None


@pytest.fixture
def loop() -> Iterator[Loop]:
    running = Loop()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def mix() -> dict[str, Any]:
    """The first device of each profile (default mix, 60 cycled, the interop and routed
    mixes) by id."""
    devices: dict[str, Any] = {}
    interop = build_mix(mix_file=PROFILE_DIR / "interop_mix.toml")
    routed = build_mix(mix_file=PROFILE_DIR / "routed_mix.toml")  # issue 12's SNMP agents
    for spec in build_mix(None) + build_mix(60) + interop + routed:
        devices.setdefault(spec.profile_id, spec)
    return devices


@pytest.fixture
def device(loop: Loop, mix: dict[str, Any]):
    def make(profile_id: str) -> Device:
        spec = mix[profile_id]
        return Device(loop, spec.profile, spec.mac, index=int(spec.name[1:]) - 1)

    return make
