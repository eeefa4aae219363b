"""The lab's network: namespaces, veth pairs and a bridge, built and torn down with `ip -b -`.

Topology (the one that worked in the lab)::

    <p>-scan  eth0 198.18.x.1 ---- vscan ┐
                                         br0 in <p>-br (IGMP snooping off)
    <p>-d001  eth0 198.18.x.2 ---- vd001 ┘ (device ports isolated: they reach only the scanner)

Nothing in the lab is linked to the machine's own namespace and no namespace has a default
route; the machine's namespace also gets ``blackhole <subnet>`` while the lab is up, so a
stray packet for the lab's addresses is dropped instead of leaving on the real interface.
Every host has ``addrgenmode none`` (no automatic IPv6 link-local address, hence no 2 s
DAD wait) and ``224.0.0.0/4 dev eth0`` (multicast fails with ENETUNREACH without a route).

IPv6 is there only when a device's profile asks for it (``[network] ipv6 = true``; with
``ipv4 = false`` the device is IPv6-only): the scanner and those devices then get an EUI-64
link-local address and one in the lab's ULA /64 (inside ``fdca:a0d1:7000::/40``, derived
from the IPv4 subnet so parallel labs never share one), both ``nodad`` so they are usable
at once (lab-facts: DAD keeps an address tentative for about 2 s).  The machine's namespace
gets ``blackhole`` routes for both subnets.

Speed: one ``ip -b -`` creates all namespaces, one all veth pairs (created directly in
their namespaces), one configures the bridge, and one per host addresses it (those run in
parallel).  The emulator (lab/emulator.py) is started as a daemon and signals readiness by
writing ``ready.json``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from core import netguard
from lab import state as lab_state
from lab.state import DeviceEntry, LabState, StateError

LAB_RANGE = ipaddress.IPv4Network("198.18.0.0/15")  # RFC 2544 benchmarking range
# Unique local addresses (RFC 4193) with a fixed global ID: each lab's /64 sits inside it.
LAB_RANGE6 = ipaddress.IPv6Network("fdca:a0d1:7000::/40")
NETNS_DIR = Path("/run/netns")
SCANNER_MAC = "02:ca:00:00:00:01"  # locally administered: no vendor owns the scanner
CLONE_NEWNET = 0x40000000
READY_TIMEOUT = 120.0
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_DEVICE_NAME = re.compile(r"^[a-z][a-z0-9]{0,13}$")
_NS_NAME = re.compile(r"^([a-z][a-z0-9]{0,11})-(br|scan|[a-z][a-z0-9]{0,13})$")
_ROOT = Path(__file__).resolve().parent.parent


class LabError(RuntimeError):
    """Building, starting or tearing down the lab failed; the message says what to do."""


class DevicePlan(Protocol):
    """What the lab needs to know about one device (lab.profile.DeviceSpec fits)."""

    @property
    def name(self) -> str: ...
    @property
    def profile_id(self) -> str: ...
    @property
    def mac(self) -> str: ...
    @property
    def profile(self) -> Mapping[str, Any]: ...


def families(spec: DevicePlan) -> tuple[bool, bool]:
    """(IPv4, IPv6) for a device: its profile's ``[network]`` table, IPv4-only by default."""
    table = spec.profile.get("network", {})
    table = table if isinstance(table, Mapping) else {}
    return bool(table.get("ipv4", True)), bool(table.get("ipv6", False))


def subnet6_for(subnet: ipaddress.IPv4Network) -> ipaddress.IPv6Network:
    """The lab's ULA /64: the IPv4 subnet's offset in 198.18.0.0/15 is its subnet ID."""
    offset = int(subnet.network_address) - int(LAB_RANGE.network_address)
    base = int(LAB_RANGE6.network_address) + (offset << 64)
    return ipaddress.IPv6Network((base, 64))


def link_local(mac: str) -> str:
    """The EUI-64 link-local address a host with this MAC forms (RFC 4291 appendix A)."""
    octets = bytearray(bytes.fromhex(mac.replace(":", "")))
    octets[0] ^= 0x02
    eui = bytes(octets[:3]) + b"\xff\xfe" + bytes(octets[3:])
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + eui))


# --- namespaces from Python (setns) --------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def setns_fd(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


def netns_path(name: str) -> Path:
    return NETNS_DIR / name


