# ruff: noqa: PLC0415  (commands import their modules lazily: `camaudit version` stays fast)
"""`camaudit history | report | import | dispositions`: the inventory from the shell.

camaudit history list [--site NAME] | show SCAN | diff SCAN_A SCAN_B | device KEY   [--json]
camaudit report [--scan ID] [--site NAME] [--format pdf|xlsx|csv|json] -o FILE [--json-out FILE]
                [--org NAME] [--site NAME] [--by NAME] [--signer NAME] [--role ROLE]
                [--sign-with FILE.p12] [--allow-empty]
camaudit report verify REPORT.pdf (--json DATA.json | --scan ID) [--trust CERT ...]
camaudit import FILE [--kind csv|pcap] [--site NAME] [--policy ID ...] [--site-use USE ...]
camaudit dispositions set DEVICE_KEY --status S --by NAME --reason TEXT [--date D]
camaudit dispositions list [--all]

Every command takes ``--db PATH|URL`` (a SQLite file or a ``postgresql://`` URL; default
``$CAMAUDIT_DB`` or the user data folder); the read-only ones (history, report, report verify,
dispositions list) never create it, and run with a read-only (reporting) database role.
One inventory holds many sites: ``--site NAME`` on scan and import names a scan's site;
history and report take ``--site NAME`` (that site only) or ``--all-sites`` (the default).
Exit codes: 0 done / match, 1 error / mismatch, 2 usage.

Every string from a device, an imported file or the database reaches the terminal through
core.sanitize (controls, ESC and bidirectional overrides shown as ``\\x1b``, ``\\u202e``);
``--json`` output is escaped the same way inside its strings and parses to the same data.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.common import DB_HELP, add_site_args, add_site_name_arg, db_arg_type, site_from_args
from core.jsonlimits import MAX_DEPTH, MAX_FILE_BYTES, MAX_INT_DIGITS
from core.sanitize import terminal_safe
from inventory.exports import FORMATS, format_of, write_report, written

if TYPE_CHECKING:
    from inventory.history import DeviceChange, ScanDiff
    from inventory.report_data import ReportMeta
    from inventory.report_sign import SigningKey
    from inventory.store import Store

EXIT_OK = 0
EXIT_ERROR = 1


def _db_arg(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a subcommand's own --db must not reset one given before the subcommand.
    parser.add_argument(
        "--db", type=db_arg_type, default=argparse.SUPPRESS, metavar="PATH|URL", help=DB_HELP
    )


def _sites_arg(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--site", default=argparse.SUPPRESS, metavar="NAME", help="this site only")
    group.add_argument(
        "--all-sites", action="store_true", default=argparse.SUPPRESS, help="every site (default)"
    )


def register(sub: Any) -> None:
    _register_history(sub)
    _register_report(sub)
    _register_import(sub)
    _register_dispositions(sub)


def _register_history(sub: Any) -> None:
    history = sub.add_parser("history", help="list past scans, show one, or diff two")
    _db_arg(history)
    hs = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)
    listing = hs.add_parser("list", help="every stored scan")
    show = hs.add_parser("show", help="one scan's devices and errors")
    show.add_argument("scan", help="scan id or 'latest'")
    diff = hs.add_parser("diff", help="new, gone and changed devices between two scans")
    diff.add_argument("scan_a", help="the earlier scan id")
    diff.add_argument("scan_b", help="the later scan id (or 'latest')")
    device = hs.add_parser("device", help="one device over time: scans, IPs, decisions")
    device.add_argument("key", help="device key, e.g. mac:44:19:b6:00:00:01")
    commands = (
        (listing, cmd_history_list),
        (show, cmd_history_show),
        (diff, cmd_diff),
        (device, cmd_history_device),
    )
    for p, func in commands:
        _db_arg(p)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=func)
    for p in (listing, show, diff):  # 'latest' (show, diff): the newest of that site
        _sites_arg(p)


_SIGN_HELP = (
    "A PDF report is signed (PAdES) so that any later change to it shows: with the "
    "organisation's certificate when --sign-with FILE.p12 (or sign_with in the settings) "
    "names one, else with this installation's own key, made on first use and kept in the "
    "user data folder. The PKCS#12 password comes from $CAMAUDIT_SIGN_PASSWORD, else the OS "
    "keyring (service 'camaudit', user 'pkcs12:<absolute path of the file>'), else a prompt."
)
_VERIFY_HELP = (
    "Checks that the PDF's signature covers every byte of it and still verifies, that the "
    "data hash it carries matches the data (a JSON copy or the stored scan), and that every "
    "page's text is what that data renders to. One line per finding; exit 0 only when all "
    f"pass. Limits: the JSON data at most {MAX_FILE_BYTES // 2**20} MiB, nested at most "
    f"{MAX_DEPTH} levels, numbers of at most {MAX_INT_DIGITS} digits; scan ids are numbers "
    "or 'latest'."
)


def _register_report(sub: Any) -> None:
    report = sub.add_parser(
        "report",
        help="write a PDF/XLSX/CSV/JSON report; or verify a PDF",
        description="Write a report of a stored scan. " + _SIGN_HELP,
    )
    _db_arg(report)
    report.add_argument("--scan", default="latest", help="scan id (default: latest)")
    report.add_argument("--format", choices=FORMATS, help="default: from the -o extension")
    report.add_argument("-o", "--output", type=Path, help="file to write")
    report.add_argument("--json-out", type=Path, help="also write the report's canonical JSON")
    report.add_argument("--org", help="organisation (title page)")
    report.add_argument(
        "--site",
        help="report this site's scan (its latest unless --scan); also the title page's site",
    )
    report.add_argument(
        "--all-sites",
        action="store_true",
        help="one estate report over every site: each site's newest complete scan, rows "
        "naming their site",
    )
    report.add_argument("--by", help="who ran the audit")
    report.add_argument("--signer", help="name printed in the sign-off block")
    report.add_argument("--role", help="signer's role")
    report.add_argument("--paper", choices=("letter", "a4"), help="PDF page size")
    report.add_argument("--settings", type=Path, help="settings TOML ([report] table)")
    report.add_argument(
        "--sign-with",
        type=Path,
        metavar="FILE.p12",
        help="sign the PDF with this PKCS#12 certificate (default: this installation's key)",
    )
    report.add_argument(
        "--allow-empty", action="store_true", help="report a scan that found no device"
    )
    report.set_defaults(func=cmd_report)
    rs = report.add_subparsers(dest="report_command", metavar="ACTION")
    verify = rs.add_parser(
        "verify",
        help="check a PDF report: signature, data hash, page text",
        description=_VERIFY_HELP,
    )
    _db_arg(verify)
    verify.add_argument("pdf", type=Path, help="the report PDF")
    group = verify.add_mutually_exclusive_group(required=True)
    group.add_argument("--json", dest="data_json", type=Path, help="the report's JSON data")
    group.add_argument("--scan", dest="verify_scan", help="rebuild the data from a stored scan")
    verify.add_argument(
        "--trust",
        type=Path,
        action="append",
        default=[],
        metavar="CERT",
        help="accept only signatures by this certificate or one it issued (PEM/DER; repeatable)",
    )
    verify.set_defaults(func=cmd_verify)


def _register_import(sub: Any) -> None:
    from discovery.inventory_file import LIMITS

    imp = sub.add_parser(
        "import",
        help="bring a CSV inventory, JSON Lines evidence or a pcap in as a scan",
        description=(
            "Import a file as one complete scan. A bad row is a problem line and the rest are "
            "imported; a file with no usable row (empty, binary, every row bad) is refused "
            f"and nothing is stored (exit 1). {LIMITS}"
        ),
    )
    _db_arg(imp)
    imp.add_argument("file", type=Path, help="CSV inventory, JSON Lines or pcap/pcapng capture")
    imp.add_argument("--kind", choices=("csv", "jsonl", "pcap"), help="default: from the file")
    add_site_args(imp)
    add_site_name_arg(imp)
    imp.set_defaults(func=cmd_import)


def _register_dispositions(sub: Any) -> None:
    disp = sub.add_parser("dispositions", help="record or list decisions about devices")
    _db_arg(disp)
    ds = disp.add_subparsers(dest="dispositions_command", metavar="ACTION", required=True)
    put = ds.add_parser("set", help="record a decision for a device (newest wins)")
    _db_arg(put)
    put.add_argument("device_key", help="the device key, e.g. mac:44:19:b6:00:00:01")
    put.add_argument(
        "--status",
        required=True,
        help="exception_granted | scheduled_for_removal | removed | false_positive",
    )
    put.add_argument("--by", required=True, help="who decided")
    put.add_argument("--reason", required=True, help="why")
    put.add_argument("--date", help="removal date YYYY-MM-DD (scheduled_for_removal)")
    put.set_defaults(func=cmd_disposition_set)
    listing = ds.add_parser("list", help="current decisions (--all: with history)")
    _db_arg(listing)
    listing.add_argument("--all", action="store_true", help="every decision, oldest first")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=cmd_disposition_list)


# -- helpers ---------------------------------------------------------------------------------


def _fail(message: object) -> int:
    """One line on stderr, whatever ``message`` holds (it may quote a file or a device)."""
    print(f"camaudit: error: {terminal_safe(message, 400)}", file=sys.stderr)
    return EXIT_ERROR


def _safe(value: object) -> str:
    """A value from a device, a file or the database as one harmless piece of a line."""
    return terminal_safe("" if value is None else value)


def _open_store(args: argparse.Namespace, *, create: bool = True) -> Store:
    """The store ``--db`` names; read-only commands pass ``create=False``."""
    from inventory.store import Store, default_db_path

    prompt = _password_prompt if sys.stdin.isatty() else None
    target = getattr(args, "db", None) or default_db_path()
    return Store(target, create=create, password_prompt=prompt)


def _site(args: argparse.Namespace) -> str | None:
    """--site NAME, or None for every site (--all-sites, the default)."""
    site = getattr(args, "site", None)
    return None if site is None or getattr(args, "all_sites", False) else str(site)


def _known_errors() -> tuple[type[Exception], ...]:
    from inventory.dispositions import DispositionError
    from inventory.report_sign import SignError
    from inventory.report_verify import VerifyError
    from inventory.settings import SettingsError
    from inventory.store import StoreError

    return (StoreError, DispositionError, VerifyError, SettingsError, SignError, OSError)


def _guarded(func: Any, args: argparse.Namespace) -> int:
    """Run a command; a known failure becomes one clear line on stderr and exit 1."""
    errors = _known_errors()
    try:
        return int(func(args))
    except errors as exc:
        return _fail(exc)


def _print_json(value: Any) -> None:
    """JSON on stdout: the same data, its strings terminal-safe, a scan's devices streamed."""
    from inventory.export_json import write_json_to

    write_json_to(value, sys.stdout)


