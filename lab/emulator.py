"""The lab's one emulator process: every simulated device, one asyncio loop.

``python -m lab.emulator --state /run/camaudit-lab/<prefix>/state.json``

For each device it builds a :class:`~lab.services.base.DeviceContext` whose socket
factories enter the device's namespace (setns(2) on the main thread), create the socket
and come back: a socket stays in the namespace it was created in, so one process serves
every namespace.  The process itself lives in the lab's bridge namespace, which has no
addresses: anything opened by mistake outside ``ctx`` cannot reach a real network.

Once every device's services have started it writes ``ready.json`` (``lab up`` waits for
it) and serves until SIGTERM.  A service that fails to start is reported in ``ready.json``
and the log; the other devices keep serving.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import json
import os
import resource
import signal
import socket
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lab import netns
from lab import state as lab_state
from lab.requestlog import RequestLog
from lab.services.base import DeviceContext
from lab.state import DeviceEntry, LabState

START_TIMEOUT = 30.0  # a service's start() must return once serving, not block
CLOSE_TIMEOUT = 1.5  # `lab down` sends SIGKILL after 3 s
CONCURRENT_STARTS = 1024  # starts mostly wait (mDNS probing): overlap them all


class Emulator:
    def __init__(self, state: LabState, profiles: Mapping[str, Any]) -> None:
        self.state = state
        self.profiles = profiles
        self.switch = netns.NamespaceSwitch()  # home: the bridge namespace (see main)
        self.log = RequestLog(state.request_log)
        self.contexts: list[DeviceContext] = []
        self.failures: list[dict[str, str]] = []
        self.started_services = 0
        self.missing: set[str] = set()
        self.start_times: dict[str, float] = {}  # slowest start() per service, for tuning

    # --- socket factories (run on the main thread, inside the device's namespace) -------
    def tcp_socket(self, entry: DeviceEntry, port: int) -> socket.socket:
        # An IPv6-only device listens on "::": its ULA and its link-local address both.
        family = socket.AF_INET6 if entry.ip6 and not entry.ip else socket.AF_INET
        with self.switch.inside(entry.netns):
            sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("::" if family == socket.AF_INET6 else entry.ip, port))
            sock.listen(256)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    def udp_socket(self, entry: DeviceEntry, port: int, group: str | None) -> socket.socket:
        with self.switch.inside(entry.netns):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            # The wildcard address: in its own namespace the device has one address, and
            # only a wildcard socket also receives multicast and broadcast datagrams.
            sock.bind(("0.0.0.0", port))  # noqa: S104
            if group:
                _join(sock, group, entry.ip)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    # --- devices --------------------------------------------------------------------------
    def context(self, entry: DeviceEntry) -> DeviceContext:
        def record(protocol: str, kind: str, detail: Mapping[str, Any]) -> None:
            self.log.record(entry.name, entry.ip, protocol, kind, detail)

        return DeviceContext(
            name=entry.name,
            ip=entry.ip,
            mac=entry.mac,
            netmask=self.state.prefixlen,
            netns=entry.netns,
            profile=self.profiles[entry.name]["profile"],
            index=entry.index,
            record=record,
            tcp_socket=lambda port: self.tcp_socket(entry, port),
            udp_socket=lambda port, group: self.udp_socket(entry, port, group),
            in_namespace=lambda: self.switch.inside(entry.netns),
            ip6=entry.ip6,
            ll6=entry.ll6,
            workdir=str(self.state.device_dir(entry.name)),
            logfile=str(self.state.thirdparty_log(entry.name)),
        )

    async def start_device(self, entry: DeviceEntry, gate: asyncio.Semaphore) -> None:
        ctx = self.context(entry)
        self.contexts.append(ctx)
        async with gate:
            for service in entry.services:
                await self.start_service(ctx, service)

    async def start_service(self, ctx: DeviceContext, service: str) -> None:
        module_name = f"{self.state.service_package}.{service}"
        started = time.monotonic()
        try:
            module = importlib.import_module(module_name)
            await asyncio.wait_for(module.start(ctx), START_TIMEOUT)
            self.started_services += 1
            took = time.monotonic() - started
            self.start_times[service] = max(self.start_times.get(service, 0.0), took)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                # A profile may name a service not written yet: the device serves the rest.
                self.missing.add(service)
            else:
                self._failed(ctx, service, exc)
        except Exception as exc:  # one broken service must not stop the lab
            self._failed(ctx, service, exc)

    def _failed(self, ctx: DeviceContext, service: str, exc: BaseException) -> None:
        if isinstance(exc, TimeoutError):
            exc = TimeoutError(f"start() did not return within {START_TIMEOUT:.0f} s")
        self.failures.append({"device": ctx.name, "service": service, "error": repr(exc)})
        print(f"[{ctx.name}] {service} failed to start: {exc!r}", file=sys.stderr)
        traceback.print_exception(exc, file=sys.stderr)

    async def start_all(self) -> None:
        gate = asyncio.Semaphore(CONCURRENT_STARTS)
        await asyncio.gather(*(self.start_device(e, gate) for e in self.state.devices))

    async def close_all(self) -> None:
        """Close every device at once: zeroconf's goodbyes take ~1 s each, in parallel."""
        pending = []
        for ctx in self.contexts:
            for closer in reversed(ctx.closers):
                with contextlib.suppress(Exception):
                    # Some closers (zeroconf's async_close) hand back an awaitable.
                    untyped: Any = closer
                    result = untyped.close()
                    if inspect.isawaitable(result):
                        pending.append(asyncio.ensure_future(result))
        if pending:
            _, late = await asyncio.wait(pending, timeout=CLOSE_TIMEOUT)
            for task in late:
                task.cancel()
        self.log.close()


