"""``camaudit scan``: find the cameras on a network, identify them, report ban coverage.

Exit codes: 0 nothing covered found, 3 a covered or likely covered device found,
1 an error, 2 bad usage (a bad target or credentials file), 130 cancelled with nothing
covered found.  Ctrl-C cancels: the devices found so far are printed (and saved).

With ``--save`` (the default) every device is stored as it is found (``inventory.scan_sink``).
``-o FILE`` writes a report of the stored scan; a scan that found no device gives no report
(exit 1) unless ``--allow-empty``, as ``camaudit report`` does.

What a device says is hostile: every device string printed (the table, live lines, problems,
``--json -``) goes through core.sanitize first, and the table never reads it as rich markup.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from cli.common import DB_HELP, add_site_args, add_site_name_arg, db_arg_type, site_from_args
from core import presentation
from core.model import Device, Problem, Scan, ScanStatus, utcnow
from core.sanitize import json_text, terminal_safe
from discovery.base import DiscoveryError
from discovery.credentials import CredentialStore, load_credentials
from discovery.events import DeviceError, DeviceFound, Finished, Progress, ScanEvent, Sink, replay
from discovery.methods import SCAN_METHODS
from discovery.request import ScanRequest
from discovery.scan import ScanHooks, scan
from discovery.targets import default_targets, interface_addresses, parse_targets
from inventory.backend import StoreError
from vendors.assess import Assessor, UnknownPolicyError
from vendors.catalogue import display_names

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_COVERED = 3
EXIT_NEW = 4  # --notify-new: devices the previous scan of these targets did not see
EXIT_CANCELLED = 130


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "scan",
        help="scan a network for cameras and recorders (read-only)",
        description="Find cameras and recorders, identify their true maker, judge ban coverage.",
    )
    p.add_argument("--interface", "-i", help="network interface to scan from (e.g. eth0)")
    p.add_argument(
        "--targets",
        "-t",
        action="append",
        default=[],
        metavar="CIDR,...",
        help="networks or addresses (default: the interface's own subnet)",
    )
    p.add_argument(
        "--methods",
        "-m",
        default=",".join(SCAN_METHODS),
        metavar="M,...",
        help=f"probes to run (default: all of {','.join(SCAN_METHODS)})",
    )
    p.add_argument(
        "--credentials",
        type=Path,
        metavar="FILE",
        help="TOML file of per-device/subnet credentials (passwords or keyring)",
    )
    p.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="write every device's evidence as JSON ('-' = stdout)",
    )
    p.add_argument(
        "--pcap", type=Path, metavar="FILE", help="passive: read a capture, send nothing"
    )
    p.add_argument(
        "--timeout", type=float, default=2.0, metavar="S", help="per-request timeout (2)"
    )
    p.add_argument(
        "--window",
        type=float,
        default=3.0,
        metavar="S",
        help="how long to listen for multicast replies (3)",
    )
    p.add_argument(
        "--rate", type=float, default=500.0, metavar="PPS", help="packets per second ceiling (500)"
    )
    p.add_argument(
        "--concurrency", type=int, default=64, metavar="N", help="requests in flight (64)"
    )
    p.add_argument("--ports", metavar="P,...", help="TCP ports to probe (default: camera ports)")
    p.add_argument(
        "--snmp-router",
        action="append",
        default=[],
        metavar="ADDR,...",
        help="read the ARP/neighbour and bridge tables of this router or switch over SNMP "
        "(its [[snmp]] entry in --credentials), so devices on routed subnets get MACs",
    )
    p.add_argument("--allow-public", action="store_true", help="allow public address ranges")
    p.add_argument("--force", action="store_true", help="allow ranges larger than a /16")
    add_site_args(p)
    add_site_name_arg(p)
    p.add_argument(
        "--save",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="store the scan in the inventory database as devices are found (default: on)",
    )
    p.add_argument("--db", type=db_arg_type, metavar="PATH|URL", help=DB_HELP)
    p.add_argument(
        "--notify-new",
        action="store_true",
        help="print devices not seen in the previous complete scan of the same targets; exit 4",
    )
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="also write a report of this scan: .pdf, .xlsx, .csv or .json (needs --save)",
    )
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="with --output: write the report even when the scan found no device",
    )
    p.set_defaults(func=cmd_scan)


class UsageError(Exception):
    pass


def _methods(text: str) -> tuple[str, ...]:
    chosen = tuple(m.strip() for m in text.split(",") if m.strip())
    unknown = [m for m in chosen if m not in SCAN_METHODS]
    if unknown or not chosen:
        wrong = ", ".join(unknown) or "(none)"
        raise UsageError(f"unknown method(s) {wrong}; choose from {', '.join(SCAN_METHODS)}")
    return chosen


def _ports(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    try:
        ports = tuple(sorted({int(p) for p in text.replace(" ", "").split(",") if p}))
    except ValueError:
        raise UsageError(f"--ports wants numbers separated by commas, not {text!r}") from None
    if any(not 0 < p < 65536 for p in ports):
        raise UsageError("ports run from 1 to 65535")
    return ports


def build_request(args: argparse.Namespace) -> ScanRequest:
    """The scan the command line asks for (UsageError on bad input)."""
    if not args.interface:
        raise UsageError("--interface is required (or --pcap FILE for a passive scan)")
    try:
        given = args.targets or [str(n) for n in default_targets(args.interface)]
        targets = parse_targets(given, allow_public=args.allow_public, force=args.force)
        own = tuple(str(a.ip) for a in interface_addresses(args.interface))
        creds = load_credentials(args.credentials) if args.credentials else CredentialStore()
        routers = _snmp_routers(args.snmp_router, creds, args.allow_public)
    except DiscoveryError as exc:
        raise UsageError(str(exc)) from None
    return ScanRequest(
        targets=tuple(str(t) for t in targets),
        interface=args.interface,
        methods=_methods(args.methods),
        timeout=args.timeout,
        discovery_window=args.window,
        rate=args.rate,
        concurrency=args.concurrency,
        ports=_ports(args.ports),
        exclude=own,
        site=site_from_args(args),
        policies=tuple(args.policy),
        credentials=creds,
        snmp_routers=routers,
    )


def _snmp_routers(
    given: Sequence[str], creds: CredentialStore, allow_public: bool
) -> tuple[str, ...]:
    """--snmp-router addresses: single addresses in allowed ranges, each with an [[snmp]]
    entry in the credentials file (camaudit never guesses a community)."""
    out: list[str] = []
    for text in (part.strip() for item in given for part in item.split(",")):
        if not text:
            continue
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise UsageError(f"--snmp-router wants an IP address, not {text!r}") from None
        parse_targets([text], allow_public=allow_public)  # the same scope rules as targets
        if creds.snmp(str(address)) is None:
            raise UsageError(
                f"--snmp-router {address}: no [[snmp]] entry in --credentials covers it "
                "(give its community or SNMPv3 user; camaudit never guesses one)"
            )
        if str(address) not in out:
            out.append(str(address))
    return tuple(out)


def _store_sink(args: argparse.Namespace, record: Scan) -> Sink | None:
    """--save (default) / --db: the inventory store, written as devices are found."""
    if not args.save:
        return None
    from inventory.scan_sink import open_store_sink  # noqa: PLC0415 - only when saving

    return open_store_sink(record, args.db, site=args.site)


# ---------------------------------------------------------------- output


def verdict_summary(dev: Device) -> str:
    """The policies that flag a device (those matter), else how the rest came out."""
    flagged = [
        f"{p}: {presentation.label(v.status)}"
        for p, v in sorted(dev.verdicts.items())
        if v.status in presentation.FLAGGED
    ]
    if flagged:
        return ", ".join(flagged)
    statuses = sorted({v.status for v in dev.verdicts.values()}, key=presentation.rank)
    labels = "/".join(presentation.label(s) for s in statuses)
    return f"{len(dev.verdicts)} policies: {labels}" if statuses else ""


def device_row(dev: Device, names: Mapping[str, str] | None = None) -> list[str]:
    """One table row; brand and maker by their display names (``names``: the catalogue's)."""
    names = display_names() if names is None else names
    ident = dev.identity
    model = (ident.model if ident else None) or dev.text(
        "onvif.model",
        "isapi.model",
        "sadp.DeviceDescription",
        "dhip.DeviceType",
        "dahua.deviceType",
    )
    firmware = (ident.firmware if ident else None) or dev.text(
        "onvif.firmware",
        "isapi.firmwareVersion",
        "sadp.SoftwareVersion",
        "dhip.Version",
        "dahua.softwareVersion",
    )
    verdicts = verdict_summary(dev)
    return [
        dev.ip or "",
        dev.mac or "",
        presentation.display_name(ident.brand if ident else None, names),
        presentation.display_name(ident.maker if ident else None, names),
        model,
        firmware,
        verdicts,
    ]


HEADERS = ["IP", "MAC", "Brand", "Maker", "Model", "Firmware", "Verdicts"]


def _ip_key(dev: Device) -> tuple[int, str]:
    try:
        return int(ipaddress.IPv4Address(dev.ip or "")), dev.key
    except ValueError:
        return 1 << 33, dev.key


def print_table(devices: Sequence[Device], out: TextIO) -> None:
    from rich.console import Console  # noqa: PLC0415  (rich only when printing)
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    names = display_names()
    table = Table(*HEADERS, title=f"{len(devices)} device(s)")
    for dev in sorted(devices, key=_ip_key):
        flagged = any(v.status in presentation.FLAGGED for v in dev.verdicts.values())
        # Text, not str: rich would read a model "[/bold]" as markup (and fail on it).
        cells = [Text(terminal_safe(cell)) for cell in device_row(dev, names)]
        table.add_row(*cells, style="bold red" if flagged else None)
    Console(file=out, width=None if out.isatty() else 160).print(table)


def write_json(path: Path, record: Scan, out: TextIO) -> None:
    """The scan's evidence as JSON (the same data; controls as ``\\u`` escapes), file 0600."""
    from core.files import open_private  # noqa: PLC0415

    text = json_text(record.to_dict(), indent=2)
    if str(path) == "-":
        out.write(text + "\n")
    else:
        open_private(path)
        path.write_text(text + "\n", encoding="utf-8")


class Reporter:
    """Live feedback: a rich progress bar on a terminal, plain lines otherwise."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.tty = err.isatty()
        self._bar: Any = None
        self._task: Any = None
        self._phase = ""

    def __enter__(self) -> Reporter:
        if self.tty:
            from rich.console import Console  # noqa: PLC0415
            from rich.progress import (  # noqa: PLC0415
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[devices]} devices"),
                TimeElapsedColumn(),
                console=Console(file=self.err),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("starting", total=None, devices=0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def event(self, event: ScanEvent) -> None:
        if isinstance(event, Progress):
            if self._bar is not None:
                self._bar.update(
                    self._task,
                    description=event.phase,
                    completed=event.done,
                    total=event.total or None,
                    devices=event.devices,
                )
            elif event.phase != self._phase:
                self._phase = event.phase
                print(
                    f"phase {event.phase}: {event.total} to do, {event.devices} devices so far",
                    file=self.err,
                    flush=True,
                )
        elif isinstance(event, DeviceFound) and not self.tty:
            dev = event.device
            found = f"found {terminal_safe(dev.ip or '?')} {terminal_safe(dev.mac or '')}"
            print(found.rstrip(), file=self.err, flush=True)
        elif isinstance(event, DeviceError):
            where = event.device.ip if event.device else "scan"
            self._say(f"{where}: {problem_line(event.error)}")

    def _say(self, text: str) -> None:
        text = terminal_safe(text, None)
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.err, flush=True)


def problem_line(problem: Problem) -> str:
    """A problem met during the scan, its device-derived parts made harmless."""
    return (
        f"{terminal_safe(problem.source)} {terminal_safe(problem.kind)}: "
        f"{terminal_safe(problem.message, 400)}"
    )


# ---------------------------------------------------------------- running


async def _run(request: ScanRequest, hooks: ScanHooks, reporter: Reporter) -> Finished:
    loop = asyncio.get_running_loop()

    def on_sigint() -> None:
        hooks.stop.set()
        loop.remove_signal_handler(signal.SIGINT)  # a second Ctrl-C interrupts for real

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    final: Finished | None = None
    async for event in scan(request, hooks):
        reporter.event(event)
        if isinstance(event, Finished):
            final = event
    assert final is not None
    return final


def _passive(args: argparse.Namespace) -> tuple[Scan, Finished, Sink | None]:
    """--pcap: devices from a capture file; nothing is sent."""
    from discovery.passive import pcap_scan  # noqa: PLC0415  (scapy: heavy, only for --pcap)

    assessor = Assessor(site_from_args(args), tuple(args.policy))
    record = Scan(
        targets=(f"pcap:{args.pcap.resolve()}",),
        methods=("pcap",),
        site=assessor.site,
        policies=assessor.policy_ids,
        options={"pcap": str(args.pcap)},
        data_versions=data_versions(assessor.packs),
    )
    final = pcap_scan(args.pcap, assessor)
    sink = _store_sink(args, record)
    replay(final, [sink] if sink else [])
    return record, final, sink


def _live(args: argparse.Namespace, err: TextIO) -> tuple[Scan, Finished, Sink | None]:
    request = build_request(args)
    assessor = Assessor(request.site, request.policies)
    record = request.record(data_versions(assessor.packs))
    sink = _store_sink(args, record)
    hooks = ScanHooks(sinks=[sink] if sink else [], assessor=assessor)
    with Reporter(err) as reporter:
        final = asyncio.run(_run(request, hooks, reporter))
    return record, final, sink


def cmd_scan(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        if (args.notify_new or args.output) and not args.save:
            raise UsageError("--notify-new and --output need the scan saved (drop --no-save)")
        record, final, sink = _passive(args) if args.pcap else _live(args, err)
    except (UsageError, UnknownPolicyError) as exc:
        print(f"camaudit scan: {terminal_safe(exc, 400)}", file=err)
        return EXIT_USAGE
    except (DiscoveryError, OSError, RuntimeError, StoreError) as exc:
        print(f"camaudit scan: error: {terminal_safe(exc, 400)}", file=err)
        return EXIT_ERROR
    record.devices = list(final.devices)
    record.options["methods_ran"] = list(final.methods)
    record.options["timings"] = dict(final.timings)
    record.options["scan_errors"] = [e.to_dict() for e in final.errors]
    record.ended_at = utcnow()
    record.status = ScanStatus.INTERRUPTED if final.cancelled else ScanStatus.COMPLETE
    code = _report(args, record, final, out, err)
    return _after_save(args, sink, code, out, err)


def data_versions(packs: Sequence[Any]) -> dict[str, str]:
    from vendors.versions import data_versions as versions  # noqa: PLC0415 - reads data files

    return versions(packs)


def _after_save(
    args: argparse.Namespace, sink: Sink | None, code: int, out: TextIO, err: TextIO
) -> int:
    """--output and --notify-new, from the stored scan."""
    from inventory.scan_sink import StoreSink  # noqa: PLC0415 - only when saving

    if not isinstance(sink, StoreSink):
        return code
    stored = sink
    print(f"saved as scan {stored.scan_id} in {terminal_safe(stored.store.path, None)}", file=err)
    if args.output:
        from cli.inventory import write_scan_report  # noqa: PLC0415 - only with --output

        try:
            line = write_scan_report(
                stored.store, stored.scan_id, args.output, allow_empty=args.allow_empty
            )
        except (OSError, ValueError) as exc:
            where = terminal_safe(args.output, None)
            print(f"camaudit scan: {where} not written: {terminal_safe(exc, 400)}", file=err)
            return EXIT_ERROR
        print(line, file=err)
    if args.notify_new:
        from inventory.history import new_devices  # noqa: PLC0415

        new = new_devices(stored.store, stored.scan_id)
        for dev in new:
            print("NEW DEVICE: " + "  ".join(map(terminal_safe, device_row(dev))), file=out)
        if new:
            return EXIT_NEW
    return code


def _report(
    args: argparse.Namespace, record: Scan, final: Finished, out: TextIO, err: TextIO
) -> int:
    json_to_stdout = args.json is not None and str(args.json) == "-"
    print_table(record.devices, err if json_to_stdout else out)  # stdout stays pure JSON
    if final.cancelled:
        print(f"scan cancelled: {len(record.devices)} device(s) found so far", file=err)
    for error in final.errors:
        print(f"note: {problem_line(error)}", file=err)
    if args.json:
        try:
            write_json(args.json, record, out)
        except OSError as exc:
            where = terminal_safe(args.json, None)
            print(f"camaudit scan: cannot write {where}: {terminal_safe(exc, 400)}", file=err)
            return EXIT_ERROR
    if any(v.status.flagged for d in record.devices for v in d.verdicts.values()):
        return EXIT_COVERED
    return EXIT_CANCELLED if final.cancelled else EXIT_OK
