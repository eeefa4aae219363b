"""Merging observations into devices: one Device per physical box.

Key order (docs/design.md): MAC, else serial, else IP.  An observation joins the device that
shares its MAC, else its serial, else its IP, unless that would contradict what the device
already is (a different MAC on the same IP, a different serial behind the same MAC).  When
one observation links two devices (an IP-only device and the MAC it turns out to have),
they are fused.  Contradictions are never silently merged: they are recorded on the
device as ``Problem(kind="identity_conflict")`` so the user sees them.

IPv6: one box has several addresses of its own (link-local, unique local, global, temporary)
next to its IPv4 one, all behind one MAC, so one MAC at several IPv6 addresses is one box.
Only two *IPv4* addresses answering for one MAC in a live snapshot mark a clone.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.model import SERIAL_FIELDS, Device, Observation, Problem

# Observation methods that bind IP to MAC at one moment (a live ARP sweep or table read).
SNAPSHOT_METHODS = frozenset({"arp-sweep", "neighbour-table"})


def device_key(mac: str | None, serial: str | None, ip: str | None) -> str:
    """The stable key for a box: ``mac:…``, else ``serial:…``, else ``ip:…``."""
    if mac:
        return f"mac:{mac}"
    if serial:
        return f"serial:{serial}"
    if ip:
        return f"ip:{ip}"
    raise ValueError("an observation needs a MAC, a serial or an IP to name its device")


def aliases(dev: Device) -> list[str]:
    """Every key another observation could find this device by: its MAC, serials and IPs."""
    out = [f"mac:{dev.mac}"] if dev.mac else []
    out += [f"serial:{s}" for s in sorted(_serials(dev))]
    out += [f"ip:{ip}" for ip in dev.ips]
    return out


def observation_aliases(obs: Observation) -> list[str]:
    """The keys an observation is matched by (see :func:`aliases`)."""
    return [
        f"{kind}:{value}"
        for kind, value in (("mac", obs.mac), ("serial", obs.serial), ("ip", obs.ip))
        if value
    ]


def _serials(dev: Device) -> set[str]:
    out: set[str] = set()
    for name in SERIAL_FIELDS:
        out.update(v.strip() for v in dev.values(name) if isinstance(v, str) and v.strip())
    return out


def _same_serial(a: str, b: str) -> bool:
    # A Hikvision SADP DeviceSN embeds the short serial ONVIF reports, so containment counts.
    a, b = a.lower(), b.lower()
    return a == b or a in b or b in a


class DeviceMerger:
    """Accumulates observations and keeps the device list merged.

    ``add`` returns the device the observation landed on, so a scan can emit an
    "updated" event for exactly that device.
    """

    def __init__(self) -> None:
        self._devices: dict[str, Device] = {}
        self._by_mac: dict[str, str] = {}
        self._by_serial: dict[str, str] = {}
        self._by_ip: dict[str, str] = {}
        # The first IP each MAC was seen bound to at layer 2 (ARP, neighbour table, DHCP).
        self._l2_ip: dict[str, str] = {}
        # Pairs of device keys known to be different boxes (e.g. two claiming one MAC).
        self._distinct: set[frozenset[str]] = set()

    @property
    def devices(self) -> list[Device]:
        return list(self._devices.values())

    def __len__(self) -> int:
        return len(self._devices)

    def get(self, key: str) -> Device | None:
        return self._devices.get(key)

    def by_ip(self, ip: str) -> Device | None:
        key = self._by_ip.get(ip)
        return self._devices.get(key) if key else None

    def adopt(self, dev: Device) -> None:
        """Take in a device merged earlier (an import's previous batch) to merge into again."""
        if dev.key in self._devices:
            raise ValueError(f"device {dev.key} is already here")
        self._devices[dev.key] = dev
        if dev.mac and dev.ip and ":" not in dev.ip:
            self._l2_ip.setdefault(dev.mac, dev.ip)
        self._reindex(dev)

    def extend(self, observations: Iterable[Observation]) -> None:
        for obs in observations:
            self.add(obs)

    def add(self, obs: Observation) -> Device:
        mac, serial, ip = obs.mac, obs.serial, obs.ip
        candidates: list[Device] = []
        # The device at the observation's own IP first: it is where the reply came from.
        for index, value in ((self._by_ip, ip), (self._by_mac, mac), (self._by_serial, serial)):
            key = index.get(value) if value else None
            dev = self._devices.get(key) if key else None
            if dev is not None and dev not in candidates:
                candidates.append(dev)
        cloned = self._mac_clone(obs)
        compatible = [
            d
            for d in candidates
            if self._compatible(d, mac, serial) and not self._is_clone(d, cloned)
        ]
        if compatible:
            target = compatible[0]
            for other in compatible[1:]:
                if self._fusable(target, other):
                    target = self._fuse(target, other)
        else:
            target = self._new_device(mac, serial, ip)
        for dev in candidates:
            if dev is not target and dev not in compatible:
                self._note_conflict(target, dev, mac, serial, ip)
                self._distinct.add(frozenset((target.key, dev.key)))
        target.add(obs)
        if mac and ip and ":" not in ip and "mac" in obs.fields and obs.method in SNAPSHOT_METHODS:
            self._l2_ip.setdefault(mac, ip)
        self._reindex(target)
        return target

    def _new_device(self, mac: str | None, serial: str | None, ip: str | None) -> Device:
        dev = Device(key=device_key(mac, serial, ip))
        if dev.key in self._devices:  # a second box with this MAC: keep both
            dev.key = f"{dev.key}@{ip}" if ip else device_key(None, serial, ip)
        self._devices[dev.key] = dev
        return dev

    def _mac_clone(self, obs: Observation) -> str | None:
        """The MAC this layer-2 observation shares with a box already bound to another IP.

        Two IPs answering one ARP sweep with one MAC are two boxes (a cloned or spoofed MAC)
        until evidence says otherwise.  Only a live snapshot counts: a capture spans time, and
        a camera renumbered by DHCP shows one MAC at two IPs; a MAC a device reports about
        itself (ONVIF across a router) does not count either, so a multi-homed camera merges.
        """
        mac, ip = obs.mac, obs.ip
        if not (mac and ip and "mac" in obs.fields and obs.method in SNAPSHOT_METHODS):
            return None
        if ":" in ip:
            return None  # IPv6: many addresses per interface is normal (module docstring)
        first = self._l2_ip.get(mac)
        if first is None or first == ip:
            return None
        owner = self._devices.get(self._by_ip.get(ip, ""))
        return None if owner is not None and owner.mac == mac else mac

    def _is_clone(self, dev: Device, cloned: str | None) -> bool:
        return cloned is not None and dev.mac == cloned and dev.key == self._by_mac.get(cloned)

    def _fusable(self, a: Device, b: Device) -> bool:
        if frozenset((a.key, b.key)) in self._distinct:
            return False
        return self._compatible(a, b.mac, next(iter(_serials(b)), None))

    @staticmethod
    def _compatible(dev: Device, mac: str | None, serial: str | None) -> bool:
        if mac and dev.mac and dev.mac != mac:
            return False
        known = _serials(dev)
        return not (serial and known and not any(_same_serial(serial, s) for s in known))

    def _fuse(self, keep: Device, other: Device) -> Device:
        for item in other.evidence:
            if item not in keep.evidence:
                keep.evidence.append(item)
        keep.ips.extend(ip for ip in other.ips if ip not in keep.ips)
        keep.errors.extend(other.errors)
        keep.mac_method = keep.mac_method or other.mac_method
        self._devices.pop(other.key, None)
        for index in (self._by_mac, self._by_serial, self._by_ip):
            for k, v in list(index.items()):
                if v == other.key:
                    index[k] = keep.key
        return keep

    def _reindex(self, dev: Device) -> None:
        serials = sorted(_serials(dev))
        new_key = device_key(dev.mac, serials[0] if serials else None, dev.ip)
        if new_key != dev.key and new_key not in self._devices:
            old = dev.key
            self._devices.pop(old, None)
            dev.key = new_key
            self._devices[new_key] = dev
            for index in (self._by_mac, self._by_serial, self._by_ip):
                for k, v in list(index.items()):
                    if v == old:
                        index[k] = new_key
        if dev.mac:
            self._by_mac.setdefault(dev.mac, dev.key)
        for s in serials:
            self._by_serial.setdefault(s, dev.key)
        for ip in dev.ips:
            self._by_ip[ip] = dev.key if ip == dev.ips[-1] else self._by_ip.get(ip, dev.key)

    @staticmethod
    def _note_conflict(
        target: Device, other: Device, mac: str | None, serial: str | None, ip: str | None
    ) -> None:
        what = []
        if mac and other.mac and other.mac != mac:
            what.append(f"IP {ip} answered with MAC {mac} but {other.key} had MAC {other.mac}")
        if serial:
            what.append(f"serial {serial} differs from {other.key}'s {sorted(_serials(other))}")
        message = "; ".join(what) or f"conflicts with {other.key}"
        for dev in (target, other):
            if not any(e.kind == "identity_conflict" and e.message == message for e in dev.errors):
                dev.errors.append(Problem("merge", "identity_conflict", message))


def merge(observations: Iterable[Observation]) -> list[Device]:
    """Merge a batch of observations into devices (first-seen order)."""
    merger = DeviceMerger()
    merger.extend(observations)
    return merger.devices
