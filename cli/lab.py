"""`camaudit lab ...`: the simulated camera network from the shell.

camaudit lab up [--devices N] [--profiles FILE] [--prefix P]
camaudit lab status [--prefix P]
camaudit lab exec [--prefix P] -- CMD ...     (CMD runs in the scanner namespace)
camaudit lab down [--prefix P | --all]
camaudit lab tour [--devices N] [--keep]      (build, list, nmap, remove)

`camaudit demo` (gui/demo.py) opens the desktop app on a lab.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from core import netguard
from lab import netns, profile, router
from lab import state as lab_state
from lab.state import LabState

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_NOT_FOUND = 127


def register(sub: Any) -> None:
    lab = sub.add_parser("lab", help="build, inspect and remove the simulated camera network")
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)

    up = lab_sub.add_parser("up", help="build the lab and start its devices (root)")
    _add_mix_args(up)
    up.add_argument("--prefix", help="name prefix of this lab (default camlab)")
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for devices")
    up.set_defaults(func=cmd_up)

    status = lab_sub.add_parser("status", help="show running labs")
    status.add_argument("--prefix", help="only this lab")
    status.set_defaults(func=cmd_status)

    run = lab_sub.add_parser("exec", help="run a command in the lab's scanner namespace (root)")
    run.add_argument("--prefix", help="which lab (default: the only one running)")
    run.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    run.set_defaults(func=cmd_exec)

    down = lab_sub.add_parser("down", help="remove the lab and leftovers of crashed labs (root)")
    down.add_argument("--prefix", help="which lab (default camlab)")
    down.add_argument("--all", action="store_true", help="remove every lab")
    down.set_defaults(func=cmd_down)

    tour = lab_sub.add_parser(
        "tour", help="build the lab, show what runs in it, nmap it, remove it (root)"
    )
    _add_mix_args(tour)
    tour.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    tour.add_argument("--prefix", help="name prefix of the tour's lab (default camlab)")
    tour.set_defaults(func=cmd_tour)


def _add_mix_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--devices", type=int, help="number of devices (default: the default mix)")
    parser.add_argument("--profiles", type=Path, help="mix file (TOML [[device]] entries)")


def _fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"camaudit lab: {message}", file=sys.stderr)
    return code


# --- up ------------------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:
    try:
        netns.require_root()
        prefix = lab_state.check_prefix(args.prefix or lab_state.DEFAULT_PREFIX)
        specs = _mix(args)
        lab = netns.up(specs, prefix=prefix, ready_timeout=args.timeout)
    except (netns.LabError, lab_state.StateError, ValueError) as exc:
        return _fail(str(exc))
    _print_up(lab)
    failures = lab.extra.get("failures") or []
    if lab.extra.get("missing"):
        print(f"  not available (no service module yet): {', '.join(lab.extra['missing'])}")
    for failure in failures:
        print(f"  failed: {failure['device']} {failure['service']}: {failure['error']}")
    if failures:
        return _fail(f"{len(failures)} service(s) failed to start; see {lab.emulator_log}")
    return EXIT_OK


def _mix(args: argparse.Namespace) -> list[netns.DevicePlan]:
    if args.devices is not None and args.devices < 1:
        raise ValueError(f"--devices must be 1 or more, got {args.devices}")
    if args.profiles is not None and router.has_segments(args.profiles):
        # A routed mix: devices with segment = "far" go behind the mix's router.
        if args.devices is not None:
            raise ValueError("--devices cannot be used with a routed mix (segment = ...)")
        return list(router.routed_mix(args.profiles))
    return list(profile.build_mix(args.devices, args.profiles))


def _print_up(lab: LabState) -> None:
    ready = lab.extra.get("ready_seconds", 0.0)
    print(f"lab {lab.prefix} is up: {len(lab.devices)} devices on {lab.subnet}")
    print(f"scanner namespace: {lab.scanner_ns} (eth0 {lab.scanner_ip})")
    print(f"network built in {lab.build_seconds:.2f} s, devices serving {ready:.2f} s later")
    prefix_arg = "" if lab.prefix == "camlab" else f" --prefix {lab.prefix}"
    print(f"try: camaudit lab exec{prefix_arg} -- nmap -sn -n {lab.subnet}")


# --- status --------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    try:
        labs = [lab_state.load(args.prefix)] if args.prefix else lab_state.load_all()
    except lab_state.StateError as exc:
        return _fail(str(exc))
    if not labs:
        print("no lab is up")
        return EXIT_OK if not args.prefix else EXIT_ERROR
    for lab in labs:
        alive = netns.emulator_alive(lab.emulator_pid)
        if alive:
            health = "serving"
        elif netns.is_live(lab):
            health = "starting"
        else:
            health = f"CRASHED (run `camaudit lab down --prefix {lab.prefix}`)"
        print(f"lab {lab.prefix}: {len(lab.devices)} devices on {lab.subnet}, emulator {health}")
        print(f"  scanner {lab.scanner_ns} eth0 {lab.scanner_ip}; state in {lab.directory}")
        if alive:
            print(f"  emulator pid {lab.emulator_pid}, RSS {netns.rss_kib(lab.emulator_pid)} KiB")
    return EXIT_OK if all(netns.emulator_alive(x.emulator_pid) for x in labs) else EXIT_ERROR


# --- exec ----------------------------------------------------------------------------------


def cmd_exec(args: argparse.Namespace) -> int:
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        return _fail("nothing to run: camaudit lab exec -- CMD [ARGS...]", 2)
    try:
        netns.require_root()
        lab = _pick_lab(args.prefix)
    except (netns.LabError, lab_state.StateError) as exc:
        return _fail(str(exc))
    if not netns.netns_path(lab.scanner_ns).exists():
        return _fail(f"lab {lab.prefix} has no scanner namespace: run `camaudit lab up`")
    if shutil.which(cmd[0]) is None:
        return _fail(f"cannot run {cmd[0]!r}: command not found", EXIT_NOT_FOUND)
    env = dict(os.environ)
    env[netguard.LAB_ONLY_ENV] = "1"
    env["CAMAUDIT_LAB_PREFIX"] = lab.prefix
    env["CAMAUDIT_LAB_STATE"] = str(lab.state_file)
    # `ip netns exec` rather than a bare setns(): it also mounts the namespace's own /sys,
    # so tools that list interfaces there see eth0 of the scanner, not the machine's.
    argv = ["ip", "netns", "exec", lab.scanner_ns, *cmd]
    try:
        os.execvpe("ip", argv, env)  # noqa: S606 - the user's own command, by design
    except OSError as exc:
        return _fail(f"cannot run ip: {exc.strerror}", EXIT_NOT_FOUND)


def _pick_lab(prefix: str | None) -> LabState:
    """The named lab, else the only running one, else the default prefix."""

    if prefix:
        return lab_state.load(prefix)
    labs = lab_state.load_all()
    if len(labs) == 1:
        return labs[0]
    if not labs:
        raise lab_state.StateError("no lab is up: run `camaudit lab up` first")
    names = [x.prefix for x in labs]
    if lab_state.DEFAULT_PREFIX in names:
        return lab_state.load(lab_state.DEFAULT_PREFIX)
    raise lab_state.StateError(f"several labs are up ({', '.join(names)}): pick one with --prefix")


# --- down ----------------------------------------------------------------------------------


def cmd_down(args: argparse.Namespace) -> int:
    try:
        prefix = lab_state.check_prefix(args.prefix) if args.prefix else None
        removed = netns.down(prefix, everything=args.all)
    except (netns.LabError, lab_state.StateError) as exc:
        return _fail(str(exc))
    print(f"removed: {', '.join(removed)}" if removed else "no lab to remove")
    return EXIT_OK


# --- tour ----------------------------------------------------------------------------------


def cmd_tour(args: argparse.Namespace) -> int:
    try:
        netns.require_root()
        prefix = lab_state.check_prefix(args.prefix or lab_state.DEFAULT_PREFIX)
        lab = netns.up(_mix(args), prefix=prefix)
    except (netns.LabError, lab_state.StateError, ValueError) as exc:
        return _fail(str(exc))
    try:
        _print_up(lab)
        _print_devices(lab)
        return _demo_nmap(lab)
    finally:
        if args.keep:
            print(f"lab left up (--keep); remove it with `camaudit lab down --prefix {lab.prefix}`")
        else:
            netns.down(lab.prefix)
            print("lab removed")


def _print_devices(lab: LabState) -> None:
    print()
    print(f"{'name':6} {'ip':15} {'mac':17} {'profile':28} services")
    for d in lab.devices:
        print(f"{d.name:6} {d.ip:15} {d.mac:17} {d.profile_id:28} {' '.join(d.services)}")
    print()


def _demo_nmap(lab: LabState) -> int:
    argv = ["ip", "netns", "exec", lab.scanner_ns, "nmap", "-sn", "-n", lab.subnet]
    print("$ " + " ".join(argv), flush=True)
    try:
        return subprocess.run(argv, check=False, timeout=120).returncode
    except FileNotFoundError:
        return _fail("nmap is not installed (apt-get install nmap)")
    except subprocess.TimeoutExpired:
        return _fail("nmap took longer than 120 s")
