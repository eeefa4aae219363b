"""Hostile device strings at every exit of the real CLI (issue 16, items 2, 3 and 4).

An inventory file and a capture whose devices say ``ESC[2J`` (clear the screen), ``ESC]0;...BEL``
(retitle the window), a C1 CSI, a right-to-left override, rich markup ``[/bold]`` and a formula.
Each command runs as its own process on a real SQLite file and is checked for what a user would
see: the exit code, no traceback, no raw control or bidi character on the terminal (each shown
as a visible ``\\x1b``), errors on one line, and a database exactly as it was for every
command that only reads (integrity check, row counts and content).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sqlite3
import stat
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

from cli.scan import Reporter
from core.model import Device, Problem
from discovery import dhip
from discovery.events import DeviceError, DeviceFound

ROOT = Path(__file__).resolve().parents[2]
ESCAPES = "\x1b[2J\x1b]0;owned\x07x[/bold]\x9b31m\u202etxt.exe"
SHOWN = "\\x1b[2J\\x1b]0;owned\\x07x[/bold]\\x9b31m\\u202etxt.exe"  # how a terminal shows it
FORMULA = '=HYPERLINK("http://198.18.0.99/","open")'
KEY = "mac:44:19:b6:00:00:01"
# Nothing of this may reach a terminal raw: C0 but LF, DEL, C1, separators, bidi controls.
RAW_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def camaudit(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *map(str, args)],
        capture_output=True, text=True, timeout=180, check=False, cwd=cwd, env=env,
    )  # fmt: skip


def safe(result: subprocess.CompletedProcess[str]) -> str:
    """stdout + stderr, checked: no traceback, nothing a terminal would act on."""
    both = result.stdout + result.stderr
    assert "Traceback" not in both, both
    found = RAW_UNSAFE.search(both)
    assert found is None, f"raw {found.group()!r} reached the terminal: {both!r}"
    return both


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    safe(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def state(db: Path, *, counters: bool = True) -> tuple[str, dict[str, int], str]:
    """What a read-only command must not change: integrity, every table's rows, the content.

    ``counters=False`` leaves out SQLite's AUTOINCREMENT counters (``sqlite_sequence``): a
    refused import writes its scan and removes it again, which uses up a scan id.
    """
    conn = sqlite3.connect(db)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        if not counters:
            tables.remove("sqlite_sequence")
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        dump = [x for x in conn.iterdump() if counters or "sqlite_sequence" not in x]
        digest = hashlib.sha256("\n".join(dump).encode("utf-8", "backslashreplace"))
    finally:
        conn.close()
    return check, counts, digest.hexdigest()


def _inventory(path: Path, firmware: str) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["ip", "mac", "model", "onvif.firmware", "location"])
        out.writerow(["198.18.0.5", "44:19:b6:00:00:01", ESCAPES, firmware, "Lobby"])
        out.writerow(["198.18.0.6", "44:19:b6:00:00:02", FORMULA, "V5.1", "Roof\u2066"])
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two imports of the hostile inventory (from a file whose name retitles the terminal); the
    second changes the firmware to more escapes; a decision whose reason clears the screen."""
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "inv.sqlite3"
    for firmware in ("V5.0", "V5\x1b[31m\u202e"):
        inventory = _inventory(folder / "inv\x1b]0;title\x07.csv", firmware)
        result = camaudit("import", "--db", path, inventory)
        assert result.returncode == 0, result.stderr
    result = camaudit("dispositions", "set", KEY, "--db", path, "--status", "false_positive",
                      "--by", "bob", "--reason", "checked\x1b[2J")  # fmt: skip
    assert result.returncode == 0, result.stderr
    return path


# -- item 2: the exports -----------------------------------------------------------------------


def test_xlsx_export_of_an_escape_is_written_and_shows_it(db: Path, tmp_path: Path) -> None:
    before = state(db)
    result = camaudit("report", "--db", db, "-o", tmp_path / "x.xlsx")
    assert result.returncode == 0 and result.stdout.startswith("wrote "), safe(result)
    sheet = load_workbook(tmp_path / "x.xlsx")["Inventory"]
    at = [c.value for c in sheet[1]].index("Model")
    models = {row[0].value: row[at].value for row in sheet.iter_rows(min_row=2)}
    assert models["198.18.0.5"] == SHOWN.replace("\\x9b", "\x9b").replace("\\u202e", "\u202e")
    assert models["198.18.0.6"] == FORMULA
    assert state(db) == before


def test_csv_export_keeps_the_data_and_defuses_the_formula(db: Path, tmp_path: Path) -> None:
    before = state(db)
    result = camaudit("report", "--db", db, "-o", tmp_path / "x.csv")
    assert result.returncode == 0, safe(result)
    with (tmp_path / "x.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["IP"]: r["Model"] for r in rows} == {
        "198.18.0.5": ESCAPES,
        "198.18.0.6": "'" + FORMULA,
    }
    assert state(db) == before


