"""Device profiles (data) and the lab's device mix.

A profile (``lab/profiles/<id>.toml``) says what one kind of device says on the wire: its
identity, its MAC block, which services it runs and how each answers, and what a correct
scanner should conclude about it (``[expect]``).  Strings in a profile may carry
placeholders ``${name}`` or ``${name:spec}`` (a Python format spec); :func:`build_mix`
fills in the per-device ones (``index``, ``n``, ``name``, ``mac``, ``mac_dash``,
``mac_plain``, ``MAC_PLAIN``, ``uuid``, ``serial``) so every device in the lab gets its own
serial and MAC, the same ones on every run.  ``${ip}`` is left for the services, which
learn the address only when the emulator starts them.

The mix file (``default_mix.toml``) lists ``[[device]]`` entries with ``profile`` and
``count``; ``build_mix(n)`` without a mix file cycles the realistic profiles instead.

Profile layout (validated by :func:`load_profile`; ``python -m lab.profile`` checks them all):

* ``id`` (= file name), ``title``, ``category`` (``realistic`` | ``hostile`` |
  ``thirdparty``), ``source`` (where every string comes from).  A ``thirdparty`` device runs
  a program we did not write (``[services.thirdparty]``, see lab/services/thirdparty.py);
  it is in a lab only when a mix file names it.
* ``[mac]``: ``oui = "AA:BB:CC"`` (+ ``registrant``, the IEEE org name the test suite checks
  against pymanuf), or ``mode = "random"`` (locally administered), or ``mode = "shared"``
  with ``group`` (devices of one group share one MAC on purpose).
* ``[identity]``: ``manufacturer``, ``model``, ``firmware``, ``serial`` (template),
  ``hardware_id``, ``hostname`` - what ONVIF, SSDP and friends report by default.
* ``[credentials]``: ``user``, ``password`` (lab-only secrets; never recorded).
* ``[services.<name>]``: one table per service module in ``lab/services/`` (its docstring
  lists its keys); a service runs iff its table is present.
* ``[network]``: ``ipv4`` (default true), ``ipv6`` (default false); see lab/netns.py.  Only
  IPv4-only realistic profiles are cycled into ``--devices N`` labs (the scale labs that the
  benchmarks compare with nmap's IPv4 tools).
* ``[expect]``: see :attr:`Profile.expect`.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import tomllib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROFILE_DIR = Path(__file__).with_name("profiles")
DEFAULT_MIX = PROFILE_DIR / "default_mix.toml"

SERVICES = frozenset(
    {
        "wsd",
        "onvif",
        "http",
        "rtsp",
        "mdns",
        "ssdp",
        "sadp",
        "dhip",
        "tarpit",
        "garbage",
        "thirdparty",
        "banner",
        "sip",
        "dhcp",
        "tls",
        "snmp",
    }
)
CATEGORIES = frozenset({"realistic", "hostile", "thirdparty"})
KINDS = frozenset({"camera", "nvr", "other"})
PROBES = frozenset(
    {"arp", "wsd", "onvif", "http", "rtsp", "mdns", "ssdp", "sadp", "dhip"}
    | {"banner", "sip", "dhcp", "tls", "favicon"}
    | {"snmp", "routers"}
)
_OUI = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){2}$")
_FULL_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_PLACEHOLDER = re.compile(r"\$\{(\w+)(?::([^}]*))?\}")


class ProfileError(ValueError):
    """A profile or mix file is unusable; the message names the file and the problem."""


@dataclass(frozen=True)
class Profile:
    id: str
    path: Path
    data: Mapping[str, Any]

    @property
    def category(self) -> str:
        return str(self.data["category"])

    @property
    def realistic(self) -> bool:
        return self.category == "realistic"

    @property
    def ipv4_only(self) -> bool:
        network = self.data.get("network", {})
        return bool(network.get("ipv4", True)) and not network.get("ipv6", False)

    @property
    def expect(self) -> Mapping[str, Any]:
        """What a correct scanner concludes about this device.

        ``maker`` (catalogue id, None = no maker), ``brand``, ``kind`` (camera/nvr/other),
        ``probes`` (probes that should get a usable observation from it), ``errors``
        (probes that should record a Problem for it: hostile replies), and optionally
        ``component_flags``, ``conflict`` (identities disagree), ``hostile`` (what kind).
        """
        raw: Mapping[str, Any] = self.data["expect"]
        return {**raw, "maker": raw.get("maker") or None, "brand": raw.get("brand") or None}


@dataclass(frozen=True)
class DeviceSpec:
    name: str  # "d001"
    profile_id: str
    mac: str  # aa:bb:cc:dd:ee:ff
    profile: Mapping[str, Any]  # the profile with this device's placeholders filled in


# --- loading and validation ---------------------------------------------------------------


def load_profiles(directory: Path | None = None) -> dict[str, Profile]:
    """Every ``*.toml`` profile in ``directory`` (not the mix files), validated, by id."""
    directory = directory or PROFILE_DIR
    profiles: dict[str, Profile] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name.endswith("_mix.toml"):
            continue
        profile = load_profile(path)
        profiles[profile.id] = profile
    if not profiles:
        raise ProfileError(f"{directory}: no profiles (*.toml) found")
    return profiles


def load_profile(path: Path) -> Profile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc}") from exc
    problems = list(_problems(data, path.stem))
    if problems:
        raise ProfileError(f"{path}: " + "; ".join(problems))
    return Profile(id=data["id"], path=path, data=data)


def _problems(data: Mapping[str, Any], stem: str) -> Iterator[str]:
    if data.get("id") != stem:
        yield f"id must equal the file name ({stem!r}), got {data.get('id')!r}"
    for key in ("title", "source"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            yield f"{key!r} must be a non-empty string (every profile cites its sources)"
    if data.get("category") not in CATEGORIES:
        yield f"category must be one of {sorted(CATEGORIES)}, got {data.get('category')!r}"
    yield from _mac_problems(data.get("mac"))
    yield from _service_problems(data.get("services"))
    yield from _expect_problems(data.get("expect"))
    yield from _network_problems(data.get("network", {}))
    if not isinstance(data.get("identity", {}), Mapping):
        yield "[identity] must be a table"


def _mac_problems(mac: Any) -> Iterator[str]:
    if not isinstance(mac, Mapping):
        yield "[mac] table missing (oui = 'AA:BB:CC', or mode = 'random' / 'shared')"
        return
    mode = mac.get("mode", "oui")
    if mode not in ("oui", "random", "shared"):
        yield f"mac.mode must be oui, random or shared, got {mode!r}"
    if mode in ("oui", "shared") and not _OUI.match(str(mac.get("oui", ""))):
        yield f"mac.oui must look like 'AA:BB:CC', got {mac.get('oui')!r}"
    if mode == "shared" and not isinstance(mac.get("group"), str):
        yield "mac.group (a name) is required with mode = 'shared'"


def _service_problems(services: Any) -> Iterator[str]:
    if not isinstance(services, Mapping):
        yield "[services] table missing"
        return
    for name, table in services.items():
        if name not in SERVICES:
            yield f"unknown service {name!r} (known: {', '.join(sorted(SERVICES))})"
        elif not isinstance(table, Mapping):
            yield f"[services.{name}] must be a table"


def _network_problems(network: Any) -> Iterator[str]:
    if not isinstance(network, Mapping):
        yield "[network] must be a table"
        return
    for key, value in network.items():
        if key not in ("ipv4", "ipv6") or not isinstance(value, bool):
            yield f"network.{key}: only ipv4 / ipv6 = true or false, got {value!r}"
    if not network.get("ipv4", True) and not network.get("ipv6", False):
        yield "[network]: a device needs IPv4 or IPv6"


def _expect_problems(expect: Any) -> Iterator[str]:
    if not isinstance(expect, Mapping):
        yield "[expect] table missing"
        return
    if expect.get("kind") not in KINDS:
        yield f"expect.kind must be one of {sorted(KINDS)}, got {expect.get('kind')!r}"
    probes = expect.get("probes")
    if not isinstance(probes, list) or not set(probes) <= PROBES:
        yield f"expect.probes must be a list drawn from {sorted(PROBES)}, got {probes!r}"
    errors = expect.get("errors", [])
    if not isinstance(errors, list) or not set(errors) <= PROBES:
        yield f"expect.errors must be a list drawn from {sorted(PROBES)}, got {errors!r}"
    maker = expect.get("maker", "")
    if not isinstance(maker, str) or maker != maker.lower():
        yield f"expect.maker must be a lowercase id or '' (none), got {maker!r}"


# --- placeholders ---------------------------------------------------------------------------


def render(value: Any, variables: Mapping[str, Any]) -> Any:
    """Fill ``${name}`` / ``${name:spec}`` in every string of ``value``; unknown names stay."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: _fill(m, variables), value)
    if isinstance(value, Mapping):
        return {key: render(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, variables) for item in value]
    return value


