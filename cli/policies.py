"""``camaudit policies list`` and ``camaudit policies show ID``: packs, entries, dates, citations.

Rich tables on a terminal, plain text otherwise (pipes, files, CI logs).  A pack that fails to
load is reported on stderr with its file and line, and the command exits 1; the rest still print.
A user's pack is a file like any other: its strings reach the terminal through core.sanitize
(controls and escapes made visible) and are never read as rich markup.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from core.sanitize import terminal_safe, terminal_text

if TYPE_CHECKING:
    from vendors.policies import Policy, PolicyEntry, PolicySet

EXIT_OK = 0
EXIT_ERROR = 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "policies", help="list the ban/policy packs, or show one pack's entries and citations"
    )
    parser.add_argument(
        "--user-dir",
        type=Path,
        default=None,
        help="folder of your own packs (default: $CAMAUDIT_POLICY_DIR or the user data dir)",
    )
    parser.add_argument("--plain", action="store_true", help="plain text even on a terminal")
    sub = parser.add_subparsers(dest="policies_command", metavar="ACTION", required=True)
    show_list = sub.add_parser("list", help="one line per pack: id, title, entries, as-of date")
    show_list.set_defaults(func=_cmd_list)
    show = sub.add_parser("show", help="one pack: every entry with its date, scope and citation")
    show.add_argument("id", help="pack id, as printed by 'camaudit policies list'")
    show.set_defaults(func=_cmd_show)


def _load(args: argparse.Namespace) -> PolicySet:
    from vendors.policies import load_policies  # noqa: PLC0415  (keeps the CLI start fast)

    return load_policies(user_dir=args.user_dir)


def _report_errors(result: PolicySet, err: TextIO) -> int:
    for error in result.errors:
        print(f"error: {terminal_safe(error, None)}", file=err)
    return EXIT_ERROR if result.errors else EXIT_OK


def _rich(args: argparse.Namespace) -> bool:
    return not args.plain and sys.stdout.isatty()


def _cmd_list(args: argparse.Namespace) -> int:
    from vendors.policies import user_policy_dir  # noqa: PLC0415

    result = _load(args)
    if _rich(args):
        _rich_list(result.packs)
    else:
        for line in plain_list(result.packs):
            print(line)
    print(f"your own packs go in: {terminal_safe(args.user_dir or user_policy_dir(), None)}")
    return _report_errors(result, sys.stderr)


def _cmd_show(args: argparse.Namespace) -> int:
    result = _load(args)
    policy = result.get(args.id)
    if policy is None:
        known = ", ".join(result.ids) or "none"
        wanted = terminal_safe(repr(args.id), None)
        print(f"error: no policy pack named {wanted} (known: {_one(known)})", file=sys.stderr)
        _report_errors(result, sys.stderr)
        return EXIT_ERROR
    if _rich(args):
        _rich_show(policy)
    else:
        for line in plain_show(policy):
            print(terminal_text(line))
    return _report_errors(result, sys.stderr)


def _one(value: object) -> str:
    """A pack's string as one harmless piece of a line."""
    return terminal_safe(value, None)


# ------------------------------------------------------------------------------ plain text


def plain_list(packs: list[Policy]) -> list[str]:
    lines = []
    for p in packs:
        origin = "" if p.origin == "builtin" else f"  [{_origin(p)}]"
        lines.append(
            f"{_one(p.id)}\t{_one(p.title)}\t{len(p.entries)} entries\t"
            f"{_one(', '.join(p.jurisdictions))}\tas of {p.as_of.isoformat()}{_one(origin)}"
        )
    return lines


def _origin(policy: Policy) -> str:
    """Where a pack came from; a user pack standing in for a built-in one says which."""
    if policy.origin == "builtin":
        return policy.origin
    stands_in = f", replaces built-in {policy.replaces}" if policy.replaces else ""
    return f"{policy.origin}: {policy.path}{stands_in}"


def plain_show(policy: Policy) -> list[str]:
    lines = [
        f"{policy.id}: {policy.title}",
        f"  jurisdiction: {policy.jurisdiction} ({', '.join(policy.jurisdictions)})",
        f"  version {policy.version}, as of {policy.as_of.isoformat()}, from {policy.path}",
    ]
    if policy.replaces:
        lines.append(f"  replaces the built-in pack {policy.replaces} (user pack)")
    if policy.binds:
        lines.append(f"  binds: {', '.join(policy.binds)}")
    lines.extend(_plain_changes(policy))
    if policy.description:
        lines.append(f"  {policy.description}")
    lines.extend(f"  cite: {_cite(c)}" for c in policy.citations)
    for entry in policy.entries:
        lines.extend(_plain_entry(entry))
    for m in policy.milestones:
        lines.append(f"  milestone {m.date.isoformat()} {m.title}: {m.text}")
    if policy.reporting:
        lines.extend(_plain_reporting(policy))
    return lines


