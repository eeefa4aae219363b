"""``camaudit demo``: the desktop app scanning the simulated lab, no cameras needed.

The lab is built from this (root-namespace) process; the app then runs as a child inside
the lab's scanner namespace with the lab preset (interface eth0, the lab subnet), so every
packet it sends stays in the lab.  When the app closes, the lab is torn down.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import platformdirs

from gui.screen_check import display_problem
from lab import netns, profile
from lab import state as lab_state

DEMO_PREFIX = "camdemo"


def demo_db() -> Path:
    """Demo scans go to their own database, apart from real audits."""
    return Path(platformdirs.user_data_dir("camaudit")) / "demo.sqlite"


def _fail(message: str) -> int:
    print(f"camaudit demo: {message}", file=sys.stderr)
    return 1


def app_command(lab: lab_state.LabState, args: argparse.Namespace) -> list[str]:
    """The child command: the app in the scanner namespace, preset to the lab."""
    cmd = ["ip", "netns", "exec", lab.scanner_ns, sys.executable, "-m", "main", "gui"]
    cmd += ["--interface", "eth0", "--targets", str(lab.subnet)]
    cmd += ["--db", str(args.db or demo_db())]
    if args.scan:
        cmd.append("--scan")
    if args.screenshot:
        cmd += ["--screenshot", str(Path(args.screenshot).resolve())]
    return cmd


def child_env(offscreen: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["CAMAUDIT_LAB_ONLY"] = "1"  # refuse to send anything outside the lab
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH")) if p
    )
    if offscreen:
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def cmd_demo(args: argparse.Namespace) -> int:
    try:
        netns.require_root()
    except netns.LabError as exc:
        return _fail(f"{exc}; for the demo: `sudo bash scripts/demo.sh`")
    offscreen = False
    if problem := display_problem():
        if not args.screenshot:
            return _fail(problem)
        offscreen = True  # a screenshot needs no screen: render offscreen
        print("camaudit demo: no display; rendering offscreen for the screenshot")
    try:
        lab = netns.up(profile.build_mix(args.devices), prefix=DEMO_PREFIX)
    except (netns.LabError, lab_state.StateError, ValueError) as exc:
        return _fail(f"could not build the lab: {exc}")
    print(
        f"lab up: {len(lab.devices)} simulated devices on {lab.subnet} (scanner {lab.scanner_ns})"
    )
    try:
        return subprocess.run(
            app_command(lab, args), env=child_env(offscreen), check=False
        ).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        if args.keep:
            print(
                f"lab left up (--keep); remove it with `camaudit lab down --prefix {DEMO_PREFIX}`"
            )
        else:
            netns.down(DEMO_PREFIX)
            print("lab removed")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser(
        "demo",
        help="open the app on a simulated camera lab (root; builds and removes the lab)",
        description="Build the simulated lab, open camaudit inside it ready to scan, and "
        "remove the lab when the window closes.",
    )
    demo.add_argument("--scan", action="store_true", help="start scanning at once")
    demo.add_argument(
        "--screenshot",
        metavar="FILE.png",
        help="scan, save a screenshot of the window with the results, and exit",
    )
    demo.add_argument("--devices", type=int, help="number of devices (default: the default mix)")
    demo.add_argument("--db", type=Path, help="database (default: demo.sqlite in the data folder)")
    demo.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    demo.set_defaults(func=cmd_demo)