def _fill(match: re.Match[str], variables: Mapping[str, Any]) -> str:
    name, spec = match.group(1), match.group(2) or ""
    if name not in variables:
        return match.group(0)
    return format(variables[name], spec)


# --- the mix ----------------------------------------------------------------------------------


def build_mix(n: int | None = None, mix_file: Path | None = None) -> list[DeviceSpec]:
    """The lab's devices: the default mix, a mix file, or ``n`` devices cycling realistic ones.

    With a mix file and ``n``, the file's devices are cycled (or cut) to ``n``.  Same
    arguments, same devices: MACs and serials depend only on position and profile.
    """
    profiles = load_profiles()
    if mix_file is None and n is not None:
        ids = _cycle([p.id for p in profiles.values() if p.realistic and p.ipv4_only], n)
    else:
        ids = _read_mix(mix_file or DEFAULT_MIX, profiles)
        if n is not None:
            ids = _cycle(ids, n)
    macs = _MacAllocator()
    return [_device(index, profiles[pid], macs) for index, pid in enumerate(ids)]


def _cycle(ids: list[str], n: int) -> list[str]:
    if n < 0:
        raise ProfileError(f"device count must be 0 or more, got {n}")
    if not ids and n:
        raise ProfileError("no profiles to build the lab from")
    return list(itertools.islice(itertools.cycle(ids), n))