def _plain_changes(policy: Policy) -> list[str]:
    """What changed since the previous version (the newest changelog entry)."""
    if not policy.changelog:
        return []
    newest = policy.changelog[0]
    previous = policy.changelog[1].version if len(policy.changelog) > 1 else "the first release"
    lines = [f"  changed in {newest.version} ({newest.date.isoformat()}) since {previous}:"]
    lines.extend(f"    - {change}" for change in newest.changes)
    return lines


def _entry_rows(entry: PolicyEntry) -> list[tuple[str, str]]:
    """(label, value) lines describing one entry, shared by the plain and rich layouts."""
    until = f" until {entry.until.isoformat()}" if entry.until else ""
    return [
        ("effective", f"{entry.effective.isoformat()}{until}"),
        ("makers", f"{', '.join(entry.makers) or _categorical(entry)}{_affiliates(entry)}"),
        ("equipment", ", ".join(entry.categories)),
        ("uses", "any use" if entry.uses is None else ", ".join(u.value for u in entry.uses)),
        ("where", ", ".join(entry.jurisdictions)),
        ("scope", entry.scope),
        ("cite", _cite(entry.citation)),
        ("source", f"{entry.source} (confidence {entry.confidence})"),
    ]


def _plain_entry(entry: PolicyEntry) -> list[str]:
    lines = [f"  - {entry.id}: {entry.title}"]
    lines.extend(f"      {label}: {value}" for label, value in _entry_rows(entry))
    return lines


def _plain_reporting(policy: Policy) -> list[str]:
    rep = policy.reporting
    assert rep is not None
    lines = [f"  reporting ({rep.clause}): {rep.summary}"]
    lines.extend(f"    {what}: within {within}" for what, within in rep.deadlines)
    if rep.report_to:
        lines.append(f"    report to: {rep.report_to}")
    return lines


def _affiliates(entry: PolicyEntry) -> str:
    if not entry.makers:
        return ""
    if entry.include_affiliates:
        return " (subsidiaries and affiliates included)"
    return " (named companies only)"


def _categorical(entry: PolicyEntry) -> str:
    if entry.component_flags:
        return f"component flags {', '.join(entry.component_flags)}"
    if entry.produced_in:
        return f"makers based in {', '.join(c.upper() for c in entry.produced_in)}"
    return f"makers based outside {', '.join(c.upper() for c in entry.produced_outside)}"


def _cite(c: object) -> str:
    from core.model import Citation  # noqa: PLC0415

    assert isinstance(c, Citation)
    return f"{c.title} [{c.clause}] {c.date} {c.url}"


# ------------------------------------------------------------------------------------ rich


def _rich_list(packs: list[Policy]) -> None:
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    table = Table(title="Policy packs", highlight=False)
    table.add_column("id", no_wrap=True)
    table.add_column("title", ratio=1)
    for column in ("entries", "where", "as of", "origin"):
        table.add_column(column, no_wrap=column != "origin", overflow="fold")
    for p in packs:
        cells = (p.id, p.title, len(p.entries), ", ".join(p.jurisdictions), p.as_of, _origin(p))
        table.add_row(*(Text(_one(c)) for c in cells))  # Text: "[...]" in a title is not markup
    Console(highlight=False).print(table)


def _rich_show(policy: Policy) -> None:
    """One block per entry: data strings are printed verbatim (markup off: "[...]" is text)."""
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    console = Console(highlight=False)

    def say(line: str) -> None:
        console.print(terminal_text(line), markup=False)

    console.print(Text(_one(f"{policy.id}: {policy.title}"), style="bold"))
    for line in plain_show(policy)[1:3]:
        say(line.strip())
    if policy.replaces:
        say(f"replaces the built-in pack {policy.replaces} (user pack)")
    for line in _plain_changes(policy):
        say(line)
    for c in policy.citations:
        say(f"cite: {_cite(c)}")
    for entry in policy.entries:
        console.print()
        console.print(Text(_one(f"{entry.id}: {entry.title}"), style="bold"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in _entry_rows(entry):
            grid.add_row(Text(label), Text(terminal_text(value)))
        console.print(grid)
    for m in policy.milestones:
        say(f"milestone {m.date.isoformat()} {m.title}: {m.text}")
    if policy.reporting:
        for line in _plain_reporting(policy):
            say(line.strip())