# -- history ---------------------------------------------------------------------------------


def cmd_history_list(args: argparse.Namespace) -> int:
    return _guarded(_history_list, args)


def _history_list(args: argparse.Namespace) -> int:
    with _open_store(args, create=False) as store:
        scans = store.list_scans(_site(args))
    if args.json:
        _print_json(
            [
                {
                    "id": s.id,
                    "targets": list(s.targets),
                    "methods": list(s.methods),
                    "started_at": s.started_at.isoformat(),
                    "ended_at": s.ended_at.isoformat() if s.ended_at else None,
                    "status": s.status.value,
                    "devices": s.devices,
                    "flagged": s.flagged,
                    "site": s.site,
                }
                for s in scans
            ]
        )
        return EXIT_OK
    if not scans:
        print("no scans stored yet")
    for s in scans:
        print(
            f"{s.id:>5}  {s.started_at:%Y-%m-%d %H:%M}  {s.status.value:<11} "
            f"{s.devices:>5} devices {s.flagged:>4} flagged  {_safe(s.site or '-'):<12} "
            f"{_safe(', '.join(s.targets))}"
        )
    return EXIT_OK


def cmd_history_show(args: argparse.Namespace) -> int:
    return _guarded(_history_show, args)


def _history_show(args: argparse.Namespace) -> int:
    from inventory.report_data import ReportMeta, report_data_from_store

    with _open_store(args, create=False) as store:
        scan_id = store.resolve_scan(args.scan, _site(args))
        site = store.scan_site(scan_id)
        data = report_data_from_store(store, scan_id, ReportMeta(site=site))
        errors = store.scan_errors(scan_id)
    if args.json:
        _print_json(data | {"scan_errors": [e.to_dict() for e in errors]})
        return EXIT_OK
    scan = data["scan"]
    print(
        f"scan {scan['id']} (site {_safe(site or '-')}): {scan['status']}, "
        f"{scan['started_at']} .. {scan['ended_at']}"
    )
    print(
        f"targets: {_safe(', '.join(scan['targets']))}; "
        f"methods: {_safe(', '.join(scan['methods']))}"
    )
    names = _maker_names()
    for r in data["devices"]:
        print(_device_line(r, names))
    for e in errors:
        print(f"  error [{_safe(e.source)}/{_safe(e.kind)}] {_safe(e.message)}")
    return EXIT_OK


