"""CLI commands of the identification layer: ``camaudit identify`` and ``camaudit vendors``.

- ``identify FILE|-``: read evidence records (JSON Lines or a CSV inventory), write one JSON line
  per record in input order: identity, reasons, conflicts and one verdict per policy pack.
- ``vendors update --from DIR``: rebuild the MAC registry from IEEE CSV files a user downloaded,
  after checking them (vendors.oui_build.check_ieee_file) and comparing with the table in use;
  the table it replaces is kept, and ``vendors update --rollback`` puts it back.
- ``vendors update --recog DIR``: install rapid7/recog's fingerprints from a checkout after
  running recog's self-test over it; ``--rollback-recog`` puts the replaced copy back
  (cli/vendors_recog.py).
- ``vendors info``: registry dates and counts (MAC blocks, SNMP enterprise numbers), catalogue
  date, rule count, the recog copy.

The heavy lifting lives in discovery.inventory_file (reading records) and vendors.assess
(identity and verdicts); this module only reads and writes files and turns arguments into calls.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from cli import vendors_recog
from cli.common import add_site_args, iso_date, site_from_args
from core.sanitize import json_text, terminal_safe

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2
MAX_INPUT_BYTES = 256 * 2**20  # identify reads its input whole
MAX_REMOVED_SHARE = 0.05  # a refresh that drops more of the table in use needs --allow-removals


def register(subparsers: Any) -> None:
    _register_identify(subparsers)
    _register_vendors(subparsers)


def _register_identify(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "identify",
        help="identify the true maker of devices listed in a JSONL or CSV file",
        description=(
            "Read evidence records (JSON Lines: one flat evidence object per line, optional 'id'; "
            "or a CSV inventory with a header row such as ip, mac, brand, model, firmware, serial) "
            "and write one JSON line per record, in input order, with maker, brand, relationship, "
            "model, firmware, confidence, component flags, reasons, conflicts and verdicts. "
            'A line that cannot be read gives {"line": N, "error": ...} and the rest still run; '
            "the exit status is then 1. With a rapid7/recog copy installed (vendors update "
            "--recog DIR) its fingerprints are read too, their reasons citing recog. "
            "An input with no record at all (empty, or only a header "
            "or comments) is an error too: exit 1 and one line on stderr, whatever its format. "
            f"Input of at most {MAX_INPUT_BYTES // 2**20} MiB. {records_limits()}"
        ),
    )
    parser.add_argument("file", help="input file, or - for standard input")
    parser.add_argument(
        "--format",
        choices=("auto", "jsonl", "csv"),
        default="auto",
        help="input format (default: auto, from the extension, else the content)",
    )
    add_site_args(parser, date=True)
    parser.add_argument("--no-verdicts", action="store_true", help="identify only")
    parser.set_defaults(func=cmd_identify)


def _register_vendors(subparsers: Any) -> None:
    parser = subparsers.add_parser("vendors", help="MAC registry and identification data")
    sub = parser.add_subparsers(dest="vendors_command", metavar="ACTION", required=True)
    update = sub.add_parser(
        "update",
        help="rebuild the MAC registry from IEEE CSV files, or install rapid7/recog (--recog)",
        description=(
            "Rebuild the IEEE MAC registry from oui.csv, mam.csv, oui36.csv, iab.csv (and cid.csv) "
            "downloaded from standards-oui.ieee.org. The table is written to the user data "
            "directory and takes precedence over the bundled snapshot. The files are checked "
            "first (header, four columns per row, closed quotes, each file its own registry); "
            f"{registry_limits()} A refresh that would drop more than "
            f"{MAX_REMOVED_SHARE:.0%} of the blocks in use is refused unless --allow-removals. "
            "The replaced table is kept: --rollback restores it. "
            "--recog DIR installs rapid7/recog's fingerprints from a checkout (xml/*.xml and "
            "LICENSE; no recog data ships with camaudit): every file is read with defused XML "
            f"({recog_limits()}), recog's self-test runs over every example, a directory "
            "whose examples fail badly is refused, and a dated copy with the licence goes to "
            "the user data directory; --rollback-recog restores the copy it replaced."
        ),
    )
    source = update.add_mutually_exclusive_group(required=True)
    source.add_argument("--from", dest="source", type=Path, metavar="DIR")
    source.add_argument(
        "--rollback", action="store_true", help="put back the table the last update replaced"
    )
    vendors_recog.add_update_args(source, update)
    update.add_argument(
        "--allow-removals",
        action="store_true",
        help="accept a refresh that drops many blocks of the table in use",
    )
    update.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="data date (default: the newest CSV / XML file's modification date)",
    )
    update.set_defaults(func=cmd_vendors_update)
    info = sub.add_parser("info", help="registry date and counts, catalogue date, rule count")
    info.set_defaults(func=cmd_vendors_info)


# ----------------------------------------------------------------------------- identify


def records_limits() -> str:
    from discovery.inventory_file import LIMITS  # noqa: PLC0415

    return LIMITS


def recog_limits() -> str:
    from vendors.recog.db import LIMITS  # noqa: PLC0415

    return LIMITS.rstrip(".")


def registry_limits() -> str:
    from vendors.oui_build import LIMITS  # noqa: PLC0415

    return LIMITS


def _read_input(name: str) -> str:
    from core.files import TooLarge, read_regular  # noqa: PLC0415

    if name != "-":
        return read_regular(Path(name), MAX_INPUT_BYTES).decode("utf-8-sig", errors="replace")
    raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    if len(raw) > MAX_INPUT_BYTES:
        raise TooLarge(f"larger than {MAX_INPUT_BYTES // 2**20} MiB: refused")
    return raw.decode("utf-8-sig", errors="replace")


def _no_records(name: str, text: str) -> str:
    """Why an input gives nothing to identify."""
    shown = "standard input" if name == "-" else name
    if not text.strip():
        return f"{shown} is empty: nothing to identify"
    return f"{shown} holds no records (only a header, blank lines or comments)"


def _assessor(args: argparse.Namespace) -> Any:
    """The one assessment path, with the site and packs the arguments give; pack problems
    go to stderr."""
    from vendors.assess import Assessor  # noqa: PLC0415  (keeps `camaudit version` fast)

    site = site_from_args(args)
    assessor = Assessor(site, None if args.no_verdicts else tuple(args.policy))
    for problem in assessor.problems:
        print(f"camaudit identify: policy: {problem}", file=sys.stderr)
    return assessor


def cmd_identify(args: argparse.Namespace) -> int:
    from discovery.inventory_file import (  # noqa: PLC0415
        Record,
        parse_csv,
        parse_jsonl,
        parse_records,
    )

    try:
        text = _read_input(args.file)
    except OSError as exc:
        why = terminal_safe(exc.strerror or exc)
        print(f"camaudit identify: cannot read {args.file}: {why}", file=sys.stderr)
        return EXIT_USAGE
    parse = {"jsonl": parse_jsonl, "csv": parse_csv}.get(args.format)
    parsed = (
        []
        if not text.strip()
        else (
            parse(text) if parse else parse_records(text, None if args.file == "-" else args.file)
        )
    )
    if not parsed:
        print(f"camaudit identify: {_no_records(args.file, text)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        assessor = _assessor(args)
    except ValueError as exc:  # vendors.assess.UnknownPolicyError: none of them loaded
        print(f"camaudit identify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    missing = sorted(set(args.policy) - set(assessor.policy_ids))
    if missing and not args.no_verdicts:
        print(f"camaudit identify: unknown policy pack(s): {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    for item in parsed:
        if not isinstance(item, Record):
            _write(sys.stdout, item.to_dict())
            status = EXIT_BAD_INPUT
            continue
        _write(sys.stdout, _result(item, assessor.evaluate(item.evidence)))
    return status


def _result(record: Any, assessment: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"line": record.line, "id": record.id}
    data = assessment.identity.to_dict()
    for key in (
        "maker",
        "brand",
        "relationship",
        "model",
        "firmware",
        "serial",
        "confidence",
        "component_flags",
        "reasons",
        "conflicts",
    ):
        out[key] = data[key]
    out["device_type"] = data.get("device_type", "unknown")
    for key in ("device_type_how", "registrant"):
        if data.get(key):
            out[key] = data[key]
    out["verdicts"] = {pid: v.to_dict() for pid, v in assessment.verdicts.items()}
    return out


def _write(stream: TextIO, data: dict[str, Any]) -> None:
    # The same data for a parser; control and bidi characters from a device are \u escapes,
    # harmless in a terminal (core.sanitize.json_text).
    stream.write(json_text(data) + "\n")


# ----------------------------------------------------------------------------- vendors


def cmd_vendors_update(args: argparse.Namespace) -> int:
    from vendors.oui_build import RegistryFormatError  # noqa: PLC0415

    if args.recog is not None or args.rollback_recog:
        return vendors_recog.cmd_update(args)
    if args.commit:
        print("camaudit vendors update: --commit goes with --recog", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _rollback() if args.rollback else _update(args)
    except (OSError, UnicodeDecodeError, RegistryFormatError) as exc:
        print(f"camaudit vendors update: {terminal_safe(exc, 300)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _update(args: argparse.Namespace) -> int:
    from vendors.oui import default_registry  # noqa: PLC0415
    from vendors.oui_build import IEEE_FILES, check_ieee_file, diff_blocks  # noqa: PLC0415

    directory: Path = args.source
    if not (directory / "oui.csv").is_file():
        print(
            f"camaudit vendors update: {directory}/oui.csv not found (the MA-L list is required)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    found = [directory / n for n in IEEE_FILES if (directory / n).is_file()]
    blocks = [b for path in found for b in check_ieee_file(path.name, _read_ieee(path))]
    diff = diff_blocks(default_registry().blocks(), blocks)
    if diff.removed > MAX_REMOVED_SHARE * diff.before and not args.allow_removals:
        print(f"camaudit vendors update: refused: {_removals(diff)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    newest = max(p.stat().st_mtime for p in found)
    as_of = args.as_of or dt.datetime.fromtimestamp(newest, dt.UTC).date()
    target = _install(blocks, as_of, f"IEEE CSV files ({_names(found)}) from {directory}")
    print(f"wrote {target}: {_describe(target)}")
    print(f"  against the table it replaces: {diff.summary()}; undo: vendors update --rollback")
    return EXIT_OK


def _names(paths: list[Path]) -> str:
    return ", ".join(p.name for p in paths)


def _read_ieee(path: Path) -> str:
    from core.files import read_regular  # noqa: PLC0415
    from vendors.oui_build import MAX_FILE_BYTES, RegistryFormatError  # noqa: PLC0415

    try:
        return read_regular(path, MAX_FILE_BYTES).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryFormatError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise RegistryFormatError(f"{path}: {exc.strerror or exc}") from None


def _removals(diff: Any) -> str:
    from vendors.oui import REGISTRY_KIND  # noqa: PLC0415

    kinds = ", ".join(f"{REGISTRY_KIND[b]} {n:,}" for b, n in sorted(diff.removed_by_size.items()))
    return (
        f"the new files would drop {diff.removed:,} of the {diff.before:,} blocks in use "
        f"({kinds}); give every IEEE file (oui.csv, mam.csv, oui36.csv, iab.csv), "
        "or --allow-removals"
    )


def _install(blocks: list[Any], as_of: dt.date, source: str) -> Path:
    """Write the new table; the one it replaces becomes the previous (for --rollback)."""
    from core.files import private_dir, write_private  # noqa: PLC0415
    from vendors.oui import previous_registry_path, user_registry_path  # noqa: PLC0415
    from vendors.oui_build import render  # noqa: PLC0415

    target, previous = user_registry_path(), previous_registry_path()
    private_dir(target.parent)
    staged = target.with_name("registry.new.tsv.gz")
    write_private(staged, render(blocks, as_of=as_of, source=source))
    if target.exists():
        os.replace(target, previous)
    else:  # the bundled snapshot was in use: rolling back means going back to it
        previous.unlink(missing_ok=True)
    os.replace(staged, target)
    return target


def _describe(path: Path) -> str:
    from vendors.oui import read_registry  # noqa: PLC0415

    registry = read_registry(path)
    counts = ", ".join(f"{k} {v}" for k, v in registry.counts().items())
    as_of = registry.data_as_of.isoformat() if registry.data_as_of else "unknown"
    return f"{len(registry)} blocks ({counts}), data as of {as_of}"


def _rollback() -> int:
    from vendors.oui import BUNDLED, previous_registry_path, user_registry_path  # noqa: PLC0415

    target, previous = user_registry_path(), previous_registry_path()
    if previous.exists():
        _describe(previous)  # refuse a damaged copy before touching the table in use
        swap = target.with_name("registry.swap.tsv.gz")
        if target.exists():
            os.replace(target, swap)
        os.replace(previous, target)
        if swap.exists():
            os.replace(swap, previous)
        print(f"restored {target}: {_describe(target)}; --rollback again undoes this")
        return EXIT_OK
    if target.exists():
        os.replace(target, previous)
        print(f"removed the refresh; the bundled snapshot is in use: {_describe(BUNDLED)}")
        return EXIT_OK
    print("camaudit vendors update: nothing to roll back (no refresh was made)", file=sys.stderr)
    return EXIT_USAGE


def cmd_vendors_info(args: argparse.Namespace) -> int:
    from vendors.catalogue import load_catalogue  # noqa: PLC0415
    from vendors.fingerprints import load_rules  # noqa: PLC0415
    from vendors.oui import BUNDLED, default_registry  # noqa: PLC0415
    from vendors.pen import default_pen_registry  # noqa: PLC0415

    registry = default_registry()
    catalogue = load_catalogue()
    rules = load_rules()
    which = "bundled snapshot" if registry.path == BUNDLED else "user refresh"
    counts = ", ".join(f"{k} {v}" for k, v in registry.counts().items())
    as_of = registry.data_as_of.isoformat() if registry.data_as_of else "unknown"
    print(f"MAC registry: {which} {registry.path}")
    print(f"  data as of {as_of}; {len(registry)} blocks ({counts})")
    print(f"  source: {registry.source}")
    pen = default_pen_registry()
    pen_date = pen.data_as_of.isoformat() if pen.data_as_of else "unknown"
    linked = sum(len(m.pen_numbers) for m in catalogue.makers.values())
    print(f"SNMP enterprise numbers: data as of {pen_date}; {len(pen)} numbers")
    print(f"  {linked} listed under catalogue makers (pen_numbers)")
    print(f"  source: {pen.source}")
    cat_date = catalogue.as_of.isoformat() if catalogue.as_of else "unknown"
    sizes = f"{len(catalogue.makers)} makers, {len(catalogue.brands)} brands"
    print(f"catalogue: as of {cat_date}; {sizes}")
    examples = sum(len(r.examples) for r in rules.all_rules())
    sizes = f"{len(rules.all_rules())} rules in {len(rules.files)} files, {examples} examples"
    print(f"fingerprints: {sizes}")
    for line in vendors_recog.info_lines():
        print(line)
    return EXIT_OK