# -- item 3: what reaches the terminal -----------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["history", "list"],
        ["history", "show", "latest"],
        ["history", "diff", "1", "2"],
        ["history", "device", KEY],
        ["dispositions", "list"],
    ],
    ids=lambda argv: "-".join(argv[:2]),
)
def test_history_views_show_device_strings_visibly(db: Path, argv: list[str]) -> None:
    before = state(db)
    result = camaudit(*argv, "--db", db)
    assert result.returncode == 0, result.stderr
    out = safe(result)
    assert "\\x1b" in out  # the file name, a device string or the decision: shown, not acted on
    assert state(db) == before


def test_history_show_reads_like_the_other_views(db: Path) -> None:
    out = safe(camaudit("history", "show", "latest", "--db", db))
    (line,) = [x for x in out.splitlines() if "198.18.0.5" in x]
    assert SHOWN in line and "[/bold]" in line  # the model, every character visible
    assert "Covered for use" in line and "Hikvision" in line  # labels and display names
    assert "covered_for_use" not in out and "hikvision/" not in out


def test_history_diff_shows_the_changed_firmware_visibly(db: Path) -> None:
    out = safe(camaudit("history", "diff", "1", "2", "--db", db))
    assert f"~ {KEY}: firmware V5.0 -> V5\\x1b[31m\\u202e" in out


@pytest.mark.parametrize(
    "argv",
    [["history", "show", "latest"], ["history", "diff", "1", "2"], ["history", "device", KEY]],
    ids=lambda argv: "-".join(argv[:2]),
)
def test_json_output_is_the_same_data_and_safe(db: Path, argv: list[str]) -> None:
    result = camaudit(*argv, "--db", db, "--json")
    assert result.returncode == 0
    safe(result)
    data = json.loads(result.stdout)
    if argv[1] == "show":
        assert {d["ip"]: d["model"] for d in data["devices"]}["198.18.0.5"] == ESCAPES


def test_import_messages_show_file_and_cell_text_visibly(tmp_path: Path) -> None:
    name = tmp_path / "inv\x1b[2J\u202e.csv"
    name.write_text(
        f"ip,mac,model\n198.18.0.5,44:19:b6:00:00:01,{ESCAPES}\n"
        "198.18.0.\x1b]0;x\x07,44:19:b6:00:00:02,C800\n",
        encoding="utf-8",
    )
    result = camaudit("import", "--db", tmp_path / "inv.sqlite3", name)
    assert result.returncode == 0, result.stderr
    safe(result)
    assert "inv\\x1b[2J\\u202e.csv as scan 1: 1 devices, 1 problems" in result.stdout
    assert "'ip' is not an IP address: '198.18.0.\\x1b]0;x\\x07'" in result.stderr


def test_a_disposition_with_escapes_is_stored_as_typed_and_shown_visibly(
    db: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "inv.sqlite3"
    copy.write_bytes(db.read_bytes())
    reason = "approved\x1b[2J\u202eby CISO"
    result = camaudit("dispositions", "set", KEY, "--db", copy, "--status", "false_positive",
                      "--by", "bob\x07", "--reason", reason)  # fmt: skip
    assert result.returncode == 0
    assert "approved\\x1b[2J\\u202eby CISO (bob\\x07" in safe(result)
    listing = camaudit("dispositions", "list", "--db", copy)
    assert "approved\\x1b[2J\\u202eby CISO" in safe(listing)
    as_json = camaudit("dispositions", "list", "--db", copy, "--json")
    safe(as_json)
    assert json.loads(as_json.stdout)[0]["reason"] == reason


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["history", "device", "\x1b]0;owned\x07"], "no device '\\x1b]0;owned\\x07'"),
        (["history", "show", "\x1b[2J"], "\\x1b[2J"),
        (["report", "--scan", "\u202e1", "-o", "{tmp}/r.csv"], "\\u202e1"),
        (
            ["dispositions", "set", KEY, "--status", "\x1b[31mgone", "--by", "b", "--reason", "r"],
            "\\x1b[31mgone",
        ),
    ],
    ids=["history-device", "history-show", "report-scan", "dispositions-status"],
)
def test_errors_quote_bad_input_on_one_safe_line(
    db: Path, tmp_path: Path, argv: list[str], shown: str
) -> None:
    before = state(db)
    result = camaudit(*[a.format(tmp=tmp_path) for a in argv], "--db", db)
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith("camaudit: error: ") and shown in line, line
    assert state(db) == before
    assert not (tmp_path / "r.csv").exists()


def test_a_lone_surrogate_is_a_row_error_not_a_traceback(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"ip": "198.18.0.7", "mac": "44:19:b6:00:00:07", "onvif.model": "a\\ud800"}\n')
    before = state(db, counters=False)
    result = camaudit("import", "--db", db, path)
    assert result.returncode == 1
    assert "lone UTF-16 surrogate is not text: 'a\\ud800'" in one_line(result)
    assert state(db, counters=False) == before


# -- a live device's strings, through a capture (nothing is sent) --------------------------------


