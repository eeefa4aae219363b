"""CLI commands of the identification layer: ``camaudit identify`` and ``camaudit vendors``.

- ``identify FILE|-``: read evidence records (JSON Lines or a CSV inventory), write one JSON line
  per record in input order: identity, reasons, conflicts and one verdict per policy pack.
- ``vendors update --from DIR``: rebuild the MAC registry from IEEE CSV files a user downloaded.
- ``vendors info``: registry date and counts, catalogue date, rule count.

The heavy lifting lives in discovery.inventory_file (reading records) and vendors.assess
(identity and verdicts); this module only reads and writes files and turns arguments into calls.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from cli.common import add_site_args, iso_date, site_from_args

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE = 0, 1, 2


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
            "the exit status is then 1."
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
        help="rebuild the MAC registry from IEEE CSV files you downloaded",
        description=(
            "Rebuild the IEEE MAC registry from oui.csv, mam.csv, oui36.csv, iab.csv (and cid.csv) "
            "downloaded from standards-oui.ieee.org. The table is written to the user data "
            "directory and takes precedence over the bundled snapshot."
        ),
    )
    update.add_argument("--from", dest="source", type=Path, required=True, metavar="DIR")
    update.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="data date (default: the newest CSV file's modification date)",
    )
    update.set_defaults(func=cmd_vendors_update)
    info = sub.add_parser("info", help="registry date and counts, catalogue date, rule count")
    info.set_defaults(func=cmd_vendors_info)


# ----------------------------------------------------------------------------- identify


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    return Path(name).read_text(encoding="utf-8-sig", errors="replace")


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
        print(f"camaudit identify: cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    parse = {"jsonl": parse_jsonl, "csv": parse_csv}.get(args.format)
    parsed = parse(text) if parse else parse_records(text, None if args.file == "-" else args.file)
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
    out["verdicts"] = {pid: v.to_dict() for pid, v in assessment.verdicts.items()}
    return out


def _write(stream: TextIO, data: dict[str, Any]) -> None:
    stream.write(json.dumps(data, ensure_ascii=False) + "\n")


# ----------------------------------------------------------------------------- vendors


def cmd_vendors_update(args: argparse.Namespace) -> int:
    from vendors.oui import read_registry, user_registry_path  # noqa: PLC0415
    from vendors.oui_build import (  # noqa: PLC0415
        IEEE_FILES,
        RegistryFormatError,
        parse_ieee_csv,
        render,
    )

    directory: Path = args.source
    found = [directory / n for n in IEEE_FILES if (directory / n).is_file()]
    if not (directory / "oui.csv").is_file():
        print(
            f"camaudit vendors update: {directory}/oui.csv not found (the MA-L list is required)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    blocks = []
    try:
        for path in found:
            blocks.extend(parse_ieee_csv(path.read_text(encoding="utf-8-sig"), str(path)))
    except (OSError, UnicodeDecodeError, RegistryFormatError) as exc:
        print(f"camaudit vendors update: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    newest = max(p.stat().st_mtime for p in found)
    as_of = args.as_of or dt.datetime.fromtimestamp(newest, dt.UTC).date()
    target = user_registry_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    names = ", ".join(p.name for p in found)
    target.write_bytes(
        render(blocks, as_of=as_of, source=f"IEEE CSV files ({names}) from {directory}")
    )
    registry = read_registry(target)
    counts = ", ".join(f"{k} {v}" for k, v in registry.counts().items())
    print(f"wrote {target}: {len(registry)} blocks ({counts}), data as of {as_of.isoformat()}")
    return EXIT_OK


def cmd_vendors_info(args: argparse.Namespace) -> int:
    from vendors.catalogue import load_catalogue  # noqa: PLC0415
    from vendors.fingerprints import load_rules  # noqa: PLC0415
    from vendors.oui import BUNDLED, default_registry  # noqa: PLC0415

    registry = default_registry()
    catalogue = load_catalogue()
    rules = load_rules()
    which = "bundled snapshot" if registry.path == BUNDLED else "user refresh"
    counts = ", ".join(f"{k} {v}" for k, v in registry.counts().items())
    as_of = registry.data_as_of.isoformat() if registry.data_as_of else "unknown"
    print(f"MAC registry: {which} {registry.path}")
    print(f"  data as of {as_of}; {len(registry)} blocks ({counts})")
    print(f"  source: {registry.source}")
    cat_date = catalogue.as_of.isoformat() if catalogue.as_of else "unknown"
    sizes = f"{len(catalogue.makers)} makers, {len(catalogue.brands)} brands"
    print(f"catalogue: as of {cat_date}; {sizes}")
    examples = sum(len(r.examples) for r in rules.all_rules())
    sizes = f"{len(rules.all_rules())} rules in {len(rules.files)} files, {examples} examples"
    print(f"fingerprints: {sizes}")
    return EXIT_OK
