"""WS-Discovery responder (UDP 3702, 239.255.255.250), as ONVIF cameras and wsdd speak it.

Answers a Probe whose Types the device has (or a Probe with no Types, as nmap's general
probe) with a unicast ProbeMatch: the profile's Types and Scopes (percent-encoded on the
wire, as real cameras send them), XAddrs, RelatesTo = the probe's MessageID and a fresh
``wsa:``-prefixed MessageID (nmap's decoder needs the prefix).  WS-Discovery 2005/04 is what
ONVIF uses; profiles that list ``versions = ["2005", "2009"]`` also answer 2009/01 probes
(nmap's "wcf" probe).  Sends Hello on start when ``ctx.announce`` is set.

Profile table ``[services.wsd]``: ``types`` (list of QNames), ``scopes`` (list, on-wire
form), ``xaddrs`` (default ``<base url>/onvif/device_service``), ``versions``, ``hello``,
``raw_reply`` (hostile: a reply template sent instead of the ProbeMatch; ``${relates_to}``,
``${message_id}`` and ``${ip}`` are filled in).

A device with IPv6 (``[network] ipv6``) also listens on ``[FF02::C]:3702``; an IPv6-only
device's default XAddr names its ULA address in brackets.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from lab.services import _httpd
from lab.services._util import (
    MAX_DATAGRAM,
    as_bool,
    device_uuid,
    local_name,
    runtime,
    udp6_socket,
    x,
)
from lab.services.base import DeviceContext, udp_endpoint

PORT = 3702
GROUP = "239.255.255.250"
GROUP6 = "ff02::c"
NS_2005 = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
NS_2009 = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"
ADDRESSING = {
    NS_2005: "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    NS_2009: "http://www.w3.org/2005/08/addressing",
}
ANONYMOUS = {
    NS_2005: "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous",
    NS_2009: "http://www.w3.org/2005/08/addressing/anonymous",
}
KNOWN_PREFIXES = {
    "dn": "http://www.onvif.org/ver10/network/wsdl",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "wsdp": "http://schemas.xmlsoap.org/ws/2006/02/devprof",
    "pub": "http://schemas.microsoft.com/windows/pub/2005/07",
}
DEFAULT_TYPES = ("dn:NetworkVideoTransmitter", "tds:Device")


@dataclass(frozen=True)
class Probe:
    version: str  # discovery namespace
    message_id: str
    types: tuple[tuple[str | None, str], ...]  # (namespace or None, local name)


def parse_probe(data: bytes) -> Probe | None:
    """The Probe in a datagram, or None for anything else (Hello, Bye, garbage, bombs)."""
    namespaces: dict[str, str] = {}
    message_id, probe_ns, types_text = "", None, ""
    try:
        for event, item in iterparse(io.BytesIO(data), events=("start-ns", "end")):
            if event == "start-ns":
                prefix, uri = item
                namespaces[prefix] = uri
                continue
            name = local_name(item.tag)
            if name == "MessageID":
                message_id = (item.text or "").strip()
            elif name == "Probe" and item.tag.startswith("{"):
                probe_ns = item.tag[1:].partition("}")[0]
            elif name == "Types":
                types_text = item.text or ""
    except (ParseError, DefusedXmlException, ValueError):
        return None
    if probe_ns not in (NS_2005, NS_2009):
        return None
    return Probe(probe_ns, message_id, tuple(_qnames(types_text, namespaces)))


def _qnames(text: str, namespaces: Mapping[str, str]) -> Iterator[tuple[str | None, str]]:
    for token in text.split():
        prefix, sep, local = token.rpartition(":")
        yield (namespaces.get(prefix) if sep else namespaces.get(""), local)


def matches(probe: Probe, device_types: list[str]) -> bool:
    """A device matches when it has every type the probe asks for (WS-Discovery §5.1)."""
    have = {_resolve(t) for t in device_types}
    have_local = {local for _, local in have}
    for ns, local in probe.types:
        if (ns, local) not in have and not (ns is None and local in have_local):
            return False
    return True


def _resolve(qname: str) -> tuple[str | None, str]:
    prefix, _, local = qname.rpartition(":")
    return (KNOWN_PREFIXES.get(prefix), local)


class Responder:
    def __init__(self, ctx: DeviceContext) -> None:
        self.ctx = ctx
        self.conf = ctx.service("wsd")
        self.numbers = itertools.count(1)
        self.instance = 1 + ctx.index

    @property
    def types(self) -> list[str]:
        return [str(t) for t in self.conf.get("types", DEFAULT_TYPES)]

    def versions(self) -> set[str]:
        wanted = self.conf.get("versions", ["2005"])
        return {NS_2009 if str(v) == "2009" else NS_2005 for v in wanted}

    def on_datagram(
        self, data: bytes, addr: tuple[str, int], transport: asyncio.DatagramTransport
    ) -> None:
        probe = parse_probe(data[:MAX_DATAGRAM])
        types = [f"{ns or ''}:{local}" for ns, local in probe.types] if probe else []
        self.ctx.record(
            "wsd",
            "probe" if probe else "non-probe",
            {"peer": addr[0], "types": types, "bytes": len(data)},
        )
        if probe is None or probe.version not in self.versions() or not matches(probe, self.types):
            return
        transport.sendto(self.reply(probe), addr)

    def reply(self, probe: Probe) -> bytes:
        message_id = f"urn:uuid:{uuid.uuid4()}"
        raw = self.conf.get("raw_reply")
        if isinstance(raw, str):
            filled = raw.replace("${relates_to}", probe.message_id).replace(
                "${message_id}", message_id
            )
            return str(runtime(self.ctx, filled)).encode()
        return self.envelope(
            probe.version,
            "ProbeMatches",
            f"<wsa:RelatesTo>{x(probe.message_id)}</wsa:RelatesTo>",
            f"<d:ProbeMatches><d:ProbeMatch>{self.endpoint_body()}</d:ProbeMatch></d:ProbeMatches>",
            message_id,
            to=ANONYMOUS[probe.version],
        )

    def hello(self) -> bytes:
        return self.envelope(
            NS_2005,
            "Hello",
            "",
            f"<d:Hello>{self.endpoint_body()}</d:Hello>",
            f"urn:uuid:{uuid.uuid4()}",
            to="urn:schemas-xmlsoap-org:ws:2005:04:discovery",
        )

    def endpoint_body(self) -> str:
        scopes = " ".join(str(runtime(self.ctx, s)) for s in self.conf.get("scopes", []))
        base = _httpd.base_url(self.ctx) if self.ctx.ip else f"http://[{self.ctx.ip6}]"
        xaddrs = runtime(self.ctx, self.conf.get("xaddrs", f"{base}/onvif/device_service"))
        return (
            f"<wsa:EndpointReference><wsa:Address>urn:uuid:{device_uuid(self.ctx)}</wsa:Address>"
            f"</wsa:EndpointReference><d:Types>{x(' '.join(self.types))}</d:Types>"
            f"<d:Scopes>{x(scopes)}</d:Scopes><d:XAddrs>{x(xaddrs)}</d:XAddrs>"
            "<d:MetadataVersion>10</d:MetadataVersion>"
        )

    def envelope(
        self, version: str, action: str, relates: str, body: str, message_id: str, to: str
    ) -> bytes:
        prefixes = "".join(f' xmlns:{p}="{uri}"' for p, uri in KNOWN_PREFIXES.items())
        text = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"'
            f' xmlns:wsa="{ADDRESSING[version]}" xmlns:d="{version}"{prefixes}>'
            f"<SOAP-ENV:Header><wsa:MessageID>{message_id}</wsa:MessageID>{relates}"
            f"<wsa:To>{to}</wsa:To><wsa:Action>{version}/{action}</wsa:Action>"
            f'<d:AppSequence InstanceId="{self.instance}" MessageNumber="{next(self.numbers)}"/>'
            f"</SOAP-ENV:Header><SOAP-ENV:Body>{body}</SOAP-ENV:Body></SOAP-ENV:Envelope>"
        )
        return text.encode()


async def start(ctx: DeviceContext) -> None:
    responder = Responder(ctx)
    hello = ctx.announce and as_bool(responder.conf.get("hello"), default=True)
    loop = asyncio.get_running_loop()
    if ctx.ip:
        sock = ctx.udp_socket(PORT, GROUP)
        transport, _ = await udp_endpoint(loop, sock, responder.on_datagram)
        ctx.closers.append(transport)
        if hello:
            transport.sendto(responder.hello(), (GROUP, PORT))
    if ctx.ip6:
        transport6, _ = await udp_endpoint(
            loop, udp6_socket(ctx, PORT, GROUP6), responder.on_datagram
        )
        ctx.closers.append(transport6)
        if hello:
            transport6.sendto(responder.hello(), (GROUP6, PORT))
