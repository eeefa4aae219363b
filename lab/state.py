"""Lab state files: what a running lab is made of, so any later command can find it.

One directory per lab, ``/run/camaudit-lab/<prefix>/`` (``CAMAUDIT_LAB_RUN_DIR`` moves the
root, for tests).  ``/run`` is a tmpfs, so a reboot forgets labs exactly when the kernel
forgets their namespaces.  Files in it:

- ``state.json``: the topology (names, subnet, devices, pids) written by ``lab up``;
- ``devices.json``: each device's rendered profile, read by the emulator;
- ``ready.json``: written by the emulator once every device is serving;
- ``requests.jsonl``: the request log (lab/requestlog.py);
- ``emulator.log``: the emulator's stdout and stderr.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import ipaddress
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RUN_DIR_ENV = "CAMAUDIT_LAB_RUN_DIR"
DEFAULT_RUN_DIR = Path("/run/camaudit-lab")
DEFAULT_PREFIX = "camlab"
PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{0,11}$")
STATE_VERSION = 1


class StateError(RuntimeError):
    """A lab state file is missing or unusable; the message says which and why."""


def run_dir() -> Path:
    return Path(os.environ.get(RUN_DIR_ENV) or DEFAULT_RUN_DIR)


def check_prefix(prefix: str) -> str:
    if not PREFIX_RE.match(prefix):
        raise StateError(
            f"bad lab prefix {prefix!r}: use 1 to 12 lowercase letters or digits, "
            "starting with a letter (it becomes part of namespace names)"
        )
    return prefix


@dataclass(frozen=True)
class DeviceEntry:
    """One simulated device as placed in the lab."""

    name: str
    netns: str
    ip: str
    mac: str
    profile_id: str
    services: tuple[str, ...]
    index: int
    ip6: str = ""  # the lab's ULA address (IPv6 devices only; "" otherwise)
    ll6: str = ""  # link-local IPv6 (EUI-64 from the MAC), without the %eth0 zone


@dataclass
class LabState:
    prefix: str
    subnet: str  # e.g. 198.18.0.0/24
    scanner_ns: str
    scanner_ip: str
    scanner_mac: str
    bridge_ns: str
    devices: list[DeviceEntry]
    service_package: str = "lab.services"
    owner_pid: int = 0  # the `lab up` process while it builds
    emulator_pid: int = 0
    created: float = 0.0
    build_seconds: float = 0.0
    version: int = STATE_VERSION
    extra: dict[str, Any] = field(default_factory=dict)
    # IPv6, only when a device asks for it ([network] in its profile): the lab's ULA /64
    # and the scanner's addresses on it ("" in an IPv4-only lab).
    subnet6: str = ""
    scanner_ip6: str = ""
    scanner_ll6: str = ""
    # A routed subnet (lab/router.py), only when a device's profile has a [router] table: the
    # far subnet, the router device's name and its address there ("" in a one-segment lab).
    far_subnet: str = ""
    router: str = ""
    router_far_ip: str = ""

    # --- paths ---------------------------------------------------------------------------
    @property
    def directory(self) -> Path:
        return run_dir() / self.prefix

    @property
    def state_file(self) -> Path:
        return self.directory / "state.json"

    @property
    def devices_file(self) -> Path:
        return self.directory / "devices.json"

    @property
    def ready_file(self) -> Path:
        return self.directory / "ready.json"

    @property
    def request_log(self) -> Path:
        return self.directory / "requests.jsonl"

    @property
    def emulator_log(self) -> Path:
        return self.directory / "emulator.log"

    @property
    def prefixlen(self) -> int:
        return int(self.subnet.split("/")[1])

    @property
    def ipv6(self) -> bool:
        return bool(self.subnet6)

    def behind_router(self, entry: DeviceEntry) -> bool:
        """True for a device on the routed subnet (reachable only through the router)."""
        if not self.far_subnet or not entry.ip:
            return False
        return ipaddress.ip_address(entry.ip) in ipaddress.ip_network(self.far_subnet)

    def thirdparty_log(self, device: str) -> Path:
        """stdout and stderr of a third-party device's program (lab/services/thirdparty.py)."""
        return self.directory / f"thirdparty-{device}.log"

    def device_dir(self, device: str) -> Path:
        """Files a third-party program reads (its configuration) and writes (its state)."""
        return self.directory / "devices" / device

    @property
    def device_namespaces(self) -> list[str]:
        return [d.netns for d in self.devices]

    @property
    def namespaces(self) -> list[str]:
        return [self.bridge_ns, self.scanner_ns, *(d.netns for d in self.devices)]

    def device(self, name: str) -> DeviceEntry:
        for entry in self.devices:
            if entry.name == name:
                return entry
        raise KeyError(name)

    # --- persistence ---------------------------------------------------------------------
    def save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o755)
        data = asdict(self)
        write_json(self.state_file, data)


def write_json(path: Path, data: Any) -> None:
    """Write atomically: readers never see half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=_json_default), encoding="utf-8")
    tmp.replace(path)


def _json_default(value: Any) -> Any:
    # TOML profiles may hold dates and times; the emulator only ever needs them as text.
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return repr(value)


def load(prefix: str) -> LabState:
    path = run_dir() / check_prefix(prefix) / "state.json"
    return load_file(path)


def load_file(path: Path) -> LabState:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise StateError(f"no lab state at {path} (is the lab up?)") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StateError(f"{path}: unreadable lab state: {exc}") from exc
    try:
        return _from_mapping(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"{path}: malformed lab state: {exc!r}") from exc


def _from_mapping(data: Mapping[str, Any]) -> LabState:
    if data.get("version") != STATE_VERSION:
        raise ValueError(f"state version {data.get('version')!r}, expected {STATE_VERSION}")
    devices = [
        DeviceEntry(**{**d, "services": tuple(d["services"])}) for d in data.get("devices", [])
    ]
    fields = {k: v for k, v in data.items() if k != "devices"}
    return LabState(devices=devices, **fields)


def prefixes() -> list[str]:
    """Every prefix with a state directory (live, building or crashed)."""
    root = run_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and PREFIX_RE.match(p.name))


def load_all() -> list[LabState]:
    states = []
    for prefix in prefixes():
        with contextlib.suppress(StateError):
            states.append(load(prefix))
    return states


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """Serialize `lab up` / `lab down`: subnet choice and cleanup must not race."""
    root = run_dir()
    root.mkdir(parents=True, exist_ok=True, mode=0o755)
    with (root / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_ready(state: LabState) -> dict[str, Any] | None:
    try:
        data = json.loads(state.ready_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def read_profiles(state: LabState) -> dict[str, Mapping[str, Any]]:
    """Each device's rendered profile, by device name (what the emulator serves)."""
    try:
        data = json.loads(state.devices_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StateError(f"{state.devices_file}: unreadable device profiles: {exc}") from exc
    return {name: entry["profile"] for name, entry in data.items()}
