"""Issue 11: devices whose firmware we did not write, and IPv6, against independent clients.

A lab of its own (lab/profiles/interop_mix.toml) runs five programs we did not write, each in
its device's namespace with a vendor MAC: IPyCam (a PyPI ONVIF camera server), Debian's wsdd
and wsdd2 (WS-Discovery host publishers), avahi-daemon (mDNS) and minidlna (UPnP), next to
two of our emulator's cameras on IPv6 (one IPv6-only, one dual-stack).  One ``camaudit
scan`` (the real command, from the lab's scanner namespace) must find every device with its
MAC, and every field an independent client reads from a device must be in its evidence with
the same value:
nmap's broadcast-wsdd-discover and onvif-zeep-async (IPyCam), wsdd's own discovery mode
(wsdd, wsdd2), python-zeroconf (avahi), async-upnp-client (minidlna).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from lab import netns, profile
from lab import state as lab_state
from lab.state import DeviceEntry, LabState
from tests.lab.helpers import in_scanner, machine_namespace

pytestmark = [pytest.mark.lab, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
INTEROP_MIX = profile.PROFILE_DIR / "interop_mix.toml"
Found = dict[str, Any]


# ---------------------------------------------------------------- the lab and the scan


@pytest.fixture(scope="module")
def interop(lab: LabState) -> Iterator[LabState]:
    """The interop lab, built from the machine's namespace beside the session lab."""
    prefix = f"i{os.getpid() % 10**6}"
    with machine_namespace():
        state = netns.up(
            profile.build_mix(mix_file=INTEROP_MIX), prefix=prefix, bound_to=os.getpid()
        )
    try:
        yield state
    finally:
        with machine_namespace():
            netns.down(prefix)


def rendered(lab: LabState) -> Mapping[str, Mapping[str, Any]]:
    return lab_state.read_profiles(lab)


def entry(lab: LabState, profile_id: str) -> DeviceEntry:
    """The device running ``profile_id``; skips when its program failed to start here."""
    device = next(d for d in lab.devices if d.profile_id == profile_id)
    for failure in lab.extra.get("failures") or []:
        if failure["device"] == device.name:
            pytest.skip(f"{profile_id} did not start: {failure['error'][:300]}")
    return device


def credentials_toml(lab: LabState) -> str:
    out = []
    for d in lab.devices:
        cred = rendered(lab)[d.name].get("credentials")
        if cred and (d.ip or d.ip6):  # an IPv6-only camera's entry names its IPv6 address
            out.append(
                f'[[credential]]\ntarget = "{d.ip or d.ip6}"\nusername = "{cred["user"]}"\n'
                f'password = "{cred["password"]}"\n'
            )
    return "\n".join(out)


@pytest.fixture(scope="module")
def scan(interop: LabState, tmp_path_factory: pytest.TempPathFactory) -> list[Found]:
    """``camaudit scan --interface eth0`` (default targets: the IPv4 subnet, the ULA /64
    and fe80::/64) with the credentials a user would give, as a process in the scanner."""
    tmp = tmp_path_factory.mktemp("interop")
    creds = tmp / "creds.toml"
    creds.write_text(credentials_toml(interop))
    out = tmp / "scan.json"
    env = {**os.environ, "CAMAUDIT_LAB_ONLY": "1"}
    argv = [sys.executable, "-m", "main", "scan", "--interface", "eth0"]
    with in_scanner(interop):
        proc = subprocess.run(
            [*argv, "--credentials", str(creds), "--json", str(out)],
            cwd=ROOT, capture_output=True, text=True, timeout=180, env=env, check=False,
        )  # fmt: skip
    assert proc.returncode in (0, 3), proc.stderr[-2000:]
    devices: list[Found] = json.loads(out.read_text())["devices"]
    return devices


def by_mac(scan: list[Found], mac: str) -> list[Found]:
    return [d for d in scan if d["mac"] == mac]


def the_device(scan: list[Found], device: DeviceEntry) -> Found:
    """The one row carrying ``device``'s MAC (found, one box, one row)."""
    rows = by_mac(scan, device.mac)
    assert len(rows) == 1, f"{device.profile_id}: {len(rows)} rows with {device.mac}"
    return rows[0]


