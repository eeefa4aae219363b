"""Hostile and careless input (issue 16): one line on stderr, a non-zero exit, never a
traceback, and the inventory database exactly as it was (integrity check and row counts).

The oui.csv cases of ``vendors update`` (a field over 131,072 characters, an unclosed quote,
a header-only file) are in tests/cli/test_vendors.py; the signed-report tampering cases in
tests/inventory/test_report_sign.py.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import main
from core.model import ScanStatus
from inventory.store import Store
from tests.inventory.factories import fleet, scan

ROOT = Path(__file__).resolve().parents[2]
HUGE_ID = "99999999999999999999999"
TABLES = ("scans", "devices", "scan_devices", "evidence", "identities", "blobs", "errors")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "inv.sqlite3"
    with Store(path) as store:
        first = store.begin_scan(scan())
        store.add_devices(first, fleet(4))
        store.finish_scan(first, ScanStatus.COMPLETE)
    return path


def state(db: Path) -> tuple[str, dict[str, int]]:
    """What must not change: SQLite's integrity check and every table's row count."""
    with sqlite3.connect(db) as conn:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    conn.close()
    return check, counts


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def subprocess_run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        input=stdin, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip


# -- numbers and nesting past Python's limits ---------------------------------------------------


def test_identify_a_jsonl_integer_of_4301_digits(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text('{"mac": "44:19:b6:00:00:01", "n": ' + "1" * 4301 + "}\n")
    result = subprocess_run("identify", str(path), "--no-verdicts")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stdout.splitlines()
    assert json.loads(line) == {"line": 1, "error": "a number longer than 4300 digits"}


@pytest.mark.parametrize("bracket", ["[", '{"a":'], ids=["arrays", "objects"])
def test_identify_json_nested_990_deep(tmp_path: Path, bracket: str) -> None:
    close = "]" if bracket == "[" else "}"
    path = tmp_path / "deep.jsonl"
    path.write_text(
        '{"mac": "44:19:b6:00:00:01", "x": ' + bracket * 990 + "1" + close * 990 + "}\n"
    )
    result = subprocess_run("identify", str(path), "--no-verdicts")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stdout.splitlines()
    assert json.loads(line) == {"line": 1, "error": "nested deeper than 32 levels"}


def test_report_verify_json_nested_990_deep(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "r.pdf"
    assert run(capsys, "report", "--db", str(db), "-o", str(pdf))[0] == 0
    before = state(db)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 990 + "]" * 990)
    code, _, err = run(capsys, "report", "verify", str(pdf), "--json", str(deep))
    assert code == 1
    assert one_line_error(err) == f"camaudit: error: {deep}: nested deeper than 64 levels"
    assert state(db) == before


def test_help_states_the_limits(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, says in (
        (["identify", "--help"], ("4,300 digits", "nested at most 32 levels", "256 MiB")),
        (["report", "verify", "--help"], ("4300 digits", "nested at most 64", "512 MiB")),
        (["vendors", "update", "--help"], ("131,072 characters", "20,000 MA-L", "64 MiB")),
    ):
        with pytest.raises(SystemExit):
            main.main(argv)
        text = " ".join(capsys.readouterr().out.split())
        assert all(s in text for s in says), (argv, text)


# -- scan ids past SQLite's integers ------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["history", "show", HUGE_ID],
        ["history", "diff", "1", HUGE_ID],
        ["report", "--scan", HUGE_ID, "-o", "{tmp}/r.pdf"],
        ["report", "verify", "{tmp}/r.pdf", "--scan", HUGE_ID],
    ],
    ids=["history-show", "history-diff", "report", "report-verify"],
)
def test_a_huge_scan_id(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    (tmp_path / "r.pdf").write_bytes(b"%PDF-1.7\n")
    before = state(db)
    code, _, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv], "--db", str(db))
    assert code == 1
    assert one_line_error(err) == f"camaudit: error: no scan {HUGE_ID} in {db}"
    assert state(db) == before


# -- a reader that goes away ------------------------------------------------------------------


def test_vendors_info_into_a_closed_pipe() -> None:
    """``camaudit vendors info | head -0``: the reader is gone before anything is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "vendors", "info"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert result.returncode == 141  # as a shell reports a tool its reader closed (SIGPIPE)
    assert result.stderr == ""  # the reader stopped on purpose: nothing to report


# -- files with nothing usable --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "the file is empty: nothing imported"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "a binary file, not a CSV inventory"),
        (
            b"ip,mac\nnot-an-ip,44:19:b6:00:00:01\n198.18.0.5,zz\n",
            "no usable row, 2 problems (first: bad.csv:2: 'ip' is not an IP address",
        ),
        (b'{"mac": "44:19:b6:00:00:01", "n": ' + b"9" * 5000 + b"}\n", "a number longer"),
    ],
    ids=["empty", "binary", "all-bad", "huge-number"],
)
def test_import_of_a_file_with_no_usable_row(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, says: str
) -> None:
    bad = tmp_path / ("bad.jsonl" if b"{" in content else "bad.csv")
    bad.write_bytes(content)
    before = state(db)
    code, out, err = run(capsys, "import", str(bad), "--db", str(db))
    assert code == 1 and out == ""
    assert says in one_line_error(err)
    assert state(db) == before