def _read_mix(path: Path, profiles: Mapping[str, Profile]) -> list[str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read mix file: {exc}") from exc
    ids: list[str] = []
    for number, entry in enumerate(data.get("device", []), start=1):
        pid, count = entry.get("profile"), entry.get("count", 1)
        if pid not in profiles:
            raise ProfileError(f"{path}: [[device]] #{number}: unknown profile {pid!r}")
        if not isinstance(count, int) or count < 1:
            raise ProfileError(f"{path}: [[device]] #{number}: count must be >= 1, got {count!r}")
        ids.extend([pid] * count)
    if not ids:
        raise ProfileError(f"{path}: no [[device]] entries")
    return ids


def _device(index: int, profile: Profile, macs: _MacAllocator) -> DeviceSpec:
    name = f"d{index + 1:03d}"
    mac = macs.allocate(profile, index)
    plain = mac.replace(":", "")
    variables: dict[str, Any] = {
        "index": index,
        "n": index + 1,
        "name": name,
        "mac": mac,
        "mac_dash": mac.replace(":", "-"),
        "mac_plain": plain,
        "MAC_PLAIN": plain.upper(),
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"camaudit-lab:{profile.id}:{index}")),
    }
    serial = profile.data.get("identity", {}).get("serial")
    if isinstance(serial, str):
        variables["serial"] = render(serial, variables)
    data = render(profile.data, variables)
    return DeviceSpec(name=name, profile_id=profile.id, mac=mac, profile=data)


class _MacAllocator:
    """Deterministic MACs: inside the profile's OUI, locally administered when randomized."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.shared: dict[str, str] = {}

    def allocate(self, profile: Profile, index: int) -> str:
        table = profile.data["mac"]
        mode = table.get("mode", "oui")
        if mode == "shared" and table["group"] in self.shared:
            return self.shared[table["group"]]
        mac = self._fresh(profile, index, mode)
        self.used.add(mac)
        if mode == "shared":
            self.shared[table["group"]] = mac
        return mac

    def _fresh(self, profile: Profile, index: int, mode: str) -> str:
        for attempt in itertools.count():
            seed = hashlib.sha256(f"{profile.id}:{index}:{attempt}".encode()).digest()
            if mode == "random":
                # Phones and some cameras randomize: locally administered bit set, unicast.
                first = (seed[0] | 0x02) & 0xFE
                octets = [first, *seed[1:6]]
            else:
                octets = [int(part, 16) for part in profile.data["mac"]["oui"].split(":")]
                octets += list(seed[:3])
            mac = ":".join(f"{octet:02x}" for octet in octets)
            if mac not in self.used and _FULL_MAC.match(mac):
                return mac
        raise AssertionError("unreachable")  # pragma: no cover


def main() -> int:
    """``python -m lab.profile``: validate every profile and the default mix, list them."""
    try:
        profiles = load_profiles()
        devices = build_mix()
    except ProfileError as exc:
        print(exc)
        return 1
    for profile in profiles.values():
        expect = profile.expect
        services = ", ".join(profile.data["services"])
        print(
            f"{profile.id:26} {profile.category:9} {expect['kind']:6} "
            f"{expect['maker'] or '-':10} {services}"
        )
    print(f"{len(profiles)} profiles; default mix: {len(devices)} devices")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
