"""Passive mode: read a pcap/pcapng capture and turn what devices said into Observations.

Nothing is sent.  A capture taken on a mirror port or on the admin's laptop shows what
cameras announce by themselves: ARP, DHCP (option 12 hostname, option 60 vendor class),
mDNS answers, SSDP NOTIFY/replies, WS-Discovery Hello/ProbeMatch, SADP and DHIP replies,
and HTTP ``Server`` headers.  The protocol parsers are the same ones the active probes use.

Every observation is ``source="pcap"`` with ``method`` naming the protocol and ``seen_at``
the packet's own timestamp, so an auditor can tell when a device said what.  The sender's
MAC comes from the Ethernet header, which is the device's own only for link-local traffic;
HTTP replies are therefore kept only from private addresses (a cloud server's reply would
otherwise appear as a LAN device carrying the gateway's MAC).

scapy is used only here and in arp.py (one module per library seam).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from scapy.config import conf
from scapy.error import Scapy_Exception
from scapy.layers.dhcp import BOOTP
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Packet, Raw
from scapy.utils import RawPcapReader

from core.model import Observation, Problem, normalize_mac
from discovery import dhcp, dhip, mdns, sadp, ssdp, wsd
from discovery.base import DiscoveryError, ParseError

SOURCE = "pcap"
MAX_ERRORS = 200
MAX_VALUE_CHARS = 256
DLT_EN10MB = 1  # Ethernet link type
EVIDENCE_UDP_PORTS = frozenset({67, 68, 1900, 3702, 5353, 37020, 37810})


class PcapError(DiscoveryError):
    """The file is missing or is not a pcap/pcapng capture at all."""


@dataclass
class PcapResult:
    """What a capture showed: observations, per-packet or file errors, packets read."""

    observations: list[Observation] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    packet_count: int = 0


@dataclass(frozen=True, slots=True)
class _Frame:
    """The parts of one packet every extractor needs."""

    ip: str | None
    mac: str | None
    time: dt.datetime


Fields = dict[str, Any]
Extractor = Callable[[Packet, _Frame], list[tuple[str, Fields]]]


def read_pcap(path: str | Path) -> PcapResult:
    """Read ``path`` and return every observation it holds.

    A file that stops mid-packet keeps what was read and records a ``kind="file"`` error
    naming the file; a file that is not a capture at all raises PcapError.
    """
    path = Path(path)
    result = PcapResult()
    seen: set[tuple[str, tuple[tuple[str, Any], ...]]] = set()
    try:
        reader = RawPcapReader(str(path))  # picks the pcapng reader by magic
    except (OSError, Scapy_Exception, EOFError, ValueError) as exc:
        raise PcapError(
            f"{path}: cannot read as pcap/pcapng ({exc or type(exc).__name__})"
        ) from exc
    talkers: dict[str, dict[str, dt.datetime]] = {}
    with reader:
        for data, linktype, when in _records(reader, path, result):
            result.packet_count += 1
            _read_frame(data, linktype, when, result, seen, talkers)
    _add_quiet_hosts(result, talkers)
    if problem := integrity_problem(path):
        result.errors.append(Problem(SOURCE, "file", f"{path}: {problem}; kept what was read"))
    return result


def _records(
    reader: RawPcapReader, path: Path, result: PcapResult
) -> Iterator[tuple[bytes, int, dt.datetime]]:
    """(frame bytes, link type, capture time) for each record, without dissecting it."""
    while True:
        try:
            data, meta = next(reader)
        except (StopIteration, EOFError):
            return
        except (Scapy_Exception, OSError, ValueError, struct.error) as exc:
            message = f"{path}: capture is truncated or corrupt after packet {result.packet_count}"
            result.errors.append(Problem(SOURCE, "file", f"{message} ({exc})"))
            return
        linktype = getattr(meta, "linktype", None)
        yield data, int(linktype if linktype is not None else reader.linktype), _time(reader, meta)


def _time(reader: RawPcapReader, meta: Any) -> dt.datetime:
    try:
        if hasattr(meta, "tshigh"):  # pcapng
            seconds = ((meta.tshigh << 32) + meta.tslow) / meta.tsresol
        else:
            seconds = meta.sec + meta.usec / (1e9 if getattr(reader, "nano", False) else 1e6)
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (TypeError, AttributeError, OverflowError, OSError, ValueError, ZeroDivisionError):
        return dt.datetime.now(dt.UTC)


def _read_frame(
    data: bytes,
    linktype: int,
    when: dt.datetime,
    result: PcapResult,
    seen: set[tuple[str, tuple[tuple[str, Any], ...]]],
    talkers: dict[str, dict[str, dt.datetime]],
) -> None:
    """Dissect only frames that can carry evidence; bulk traffic only names its sender.

    scapy dissects ~6,000 frames a second here, so a capture of a busy LAN would take
    minutes if every video or TLS frame went through it.
    """
    if linktype == DLT_EN10MB:
        if sender := _ipv4_sender(data):
            _note_talker(sender[0], sender[1], when, talkers)
        if not _worth_dissecting(data):
            return
    layer = conf.l2types.num2layer.get(linktype, Raw)
    try:
        packet = layer(data)
    except Exception as exc:  # scapy may raise anything on hostile bytes
        if len(result.errors) < MAX_ERRORS:
            result.errors.append(Problem(SOURCE, "parse", f"undecodable frame: {exc!r}"[:200]))
        return
    frame = _extract(packet, result, seen, when)
    if frame.mac and frame.ip:
        _note_talker(frame.mac, frame.ip, when, talkers)


def _l3_offset(data: bytes) -> tuple[int, int] | None:
    """(ethertype, offset of the layer-3 header) behind any 802.1Q/802.1ad tags."""
    offset = 12
    while len(data) >= offset + 2:
        ethertype = int.from_bytes(data[offset : offset + 2], "big")
        if ethertype not in (0x8100, 0x88A8):
            return ethertype, offset + 2
        offset += 4
    return None


def _ipv4_sender(data: bytes) -> tuple[str, str] | None:
    found = _l3_offset(data)
    if found is None or found[0] != 0x0800 or len(data) < found[1] + 20:
        return None
    mac = normalize_mac(data[6:12].hex())
    source = data[found[1] + 12 : found[1] + 16]
    return (mac, ".".join(str(b) for b in source)) if mac else None


def _worth_dissecting(data: bytes) -> bool:
    found = _l3_offset(data)
    if found is None:
        return False
    ethertype, ip = found
    if ethertype == 0x0806:  # ARP
        return True
    if ethertype != 0x0800 or len(data) < ip + 20:
        return False
    proto, l4 = data[ip + 9], ip + (data[ip] & 0x0F) * 4
    if proto == 2:  # IGMP
        return True
    if proto == 17 and len(data) >= l4 + 4:
        ports = {
            int.from_bytes(data[l4 : l4 + 2], "big"),
            int.from_bytes(data[l4 + 2 : l4 + 4], "big"),
        }
        return bool(ports & EVIDENCE_UDP_PORTS)
    if proto == 6 and len(data) >= l4 + 13:
        start = l4 + (data[l4 + 12] >> 4) * 4
        return data[start : start + 7] == b"HTTP/1."
    return False


PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": "<",
    b"\x4d\x3c\xb2\xa1": "<",
    b"\xa1\xb2\xc3\xd4": ">",
    b"\xa1\xb2\x3c\x4d": ">",
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"


def integrity_problem(path: Path) -> str | None:
    """Walk the record (pcap) or block (pcapng) lengths; say where the file breaks off.

    scapy stops quietly at a cut-off record, so without this a truncated capture would
    look complete.  Compressed captures are not walked (None).
    """
    size = path.stat().st_size
    with path.open("rb") as f:
        magic = f.read(4)
        if magic in PCAP_MAGICS:
            return _walk_pcap(f, size, PCAP_MAGICS[magic])
        if magic == PCAPNG_MAGIC:
            return _walk_pcapng(f, size)
    return None


def _walk_pcap(f: BinaryIO, size: int, endian: str) -> str | None:
    position, records = 24, 0
    while position < size:
        f.seek(position)
        header = f.read(16)
        if len(header) < 16:
            return f"capture is truncated inside the header of record {records + 1}"
        caplen = struct.unpack(endian + "IIII", header)[2]
        position += 16 + caplen
        if position > size:
            return f"capture is truncated inside record {records + 1} (needs {caplen} bytes)"
        records += 1
    return None


def _walk_pcapng(f: BinaryIO, size: int) -> str | None:
    f.seek(8)
    endian = "<" if f.read(4) == b"\x4d\x3c\x2b\x1a" else ">"
    position, blocks = 0, 0
    while position < size:
        f.seek(position)
        header = f.read(8)
        if len(header) < 8:
            return f"capture is truncated inside the header of block {blocks + 1}"
        length = struct.unpack(endian + "II", header)[1]
        if length < 12 or length % 4:
            return f"capture is corrupt at block {blocks + 1} (invalid length {length})"
        position += length
        if position > size:
            return f"capture is truncated inside block {blocks + 1}"
        blocks += 1
    return None


def _note_talker(
    mac: str, ip: str, when: dt.datetime, talkers: dict[str, dict[str, dt.datetime]]
) -> None:
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(ip).is_private and ip != "0.0.0.0":  # noqa: S104
            talkers.setdefault(mac, {}).setdefault(ip, when)


def _add_quiet_hosts(result: PcapResult, talkers: Mapping[str, Mapping[str, dt.datetime]]) -> None:
    """Hosts that only ever sent IP traffic (a phone running the camera app, say).

    A MAC seen with exactly one private source address, and not already tied to an address
    by what it announced (ARP, DHCP, discovery replies), is taken as a LAN host.  A MAC
    behind several addresses is a router forwarding other hosts' traffic, so it names none
    of them.
    """
    bound = {o.mac for o in result.observations if o.ip}
    for mac, ips in talkers.items():
        if mac in bound or len(ips) != 1:
            continue
        ip, when = next(iter(ips.items()))
        fields = {"ip": ip, "mac": mac}
        result.observations.append(Observation(SOURCE, fields, seen_at=when, method="ip"))


def _extract(
    packet: Packet,
    result: PcapResult,
    seen: set[tuple[str, tuple[tuple[str, Any], ...]]],
    when: dt.datetime,
) -> _Frame:
    frame = _frame(packet, when)
    for extractor in EXTRACTORS:
        try:
            found = extractor(packet, frame)
        except ParseError as exc:
            if len(result.errors) < MAX_ERRORS:
                result.errors.append(
                    Problem(SOURCE, "parse", f"{extractor.__name__[1:]}: {exc}", ip=frame.ip or "")
                )
            continue
        for method, fields in found:
            _add(result, seen, method, fields, frame)
    return frame


def _add(
    result: PcapResult,
    seen: set[tuple[str, tuple[tuple[str, Any], ...]]],
    method: str,
    fields: Fields,
    frame: _Frame,
) -> None:
    clean = {k: v for k, v in fields.items() if v not in (None, "", ())}
    if "ip" not in clean and "mac" not in clean:
        return
    obs = Observation.of(SOURCE, method, **{k.replace(".", "__"): v for k, v in clean.items()})
    key = (method, tuple(sorted(obs.fields.items())))
    if key not in seen:
        seen.add(key)
        result.observations.append(
            Observation(source=SOURCE, fields=obs.fields, seen_at=frame.time, method=method)
        )


def _frame(packet: Packet, when: dt.datetime) -> _Frame:
    mac = normalize_mac(str(packet[Ether].src)) if packet.haslayer(Ether) else None
    ip = str(packet[IP].src) if packet.haslayer(IP) else None
    return _Frame(ip=ip if ip and ip != "0.0.0.0" else None, mac=mac, time=when)  # noqa: S104


def _sender(frame: _Frame) -> Fields:
    return {"ip": frame.ip, "mac": frame.mac}


def _udp_payload(packet: Packet, port: int) -> bytes | None:
    if not packet.haslayer(UDP):
        return None
    layer = packet[UDP]
    if port not in (layer.sport, layer.dport):
        return None
    return bytes(layer.payload)


def _arp(packet: Packet, frame: _Frame) -> list[tuple[str, Fields]]:
    if not packet.haslayer(ARP):
        return []
    arp = packet[ARP]
    ip, mac = str(arp.psrc), normalize_mac(str(arp.hwsrc))
    if ip in ("0.0.0.0", "") or mac is None:  # noqa: S104 - an ARP probe has no sender IP
        return []
    return [("arp", {"ip": ip, "mac": mac})]


def _igmp(packet: Packet, frame: _Frame) -> list[tuple[str, Fields]]:
    """IGMP is never routed, so its sender is on this segment: a device's pre-DHCP
    default address often shows up only here (the DCS-930LB joins from 192.168.0.20)."""
    if not packet.haslayer(IP) or packet[IP].proto != 2 or not (frame.ip and frame.mac):
        return []
    return [("igmp", _sender(frame))]


def _dhcp(packet: Packet, frame: _Frame) -> list[tuple[str, Fields]]:
    if not packet.haslayer(BOOTP):
        return []
    fields = dhcp.parse_message(bytes(packet[BOOTP]))  # the live listener's parser
    if fields.get("dhcp.server"):  # a server's Offer/ACK: who the server is, what a client got
        found = [("dhcp", _sender(frame) | {"dhcp.server": "true"})]
        client, given = fields.get("dhcp.client_mac"), fields.get("dhcp.your_ip")
        if client and given and fields.get("dhcp.message_type") == "ack":
            found.append(("dhcp", {"mac": client, "ip": given}))
        return found
    return [("dhcp", fields)]


def _mdns(packet: Packet, frame: _Frame) -> list[tuple[str, Fields]]:
    payload = _udp_payload(packet, 5353)
    if not payload:
        return []
    return [("mdns", {**entry, **_sender(frame)}) for entry in mdns.parse_packet(payload)]


def _ssdp(packet: Packet, frame: _Frame) -> list[tuple[str, Fields]]:
    payload = _udp_payload(packet, 1900)
    if not payload:
        return []
    message = ssdp.parse_message(payload)
    if message.kind == "search":
        return []
    return [("ssdp", {**ssdp.message_fields(message), **_sender(frame)})]


def _wsd(packet: Packet, frame: _Frame) -> list[tuple[str, Fields]]:
    payload = _udp_payload(packet, 3702)
    if not payload:
        return []
    found = []
    for match in wsd.parse_message(payload):
        obs = match.observation(frame.ip)
        found.append(("wsd", {**obs.fields, **_sender(frame), "wsd.message": match.kind}))
    return found


def _vendor(
    parse: Callable[[bytes, str | None], Observation | None], port: int, method: str
) -> Extractor:
    def extract(packet: Packet, frame: _Frame) -> list[tuple[str, Fields]]:
        payload = _udp_payload(packet, port)
        if not payload:
            return []
        obs = parse(payload, frame.ip)
        if obs is None:
            return []
        fields: Fields = dict(obs.fields)
        fields.setdefault("mac", frame.mac)
        return [(method, fields)]

    extract.__name__ = f"_{method}"
    return extract


def _http(packet: Packet, frame: _Frame) -> list[tuple[str, Fields]]:
    if not packet.haslayer(TCP) or frame.ip is None:
        return []
    payload = bytes(packet[TCP].payload)
    if not payload.startswith((b"HTTP/1.0 ", b"HTTP/1.1 ")):
        return []
    if not ipaddress.ip_address(frame.ip).is_private:
        return []
    server = _header(payload, b"server")
    return [("http", {"http.server": server, **_sender(frame)})] if server else []


def _header(payload: bytes, name: bytes) -> str | None:
    head = payload.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n")[1:64]:
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == name:
            return value.strip().decode("latin-1")[:MAX_VALUE_CHARS] or None
    return None


EXTRACTORS: tuple[Extractor, ...] = (
    _arp,
    _igmp,
    _dhcp,
    _mdns,
    _ssdp,
    _wsd,
    _vendor(sadp.parse_reply, sadp.PORT, "sadp"),
    _vendor(dhip.parse_reply, dhip.PORT, "dhip"),
    _http,
)


def summary(result: PcapResult) -> Mapping[str, int]:
    """Observation counts per protocol (for the CLI's one-line report)."""
    counts: dict[str, int] = {}
    for obs in result.observations:
        counts[obs.method] = counts.get(obs.method, 0) + 1
    return counts
