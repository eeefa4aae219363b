"""Issue 11: WS-Discovery at 200 devices, and camaudit beside nmap on third-party devices.

Run as root from the machine's namespace (it builds its labs and removes them)::

    .venv/bin/python -m bench.interop [--size 200]

1. A ``build_mix(N)`` lab: ``camaudit scan --methods wsd`` (WS-Discovery alone) against
   nmap's ``broadcast-wsdd-discover`` in the same lab: how many of the devices whose profile
   runs WS-Discovery each one lists, and the wall time.
2. The interop lab (lab/profiles/interop_mix.toml: IPyCam, wsdd, avahi-daemon, minidlna,
   an IPv6-only and a dual-stack camera): a full ``camaudit scan`` against nmap's script,
   side by side per device: what each found and which fields.

Writes its section of bench/RESULTS.md (bench/results.py) and prints it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.results import write_section
from bench.scan_vs_nmap import in_lab
from lab import netns, profile
from lab import state as lab_state
from lab.state import LabState

HEADING = "## Interoperability: WS-Discovery at scale and third-party devices"
INTEROP_MIX = profile.PROFILE_DIR / "interop_mix.toml"
NOTES = """
- nmap's script sends untyped WS-Discovery Probes over IPv4 only.  wsdd answers only a Probe
  typed `wsdp:Device` (what Windows sends), so nmap never lists it; camaudit sends that Probe
  too.  wsdd2 answers any Probe whose addressing prefix is literally `wsa:` (it finds
  `<wsa:Action>` by text): nmap's Probe and camaudit's (written with Windows' prefixes since
  this capture) qualify.  The IPv6-only camera answers on [FF02::C]:3702 only, which nmap's
  script does not use.