class NamespaceSwitch:
    """Moves the calling thread between network namespaces (setns(2) is per thread).

    Keeps one open fd per namespace, so switching between 200 devices costs no path
    lookups; ``inside()`` blocks nest (each returns to where the thread was before it).
    """

    def __init__(self) -> None:
        self._fds: dict[str, int] = {}
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        self.current: str | None = None  # None: home

    def fd(self, name: str) -> int:
        if name not in self._fds:
            self._fds[name] = os.open(netns_path(name), os.O_RDONLY | os.O_CLOEXEC)
        return self._fds[name]

    def _go(self, name: str | None) -> None:
        setns_fd(self.home if name is None else self.fd(name))
        self.current = name

    @contextlib.contextmanager
    def inside(self, name: str) -> Iterator[None]:
        """Run the block in namespace ``name``, then go back to where the thread was."""
        before = self.current
        self._go(name)
        try:
            yield
        finally:
            self._go(before)

    def close(self) -> None:
        for fd in [*self._fds.values(), self.home]:
            os.close(fd)
        self._fds.clear()


@contextlib.contextmanager
def entered(name: str) -> Iterator[None]:
    """Run the block (and threads/children it starts) in namespace ``name``."""
    switch = NamespaceSwitch()
    try:
        with switch.inside(name):
            yield
    finally:
        switch.close()


