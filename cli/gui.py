"""The ``gui`` command (also what ``camaudit`` with no arguments runs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_launch_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--interface", help="preselect this interface in the scan panel")
    parser.add_argument("--targets", help="preset targets, comma-separated CIDRs")
    parser.add_argument("--db", type=Path, help="inventory database (default: user data folder)")
    parser.add_argument("--scan", action="store_true", help="start scanning at once")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE.png",
        help="scan, save a screenshot of the window with the results, and exit",
    )
    parser.add_argument("--quit-after-scan", action="store_true", help=argparse.SUPPRESS)


def register(sub: Any) -> None:
    gui = sub.add_parser("gui", help="open the desktop app (the default with no command)")
    add_launch_args(gui)
    gui.set_defaults(func=cmd_gui)


def launch_options(args: argparse.Namespace) -> Any:
    from gui.app import LaunchOptions  # noqa: PLC0415 - Qt loads only for the GUI

    targets = tuple(t.strip() for t in (args.targets or "").split(",") if t.strip())
    return LaunchOptions(
        interface=args.interface,
        targets=targets,
        db=args.db,
        scan_now=args.scan,
        screenshot=args.screenshot,
        quit_after_scan=args.quit_after_scan,
    )


def cmd_gui(args: argparse.Namespace) -> int:
    from gui.app import run_app  # noqa: PLC0415 - Qt loads only for the GUI

    return run_app(launch_options(args))