def values(found: Found, field: str) -> list[Any]:
    return [e["value"] for e in found["evidence"] if e["field"] == field]


def flat(found: Found, field: str) -> set[str]:
    """Every string a field holds, lists flattened."""
    out: set[str] = set()
    for value in values(found, field):
        out.update(value if isinstance(value, list) else [value])
    return {str(v) for v in out}


def local(qname: str) -> str:
    return qname.rpartition(":")[2]


def test_every_device_is_found_with_its_mac(interop: LabState, scan: list[Found]) -> None:
    for device in interop.devices:
        entry(interop, device.profile_id)
        found = the_device(scan, device)
        if device.ip:
            assert device.ip in found["ips"], device.profile_id
            assert found["mac_method"] == "arp-sweep"
        else:  # IPv6-only: no ARP; the MAC comes from the IPv6 neighbour table
            assert found["mac_method"] == "neighbour-table"


def test_identity_follows_from_what_third_party_devices_say(
    interop: LabState, scan: list[Found]
) -> None:
    for device in interop.devices:
        entry(interop, device.profile_id)
        expect = profile.load_profiles()[device.profile_id].expect
        found = the_device(scan, device)
        maker = (found["identity"] or {}).get("maker")
        assert maker == expect["maker"], (device.profile_id, found["identity"])


# ---------------------------------------------------------------- IPyCam: ONVIF + WS-Discovery


