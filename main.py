"""camaudit: entry point for the desktop app (no arguments) and the headless CLI.

Each subcommand lives beside the code it drives (``lab/cli.py``, ``vendors/cli.py`` ...)
and exposes ``register(subparsers)``; a command is listed here only once it really works.
Modules are imported lazily at registration, and heavy imports (Qt, scapy) happen inside
the command functions, so ``camaudit version`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from core import __version__

# (module holding register(), one per line so the list reads as the CLI's table of contents)
COMMAND_MODULES: tuple[str, ...] = (
    "lab.cli",
    "discovery.cli",
    "vendors.policy_cli",
    "vendors.cli",
    "inventory.cli",
    "gui.cli",
)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="camaudit",
        description="Find networked cameras, identify their true maker, and report ban coverage.",
    )
    parser.add_argument("--version", action="version", version=f"camaudit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    version = sub.add_parser("version", help="print camaudit's version and data versions")
    version.set_defaults(func=_cmd_version)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _cmd_version(args: argparse.Namespace) -> int:
    print(f"camaudit {__version__}")
    print(f"python {sys.version.split()[0]}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if args.command is None:  # no command: the desktop app
            from gui.cli import cmd_gui  # noqa: PLC0415 - Qt loads only for the GUI

            return cmd_gui(parser.parse_args(["gui"]))
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