- nmap's script prints a type as `n:NetworkVideoTransmitter` where the device sent
  `dn:NetworkVideoTransmitter` (its pattern `[wsdp:]*` eats the prefix's letters).
- avahi-daemon (mDNS) and minidlna (UPnP) speak no WS-Discovery: nmap's script has nothing to
  see there; tests/lab/test_third_party.py compares them with python-zeroconf and
  async-upnp-client instead, value by value.
- wsdd's and wsdd2's computer name, workgroup and model come from the WS-Transfer Get camaudit
  sends after the ProbeMatch (a Resolve first when the ProbeMatch has no XAddr, as wsdd's);
  the IPv6-only camera's HTTP, RTSP and ONVIF fields were read over IPv6.
"""
_NMAP_ENTRY = re.compile(r"Address: (\S+)\n\|_?\s+Type: ([^\n]+)")


def nmap_wsdd(lab: LabState) -> tuple[float, dict[str, list[tuple[str, str]]]]:
    """nmap's script in the lab: wall time, and (xaddr, types) per device IP it lists."""
    run = in_lab(lab, ["nmap", "-n", "--script", "broadcast-wsdd-discover", "-e", "eth0"])
    out: dict[str, list[tuple[str, str]]] = {}
    for address, types in _NMAP_ENTRY.findall(run.stdout):
        host = re.sub(r"^\w+://\[?([^\]/]+?)\]?(:\d+)?/.*$", r"\1", address)
        if (address, types) not in out.setdefault(host, []):
            out[host].append((address, types))
    return run.wall, out


def camaudit(lab: LabState, tmp: Path, *extra: str) -> tuple[float, list[dict[str, Any]]]:
    out = tmp / f"{lab.prefix}.json"
    argv = [sys.executable, "-m", "main", "scan", "--interface", "eth0", "--json", str(out)]
    run = in_lab(lab, [*argv, *extra])
    if run.rc not in (0, 3):
        raise RuntimeError(f"camaudit scan failed ({run.rc}): {run.stderr}")
    return run.wall, json.loads(out.read_text())["devices"]


def _wsd_ips(devices: list[dict[str, Any]]) -> set[str]:
    return {
        ip for d in devices if any(e["source"] == "wsd" for e in d["evidence"]) for ip in d["ips"]
    }


def scale(size: int, tmp: Path) -> str:
    prefix = f"bw{os.getpid() % 10**6}"
    lab = netns.up(profile.build_mix(size), prefix=prefix)
    try:
        responders = {d.ip for d in lab.devices if "wsd" in d.services}
        ours_wall, ours = camaudit(lab, tmp, "--targets", lab.subnet, "--methods", "wsd")
        nmap_wall, theirs = nmap_wsdd(lab)
    finally:
        netns.down(prefix)
    found, heard = len(responders & _wsd_ips(ours)), len(responders & set(theirs))
    return (
        f"### {size} devices, WS-Discovery only\n\n"
        f"`camaudit scan --targets <the /24> --methods wsd` against `nmap --script "
        f"broadcast-wsdd-discover`, same lab ({len(responders)} of the {size} devices run "
        "WS-Discovery).\n\n"
        "| tool | wall time (s) | WS-Discovery devices listed |\n|---|---|---|\n"
        f"| camaudit | {ours_wall:.2f} | {found}/{len(responders)} |\n"
        f"| nmap broadcast-wsdd-discover | {nmap_wall:.2f} | {heard}/{len(responders)} |\n"
    )


def _fields(found: dict[str, Any] | None) -> str:
    if not found:
        return "not found"
    names = sorted(
        {
            e["field"]
            for e in found["evidence"]
            if e["source"] in ("wsd", "onvif", "mdns", "ssdp", "http", "rtsp")
        }
    )
    kept = [n for n in names if n not in ("ip", "mdns.port", "wsd.relates_to")]
    mac = f"MAC {found['mac']}" if found.get("mac") else "no MAC"
    maker = (found.get("identity") or {}).get("maker") or "-"
    return f"{mac}; maker {maker}; " + (", ".join(f"`{n}`" for n in kept) or "no fields")


def _nmap_cell(entries: list[tuple[str, str]]) -> str:
    if not entries:
        return "not listed"
    return "; ".join(f"Address `{a}`, Type `{t}`" for a, t in entries)


def _credentials(lab: LabState, rendered: Any) -> str:
    out = []
    for d in lab.devices:
        cred = rendered[d.name].get("credentials")
        if cred and (d.ip or d.ip6):  # the IPv6-only camera's entry names its IPv6 address
            out.append(
                f'[[credential]]\ntarget = "{d.ip or d.ip6}"\nusername = "{cred["user"]}"\n'
                f'password = "{cred["password"]}"\n'
            )
    return "\n".join(out)


def side_by_side(tmp: Path) -> str:
    prefix = f"bi{os.getpid() % 10**6}"
    lab = netns.up(profile.build_mix(mix_file=INTEROP_MIX), prefix=prefix)
    try:
        rendered = lab_state.read_profiles(lab)
        creds = tmp / "creds.toml"
        creds.write_text(_credentials(lab, rendered))
        ours_wall, ours = camaudit(lab, tmp, "--credentials", str(creds))
        nmap_wall, theirs = nmap_wsdd(lab)
    finally:
        netns.down(prefix)
    rows = []
    for d in lab.devices:
        mine = next((f for f in ours if f["mac"] == d.mac), None)
        listed = [e for ip in (d.ip, d.ip6) if ip for e in theirs.get(ip, [])]
        program = rendered[d.name]["services"].get("thirdparty", {}).get("program", "")
        what = f"`{program.removeprefix('python:')}`" if program else "our emulator"
        rows.append(f"| {d.profile_id} ({what}) | {_fields(mine)} | {_nmap_cell(listed)} |")
    return (
        "### Third-party devices: camaudit beside nmap's broadcast-wsdd-discover\n\n"
        f"Interop lab (`{INTEROP_MIX.relative_to(INTEROP_MIX.parents[2])}`), one full "
        f"`camaudit scan --interface eth0` ({ours_wall:.2f} s, default targets: the IPv4 /24, "
        f"the lab's ULA /64 and fe80::/64; credentials for IPyCam and the two IPv6 cameras) "
        f"and `nmap --script broadcast-wsdd-discover -e eth0` ({nmap_wall:.2f} s).\n\n"
        "| device | camaudit (MAC, maker, protocol fields in the evidence) | nmap |\n"
        "|---|---|---|\n" + "\n".join(rows) + "\n" + NOTES
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.interop")
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--no-write", action="store_true", help="print, do not edit RESULTS.md")
    args = parser.parse_args(argv)
    netns.require_root()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        body = scale(args.size, tmp) + "\n" + side_by_side(tmp)
    text = (
        f"{HEADING}\n\nMeasured {dt.date.today().isoformat()} with "
        f"`.venv/bin/python -m bench.interop --size {args.size}` (root, from the machine's "
        "namespace; every command inside the lab's scanner namespace, wall time of the whole "
        "process).\n\n" + body
    )
    print(text)
    if not args.no_write:
        write_section(HEADING, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