def _dhip_capture(path: Path, device_type: str) -> Path:

    info = {"DeviceType": device_type, "Vendor": "Dahua", "SerialNo": "1F0\x1b[31m"}
    body = {"mac": "4c:11:bf:c2:0b:9d", "method": "client.notifyDevInfo",
            "params": {"deviceInfo": info}}  # fmt: skip
    frame = (
        Ether(src="4c:11:bf:c2:0b:9d", dst="ff:ff:ff:ff:ff:ff")
        / IP(src="198.18.0.8", dst="255.255.255.255")
        / UDP(sport=37810, dport=5050)
        / Raw(dhip.frame(json.dumps(body).encode()))
    )
    wrpcap(str(path), [frame])
    return path


def test_scan_output_shows_a_devices_escapes_and_markup_as_text(tmp_path: Path) -> None:
    model = "\x1b]0;owned\x07[/bold]\x9b2J\u202eX"  # short: the table keeps it on one line
    pcap = _dhip_capture(tmp_path / "hostile.pcap", model)
    result = camaudit("scan", "--pcap", pcap, "--db", tmp_path / "s.sqlite3")
    assert result.returncode == 3, result.stderr  # a covered device was found
    safe(result)
    assert "\\x1b]0;owned\\x07[/bold]\\x9b2J\\u202eX" in result.stdout  # not rich markup
    as_json = camaudit("scan", "--pcap", pcap, "--no-save", "--json", "-")
    safe(as_json)
    (dev,) = json.loads(as_json.stdout)["devices"]
    fields = {e["field"]: e["value"] for e in dev["evidence"]}
    assert fields["dhip.DeviceType"] == model  # the same data for a program


# -- item 4: scan -o of a scan that found nothing ------------------------------------------------


def _empty_capture(path: Path) -> Path:
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # header only
    return path


def test_scan_output_of_an_empty_scan_is_refused_unless_asked(tmp_path: Path) -> None:
    pcap, db, report = _empty_capture(tmp_path / "empty.pcap"), tmp_path / "e.sqlite3", None
    report = tmp_path / "r.csv"
    result = camaudit("scan", "--pcap", pcap, "--db", db, "-o", report)
    assert result.returncode == 1
    safe(result)
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("camaudit scan:")]
    assert line == (
        f"camaudit scan: {report} not written: scan 1 found no device: a report of it would "
        "sign off nothing (--allow-empty to write it anyway)"
    )
    assert not report.exists()
    assert state(db)[0] == "ok"
    allowed = camaudit("scan", "--pcap", pcap, "--db", db, "-o", report, "--allow-empty")
    assert allowed.returncode == 0, allowed.stderr
    assert f"wrote {report} (csv, scan 2, 0 devices" in allowed.stderr
    assert stat.S_IMODE(report.stat().st_mode) == 0o600


def test_live_scan_lines_show_a_devices_problem_visibly() -> None:
    """What ``scan`` prints while it runs (not a terminal: one line per event)."""
    dev = Device(key=KEY, ips=["198.18.0.5"])
    err = io.StringIO()
    reporter = Reporter(err)
    reporter.event(DeviceFound(dev))
    reporter.event(DeviceError(dev, Problem("onvif", "parse", f"bad model {ESCAPES}\nforged")))
    reporter.event(DeviceError(None, Problem("sadp\x1b[2J", "parse", "x")))
    lines = err.getvalue().splitlines()
    assert lines == [
        "found 198.18.0.5",
        f"198.18.0.5: onvif parse: bad model {SHOWN}\\x0aforged",
        "scan: sadp\\x1b[2J parse: x",
    ]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["report", "-o", "{tmp}/r.csv", "--org", "Acme\udcff"],
            "the org argument is not valid UTF-8 text: 'Acme\\udcff'",
        ),
        (
            ["dispositions", "set", KEY, "--status", "removed", "--by", "\udcffb", "--reason", "r"],
            "the by argument is not valid UTF-8 text: '\\udcffb'",
        ),
        (
            ["import", "{tmp}/\udcff.csv"],
            "the file argument is not valid UTF-8 text: '{tmp}/\\udcff.csv'",
        ),
    ],
    ids=["report-org", "dispositions-by", "import-file-name"],
)
def test_arguments_that_are_not_utf8_are_refused(
    db: Path, tmp_path: Path, argv: list[str], line: str
) -> None:
    """Bytes that are not UTF-8 on the command line (``--org $'\\xff'``) crashed the hash or
    the database write with a UnicodeEncodeError."""
    (tmp_path / "\udcff.csv").write_text("ip,mac\n198.18.0.9,44:19:b6:00:00:09\n")
    before = state(db)
    result = camaudit(*[a.format(tmp=tmp_path) for a in argv], "--db", db)
    assert result.returncode == 2
    assert one_line(result) == "camaudit: error: " + line.format(tmp=tmp_path)
    assert state(db) == before and not (tmp_path / "r.csv").exists()