def _nmap_wsdd(lab: LabState) -> list[dict[str, str]]:
    """nmap's broadcast-wsdd-discover in the scanner: one dict per ProbeMatch it lists."""
    if shutil.which("nmap") is None:
        pytest.skip("nmap is not installed (scripts/bootstrap.sh installs it)")
    with in_scanner(lab):
        out = subprocess.run(
            ["nmap", "-n", "--script", "broadcast-wsdd-discover", "-e", "eth0"],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip
    return [
        {"address": address, "types": types}
        for address, types in re.findall(r"Address: (\S+)\n\|_?\s+Type: ([^\n]+)", out)
    ]


def test_ipycam_ws_discovery_as_nmap_sees_it(interop: LabState, scan: list[Found]) -> None:
    camera = entry(interop, "thirdparty-ipycam")
    found = the_device(scan, camera)
    nmap = [m for m in _nmap_wsdd(interop) if f"//{camera.ip}:" in m["address"]]
    assert nmap, "nmap did not list the IPyCam device"
    for match in nmap:
        assert match["address"] in flat(found, "wsd.xaddrs")
        # nmap's pattern `[wsdp:]*` eats the prefix's letters ("dn:" -> "n:"): compare the
        # local parts, which is what both mean.
        assert {local(t) for t in match["types"].split()} <= {
            local(t) for t in flat(found, "wsd.types")
        }


async def _onvif(ip: str, port: int, user: str, password: str) -> dict[str, Any]:
    from onvif import ONVIFCamera

    cam = ONVIFCamera(ip, port, user, password)
    try:
        await cam.update_xaddrs()
        service = await cam.create_devicemgmt_service()
        info = await service.GetDeviceInformation()
        scopes = await service.GetScopes()
    finally:
        await cam.close()
    return {
        "onvif.manufacturer": info.Manufacturer,
        "onvif.model": info.Model,
        "onvif.firmware": info.FirmwareVersion,
        "onvif.serial": info.SerialNumber,
        "scopes": [s.ScopeItem for s in scopes],
    }


def test_ipycam_onvif_identity_as_onvif_zeep_async_reads_it(
    interop: LabState, scan: list[Found]
) -> None:
    camera = entry(interop, "thirdparty-ipycam")
    creds = rendered(interop)[camera.name]["credentials"]
    with in_scanner(interop):
        seen = asyncio.run(_onvif(camera.ip, 8080, creds["user"], creds["password"]))
    found = the_device(scan, camera)
    for field in ("onvif.manufacturer", "onvif.model", "onvif.firmware", "onvif.serial"):
        assert values(found, field) == [seen[field]], field


def test_ipycam_scopes_as_onvif_zeep_async_reads_them(interop: LabState, scan: list[Found]) -> None:
    from urllib.parse import unquote

    camera = entry(interop, "thirdparty-ipycam")
    creds = rendered(interop)[camera.name]["credentials"]
    with in_scanner(interop):
        seen = asyncio.run(_onvif(camera.ip, 8080, creds["user"], creds["password"]))
    assert "onvif://www.onvif.org/name/HIKVISION DS-2CD2143G0-I" in {
        unquote(s) for s in seen["scopes"]
    }
    # wsd.scopes holds them percent-decoded (docs/design.md's vocabulary)
    assert {unquote(s) for s in seen["scopes"]} <= flat(the_device(scan, camera), "wsd.scopes")


# ---------------------------------------------------------------- wsdd


def _wsdd_client(lab: LabState, seconds: float = 6.0) -> str:
    """wsdd in its discovery mode (``-D``, a client: Probe, Resolve, metadata Get) in the
    scanner namespace, for ``seconds``; returns its log."""
    if shutil.which("wsdd") is None:
        pytest.skip("wsdd is not installed (scripts/bootstrap.sh installs it)")
    with in_scanner(lab):
        proc = subprocess.Popen(
            ["wsdd", "-D", "-o", "-4", "-i", "eth0", "-v"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    return out


def test_wsdd_host_as_wsdd_discovery_mode_sees_it(interop: LabState, scan: list[Found]) -> None:
    host = entry(interop, "thirdparty-wsdd")
    log = _wsdd_client(interop)
    discovered = re.findall(r"discovered (\S+) in (\S+) on ([\d.]+)", log)
    assert (rendered(interop)[host.name]["identity"]["hostname"], "Workgroup:WORKGROUP",
            host.ip) in discovered  # fmt: skip
    found = the_device(scan, host)
    # wsdd answers only a Probe typed wsdp:Device (as Windows sends): camaudit sends one.
    assert flat(found, "wsd.types") == {"wsdp:Device", "pub:Computer"}
    # The endpoint wsdd resolves (urn:uuid:<its -U uuid>) is the one camaudit recorded.
    uuid = rendered(interop)[host.name]["services"]["thirdparty"]["command"][-1]
    assert values(found, "wsd.endpoint") == [f"urn:uuid:{uuid}"]


def test_wsdd_host_name_is_in_the_evidence(interop: LabState, scan: list[Found]) -> None:
    # wsdd's ProbeMatch has no XAddrs: camaudit Resolves, then asks the XAddr for its
    # metadata (WS-Transfer Get), as wsdd -D and Windows do; wsdd -D reads the same name.
    host = entry(interop, "thirdparty-wsdd")
    name = rendered(interop)[host.name]["identity"]["hostname"]
    found = the_device(scan, host)
    assert values(found, "wsd.computer") == [f"{name}/Workgroup:WORKGROUP"]
    assert values(found, "wsd.friendly_name") == [f"WSD Device {name}"]
    assert values(found, "wsd.manufacturer") == ["wsdd"]
    log = _wsdd_client(interop)
    assert re.search(rf"discovered {name} in Workgroup:WORKGROUP on {re.escape(host.ip)}", log)


def test_wsdd2_host_as_wsdd_discovery_mode_sees_it(interop: LabState, scan: list[Found]) -> None:
    # wsdd2 answers only a Probe whose addressing prefix is literally wsa: (SOURCES.md of the
    # interop corpus); camaudit's Probe is written with Windows' prefixes for it.
    host = entry(interop, "thirdparty-wsdd2")
    name = rendered(interop)[host.name]["identity"]["hostname"]
    log = _wsdd_client(interop)
    assert re.search(rf"discovered {name} in Workgroup:WORKGROUP on {re.escape(host.ip)}", log)
    found = the_device(scan, host)
    assert flat(found, "wsd.types") == {"wsdp:Device", "pub:Computer"}
    assert values(found, "wsd.computer") == [f"{name}/Workgroup:WORKGROUP"]
    assert values(found, "wsd.manufacturer") == ["Synology"]
    assert values(found, "wsd.model_name") == ["DS920+"]
    assert not values(found, "wsd.presentation_url")  # wsdd2 prints "(null)": not a value


# ---------------------------------------------------------------- avahi-daemon


def _zeroconf_browse(lab: LabState, types: list[str], wanted: int) -> dict[str, dict[str, Any]]:
    """python-zeroconf in the scanner: instance name -> {address, txt} per resolved service."""
    from zeroconf import IPVersion, ServiceBrowser, ServiceListener, Zeroconf

    seen: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()

    class Listener(ServiceListener):
        def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            info = zc.get_service_info(type_, name, timeout=3000)
            if info is not None:
                with lock:
                    seen[name] = {
                        "addresses": info.parsed_addresses(IPVersion.V4Only),
                        "txt": {
                            k.decode(): (v or b"").decode() for k, v in info.properties.items()
                        },
                        "server": info.server,
                    }

        def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            self.add_service(zc, type_, name)

        def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            pass

    with in_scanner(lab):
        zc = Zeroconf(interfaces=[lab.scanner_ip], ip_version=IPVersion.V4Only)
    try:
        ServiceBrowser(zc, types, Listener())
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(seen) < wanted:
            time.sleep(0.1)
    finally:
        zc.close()
    return seen


def test_avahi_services_as_python_zeroconf_sees_them(interop: LabState, scan: list[Found]) -> None:
    camera = entry(interop, "thirdparty-avahi")
    types = ["_axis-video._tcp.local.", "_http._tcp.local."]
    seen = _zeroconf_browse(interop, types, wanted=2)
    mine = {n: s for n, s in seen.items() if camera.ip in s["addresses"]}
    assert len(mine) == 2, seen
    found = the_device(scan, camera)
    assert {n.rstrip(".") for n in mine} <= flat(found, "mdns.name")
    assert {s["server"].rstrip(".") for s in mine.values()} <= flat(found, "mdns.host")
    for service in mine.values():
        # An empty TXT record (RFC 6763 §6.1: a service with no TXT data) holds no key.
        for key, value in {k: v for k, v in service["txt"].items() if k}.items():
            assert values(found, f"mdns.txt.{key}") == [value], key


# ---------------------------------------------------------------- minidlna (UPnP)


async def _upnp(source_ip: str) -> list[dict[str, str]]:
    """async-upnp-client: M-SEARCH from the scanner, then each root description."""
    from async_upnp_client.aiohttp import AiohttpRequester
    from async_upnp_client.client_factory import UpnpFactory
    from async_upnp_client.search import async_search

    locations: set[str] = set()

    async def on_response(headers: Mapping[str, Any]) -> None:
        if headers.get("location"):
            locations.add(str(headers["location"]))

    await async_search(on_response, timeout=3, source=(source_ip, 0))
    factory = UpnpFactory(AiohttpRequester())
    out = []
    for location in sorted(locations):
        device = await factory.async_create_device(location)
        out.append(
            {
                "location": location,
                "ssdp.friendly_name": device.friendly_name,
                "ssdp.manufacturer": device.manufacturer,
                "ssdp.model": device.model_name,
                "ssdp.model_number": device.model_number or "",
                "ssdp.serial": device.serial_number or "",
                "ssdp.udn": device.udn,
            }
        )
    return out


def test_minidlna_description_as_async_upnp_client_reads_it(
    interop: LabState, scan: list[Found]
) -> None:
    server = entry(interop, "thirdparty-minidlna")
    with in_scanner(interop):
        described = asyncio.run(_upnp(interop.scanner_ip))
    mine = [d for d in described if f"//{server.ip}:" in d["location"]]
    assert len(mine) == 1, described
    found = the_device(scan, server)
    for field, value in mine[0].items():
        if field != "location":
            assert values(found, field) == [value], field
    assert mine[0]["ssdp.friendly_name"] == "DiskStation04"  # ours, from its config file
    assert mine[0]["ssdp.manufacturer"] == "Justin Maggard"  # its own, built in


# ---------------------------------------------------------------- IPv6


def test_the_ipv6_only_camera_is_found_by_ws_discovery_and_mdns_with_its_mac(
    interop: LabState, scan: list[Found]
) -> None:
    camera = entry(interop, "ipv6-only-camera")
    assert camera.ip == "" and camera.ip6
    found = the_device(scan, camera)
    assert {"wsd", "mdns", "neighbours"} <= {e["source"] for e in found["evidence"]}
    assert set(found["ips"]) == {camera.ip6, f"{camera.ll6}%eth0"}
    assert found["ip"] == camera.ip6  # the global address names it, not the link-local one
    assert flat(found, "wsd.xaddrs") == {f"http://[{camera.ip6}]/onvif/device_service"}
    assert values(found, "mdns.txt.macaddress") == [camera.mac.replace(":", "").upper()]
    assert (found["identity"] or {}).get("maker") == "axis"


def test_the_ipv6_only_camera_is_identified_over_ipv6_by_http_onvif_and_rtsp(
    interop: LabState, scan: list[Found]
) -> None:
    camera = entry(interop, "ipv6-only-camera")
    found = the_device(scan, camera)
    by_source = {e["source"] for e in found["evidence"] if e["field"] == "ip"}
    assert {"onvif", "http", "rtsp"} <= by_source
    assert {e["value"] for e in found["evidence"] if e["field"] == "ip" and e["source"] in (
        "onvif", "http", "rtsp")} == {camera.ip6}  # fmt: skip
    assert values(found, "onvif.xaddr") == [f"http://[{camera.ip6}]:80/onvif/device_service"]
    assert values(found, "onvif.model") == ["M3045-V"]
    assert values(found, "onvif.mac") == [camera.mac]
    plain = camera.mac.replace(":", "").upper()
    assert values(found, "http.title") == ["AXIS"]  # its web root; the realm guards /axis-cgi/
    assert len(set(values(found, "http.favicon_md5"))) == 1
    assert values(found, "rtsp.realm") == [f"AXIS_{plain}"]
    assert not [e for e in found.get("errors", []) if e["source"] in ("onvif", "http", "rtsp")]


def test_the_dual_stack_camera_is_one_row(interop: LabState, scan: list[Found]) -> None:
    camera = entry(interop, "dual-stack-camera")
    rows = [d for d in scan if set(d["ips"]) & {camera.ip, camera.ip6, f"{camera.ll6}%eth0"}]
    assert len(rows) == 1, [r["ips"] for r in rows]
    found = rows[0]
    assert found["mac"] == camera.mac and found["ip"] == camera.ip
    assert f"{camera.ll6}%eth0" in found["ips"]  # it answered WS-Discovery over IPv6 too
    assert {
        e["value"] for e in found["evidence"] if e["field"] == "ip" and e["source"] == "wsd"
    } >= {
        camera.ip,
        f"{camera.ll6}%eth0",
    }
    assert (found["identity"] or {}).get("maker") == "hanwha"


# ---------------------------------------------------------------- lifecycle of the programs


def _programs(lab: LabState) -> list[int]:
    return netns.namespace_pids(d.netns for d in lab.devices)


def test_lab_down_stops_third_party_programs_and_crash_cleanup_finds_orphans(
    make_lab: Callable[..., LabState],
) -> None:
    if shutil.which("wsdd") is None:
        pytest.skip("wsdd is not installed (scripts/bootstrap.sh installs it)")
    wsdd = [s for s in profile.build_mix(mix_file=INTEROP_MIX) if s.profile_id == "thirdparty-wsdd"]
    first = make_lab(wsdd, prefix=f"p{os.getpid() % 10**6}")
    pids = _programs(first)
    assert pids and all("wsdd" in Path(f"/proc/{p}/cmdline").read_text() for p in pids)
    with machine_namespace():
        netns.down(first.prefix)
    assert not any(netns.pid_alive(p) for p in pids)

    # A crashed emulator leaves its programs running; the next `lab down` finds them by
    # their namespace although the emulator is gone.
    second = make_lab(wsdd, prefix=f"q{os.getpid() % 10**6}")
    pids = _programs(second)
    os.kill(second.emulator_pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while netns.emulator_alive(second.emulator_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(netns.pid_alive(p) for p in pids)  # orphaned, still serving
    with machine_namespace():
        netns.down(second.prefix)
    assert not any(netns.pid_alive(p) for p in pids)
