# ruff: noqa: PLC0415  (commands import their modules lazily: `camaudit version` stays fast)
"""`camaudit inventory copy --from A --to B`: move an inventory between SQLite and PostgreSQL.

A and B are each a SQLite file or a ``postgresql://`` URL (passwords from ~/.pgpass,
$PGPASSFILE, the OS keyring or a prompt, never the URL).  B must be empty; the copy is one
transaction, so a failed copy leaves it empty.  Exit 0 copied, 1 error.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cli.common import db_arg_type
from core.sanitize import terminal_safe

EXIT_OK = 0
EXIT_ERROR = 1


def register(sub: Any) -> None:
    inv = sub.add_parser("inventory", help="manage inventory databases (copy between backends)")
    actions = inv.add_subparsers(dest="inventory_command", metavar="ACTION", required=True)
    copy = actions.add_parser(
        "copy",
        help="copy a whole inventory into an empty database (SQLite <-> PostgreSQL)",
        description=__doc__,
    )
    copy.add_argument("--from", dest="source", required=True, type=db_arg_type, metavar="A")
    copy.add_argument("--to", dest="destination", required=True, type=db_arg_type, metavar="B")
    copy.set_defaults(func=cmd_copy)


def cmd_copy(args: argparse.Namespace) -> int:
    from inventory.backend_copy import copy_inventory
    from inventory.store import StoreError

    prompt = _prompt if sys.stdin.isatty() else None
    try:
        result = copy_inventory(args.source, args.destination, password_prompt=prompt)
    except (StoreError, OSError) as exc:
        print(f"camaudit: error: {terminal_safe(exc, 400)}", file=sys.stderr)
        return EXIT_ERROR
    where = f"{terminal_safe(args.source, 200)} -> {terminal_safe(args.destination, 200)}"
    print(f"copied {result.describe()}: {where}")
    return EXIT_OK


def _prompt(text: str) -> str:
    import getpass

    return getpass.getpass(text)
