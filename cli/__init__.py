"""camaudit's command line: one module per group of subcommands, on top of every layer.

Each module exposes ``register(subparsers)``; heavy imports (Qt, scapy, reportlab) happen
inside the command functions, so ``camaudit version`` stays fast.  ``main.py`` is the entry
point: no arguments opens the desktop app, anything else comes here.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cli import demo, gui, inventory, inventory_copy, lab, policies, scan, vendors
from core import __version__
from core.sanitize import has_lone_surrogate, terminal_safe

# The CLI's table of contents, in the order ``camaudit --help`` lists the groups.
COMMAND_GROUPS = (lab, scan, policies, vendors, inventory, inventory_copy, gui, demo)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool its reader closed


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="camaudit",
        description="Find networked cameras, identify their true maker, and report ban coverage.",
    )
    parser.add_argument("--version", action="version", version=f"camaudit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    version = sub.add_parser("version", help="print camaudit's version and data versions")
    version.set_defaults(func=_cmd_version)
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def _cmd_version(args: argparse.Namespace) -> int:
    from vendors.versions import data_versions  # noqa: PLC0415 - reads the data files

    print(f"python {sys.version.split()[0]}")
    for name, version in data_versions().items():
        print(f"{name} {version}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if args.command is None:  # no command: the desktop app
            return gui.cmd_gui(parser.parse_args(["gui"]))
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if bad := not_text(args):
        print(f"camaudit: error: {bad}", file=sys.stderr)
        return EXIT_USAGE
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not as noise at interpreter exit
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _pipe_closed()
    return code


def not_text(args: argparse.Namespace) -> str | None:
    """Why an argument cannot be used, when it is not text.

    Bytes that are not UTF-8 reach Python as lone surrogates (``--org $'\\xff'``); no
    database, report or hash takes them.  File names are exempt (the system takes any bytes),
    except the file ``import`` names, which is kept in the inventory as the scan's target.
    """
    for name, value in vars(args).items():
        stored = name == "file" and args.command == "import"
        if name == "file" and not stored:
            continue
        for item in value if isinstance(value, list) else [value]:
            text = str(item) if isinstance(item, str) or (stored and isinstance(item, Path)) else ""
            if has_lone_surrogate(text):
                shown = terminal_safe(item, 80)
                return f"the {name.replace('_', '-')} argument is not valid UTF-8 text: '{shown}'"
    return None


def _pipe_closed() -> int:
    """The reader of our output went away (``camaudit vendors info | head``).

    Like a tool killed by SIGPIPE: exit 141, silently, since the reader stopped on purpose.
    Standard output is pointed at the null device so the interpreter's own final flush finds
    nothing to fail on.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test's capture)
        pass
    finally:
        os.close(devnull)
    return EXIT_BROKEN_PIPE