def _maker_names() -> dict[str, str]:
    from vendors.catalogue import display_names

    return dict(display_names())


def _device_line(r: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """One device of ``history show``: statuses and makers read as in the GUI and the PDF."""
    from core.presentation import display_name
    from inventory.export_common import status_label

    brand, maker = display_name(r["brand"], names), display_name(r["maker"], names)
    who = (brand or "?") + ("" if brand == maker else f" / {maker or '?'}")
    decision = r["disposition"]["status"].replace("_", " ") if r["disposition"] else ""
    return (
        f"  {_safe(r['key']):<26} {_safe(r['ip'] or '-'):<15} {status_label(r['status']):<16} "
        f"{_safe(who):<22} {_safe(r['model'])} {decision}"
    ).rstrip()


def cmd_diff(args: argparse.Namespace) -> int:
    return _guarded(_diff, args)


def _diff(args: argparse.Namespace) -> int:
    from inventory.history import diff_scans

    with _open_store(args, create=False) as store:
        a, b = store.resolve_scan(args.scan_a), store.resolve_scan(args.scan_b, _site(args))
        diff = diff_scans(store.load_scan(a), store.load_scan(b))
    if args.json:
        _print_json(diff.to_dict())
    else:
        _print_diff(diff)
    return EXIT_OK


def cmd_history_device(args: argparse.Namespace) -> int:
    return _guarded(_history_device, args)


def _history_device(args: argparse.Namespace) -> int:
    from inventory.store import StoreError

    with _open_store(args, create=False) as store:
        seen = store.device_sightings(args.key)
        decisions = store.disposition_history(args.key)
    if not seen:
        raise StoreError(f"no device {args.key!r} in any scan")
    if args.json:
        _print_json(
            {
                "key": args.key,
                # "site" only for a named site: the unnamed site reads as it always did
                "scans": [
                    {"scan": s, "ips": ips} | ({"site": site} if site else {})
                    for s, site, ips in seen
                ],
                "dispositions": [d.to_dict() for d in decisions],
            }
        )
        return EXIT_OK
    sites = sorted({site for _, site, _ in seen})
    where = f" at {len(sites)} sites ({_safe(', '.join(s or '-' for s in sites))})"
    print(f"{_safe(args.key)}: seen in {len(seen)} scans" + (where if len(sites) > 1 else ""))
    for scan_id, site, ips in seen:
        print(f"  scan {scan_id:>5}  {_safe(site or '-'):<12} {_safe(', '.join(ips)) or '-'}")
    for d in decisions:
        print(f"  decision: {terminal_safe(d.describe(), None)}")
    return EXIT_OK


def _print_diff(diff: ScanDiff) -> None:
    print(
        f"scan {diff.before_id} -> scan {diff.after_id}: {len(diff.new)} new, "
        f"{len(diff.gone)} gone, {len(diff.changes)} changes"
    )
    for d in diff.new:
        print(f"  + {_safe(d.key)} {_safe(d.ip)}".rstrip())
    for d in diff.gone:
        print(f"  - {_safe(d.key)} {_safe(d.ip)}".rstrip())
    for c in diff.changes:
        print(f"  ~ {_change_line(c)}")


def _change_line(change: DeviceChange) -> str:
    """A change as the GUI's diff reads it: a verdict by its label, not its status code."""
    from inventory.export_common import status_label
    from inventory.history import ChangeKind

    before, after = change.before, change.after
    if change.kind is ChangeKind.VERDICT:
        before, after = (status_label(s) if s else "" for s in (before, after))
    what = f"verdict {change.policy}" if change.policy else change.kind.value
    return f"{_safe(change.key)}: {_safe(what)} {_safe(before or '-')} -> {_safe(after or '-')}"


# -- report ----------------------------------------------------------------------------------


def _meta(args: argparse.Namespace, settings: dict[str, str]) -> ReportMeta:
    from inventory.report_data import ReportMeta

    def pick(option: str | None, key: str) -> str:
        return option if option is not None else settings.get(key, "")

    return ReportMeta(
        organisation=pick(args.org, "organisation"),
        site=pick(args.site, "site"),
        run_by=pick(args.by, "run_by") or _login(),
        signer=pick(args.signer, "signer"),
        signer_role=pick(args.role, "signer_role"),
    )


def _login() -> str:
    """The account running the report, when no name was given."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        return ""


def _format(args: argparse.Namespace) -> str | None:
    if args.format:
        return str(args.format)
    return format_of(args.output) if args.output else None


def cmd_report(args: argparse.Namespace) -> int:
    return _guarded(_report, args)


def _report(args: argparse.Namespace) -> int:
    from inventory.report_data import report_data_from_store
    from inventory.settings import load_report_settings

    fmt = _format(args)
    if args.output is None or fmt is None:
        return _fail("say where to write the report: -o FILE (.pdf .xlsx .csv .json) or --format")
    settings = load_report_settings(args.settings)
    with _open_store(args, create=False) as store:
        meta = _meta(args, settings)
        if args.all_sites:
            from inventory.report_data import estate_report_data, estate_scans

            if args.site or args.scan not in (None, "latest"):
                return _fail("--all-sites reports every site's newest scan: drop --site/--scan")
            scans = estate_scans(store)
            if not scans:
                return _fail(f"no scans in {store.path} yet")
            if not meta.site:
                meta = replace(meta, site=", ".join(site or "-" for site in scans))
            data = estate_report_data(store, scans, meta)
            scan_id = int(data["scan"]["id"])
        else:
            scan_id = store.resolve_scan(args.scan, args.site)
            if not meta.site:
                meta = replace(meta, site=store.scan_site(scan_id))
            data = report_data_from_store(store, scan_id, meta)
    if not data["devices"] and not args.allow_empty:
        return _fail(empty_scan(scan_id))
    signing = _signing(args.sign_with, args.settings, settings) if fmt == "pdf" else None
    paper = args.paper or settings.get("paper", "letter")
    digest = write_report(data, args.output, fmt, paper, signing)
    if args.json_out:
        from core.files import open_private
        from inventory.export_json import write_json

        open_private(args.json_out)
        write_json(data, args.json_out, canonical=True)
    print(terminal_safe(written(args.output, fmt, scan_id, data, digest), None))
    return EXIT_OK


def _signing(p12: Path | None, settings_file: Path | None, settings: dict[str, str]) -> SigningKey:
    """The organisation's certificate (--sign-with, or sign_with in the settings) or ours."""
    from inventory.report_sign import signing_key
    from inventory.settings import default_settings_path

    if p12 is None and settings.get("sign_with"):
        named = Path(settings["sign_with"]).expanduser()
        base = (settings_file or default_settings_path()).parent
        p12 = named if named.is_absolute() else base / named
    prompt = _password_prompt if sys.stdin.isatty() else None
    return signing_key(p12, prompt)


def _password_prompt(text: str) -> str:
    import getpass

    return getpass.getpass(text)


def empty_scan(scan_id: int) -> str:
    """Why a scan that found no device gets no report unless asked (report, scan -o)."""
    return (
        f"scan {scan_id} found no device: a report of it would sign off nothing "
        "(--allow-empty to write it anyway)"
    )


class EmptyScan(ValueError):
    """A report of a scan that found no device, not asked for with --allow-empty."""


def write_scan_report(
    store: Store, scan_id: int, path: Path, paper: str = "letter", *, allow_empty: bool = False
) -> str:
    """Write a stored scan as the report its file suffix names; returns a line to print.

    What ``camaudit scan -o FILE`` uses; organisation and signer come from the report
    settings file, as for ``camaudit report``, and a scan that found no device is refused
    (:class:`EmptyScan`) unless ``allow_empty``.
    """
    from inventory.report_data import ReportMeta, report_data_from_store
    from inventory.settings import load_report_settings

    fmt = format_of(path)
    if fmt is None:
        raise ValueError(f"unknown report format {path.suffix!r} (use .pdf .xlsx .csv .json)")
    settings = load_report_settings(None)
    meta = ReportMeta(
        organisation=settings.get("organisation", ""),
        site=settings.get("site", ""),
        run_by=settings.get("run_by", "") or _login(),
        signer=settings.get("signer", ""),
        signer_role=settings.get("signer_role", ""),
    )
    data = report_data_from_store(store, scan_id, meta)
    if not data["devices"] and not allow_empty:
        raise EmptyScan(empty_scan(scan_id))
    signing = _signing(None, None, settings) if fmt == "pdf" else None
    digest = write_report(data, path, fmt, settings.get("paper", paper), signing)
    return terminal_safe(written(path, fmt, scan_id, data, digest), None)


def cmd_verify(args: argparse.Namespace) -> int:
    return _guarded(_verify, args)


def _verify(args: argparse.Namespace) -> int:
    from inventory.report_verify import load_trust, verify_with_json, verify_with_scan

    trust = load_trust(args.trust)
    if args.data_json is not None:
        result = verify_with_json(args.pdf, args.data_json, trust)
    else:
        with _open_store(args, create=False) as store:
            scan_id = store.resolve_scan(args.verify_scan)
            result = verify_with_scan(args.pdf, store, scan_id, trust)
    for finding in result.findings:
        print(terminal_safe(finding.line, None), file=sys.stdout if finding.ok else sys.stderr)
    return EXIT_OK if result.ok else EXIT_ERROR


# -- import ----------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    return _guarded(_import, args)


def _import(args: argparse.Namespace) -> int:
    from inventory.importer import ImportFailed, import_file
    from inventory.store import default_db_path, remove_database

    db = getattr(args, "db", None) or default_db_path()
    fresh = isinstance(db, Path) and not db.exists()
    try:
        site = site_from_args(args)
        with _open_store(args) as store:
            result = import_file(
                store,
                args.file,
                kind=args.kind,
                policies=args.policy,
                site=site,
                site_name=args.site,
            )
    except ImportFailed as exc:
        if fresh and isinstance(db, Path):  # a refused import leaves no empty database
            remove_database(db)
        return _fail(exc)
    for line in result.problems:
        print(f"  {terminal_safe(line, 400)}", file=sys.stderr)
    more = result.problem_count - len(result.problems)
    if more > 0:
        print(f"  ... and {more} more (all stored: 'camaudit history show')", file=sys.stderr)
    print(
        f"imported {terminal_safe(args.file, None)} as scan {result.scan_id}"
        f"{' at site ' + _safe(args.site) if args.site else ''}: "
        f"{result.devices} devices, {result.problem_count} problems"
    )
    return EXIT_OK


# -- dispositions ----------------------------------------------------------------------------


def cmd_disposition_set(args: argparse.Namespace) -> int:
    return _guarded(_disposition_set, args)


def _disposition_set(args: argparse.Namespace) -> int:
    from inventory.dispositions import make_disposition

    disposition = make_disposition(args.device_key, args.status, args.by, args.reason, args.date)
    with _open_store(args) as store:
        store.set_disposition(disposition)
    print(f"{_safe(disposition.device_key)}: {terminal_safe(disposition.describe(), None)}")
    return EXIT_OK


def cmd_disposition_list(args: argparse.Namespace) -> int:
    return _guarded(_disposition_list, args)


def _disposition_list(args: argparse.Namespace) -> int:
    with _open_store(args, create=False) as store:
        items = (
            store.disposition_history() if args.all else list(store.current_dispositions().values())
        )
    if args.json:
        _print_json([d.to_dict() for d in items])
        return EXIT_OK
    if not items:
        print("no dispositions recorded")
    for d in items:
        print(f"{_safe(d.device_key):<28} {terminal_safe(d.describe(), None)}")
    return EXIT_OK
