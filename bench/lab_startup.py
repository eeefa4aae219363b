"""Lab start-up: how long `lab up` takes and what the emulator costs, at 40 and 200 devices.

    sudo .venv/bin/python -m bench.lab_startup [--runs 3] [--sizes 40,200]

For each size it builds the lab with lab.netns (batched `ip -b -`), waits until the
emulator reports every device serving, scans it with `nmap -sn` from the scanner
namespace, and tears it down.  The peer is the naive build: the same `ip` commands, one
process each (what a shell script would do), timed on the same topology in the same run.
40 is the default mix (realistic + hostile profiles); 200 is `lab up --devices 200`.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import time
from typing import Any

from lab import netns, profile
from lab.state import LabState

PREFIX = "bench"


def _specs(size: int) -> list[profile.DeviceSpec]:
    return profile.build_mix(None) if size == 40 else profile.build_mix(size)


def _one_run(size: int) -> dict[str, float]:
    started = time.monotonic()
    state = netns.up(_specs(size), prefix=PREFIX)
    total = time.monotonic() - started
    try:
        seen, nmap_s = _nmap(state)
    finally:
        down_started = time.monotonic()
        netns.down(PREFIX)
        down = time.monotonic() - down_started
    return {
        "devices": len(state.devices),
        "build_s": state.build_seconds,
        "ready_s": float(state.extra["ready_seconds"]),
        "up_s": total,
        "rss_mib": int(state.extra["rss_kib"]) / 1024,
        "down_s": down,
        "nmap_hosts": seen,
        "nmap_s": nmap_s,
    }


def _nmap(state: LabState) -> tuple[int, float]:
    started = time.monotonic()
    out = subprocess.run(
        ["ip", "netns", "exec", state.scanner_ns, "nmap", "-sn", "-n", state.subnet],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return len(re.findall(r"^MAC Address: ", out, re.MULTILINE)), time.monotonic() - started


def _naive_build(size: int) -> float:
    """The peer: every `ip` command of netns.build() as its own process."""
    import ipaddress

    state = netns.plan(_specs(size), PREFIX, ipaddress.IPv4Network("198.19.254.0/23"))
    state.save()  # with our pid as builder: another `lab up` must not take it for a leftover
    commands = [["netns", "add", ns] for ns in state.namespaces]
    commands += [line.split() for line in netns._veth_lines(state)]
    commands += [["-n", state.bridge_ns, *line.split()] for line in netns._bridge_lines(state)]
    hosts = [(state.scanner_ns, state.scanner_ip)] + [(d.netns, d.ip) for d in state.devices]
    for ns, ip in hosts:
        commands += [["-n", ns, *line.split()] for line in netns._host_lines(ip, state.prefixlen)]
    started = time.monotonic()
    try:
        for command in commands:
            subprocess.run(["ip", *command], check=True, capture_output=True)
        return time.monotonic() - started
    finally:
        netns.down(PREFIX)


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="40,200")
    args = parser.parse_args()
    netns.require_root()
    rows: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        runs = [_one_run(size) for _ in range(args.runs)]
        naive = statistics.median(_naive_build(size) for _ in range(args.runs))
        row = {key: _median(runs, key) for key in runs[0]}
        row["naive_build_s"] = naive
        rows.append(row)
    print(
        "| devices | network build | emulator ready after | `lab up` total | emulator RSS "
        "| `lab down` | nmap -sn hosts (time) | naive build (peer) | batched vs naive |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['devices']:.0f} | {r['build_s']:.2f} s | {r['ready_s']:.2f} s "
            f"| {r['up_s']:.2f} s | {r['rss_mib']:.0f} MiB | {r['down_s']:.2f} s "
            f"| {r['nmap_hosts']:.0f} ({r['nmap_s']:.1f} s) | {r['naive_build_s']:.2f} s "
            f"| {r['naive_build_s'] / r['build_s']:.1f}x faster |"
        )


if __name__ == "__main__":
    main()
