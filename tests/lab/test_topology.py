"""The lab's network as the kernel sees it: namespaces, MACs, addresses, routes, isolation."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from typing import Any

import pytest

from lab import netns, profile
from lab.state import LabState
from tests.lab.helpers import DEVICES_ENV, ip_json, machine_namespace

pytestmark = pytest.mark.lab


def _expected_specs() -> list[profile.DeviceSpec]:
    count = os.environ.get(DEVICES_ENV)
    return profile.build_mix(int(count) if count else None)


def _eth0(ns: str) -> dict[str, Any]:
    (link,) = ip_json("-n", ns, "addr", "show", "dev", "eth0")
    assert isinstance(link, dict)
    return link


def test_every_device_sits_in_its_namespace_with_the_mac_its_profile_gives(lab: LabState) -> None:
    specs = _expected_specs()
    assert [d.name for d in lab.devices] == [s.name for s in specs]
    existing = set(netns.existing_namespaces())
    for spec, entry in zip(specs, lab.devices, strict=True):
        assert entry.netns in existing
        link = _eth0(entry.netns)
        assert link["address"] == spec.mac
        addrs = [a for a in link["addr_info"] if isinstance(a, dict)]
        assert [(a["family"], a["local"], a["prefixlen"]) for a in addrs] == [
            ("inet", entry.ip, lab.prefixlen)
        ], f"{entry.name}: only its IPv4 address, no IPv6 (no DAD wait)"


def test_scanner_has_the_first_address_and_devices_fill_the_subnet(lab: LabState) -> None:
    subnet = ipaddress.IPv4Network(lab.subnet)
    assert subnet.subnet_of(ipaddress.IPv4Network("198.18.0.0/15"))
    hosts = list(subnet.hosts())
    assert lab.scanner_ip == str(hosts[0])
    assert [d.ip for d in lab.devices] == [str(h) for h in hosts[1 : len(lab.devices) + 1]]
    link = _eth0(lab.scanner_ns)
    assert link["addr_info"][0]["local"] == lab.scanner_ip


def test_no_default_route_anywhere_and_a_multicast_route_everywhere(lab: LabState) -> None:
    for ns in [lab.scanner_ns, *(d.netns for d in lab.devices)]:
        routes = ip_json("-n", ns, "-4", "route", "show")
        dsts = {r["dst"] for r in routes}
        assert "default" not in dsts, ns
        assert "224.0.0.0/4" in dsts, ns
        assert ip_json("-n", ns, "-6", "route", "show", "default") == []


def test_bridge_isolates_device_ports_and_does_not_snoop_igmp(lab: LabState) -> None:
    links = ip_json("-n", lab.bridge_ns, "-d", "link", "show")
    by_name = {link["ifname"]: link for link in links}
    assert by_name["br0"]["linkinfo"]["info_data"]["mcast_snooping"] == 0
    shared = netns.shared_macs(lab)
    for d in lab.devices:
        port = by_name[f"v{d.name}"]["linkinfo"]["info_slave_data"]
        assert port["isolated"] is True, d.name
        assert port["learning"] is (d.mac not in shared), d.name
    assert by_name["vscan"]["linkinfo"]["info_slave_data"]["isolated"] is False


def test_blackhole_route_for_the_lab_in_the_machine_namespace(lab: LabState) -> None:
    with machine_namespace():
        routes = ip_json("-4", "route", "show", "type", "blackhole")
    assert lab.subnet in {r["dst"] for r in routes}


def _listener(switch: netns.NamespaceSwitch, ns: str, ip: str) -> socket.socket:
    with switch.inside(ns):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((ip, 0))
    sock.listen(4)
    return sock


def _connects(switch: netns.NamespaceSwitch, ns: str, target: tuple[str, int]) -> bool:
    with switch.inside(ns):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(1.0)
    try:
        sock.connect(target)
    except OSError:  # timeout (ARP never answered) or no route to host
        return False
    finally:
        sock.close()
    return True


def test_devices_reach_the_scanner_but_not_each_other(lab: LabState) -> None:
    first, second = lab.devices[0], lab.devices[1]
    switch = netns.NamespaceSwitch()
    at_first = _listener(switch, first.netns, first.ip)
    at_scanner = _listener(switch, lab.scanner_ns, lab.scanner_ip)
    try:
        assert _connects(switch, lab.scanner_ns, at_first.getsockname())
        assert _connects(switch, second.netns, at_scanner.getsockname())
        assert not _connects(switch, second.netns, at_first.getsockname())
    finally:
        at_first.close()
        at_scanner.close()
        switch.close()


def test_devices_sharing_a_mac_stay_reachable_both(lab: LabState) -> None:
    shared = netns.shared_macs(lab)
    twins = [d for d in lab.devices if d.mac in shared]
    if not twins:
        pytest.skip("no two devices share a MAC in this mix")
    switch = netns.NamespaceSwitch()
    listeners = [_listener(switch, d.netns, d.ip) for d in twins]
    try:
        # Alternate: with a learning bridge the second answer would steal the first's MAC.
        for _ in range(3):
            for d, sock in zip(twins, listeners, strict=True):
                assert _connects(switch, lab.scanner_ns, sock.getsockname()), d.name
    finally:
        for sock in listeners:
            sock.close()
        switch.close()


LEAK_FILTER = (
    "net 198.18.0.0/15 or udp port 3702 or udp port 5353 or udp port 1900 "
    "or udp port 37020 or udp port 37810"
)


def test_lab_traffic_never_reaches_the_machine_interface(lab: LabState) -> None:
    """ARP sweep and multicast probes from the scanner: none of it shows on the real NIC."""
    if shutil.which("tcpdump") is None or shutil.which("nmap") is None:
        pytest.skip("needs tcpdump and nmap (scripts/bootstrap.sh installs them)")
    with machine_namespace():
        routes = ip_json("-4", "route", "show", "default")
        if not routes:
            pytest.skip("the machine has no default route, so no real interface to watch")
        # Listening only: tcpdump sends nothing.
        capture = subprocess.Popen(
            ["tcpdump", "-i", routes[0]["dev"], "-n", "-l", "-p", LEAK_FILTER],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    try:
        assert capture.stderr is not None
        for _ in range(5):  # tcpdump says it listens before it prints any packet
            if "listening on" in capture.stderr.readline():
                break
        else:
            pytest.fail("tcpdump did not start listening")
        subprocess.run(["nmap", "-sn", "-n", lab.subnet], capture_output=True, check=True)
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for group, port in (("239.255.255.250", 3702), ("224.0.0.251", 5353)):
            probe.sendto(b"camaudit leak test", (group, port))
        probe.close()
        time.sleep(0.5)
    finally:
        capture.send_signal(signal.SIGINT)
        out, err = capture.communicate(timeout=10)
    assert out.strip() == "", f"lab packets on the machine's interface:\n{out[:2000]}"
    assert re.search(r"^0 packets captured", err, re.M), err
