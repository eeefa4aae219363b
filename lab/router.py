"""A routed subnet in the lab: a router namespace between the lab's LAN and a far subnet.

Issue 12 (devices behind routers): an ARP sweep never sees a camera one router hop away, so
camaudit reads the router's neighbour table over SNMP.  The router here is a namespace with
two interfaces running Debian's net-snmp ``snmpd`` (a program we did not write, started like
every third-party device by lab/services/thirdparty.py), and the far subnet holds devices
that only the router can reach::

    <p>-scan eth0 ── vscan ┐
                           br0 ── v<r> ── <p>-<r> eth0 (LAN address)       the router
    LAN devices ─────────── ┘                  eth1 (far .1) ── w<r> ── br1 ── far devices

- A device's profile with a ``[router]`` table is the router; a mix entry with
  ``segment = "far"`` puts its devices behind it (:func:`routed_mix`).
- The far subnet is one more free subnet of 198.18.0.0/15, of the LAN's size.  The scanner
  routes it via the router's LAN address, far devices route the LAN via the router's far
  address; the router forwards (``net.ipv4.ip_forward`` in its namespace only).  Still no
  default route anywhere, far device ports are isolated, and the machine's namespace gets
  ``blackhole <far subnet>`` like the LAN's (lab/netns.py removes both).
- A router learns its neighbours from traffic: :func:`refresh_neighbours` sends one UDP
  datagram from the router to each far device (port 9, discard), the way cameras talk to
  their recorder through the gateway all day, so the router's ARP table holds their MACs.

lab/netns.py calls :func:`far_subnet_for`, :func:`place` and :func:`build` while it builds
a lab whose devices include a router; nothing here runs otherwise.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import subprocess
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import netns, profile
from lab.state import DeviceEntry, LabState

ROUTED_MIX = profile.PROFILE_DIR / "routed_mix.toml"
FAR = "far"
DISCARD_PORT = 9


@dataclass(frozen=True)
class RoutedSpec:
    """A device of a routed lab: lab.profile.DeviceSpec plus the segment it sits on."""

    name: str
    profile_id: str
    mac: str
    profile: Mapping[str, Any]
    segment: str = ""  # "" = the LAN, "far" = behind the router


def routed_mix(mix_file: Path = ROUTED_MIX) -> list[RoutedSpec]:
    """The devices of a routed mix file, each with the ``segment`` its entry names."""
    specs = profile.build_mix(mix_file=mix_file)
    data = tomllib.loads(mix_file.read_text(encoding="utf-8"))
    segments: list[str] = []
    for entry in data.get("device", []):
        segment = str(entry.get("segment", ""))
        if segment not in ("", FAR):
            raise profile.ProfileError(f"{mix_file}: segment must be '' or 'far', not {segment!r}")
        segments += [segment] * int(entry.get("count", 1))
    return [
        RoutedSpec(s.name, s.profile_id, s.mac, s.profile, segment)
        for s, segment in zip(specs, segments, strict=True)
    ]


def has_segments(mix_file: Path) -> bool:
    """True when a mix file places devices on segments (a routed lab: build it with
    :func:`routed_mix`, or the far side would silently end up on the LAN)."""
    data = tomllib.loads(mix_file.read_text(encoding="utf-8"))
    return any("segment" in entry for entry in data.get("device", []))


def is_router(spec: netns.DevicePlan) -> bool:
    return isinstance(spec.profile.get("router"), Mapping)


def is_far(spec: netns.DevicePlan) -> bool:
    return getattr(spec, "segment", "") == FAR


def far_subnet_for(
    devices: Sequence[netns.DevicePlan], taken: Iterable[ipaddress.IPv4Network]
) -> ipaddress.IPv4Network | None:
    """A free subnet for the devices behind the router (None: this lab has no far side)."""
    far = [d for d in devices if is_far(d)]
    routers = [d for d in devices if is_router(d)]
    if not far:
        return None
    if len(routers) != 1 or is_far(routers[0]):
        raise netns.LabError("devices behind a router need exactly one router on the LAN")
    if any(not netns.families(d)[0] or netns.families(d)[1] for d in far):
        raise netns.LabError("devices behind the router are IPv4-only in this lab")
    # The LAN's size, so every device's netmask (the emulator's ctx.netmask) stays true.
    return netns.choose_subnet(len(devices), list(taken))


def place(state: LabState, devices: Sequence[netns.DevicePlan], far: ipaddress.IPv4Network) -> None:
    """Give far devices addresses on the far subnet (the router takes its first address)."""
    near_hosts, far_hosts = _hosts_after(state.scanner_ip, state.subnet), far.hosts()
    router_far_ip = str(next(far_hosts))
    placed: list[DeviceEntry] = []
    for entry, spec in zip(state.devices, devices, strict=True):
        if is_router(spec):
            state.router = entry.name
        if not entry.ip:
            placed.append(entry)
            continue
        pool = far_hosts if is_far(spec) else near_hosts
        placed.append(dataclasses.replace(entry, ip=str(next(pool))))
    state.devices = placed
    state.far_subnet, state.router_far_ip = str(far), router_far_ip


def _hosts_after(first: str, subnet: str) -> Iterator[ipaddress.IPv4Address]:
    return (h for h in ipaddress.IPv4Network(subnet).hosts() if str(h) != first)


def far_mac(mac: str) -> str:
    """The router's second interface: its MAC with the last bit of the last octet flipped."""
    return f"{mac[:-2]}{int(mac[-2:], 16) ^ 0x01:02x}"