def test_a_refused_import_into_a_new_database_leaves_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"ip,mac\nnot-an-ip,44:19:b6:00:00:01\n")
    new = tmp_path / "sub" / "new.sqlite3"
    code, _, err = run(capsys, "import", str(bad), "--db", str(new))
    assert code == 1 and "nothing imported" in one_line_error(err)
    assert not [p.name for p in new.parent.glob("new.sqlite3*")]


def test_import_lists_some_problems_and_counts_them_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from inventory.importer import MAX_SHOWN_PROBLEMS

    rows = [
        f"198.18.{i // 250}.{i % 250 + 1},44:19:b6:00:{i // 256:02x}:{i % 256:02x}"
        for i in range(5)
    ]
    bad = [
        f"not-an-ip-{i},44:19:b6:01:{i // 256:02x}:{i % 256:02x}"
        for i in range(MAX_SHOWN_PROBLEMS + 7)
    ]
    source = tmp_path / "many.csv"
    source.write_text("ip,mac\n" + "\n".join(rows + bad) + "\n", encoding="utf-8")
    db = tmp_path / "many.sqlite3"
    code, out, err = run(capsys, "import", str(source), "--db", str(db))
    total = MAX_SHOWN_PROBLEMS + 7
    assert code == 0 and f"5 devices, {total} problems" in out
    assert "... and 7 more" in err
    with sqlite3.connect(db) as conn:  # every problem is stored with the scan, not just those shown
        stored = conn.execute("SELECT count(*) FROM errors WHERE device_key IS NULL").fetchone()[0]
    assert stored == total


def test_the_report_refuses_an_empty_scan_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.sqlite3"
    with Store(path) as store:  # a live scan that found nothing
        store.finish_scan(store.begin_scan(scan()), ScanStatus.COMPLETE)
    out_file = tmp_path / "r.csv"
    code, _, err = run(capsys, "report", "--db", str(path), "-o", str(out_file))
    assert code == 1 and "found no device" in one_line_error(err) and not out_file.exists()
    code, _, err = run(capsys, "report", "--db", str(path), "-o", str(out_file), "--allow-empty")
    assert code == 0, err
    assert out_file.exists()


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.csv", "-"])
def test_identify_of_an_empty_input_is_an_error_whatever_the_format(
    tmp_path: Path, name: str
) -> None:
    """Both exit 1: identify promises one line per record, and an input with none is as
    likely a failed export as an empty network (the same rule as ``import``)."""
    target = name
    if name != "-":
        (tmp_path / name).write_text("")
        target = str(tmp_path / name)
    result = subprocess_run("identify", target, "--no-verdicts", stdin="")
    assert result.returncode == 1 and result.stdout == ""
    line = result.stderr.strip()
    assert "Traceback" not in result.stderr and "\n" not in line
    assert line.endswith("is empty: nothing to identify")


def test_identify_of_a_header_only_csv(tmp_path: Path) -> None:
    (tmp_path / "h.csv").write_text("ip,mac,model\n")
    result = subprocess_run("identify", str(tmp_path / "h.csv"), "--no-verdicts")
    assert result.returncode == 1 and "holds no records" in result.stderr


# -- files the app makes are the user's; read-only commands make none ---------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["history", "list"],
        ["history", "show", "latest"],
        ["report", "-o", "{tmp}/r.pdf"],
        ["report", "verify", "{tmp}/r.pdf", "--scan", "1"],
        ["dispositions", "list"],
    ],
    ids=["history-list", "history-show", "report", "report-verify", "dispositions-list"],
)
def test_a_mistyped_db_is_an_error_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    (tmp_path / "r.pdf").write_bytes(b"%PDF-1.7\n")
    typo = tmp_path / "no-such-folder" / "inventroy.sqlite3"
    code, _, err = run(capsys, *[a.format(tmp=tmp_path) for a in argv], "--db", str(typo))
    assert code == 1
    assert (
        one_line_error(err)
        == f"camaudit: error: {typo}: no such database (check --db or $CAMAUDIT_DB)"
    )
    assert not typo.parent.exists()


def test_a_new_database_and_its_folders_are_private(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "inv.sqlite3"
    with Store(path) as store:
        store.finish_scan(store.begin_scan(scan(fleet(1))), ScanStatus.COMPLETE)
    for folder in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for file in path.parent.iterdir():  # the database, its -wal and -shm
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "csv", "json"])
def test_reports_are_private(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    out_file = tmp_path / f"r.{fmt}"
    out_file.write_text("an older, world-readable copy")
    out_file.chmod(0o644)
    extra = ["--json-out", str(tmp_path / "data.json")] if fmt == "pdf" else []
    code, _, err = run(capsys, "report", "--db", str(db), "-o", str(out_file), *extra)
    assert code == 0, err
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    if extra:
        assert stat.S_IMODE((tmp_path / "data.json").stat().st_mode) == 0o600
