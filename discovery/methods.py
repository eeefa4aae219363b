"""Every way camaudit learns about devices, in one table: names, phases and explanations.

The scan orchestrator runs the live methods in this order, ``camaudit scan --methods``
accepts their names, the GUI lists them with their explanations, and the report's scope says
which of them a scan did not run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    phase: str  # discover | ports | identify (live scan), passive, import
    explanation: str


METHODS: tuple[Method, ...] = (
    Method(
        "arp", "discover", "ARP sweep: every host on this segment, with its MAC (needs raw sockets)"
    ),
    Method("wsd", "discover", "ONVIF WS-Discovery: cameras announcing themselves (multicast)"),
    Method("sadp", "discover", "Hikvision SADP: finds Hikvision and OEM units even with ONVIF off"),
    Method("dhip", "discover", "Dahua DHIP: Dahua and OEM units self-report model, serial, MAC"),
    Method("ssdp", "discover", "SSDP / UPnP: device descriptions with manufacturer and model"),
    Method("mdns", "discover", "mDNS / DNS-SD: services such as _axis-video or Hikvision _CGI"),
    Method(
        "dhcp", "discover", "DHCP requests heard while listening: vendor class, host name (passive)"
    ),
    Method(
        "routers",
        "discover",
        "SNMP tables of the routers/switches you name: MACs of devices on routed subnets",
    ),
    Method("ports", "ports", "TCP port check of camera ports (80, 443, 554, 8000, 37777, ...)"),
    Method("neighbours", "ports", "the OS neighbour table, for MACs when ARP cannot be sent"),
    Method("http", "identify", "HTTP banners, titles, realms; vendor info pages with credentials"),
    Method("rtsp", "identify", "RTSP OPTIONS/DESCRIBE banners (no credentials)"),
    Method("onvif", "identify", "ONVIF device queries (identity needs credentials)"),
    Method("tls", "identify", "TLS certificates: subject and issuer name the maker (not verified)"),
    Method("banner", "identify", "FTP, SSH and telnet greetings (nothing sent, never a login)"),
    Method("sip", "identify", "SIP OPTIONS over UDP and TCP 5060: door stations, intercoms"),
    Method("favicon", "identify", "the web UI's icon, hashed (MD5 and Shodan's mmh3)"),
    Method("snmp", "identify", "SNMP sysDescr, sysObjectID, sysName with your community"),
    Method("pcap", "passive", "a packet capture read offline: nothing is sent"),
    Method("csv", "import", "a CSV inventory file"),
    Method("jsonl", "import", "a JSON Lines evidence file"),
)
BY_NAME: dict[str, Method] = {m.name: m for m in METHODS}

ALL_METHODS: tuple[str, ...] = tuple(m.name for m in METHODS)
"""Every method name camaudit records in a scan."""
DISCOVERY_METHODS: tuple[str, ...] = tuple(
    m.name for m in METHODS if m.phase == "discover" and m.name != "arp"
)
IDENTIFY_METHODS: tuple[str, ...] = tuple(m.name for m in METHODS if m.phase == "identify")
SCAN_METHODS: tuple[str, ...] = ("arp", *DISCOVERY_METHODS, "ports", *IDENTIFY_METHODS)
"""The methods a user may choose for a live scan, in the order they run (``neighbours``
runs by itself when ARP could not)."""