def build(state: LabState) -> None:
    """The far side: br1, the router's eth1, far device ports and addresses' routes, IPv4
    forwarding in the router, the scanner's route, and the machine's blackhole."""
    router = state.device(state.router)
    far = [d for d in state.devices if state.behind_router(d)]
    netns._ip_batch(
        [
            f"link add eth1 netns {router.netns} address {far_mac(router.mac)} "
            f"type veth peer name w{router.name} netns {state.bridge_ns}"
        ]
    )
    bridge = [
        "link add br1 type bridge mcast_snooping 0",
        "link set dev br1 addrgenmode none up",
        f"link set dev w{router.name} master br1 addrgenmode none up",
    ]
    for d in far:
        bridge += [
            f"link set dev v{d.name} master br1 addrgenmode none up",
            f"link set dev v{d.name} type bridge_slave isolated on",
        ]
    netns._ip_batch(bridge, netns=state.bridge_ns)
    prefixlen = ipaddress.IPv4Network(state.far_subnet).prefixlen
    netns._ip_batch(
        [
            "link set dev eth1 addrgenmode none",
            f"addr add {state.router_far_ip}/{prefixlen} brd + dev eth1",
            "link set dev eth1 up",
        ],
        netns=router.netns,
    )
    subprocess.run(
        ["ip", "netns", "exec", router.netns, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
        check=True,
        capture_output=True,
    )
    routes = {state.scanner_ns: [f"route add {state.far_subnet} via {router.ip}"]}
    routes.update({d.netns: [f"route add {state.subnet} via {state.router_far_ip}"] for d in far})
    netns._ip_batches_parallel(routes)
    netns._ip_batch([f"route add blackhole {state.far_subnet}"])


def refresh_neighbours(state: LabState) -> list[str]:
    """Traffic from the router to each far device, so its ARP table holds their MACs now
    (entries age to STALE but stay listed); returns the addresses sent to."""
    if not state.router:
        return []
    router = state.device(state.router)
    sent = []
    with netns.entered(router.netns), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for entry in state.devices:
            if state.behind_router(entry):
                sock.sendto(b"camaudit-lab neighbour refresh", (entry.ip, DISCARD_PORT))
                sent.append(entry.ip)
    return sent
