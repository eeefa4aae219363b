"""mDNS / DNS-SD: browse camera-relevant service types with python-zeroconf, and parse
captured mDNS packets (pcap mode) with zeroconf's own wire parser.

zeroconf is used only here (one module per library seam). Hikvision units announce
``_CGI._tcp`` with the instance name ``HIKVISION DS-… - <serial>``; Axis ``_axis-video._tcp``;
D-Link/Edimax put model and MAC in ``_http._tcp`` TXT records (IoT Sentinel captures).
Printers, NAS boxes and PCs are browsed too (``_ipp``, ``_printer``, ``_ssh``, ``_hap``) so
they can be classified as not-cameras instead of staying unknown.

Fields: ``mdns.name`` (instance, no trailing dot), ``mdns.service`` (type), ``mdns.host``
(SRV target), ``mdns.port``, ``mdns.txt.<key>`` (key=value TXT strings; free text without
``=`` goes to ``mdns.txt``), ``hostname`` (the SRV/A host name) and ``ip``.

IPv6: when the scan has an IPv6 target and the interface has IPv6, zeroconf runs with
``IPVersion.All`` on that interface (FF02::FB too), and a service's ``ip`` is its address in
scope preferring IPv4, then a global/unique-local IPv6 address, then a link-local one.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

# zeroconf re-exports its wire parser and record classes at the top level "for backwards
# compatibility" but leaves them out of __all__; they are the stable way to parse packets.
from zeroconf import (  # type: ignore[attr-defined]
    DNSAddress,
    DNSIncoming,
    DNSPointer,
    DNSService,
    DNSText,
    IPVersion,
    ServiceStateChange,
    Zeroconf,
)
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from core.model import Observation, Problem
from core.netguard import check_send_allowed
from discovery import udp
from discovery.base import Network, ParseError, ProbeContext

SOURCE = "mdns"
ENUMERATION = "_services._dns-sd._udp.local."
SERVICE_TYPES = (
    "_CGI._tcp.local.",
    "_axis-video._tcp.local.",
    "_http._tcp.local.",
    "_https._tcp.local.",
    "_rtsp._tcp.local.",
    "_onvif._tcp.local.",
    "_psia._tcp.local.",
    "_dhnap._tcp.local.",
    "_hap._tcp.local.",
    "_ipp._tcp.local.",
    "_printer._tcp.local.",
    "_ssh._tcp.local.",
    "_smb._tcp.local.",
    "_workstation._tcp.local.",
)
MAX_TYPES = 48  # types learnt from the enumeration are browsed too, up to this many
MAX_TXT = 64
MAX_VALUE_CHARS = 256
MIN_WINDOW = 3.0  # 200 lab services took ~3 s to browse (lab-facts.md)


def _name(value: str) -> str:
    return value.rstrip(".")[:MAX_VALUE_CHARS]


def service_type_of(instance: str) -> str:
    """``Foo._http._tcp.local.`` -> ``_http._tcp.local`` (the instance label may hold dots)."""
    labels = _name(instance).split(".")
    for index in range(len(labels) - 1):
        if labels[index].startswith("_") and labels[index + 1] in ("_tcp", "_udp"):
            return ".".join(labels[index:])
    return ""


def txt_fields(strings: Iterable[bytes]) -> dict[str, str]:
    """TXT strings -> ``mdns.txt.<key>`` (and free text -> ``mdns.txt``)."""
    out: dict[str, str] = {}
    free: list[str] = []
    for raw in list(strings)[:MAX_TXT]:
        text = raw.decode("utf-8", errors="replace")
        key, sep, value = text.partition("=")
        if sep and key.strip():
            out.setdefault(f"mdns.txt.{key.strip()[:64]}", value[:MAX_VALUE_CHARS])
        elif text.strip():
            free.append(text.strip()[:MAX_VALUE_CHARS])
    if free:
        out["mdns.txt"] = " ".join(free)[:MAX_VALUE_CHARS]
    return out


def split_txt(blob: bytes) -> list[bytes]:
    """RFC 6763 TXT rdata (length-prefixed strings) -> the strings (a bad length ends it)."""
    out: list[bytes] = []
    index = 0
    while index < len(blob):
        length = blob[index]
        chunk = blob[index + 1 : index + 1 + length]
        if len(chunk) < length:
            break
        if chunk:
            out.append(chunk)
        index += 1 + length
    return out


def service_fields(
    instance: str,
    server: str | None,
    port: int | None,
    txt: Iterable[bytes],
) -> dict[str, Any]:
    """The fields of one resolved service instance (pure; shared by probe and pcap)."""
    fields: dict[str, Any] = {"mdns.name": _name(instance)}
    if kind := service_type_of(instance):
        fields["mdns.service"] = kind
    if server:
        fields["mdns.host"] = _name(server)
        fields["hostname"] = _name(server)
    if port:
        fields["mdns.port"] = str(port)
    fields.update(txt_fields(txt))
    return fields


def parse_packet(data: bytes) -> list[dict[str, Any]]:
    """A captured mDNS packet -> one field dict per service instance or host record.

    Uses zeroconf's wire parser; raises ParseError when it rejects the packet.
    """
    message = DNSIncoming(data)
    if not message.valid:
        raise ParseError("malformed mDNS packet")
    records = message.answers()
    hosts = {_name(r.name): r for r in records if isinstance(r, DNSAddress)}
    found: dict[str, dict[str, Any]] = {}
    for record in records:
        _fold(record, found)
    for host, record in hosts.items():
        entry = found.setdefault(f"host:{host}", {"hostname": host})
        with contextlib.suppress(ValueError):
            entry["mdns.address"] = str(ipaddress.ip_address(record.address))
    return list(found.values())


def _fold(record: object, found: dict[str, dict[str, Any]]) -> None:
    """Fold one PTR/SRV/TXT answer into the instance it concerns."""
    if isinstance(record, DNSPointer) and record.name.endswith((".in-addr.arpa.", ".ip6.arpa.")):
        found.setdefault(f"host:{_name(record.alias)}", {"hostname": _name(record.alias)})
    elif isinstance(record, DNSPointer):
        instance = _name(record.alias)
        if instance.startswith("_"):  # the DNS-SD enumeration lists types, not instances
            return
        found.setdefault(instance, service_fields(instance, None, None, ()))
    elif isinstance(record, DNSService):
        entry = found.setdefault(_name(record.name), {})
        entry.update(service_fields(record.name, record.server, record.port, ()))
    elif isinstance(record, DNSText):
        entry = found.setdefault(_name(record.name), {})
        entry.setdefault("mdns.name", _name(record.name))
        if kind := service_type_of(record.name):
            entry.setdefault("mdns.service", kind)
        entry.update(txt_fields(split_txt(record.text)))


def best_address(addresses: Iterable[str]) -> str | None:
    """The address a device is best named by: IPv4, else global IPv6, else link-local."""

    def rank(text: str) -> int:
        addr = ipaddress.ip_address(text.partition("%")[0])
        return 0 if addr.version == 4 else 2 if addr.is_link_local else 1

    usable = [a for a in addresses if _is_address(a)]
    return min(usable, key=rank) if usable else None


def _zone_by_name(address: str) -> str:
    """``fe80::1%2`` -> ``fe80::1%eth0``: the form sockets and the neighbour table use."""
    plain, _, zone = address.partition("%")
    if zone.isdigit():
        with contextlib.suppress(OSError):
            return f"{plain}%{socket.if_indextoname(int(zone))}"
    return address


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return False
    return True


def _observation(info: AsyncServiceInfo, networks: Sequence[Network] = ()) -> Observation | None:
    fields = service_fields(info.name, info.server, info.port, _properties(info.properties))
    scoped = (_zone_by_name(a) for a in info.parsed_scoped_addresses(IPVersion.All))
    addresses = [a for a in scoped if udp.in_scope(a, networks)]
    ip = best_address(addresses)
    if ip is None:
        return None
    fields["ip"] = ip
    return Observation(source=SOURCE, fields=fields, method="dns-sd")


def _properties(props: Mapping[bytes, bytes | None]) -> list[bytes]:
    return [k + (b"=" + v if v is not None else b"") for k, v in props.items()]


class _Browser:
    """Browses the service types, resolves each new instance, queues the results."""

    def __init__(
        self, azc: AsyncZeroconf, timeout_ms: int, networks: Sequence[Network] = ()
    ) -> None:
        self.azc = azc
        self.timeout_ms = timeout_ms
        self.networks = networks
        self.types: set[str] = set()
        self.instances: set[tuple[str, str]] = set()
        self.browsers: list[AsyncServiceBrowser] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.results: asyncio.Queue[Observation] = asyncio.Queue()

    def browse(self, types: Iterable[str]) -> None:
        new = [t for t in types if t not in self.types][: MAX_TYPES - len(self.types)]
        if not new:
            return
        self.types.update(new)
        browser = AsyncServiceBrowser(self.azc.zeroconf, new, handlers=[self.on_change])
        self.browsers.append(browser)

    def on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if state_change is ServiceStateChange.Removed:
            return
        if service_type == ENUMERATION:
            self.browse([name if name.endswith(".") else name + "."])
        elif (service_type, name) not in self.instances:
            self.instances.add((service_type, name))
            task = asyncio.ensure_future(self.resolve(service_type, name))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def resolve(self, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        if await info.async_request(self.azc.zeroconf, self.timeout_ms):
            obs = _observation(info, self.networks)
            if obs is not None:
                self.results.put_nowait(obs)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for browser in self.browsers:
            with contextlib.suppress(Exception):  # closing must not hide the probe's result
                await browser.async_cancel()


async def probe(ctx: ProbeContext) -> AsyncIterator[Observation | Problem]:
    """Browse for ``max(ctx.timeout, 3 s)`` and yield every resolved service instance."""
    check_send_allowed("mDNS queries")
    azc = _zeroconf(ctx)
    browser = _Browser(azc, int(max(ctx.timeout, 1.0) * 1000), ctx.networks)
    try:
        browser.browse((ENUMERATION, *SERVICE_TYPES))
        async for obs in _collect(browser, max(ctx.timeout, MIN_WINDOW), ctx):
            yield obs
    finally:
        await browser.close()
        await azc.async_close()


def _zeroconf(ctx: ProbeContext) -> AsyncZeroconf:
    """Zeroconf on the scan's interface: IPv4, plus IPv6 (by interface index, as IPv6
    multicast needs) when the scan has an IPv6 target and the interface has IPv6."""
    local = udp.interface_ipv4(ctx.interface)
    index = udp.ipv6_wanted(ctx)
    if index is None:
        if local:
            return AsyncZeroconf(interfaces=[local], ip_version=IPVersion.V4Only)
        return AsyncZeroconf(ip_version=IPVersion.V4Only)
    if local:
        return AsyncZeroconf(interfaces=[local, index], ip_version=IPVersion.All)
    return AsyncZeroconf(interfaces=[index], ip_version=IPVersion.V6Only)


async def _collect(
    browser: _Browser, window: float, ctx: ProbeContext
) -> AsyncIterator[Observation]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + window
    seen: set[tuple[str, str]] = set()
    while (remaining := deadline - loop.time()) > 0 or not browser.results.empty():
        try:
            obs = await asyncio.wait_for(browser.results.get(), timeout=max(remaining, 0.01))
        except TimeoutError:
            continue
        key = (str(obs.fields.get("ip")), str(obs.fields.get("mdns.name")))
        if obs.ip and udp.in_scope(obs.ip, ctx.networks) and key not in seen:
            seen.add(key)
            yield obs