def _join(sock: socket.socket, group: str, ip: str) -> None:
    """Join ``group`` on the device's interface; replies to the group leave on it too."""
    mreq = socket.inet_aton(group) + socket.inet_aton(ip)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ip))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)


def _raise_fd_limit() -> None:
    # Each device holds several sockets (zeroconf alone takes a few); 200+ devices need
    # more than the usual soft limit of 1024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 1 << 20 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _rss_kib() -> int:
    return netns.rss_kib(os.getpid())


async def run(state: LabState, profiles: Mapping[str, Any]) -> None:
    started = time.monotonic()
    emulator = Emulator(state, profiles)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await emulator.start_all()
    ready = {
        "pid": os.getpid(),
        "devices": len(state.devices),
        "services": emulator.started_services,
        "failures": emulator.failures,
        "missing": sorted(emulator.missing),
        "slowest_start": {k: round(v, 3) for k, v in sorted(emulator.start_times.items())},
        "seconds": round(time.monotonic() - started, 3),
        "rss_kib": _rss_kib(),
    }
    lab_state.write_json(state.ready_file, ready)
    print(f"ready: {ready}", flush=True)
    await stop.wait()
    await emulator.close_all()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.emulator")
    parser.add_argument("--state", type=Path, required=True, help="the lab's state.json")
    args = parser.parse_args(argv)
    try:
        state = lab_state.load_file(args.state)
        profiles = _load_profiles(state)
    except (lab_state.StateError, OSError, ValueError) as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 1
    _raise_fd_limit()
    # Live in the bridge namespace: it has no addresses and no route anywhere.
    netns.enter_for_good(state.bridge_ns)
    asyncio.run(run(state, profiles))
    return 0


def _load_profiles(state: LabState) -> Mapping[str, Any]:
    data = json.loads(state.devices_file.read_text(encoding="utf-8"))
    missing = [d.name for d in state.devices if d.name not in data]
    if missing:
        raise ValueError(f"{state.devices_file}: no profile for {', '.join(missing[:5])}")
    return dict(data)


if __name__ == "__main__":
    sys.exit(main())