def enter_for_good(name: str) -> None:
    """Move the calling thread to ``name`` and stay there (used before exec)."""
    fd = os.open(netns_path(name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        setns_fd(fd)
    finally:
        os.close(fd)


# --- naming and addressing ---------------------------------------------------------------


def names(prefix: str) -> tuple[str, str]:
    """(bridge namespace, scanner namespace) for a prefix."""
    return f"{prefix}-br", f"{prefix}-scan"


def prefixlen_for(n_devices: int) -> int:
    """Smallest subnet (at most /24) holding the scanner, N devices, network and broadcast."""
    return min(24, 32 - math.ceil(math.log2(n_devices + 3)))


def choose_subnet(n_devices: int, taken: Iterable[ipaddress.IPv4Network]) -> ipaddress.IPv4Network:
    """The first free subnet of the right size in 198.18.0.0/15."""
    busy = list(taken)
    size = prefixlen_for(n_devices)
    if size < LAB_RANGE.prefixlen:
        raise LabError(f"{n_devices} devices do not fit in {LAB_RANGE}")
    for candidate in LAB_RANGE.subnets(new_prefix=size):
        if not any(candidate.overlaps(other) for other in busy):
            return candidate
    raise LabError(f"no free /{size} left in {LAB_RANGE}: run `camaudit lab down --all`")


def plan(devices: Sequence[DevicePlan], prefix: str, subnet: ipaddress.IPv4Network) -> LabState:
    """Place devices: the scanner gets the first address, devices the following ones.

    An IPv6-only device takes no IPv4 address; IPv6 devices get ``<ULA /64>::<n + 1>``
    (the scanner ``::1``) and their EUI-64 link-local address.
    """
    _check_devices(devices)
    bridge, scanner = names(prefix)
    hosts = subnet.hosts()
    scanner_ip = str(next(hosts))
    ipv6 = any(families(spec)[1] for spec in devices)
    net6 = subnet6_for(subnet) if ipv6 else None
    entries = []
    for index, spec in enumerate(devices):
        has4, has6 = families(spec)
        entries.append(
            DeviceEntry(
                name=spec.name,
                netns=f"{prefix}-{spec.name}",
                ip=str(next(hosts)) if has4 else "",
                mac=spec.mac.lower(),
                profile_id=spec.profile_id,
                services=tuple(_services(spec)),
                index=index,
                ip6=str(net6.network_address + index + 2) if net6 and has6 else "",
                ll6=link_local(spec.mac.lower()) if has6 else "",
            )
        )
    return LabState(
        prefix=prefix,
        subnet=str(subnet),
        scanner_ns=scanner,
        scanner_ip=scanner_ip,
        scanner_mac=SCANNER_MAC,
        bridge_ns=bridge,
        devices=entries,
        owner_pid=os.getpid(),
        created=time.time(),
        subnet6=str(net6) if net6 else "",
        scanner_ip6=str(net6.network_address + 1) if net6 else "",
        scanner_ll6=link_local(SCANNER_MAC) if net6 else "",
    )


def _services(spec: DevicePlan) -> list[str]:
    services = spec.profile.get("services", {})
    return sorted(services) if isinstance(services, Mapping) else []


def _check_devices(devices: Sequence[DevicePlan]) -> None:
    seen_names: set[str] = set()
    for spec in devices:
        if not _DEVICE_NAME.match(spec.name) or spec.name in ("br0", "scan"):
            raise LabError(f"device name {spec.name!r} is unusable as an interface name")
        if spec.name in seen_names:
            raise LabError(f"two devices are named {spec.name!r}")
        if not _MAC.match(spec.mac.lower()):
            raise LabError(f"device {spec.name}: {spec.mac!r} is not a MAC address")
        seen_names.add(spec.name)


def shared_macs(state: LabState) -> set[str]:
    """MACs carried by more than one device (cloned or spoofed devices, hostile profiles)."""
    counts = Counter(d.mac for d in state.devices)
    return {mac for mac, count in counts.items() if count > 1}


# --- running ip ----------------------------------------------------------------------------


def _ip_batch(lines: Sequence[str], netns: str | None = None, force: bool = False) -> None:
    argv = ["ip"]
    if netns:
        argv += ["-n", netns]
    if force:
        argv.append("-force")
    argv += ["-b", "-"]
    proc = subprocess.run(
        argv, input="\n".join(lines) + "\n", capture_output=True, text=True, check=False
    )
    if proc.returncode != 0 and not force:
        raise LabError(f"`{' '.join(argv)}` failed: {proc.stderr.strip()}")


def _ip_batches_parallel(batches: dict[str, list[str]], width: int = 64) -> None:
    """One `ip -n NS -b -` per namespace, ``width`` at a time (they are independent)."""
    items = list(batches.items())
    errors = []
    for start in range(0, len(items), width):
        procs = [
            (
                ns,
                lines,
                subprocess.Popen(
                    ["ip", "-n", ns, "-b", "-"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
            for ns, lines in items[start : start + width]
        ]
        for ns, lines, proc in procs:
            _, err = proc.communicate("\n".join(lines) + "\n")
            if proc.returncode != 0:
                errors.append(f"{ns}: {err.strip()}")
    if errors:
        raise LabError("configuring hosts failed: " + "; ".join(errors[:5]))


def _ip_json(*args: str) -> list[dict[str, Any]]:
    proc = subprocess.run(["ip", "-j", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        return []
    data = json.loads(proc.stdout)
    return data if isinstance(data, list) else []


# --- building ------------------------------------------------------------------------------


def build(state: LabState) -> None:
    """Create every namespace, link and address of ``state``; add the root blackhole."""
    _ip_batch([f"netns add {ns}" for ns in state.namespaces])
    _ip_batch(_veth_lines(state))
    _ip_batch(_bridge_lines(state), netns=state.bridge_ns)
    batches = {
        state.scanner_ns: _host_lines(
            state.scanner_ip, state.prefixlen, state.scanner_ip6, state.scanner_ll6
        )
    }
    batches.update(
        {d.netns: _host_lines(d.ip, state.prefixlen, d.ip6, d.ll6) for d in state.devices}
    )
    _ip_batches_parallel(batches)
    _ip_batch([f"route add blackhole {state.subnet}"])
    if state.far_subnet:
        _router().build(state)
    if state.subnet6:
        # force: a machine whose own namespace has IPv6 disabled has nothing to protect.
        _ip_batch([f"route add blackhole {state.subnet6}"], force=True)


def _veth_lines(state: LabState) -> list[str]:
    lines = [
        f"link add eth0 netns {state.scanner_ns} address {state.scanner_mac} "
        f"type veth peer name vscan netns {state.bridge_ns}"
    ]
    lines += [
        f"link add eth0 netns {d.netns} address {d.mac} "
        f"type veth peer name v{d.name} netns {state.bridge_ns}"
        for d in state.devices
    ]
    return lines


def _bridge_lines(state: LabState) -> list[str]:
    lines = [
        "link set dev lo up",
        "link add br0 type bridge mcast_snooping 0",
        "link set dev br0 addrgenmode none up",
        "link set dev vscan master br0 addrgenmode none up",
    ]
    shared = shared_macs(state)
    for d in state.devices:
        if state.behind_router(d):
            continue  # on the far bridge (lab/router.py)
        port = f"v{d.name}"
        lines.append(f"link set dev {port} master br0 addrgenmode none up")
        # Devices reach only the scanner; otherwise mDNS responders ARP for each other
        # and overflow the host-wide neighbour table (lab-facts gotcha 1).
        options = "isolated on"
        if d.mac in shared:
            # Two ports, one MAC: a learning bridge would send every frame for it to
            # whichever device spoke last, so the other one vanishes.  Unlearned, frames
            # for that MAC flood to both and each keeps what is addressed to its IP.
            options += " learning off"
        lines.append(f"link set dev {port} type bridge_slave {options}")
    return lines


def _host_lines(ip: str, prefixlen: int, ip6: str = "", ll6: str = "") -> list[str]:
    lines = ["link set dev lo up", "link set dev eth0 addrgenmode none"]
    if ip:
        lines.append(f"addr add {ip}/{prefixlen} brd + dev eth0")
    if ip6:
        # nodad: usable at once, not "tentative" for the ~2 s DAD takes (lab-facts gotcha 5).
        lines += [f"addr add {ll6}/64 dev eth0 nodad", f"addr add {ip6}/64 dev eth0 nodad"]
    lines.append("link set dev eth0 up")
    if ip:
        lines.append("route add 224.0.0.0/4 dev eth0")
    return lines


# --- the emulator process --------------------------------------------------------------------


def start_emulator(state: LabState) -> int:
    """Start ``python -m lab.emulator`` as a daemon (own session, not our child)."""
    argv = [sys.executable, "-m", "lab.emulator", "--state", str(state.state_file)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH")) if p)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child only execs
        _daemon_child(argv, env, state.emulator_log, read_end, write_end)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        grandchild = pipe.read().decode() or "0"
    os.waitpid(pid, 0)
    if not grandchild.isdigit() or int(grandchild) == 0:
        raise LabError("could not start the emulator process")
    return int(grandchild)


def _daemon_child(
    argv: list[str], env: dict[str, str], log: Path, read_end: int, write_end: int
) -> None:  # pragma: no cover - runs in the forked child
    try:
        os.close(read_end)
        os.setsid()
        pid = os.fork()
        if pid:
            os.write(write_end, str(pid).encode())
            os._exit(0)
        os.close(write_end)
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.chdir("/")
        os.execve(argv[0], argv, env)  # noqa: S606 - our own interpreter, fixed argv
    finally:
        os._exit(127)


def wait_ready(state: LabState, timeout: float = READY_TIMEOUT) -> dict[str, Any]:
    """Block until the emulator wrote ready.json; fail fast if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = lab_state.read_ready(state)
        if ready is not None:
            return ready
        # pid_alive, not emulator_alive: right after the fork the daemon may not have
        # exec'd yet, so its argv is still ours.
        if not pid_alive(state.emulator_pid):
            raise LabError("the emulator exited while starting:\n" + log_tail(state))
        time.sleep(0.02)
    raise LabError(f"the emulator was not ready after {timeout:.0f} s:\n" + log_tail(state))


def log_tail(state: LabState, lines: int = 20) -> str:
    try:
        text = state.emulator_log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no emulator log)"
    return "\n".join(text.splitlines()[-lines:])


def _proc_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode(errors="replace").split("\0")


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X")


def emulator_alive(pid: int) -> bool:
    """True if ``pid`` is a live emulator (guards against pid reuse by checking argv)."""
    return pid > 0 and "lab.emulator" in _proc_cmdline(pid) and not _is_zombie(pid)


def pid_alive(pid: int) -> bool:
    return pid > 0 and Path(f"/proc/{pid}").exists() and not _is_zombie(pid)


def emulator_pids(prefix: str | None = None) -> list[int]:
    """Emulator processes serving ``prefix`` (or any lab), found by their argv."""
    found = []
    root = str(lab_state.run_dir())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        argv = _proc_cmdline(int(entry.name))
        if "lab.emulator" not in argv or "--state" not in argv:
            continue
        path = argv[argv.index("--state") + 1] if argv.index("--state") + 1 < len(argv) else ""
        want = f"{root}/{prefix}/" if prefix else f"{root}/"
        if path.startswith(want) and not _is_zombie(int(entry.name)):
            found.append(int(entry.name))
    return found


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _kill(pids: Iterable[int], grace: float = 3.0) -> None:
    pids = [p for p in pids if pid_alive(p)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.02)
    for pid in pids:
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    for pid in pids:  # reap it if it happens to be our child
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


# --- teardown and cleanup --------------------------------------------------------------------


def existing_namespaces() -> list[str]:
    return sorted(p.name for p in NETNS_DIR.iterdir()) if NETNS_DIR.is_dir() else []


def lab_namespaces(prefix: str) -> list[str]:
    """Namespaces that belong to the lab ``prefix`` (by name)."""
    out = []
    for name in existing_namespaces():
        match = _NS_NAME.match(name)
        if match and match.group(1) == prefix:
            out.append(name)
    return out


def blackhole_routes() -> list[str]:
    """Blackhole routes inside the lab ranges (198.18.0.0/15 and the ULA /40) in this (the
    machine's) namespace."""
    out = []
    for family, lab_range in (("-4", LAB_RANGE), ("-6", LAB_RANGE6)):
        for route in _ip_json(family, "route", "show", "type", "blackhole"):
            dst = route.get("dst", "")
            with contextlib.suppress(ValueError, TypeError):
                net = ipaddress.ip_network(dst, strict=False)
                if net.version == lab_range.version and net.subnet_of(lab_range):  # type: ignore[arg-type]
                    out.append(str(net))
    return out


def _ns_inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


def namespace_pids(namespaces: Iterable[str]) -> list[int]:
    """Processes living in these namespaces (third-party device programs), never this one.

    Found by namespace, not by name, so a program the emulator started is found even when
    the emulator crashed and its state directory is gone.
    """
    inodes = {i for ns in namespaces if (i := _ns_inode(netns_path(ns))) is not None}
    found = []
    for entry in Path("/proc").iterdir():
        mine = entry.name.isdigit() and int(entry.name) != os.getpid()
        if mine and _ns_inode(entry / "ns" / "net") in inodes:
            found.append(int(entry.name))
    return found


def teardown(
    prefix: str, subnet: str | None = None, subnet6: str | None = None, far: str | None = None
) -> None:
    """Remove everything of lab ``prefix``: emulator, device programs, namespaces, routes,
    state directory."""
    _kill(emulator_pids(prefix))
    namespaces = lab_namespaces(prefix)
    scanner = names(prefix)[1]
    # The scanner's namespace is the user's (`lab exec` shells, scans): only device and
    # bridge namespaces hold programs the lab started.
    _kill(namespace_pids(ns for ns in namespaces if ns != scanner))
    if namespaces:
        _ip_batch([f"netns del {ns}" for ns in namespaces], force=True)
    routes = blackhole_routes()
    stale = [net for net in (subnet, subnet6, far) if net and net in routes]
    if stale:
        _ip_batch([f"route del blackhole {net}" for net in stale], force=True)
    shutil.rmtree(lab_state.run_dir() / prefix, ignore_errors=True)


def is_live(state: LabState) -> bool:
    """A lab is live while its emulator runs, or while its `lab up` is still building it.

    A lab bound to a process (a test session's) dies with it, even if its emulator runs on.
    """
    bound = int(state.extra.get("bound_to") or 0)
    if bound and not pid_alive(bound):
        return False
    if emulator_alive(state.emulator_pid):
        return True
    return state.emulator_pid == 0 and pid_alive(state.owner_pid)


def cleanup_stale() -> list[str]:
    """Remove leftovers of crashed labs; returns the prefixes cleaned."""
    cleaned: list[str] = []
    live: dict[str, LabState] = {}
    for prefix in lab_state.prefixes():
        try:
            st = lab_state.load(prefix)
        except StateError:
            st = None
        if st is not None and is_live(st):
            live[prefix] = st
            continue
        teardown(prefix, *(_subnets(st) if st else ()))
        cleaned.append(prefix)
    cleaned += _cleanup_orphans(live)
    return cleaned


def _cleanup_orphans(live: dict[str, LabState]) -> list[str]:
    """Namespaces, emulators and routes whose state directory is gone."""
    orphan_prefixes = {
        m.group(1)
        for name in existing_namespaces()
        if (m := _NS_NAME.match(name)) and m.group(2) in ("br", "scan")
    } - set(live)
    for prefix in sorted(orphan_prefixes):
        teardown(prefix)
    _kill(p for p in emulator_pids() if not any(p == st.emulator_pid for st in live.values()))
    live_subnets = {net for st in live.values() for net in _subnets(st) if net}
    stray = [r for r in blackhole_routes() if r not in live_subnets]
    if stray:
        _ip_batch([f"route del blackhole {r}" for r in stray], force=True)
    return sorted(orphan_prefixes)


# --- the whole thing -------------------------------------------------------------------------


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabError(
            "the lab needs root (it creates network namespaces and veth links): "
            "run it with sudo, e.g. `sudo camaudit lab up`"
        )


def require_machine_namespace() -> None:
    if not netguard.in_root_namespace():
        where = netguard.current_namespace_name() or "an unnamed namespace"
        raise LabError(
            f"this command must run in the machine's own network namespace (it adds and "
            f"removes the lab's blackhole route there), but it runs in {where}"
        )


def up(
    devices: Sequence[DevicePlan],
    prefix: str = lab_state.DEFAULT_PREFIX,
    service_package: str = "lab.services",
    ready_timeout: float = READY_TIMEOUT,
    bound_to: int | None = None,
) -> LabState:
    """Build a lab and start its emulator; returns once every device is serving.

    A running lab with the same prefix is replaced; crashed labs are cleaned up first.
    With ``bound_to`` (a pid), the lab counts as a leftover once that process is gone.
    """
    require_root()
    require_machine_namespace()
    lab_state.check_prefix(prefix)
    with lab_state.locked():
        cleanup_stale()
        teardown(prefix, *_subnets_of(prefix))
        taken = [ipaddress.ip_network(s.subnet) for s in lab_state.load_all()]
        taken += [ipaddress.ip_network(r) for r in _routes_in_lab_range()]
        subnet = choose_subnet(len(devices), [t for t in taken if t.version == 4])
        state = plan(devices, prefix, ipaddress.IPv4Network(subnet))
        # A device with a [router] table routes a far subnet (lab/router.py).
        taken4 = [t for t in (*taken, subnet) if isinstance(t, ipaddress.IPv4Network)]
        if far := _router().far_subnet_for(devices, taken4):
            _router().place(state, devices, far)
        state.service_package = service_package
        if bound_to:
            state.extra["bound_to"] = bound_to
        state.save()
        _write_devices(state, devices)
        try:
            return _build_and_start(state, ready_timeout)
        except BaseException:
            teardown(prefix, state.subnet, state.subnet6, state.far_subnet)
            raise


def _build_and_start(state: LabState, ready_timeout: float) -> LabState:
    started = time.monotonic()
    build(state)
    state.build_seconds = time.monotonic() - started
    state.emulator_pid = start_emulator(state)
    state.save()
    ready = wait_ready(state, ready_timeout)
    state.extra["ready_seconds"] = time.monotonic() - started - state.build_seconds
    state.extra["failures"] = ready.get("failures", [])
    state.extra["missing"] = ready.get("missing", [])
    state.extra["rss_kib"] = ready.get("rss_kib", 0)
    state.save()
    return state


def _subnets_of(prefix: str) -> tuple[str | None, ...]:
    try:
        state = lab_state.load(prefix)
    except StateError:
        return None, None
    return _subnets(state)


def _subnets(state: LabState) -> tuple[str, str, str]:
    """The subnets a lab blackholes in the machine's namespace: LAN, IPv6 /64, routed."""
    return state.subnet, state.subnet6, state.far_subnet


def _router() -> Any:
    """lab.router, imported when a lab has a router (it imports this module)."""
    import lab.router  # noqa: PLC0415 - import cycle: lab.router builds on this module

    return lab.router


def _routes_in_lab_range() -> list[str]:
    out = []
    for route in _ip_json("-4", "route", "show", "table", "all"):
        dst = route.get("dst", "")
        with contextlib.suppress(ValueError):
            net = ipaddress.ip_network(dst, strict=False)
            if net.overlaps(LAB_RANGE) and dst != "default":
                out.append(str(net))
    return out


def _write_devices(state: LabState, devices: Sequence[DevicePlan]) -> None:
    data = {spec.name: {"profile_id": spec.profile_id, "profile": spec.profile} for spec in devices}
    lab_state.write_json(state.devices_file, data)


def down(prefix: str | None = None, everything: bool = False) -> list[str]:
    """Tear down lab ``prefix`` (or every lab) and any crashed leftovers."""
    require_root()
    require_machine_namespace()
    removed = []
    with lab_state.locked():
        targets = lab_state.prefixes() if everything else [prefix or lab_state.DEFAULT_PREFIX]
        for target in targets:
            if target in lab_state.prefixes() or lab_namespaces(target):
                teardown(target, *_subnets_of(target))
                removed.append(target)
        removed += [p for p in cleanup_stale() if p not in removed]
    return removed
