"""Discovery speed: ``camaudit scan`` against nmap, side by side, in the same lab run.

Run as root from the machine's namespace (it builds its own labs and removes them)::

    .venv/bin/python -m bench.scan_vs_nmap [--sizes 50,200] [--wide] [--rate 5000]

For each lab size it runs, inside the lab's scanner namespace:

- camaudit: ``camaudit scan --interface eth0 --targets <subnet> --json`` (every method);
- nmap, as an auditor would chain it: ``nmap -sn`` (ARP + vendor from the OUI), then
  ``nmap -sV`` on the camera ports of the live hosts, then ``--script
  broadcast-wsdd-discover`` (ONVIF devices); wall time is the sum of the three.

It reports wall time, devices found, devices with a maker-identifying field, and devices
whose maker is right (against each lab profile's ``[expect] maker``).  ``--wide`` adds the
/16 run: ARP + ports over the /16 holding a 200-device lab, with camaudit's peak memory.
Figures are printed as Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as DET

from lab import netns, profile
from lab.state import LabState

ROOT = Path(__file__).resolve().parents[1]
CAMERA_PORTS = "80,81,443,554,5000,8000,8080,8081,8443,8554,8899,34567,37777"
# Maker ids as they appear inside nmap's vendor/product strings.
MAKER_WORDS = {
    "hikvision": ("hikvision",),
    "dahua": ("dahua",),
    "axis": ("axis",),
    "bosch": ("bosch",),
    "hanwha": ("hanwha", "samsung techwin"),
    "uniview": ("uniview", "zhejiang uniview"),
    "reolink": ("reolink",),
    "huawei": ("huawei",),
    "brother": ("brother",),
    "microsoft": ("microsoft",),
}
# Runs the command given after it and reports its wall time and peak RSS on the last line.
TIMER = (
    "import json,resource,subprocess,sys,time\n"
    "t=time.monotonic(); r=subprocess.run(sys.argv[1:]); w=time.monotonic()-t\n"
    "m=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print('BENCH '+json.dumps({'rc':r.returncode,'wall':w,'maxrss_kib':m}),file=sys.stderr)\n"
)


@dataclass
class Run:
    wall: float
    maxrss_mib: float
    rc: int
    stderr: str = ""
    stdout: str = ""


@dataclass
class Tally:
    tool: str
    wall: float
    found: int = 0
    with_maker: int = 0
    right_maker: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def in_lab(lab: LabState, argv: list[str], timeout: float = 900) -> Run:
    env = {**os.environ, "CAMAUDIT_LAB_ONLY": "1"}
    cmd = ["ip", "netns", "exec", lab.scanner_ns, sys.executable, "-c", TIMER, *argv]
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    line = next(ln for ln in reversed(proc.stderr.splitlines()) if ln.startswith("BENCH "))
    data = json.loads(line[6:])
    return Run(
        data["wall"], data["maxrss_kib"] / 1024, data["rc"], proc.stderr[-2000:], proc.stdout
    )


def expectations(lab: LabState) -> dict[str, dict[str, Any]]:
    rendered = json.loads((Path(lab.request_log).parent / "devices.json").read_text())
    return {d.ip: rendered[d.name]["profile"] for d in lab.devices}


def camaudit(lab: LabState, target: str, tmp: Path, *extra: str) -> tuple[Tally, Run]:
    out = tmp / f"camaudit-{lab.prefix}.json"
    argv = [sys.executable, "-m", "main", "scan", "--interface", "eth0", "--targets", target]
    run = in_lab(lab, [*argv, "--json", str(out), *extra])
    if run.rc not in (0, 3):
        raise SystemExit(f"camaudit failed ({run.rc}): {run.stderr}")
    devices = json.loads(out.read_text())["devices"]
    profiles = expectations(lab)
    tally = Tally("camaudit", run.wall)
    for dev in devices:
        prof = profiles.get(dev["ip"])
        if prof is None:
            continue
        tally.found += 1
        maker = (dev.get("identity") or {}).get("maker")
        tally.with_maker += maker is not None
        tally.right_maker += maker is not None and maker == (prof["expect"].get("maker") or None)
    wsd_expected = {ip for ip, p in profiles.items() if "wsd" in p.get("services", {})}
    wsd_seen = {
        d["ip"] for d in devices if any(e["source"] == "wsd" for e in d["evidence"])
    } & wsd_expected
    tally.extra = {
        "wsd": f"{len(wsd_seen)}/{len(wsd_expected)}",
        "timings": json.loads(out.read_text())["options"].get("timings", {}),
    }
    return tally, run


def _nmap_hosts(xml_path: Path) -> dict[str, dict[str, str]]:
    root = DET.parse(str(xml_path), forbid_dtd=False).getroot()  # nmap's own output file
    assert root is not None
    hosts: dict[str, dict[str, str]] = {}
    for host in root.iter("host"):
        ip = mac = vendor = ""
        for addr in host.iter("address"):
            if addr.get("addrtype") == "ipv4":
                ip = addr.get("addr", "")
            elif addr.get("addrtype") == "mac":
                mac, vendor = addr.get("addr", ""), addr.get("vendor", "")
        products = " ".join(
            " ".join(filter(None, (s.get("product"), s.get("extrainfo"), s.get("ostype"))))
            for s in host.iter("service")
        )
        if ip:
            hosts[ip] = {"mac": mac.lower(), "vendor": vendor, "products": products}
    return hosts


def _names_maker(text: str, maker: str | None) -> bool:
    if not maker:
        return False
    return any(w in text.lower() for w in MAKER_WORDS.get(maker, (maker,)))


def _any_maker(text: str) -> bool:
    return any(w in text.lower() for words in MAKER_WORDS.values() for w in words)


def nmap(
    lab: LabState, target: str, tmp: Path, service_scan: bool = True, sv_args: tuple[str, ...] = ()
) -> Tally:
    sn_xml, sv_xml = tmp / f"sn-{lab.prefix}.xml", tmp / f"sv-{lab.prefix}.xml"
    sn = in_lab(lab, ["nmap", "-sn", "-n", target, "-oX", str(sn_xml)])
    hosts = _nmap_hosts(sn_xml)
    lab_ips = set(expectations(lab))
    live = sorted(ip for ip in hosts if ip in lab_ips)
    wall, parts = sn.wall, {"-sn": round(sn.wall, 2)}
    if service_scan and live:
        sv = in_lab(
            lab, ["nmap", "-sV", *sv_args, "-n", "-p", CAMERA_PORTS, "-oX", str(sv_xml), *live]
        )
        wall += sv.wall
        parts["-sV"] = round(sv.wall, 2)
        for ip, info in _nmap_hosts(sv_xml).items():
            if ip in hosts:
                hosts[ip]["products"] = info["products"]
    wsdd = in_lab(lab, ["nmap", "-n", "--script", "broadcast-wsdd-discover", "-e", "eth0"])
    wall += wsdd.wall
    parts["wsdd"] = round(wsdd.wall, 2)
    profiles = expectations(lab)
    tally = Tally(" ".join(("nmap", *sv_args)), wall)
    for ip in live:
        text = f"{hosts[ip]['vendor']} {hosts[ip]['products']}"
        maker = profiles[ip]["expect"].get("maker") or None
        tally.found += 1
        tally.with_maker += _any_maker(text)
        tally.right_maker += _names_maker(text, maker)
    wsd_ips = set(re.findall(r"Address: http://(\d+\.\d+\.\d+\.\d+)", wsdd.stdout))
    wsd_expected = {ip for ip, p in profiles.items() if "wsd" in p.get("services", {})}
    tally.extra = {"parts": parts, "wsd": f"{len(wsd_ips & wsd_expected)}/{len(wsd_expected)}"}
    return tally


def table(rows: list[Tally], n: int) -> str:
    lines = [
        f"| tool | wall time (s) | devices found (of {n}) | with a maker-identifying field "
        "| maker right | notes |",
        "|---|---|---|---|---|---|",
    ]
    for t in rows:
        lines.append(
            f"| {t.tool} | {t.wall:.2f} | {t.found} | {t.with_maker} | {t.right_maker} "
            f"| {json.dumps(t.extra)} |"
        )
    return "\n".join(lines)


def lab_of(n: int, prefix: str) -> LabState:
    return netns.up(profile.build_mix(n), prefix=prefix)


def bench_size(n: int, tmp: Path, with_nmap_sv: bool) -> str:
    prefix = f"bn{n}"
    lab = lab_of(n, prefix)
    try:
        time.sleep(1.0)  # let the emulator settle (mDNS registrations)
        ours, run = camaudit(lab, lab.subnet, tmp)
        rows = [ours, nmap(lab, lab.subnet, tmp, service_scan=with_nmap_sv)]
        if with_nmap_sv:  # a lighter, faster nmap too, so the comparison is not a straw man
            fast = ("-T4", "--version-light")
            rows.append(nmap(lab, lab.subnet, tmp, service_scan=True, sv_args=fast))
        ours.extra["peak_rss_mib"] = round(run.maxrss_mib, 1)
        return f"### {n} devices on {lab.subnet}\n\n" + table(rows, n)
    finally:
        netns.down(prefix)


def bench_wide(n: int, rate: float, tmp: Path) -> str:
    prefix = "bnwide"
    lab = lab_of(n, prefix)
    try:
        wide = str(ipaddress.ip_network(lab.subnet).supernet(new_prefix=16))
        ours, run = camaudit(
            lab, wide, tmp, "--methods", "arp,ports", "--rate", str(rate), "--timeout", "1"
        )
        return (
            f"### ARP + ports over {wide} ({n} live devices, --rate {rate:g})\n\n"
            f"| wall time (s) | devices found (of {n}) | with MAC | peak RSS (MiB) | timings |\n"
            f"|---|---|---|---|---|\n"
            f"| {run.wall:.2f} | {ours.found} | {ours.found} | {run.maxrss_mib:.1f} "
            f"| {json.dumps(ours.extra['timings'])} |"
        )
    finally:
        netns.down(prefix)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200", help="lab sizes to compare (default 50,200)")
    parser.add_argument(
        "--no-sv-above",
        type=int,
        default=50,
        help="skip nmap -sV for labs larger than this (it takes minutes)",
    )
    parser.add_argument("--wide", action="store_true", help="also run the /16 ARP + ports bench")
    parser.add_argument("--rate", type=float, default=5000.0, help="packet rate for the /16 run")
    args = parser.parse_args(argv)
    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for n in (int(s) for s in args.sizes.split(",") if s):
            out.append(bench_size(n, tmp, with_nmap_sv=n <= args.no_sv_above))
            print(out[-1], flush=True)
        if args.wide:
            out.append(bench_wide(200, args.rate, tmp))
            print(out[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
