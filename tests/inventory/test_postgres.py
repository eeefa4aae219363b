"""The inventory on a real PostgreSQL server: many writers, a killed writer, roles, passwords.

The server is Debian's PostgreSQL started for the session on a Unix socket in a temporary
folder (tests/inventory/pgserver.py); nothing listens on TCP.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import main
from core.model import ScanStatus
from inventory import schema
from inventory.store import Store, StoreError
from tests.inventory.factories import fleet, scan
from tests.inventory.pgserver import PgServer, dbname_of, write_pgpass

ROOT = Path(__file__).resolve().parents[2]
_roles = itertools.count(1)


def write_csv(path: Path, site: int, rows: int, shared: int = 5) -> Path:
    """An inventory CSV of ``rows`` cameras; the first ``shared`` MACs are at every site."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["IP Address", "MAC Address", "Manufacturer", "Model", "Serial Number"])
        for i in range(rows):
            owner = 0 if i < shared else site
            out.writerow(
                [
                    f"198.18.{site}.{i % 250 + 1}",
                    f"44:19:b6:{owner:02x}:{i >> 8:02x}:{i & 0xFF:02x}",
                    "Hikvision" if i % 2 else "Axis",
                    "DS-2CD2143G0-I" if i % 2 else "P1455-LE",
                    f"SN{site:02d}{i:06d}",
                ]
            )
    return path


def _python(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *argv], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_eight_writers_at_eight_sites_and_one_killed_mid_scan(pg_url: str, tmp_path: Path) -> None:
    # Four imports and four scanners start together on an empty database: they race to create
    # the schema (the migration lock), then to store the same boxes (shared MACs, same keys).
    imports = {
        f"import-{n}": _python(
            "-m",
            "main",
            "import",
            str(write_csv(tmp_path / f"{n}.csv", n, 400)),
            "--db",
            pg_url,
            "--site",
            f"import-{n}",
        )
        for n in range(1, 5)
    }
    writers = {
        f"scanner-{n}": _python(
            "-m", "tests.inventory.writer_script", pg_url, f"scanner-{n}", "60", str(n * 20)
        )
        for n in range(1, 4)
    }
    victim = _python("-m", "tests.inventory.writer_script", pg_url, "killed")
    assert victim.stdout is not None
    try:
        scan_id = int(victim.stdout.readline().split()[1])
        stored = 0
        while stored < 30:
            line = victim.stdout.readline()
            assert line, "the writer died on its own"
            stored = int(line.split()[1])
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        outcomes = {
            site: (p.wait(timeout=300), p.communicate()[1])
            for site, p in (imports | writers).items()
        }
    finally:
        for p in (victim, *imports.values(), *writers.values()):
            if p.poll() is None:
                p.kill()
                p.wait()
    assert victim.returncode == -signal.SIGKILL
    assert {site: code for site, (code, _) in outcomes.items()} == dict.fromkeys(outcomes, 0), (
        outcomes
    )

    with Store(pg_url) as store:
        assert store.integrity_check() == "ok"
        by_site = {s.site: s for s in store.list_scans()}
        assert set(by_site) == {*imports, *writers, "killed"}
        killed = store.load_scan(scan_id)
        assert killed.status is ScanStatus.INTERRUPTED and killed.ended_at is not None
        assert len(killed.devices) >= stored  # every device it reported stored is there
        assert all(d.identity is not None and d.verdicts for d in killed.devices)
        for site in writers:
            assert (by_site[site].status, by_site[site].devices) == (ScanStatus.COMPLETE, 60)
        for site in imports:
            assert (by_site[site].status, by_site[site].devices) == (ScanStatus.COMPLETE, 400)
        # a box at every import site is one device, seen at each
        shared = store.device_sites(["mac:44:19:b6:00:00:00"])
        assert shared == {"mac:44:19:b6:00:00:00": sorted(imports)}


def test_schema_is_migrated_once_when_many_open_it_at_once(pg_url: str) -> None:
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def open_store() -> None:
        start.wait()
        try:
            Store(pg_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with Store(pg_url) as store:
        assert store.schema_version == schema.LATEST
        rows = store._db.execute("SELECT count(*) FROM camaudit_schema").fetchone()
        assert rows[0] == 1


def _role(server: PgServer, url: str, *grants: str) -> tuple[str, str]:
    name, password = f"role_{os.getpid()}_{next(_roles)}", "S3cret-pw-for-tests"
    db = dbname_of(url)
    server.sql(
        db,
        f"CREATE ROLE {name} LOGIN PASSWORD '{password}'",
        f'GRANT CONNECT ON DATABASE "{db}" TO {name}',
        f"GRANT USAGE ON SCHEMA public TO {name}",
        *(g.format(role=name) for g in grants),
    )
    return name, password


def _reader(server: PgServer, url: str) -> tuple[str, str, str]:
    """A role that may only read the inventory: (name, password, its database URL)."""
    role, password = _role(server, url, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    return role, password, server.url(dbname_of(url), role)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _inventory(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for n, site in ((1, "north"), (2, "south")):
        csv_file = write_csv(tmp_path / f"{site}.csv", n, 12)
        code, _, err = _run(capsys, "import", str(csv_file), "--db", url, "--site", site)
        assert code == 0, err


def test_a_reporting_role_reads_and_cannot_write(
    pg_server: PgServer,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _inventory(pg_url, tmp_path, capsys)
    role, password, url = _reader(pg_server, pg_url)
    db = dbname_of(pg_url)
    monkeypatch.setenv(
        "PGPASSFILE", str(write_pgpass(tmp_path / "pgpass", pg_server, db, role, password))
    )
    code, out, err = _run(capsys, "history", "list", "--db", url)
    assert code == 0, err
    assert "north" in out and "south" in out
    code, out, err = _run(capsys, "history", "list", "--db", url, "--site", "south")
    assert code == 0 and "south" in out and "north" not in out
    report = tmp_path / "south.csv"
    code, out, err = _run(capsys, "report", "--db", url, "--site", "south", "-o", str(report))
    assert code == 0, err
    text = report.read_text(encoding="utf-8")  # its own 7 boxes and the 5 every site has
    assert text.count("mac:44:19:b6:02:") == 7 and text.count("mac:44:19:b6:00:") == 5
    assert "mac:44:19:b6:01:" not in text
    csv_file = write_csv(tmp_path / "east.csv", 3, 5)
    for argv in (
        ("import", str(csv_file), "--db", url, "--site", "east"),
        ("dispositions", "set", "mac:44:19:b6:00:00:00", "--db", url, "--status", "removed",
         "--by", "ann", "--reason", "gone"),
    ):  # fmt: skip
        code, out, err = _run(capsys, *argv)
        assert code == 1
        (line,) = err.splitlines()
        assert line.startswith("camaudit: error:") and f"role '{role}' may not" in line
        assert "permission denied" in line and password not in err
    with Store(pg_url) as store:
        assert {s.site for s in store.list_scans()} == {"north", "south"}
        assert store.disposition_history() == []


def test_wrong_or_missing_password_is_one_clear_line(
    pg_server: PgServer,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    Store(pg_url).close()
    role, password, url = _reader(pg_server, pg_url)
    db = dbname_of(pg_url)
    wrong = "not-" + password
    monkeypatch.setenv(
        "PGPASSFILE", str(write_pgpass(tmp_path / "pgpass", pg_server, db, role, wrong))
    )
    code, out, err = _run(capsys, "history", "list", "--db", url)
    assert code == 1 and out == ""
    (line,) = err.splitlines()
    assert f"wrong password for user '{role}'" in line
    assert wrong not in err and password not in err
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    code, out, err = _run(capsys, "history", "list", "--db", url)
    assert code == 1
    (line,) = err.splitlines()
    assert "asks for a password and none was found" in line


def test_a_password_in_the_url_is_refused_and_not_shown(pg_server: PgServer) -> None:
    url = f"postgresql://someone:Hunter2-pw@/x?host={pg_server.socket_dir}"
    with pytest.raises(StoreError, match="password in the database URL") as caught:
        Store(url)
    assert "Hunter2" not in str(caught.value)


def test_a_server_that_is_not_running_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql:///inv?host={tmp_path}"
    code, _, err = _run(capsys, "history", "list", "--db", url)
    assert code == 1
    (line,) = err.splitlines()
    assert "not running or not reachable" in line


def test_read_only_commands_never_make_an_inventory(pg_url: str) -> None:
    with pytest.raises(StoreError, match="no camaudit inventory"):
        Store(pg_url, create=False)
    with Store(pg_url) as store:  # a writer makes it
        assert store.schema_version == schema.LATEST


def test_a_newer_schema_is_refused(pg_url: str) -> None:
    with Store(pg_url) as store:
        store._db.execute("UPDATE camaudit_schema SET version = ?", (schema.LATEST + 1,))
    with pytest.raises(StoreError, match="newer camaudit"):
        Store(pg_url)


def test_same_mac_at_two_sites_is_one_device_seen_at_both(pg_url: str) -> None:
    with Store(pg_url) as store:
        north = store.begin_scan(scan(), site="north")
        south = store.begin_scan(scan(), site="south")
        store.add_devices(north, fleet(3))
        store.add_devices(south, fleet(2))
        assert store.device_sites([d.key for d in fleet(3)]) == {
            d.key: ["north", "south"] for d in fleet(2)
        }
        sightings = store.device_sightings(fleet(1)[0].key)
        assert [(s, site) for s, site, _ in sightings] == [(north, "north"), (south, "south")]
        assert store.resolve_scan("latest", site="north") == north
        assert store.previous_scan(south, complete_only=False) is None  # other sites never count


def test_an_estate_report_covers_every_site_on_both_backends(
    store_target: str | Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15's acceptance: import north and south, then one report covers both."""
    from openpyxl import load_workbook

    db = str(store_target)
    _inventory(db, tmp_path, capsys)
    code, out, err = _run(capsys, "history", "list", "--db", db)
    assert code == 0 and "north" in out and "south" in out, err
    estate = tmp_path / "estate.xlsx"
    code, out, err = _run(capsys, "report", "--db", db, "--all-sites", "-o", str(estate))
    assert code == 0, err
    assert "24 devices" in out  # 12 rows at each site: every one, shared boxes once per site
    sheet = load_workbook(estate, read_only=True)["Inventory"]
    rows = list(sheet.iter_rows(values_only=True))
    at = list(rows[0]).index("Site")
    sites = [r[at] for r in rows[1:]]
    assert sorted(set(sites)) == ["north", "south"] and len(sites) == 24
    # The same data as JSON, whose hash the report printed, names both scans.
    data_file = tmp_path / "estate.json"
    code, out, err = _run(capsys, "report", "--db", db, "--all-sites", "-o", str(data_file))
    assert code == 0, err
    data = json.loads(data_file.read_text(encoding="utf-8"))
    assert [e["site"] for e in data["scan"]["options"]["estate"]] == ["north", "south"]
    assert data["counts"]["devices"] == 24
    pdf = tmp_path / "estate.pdf"
    code, out, err = _run(capsys, "report", "--db", db, "--all-sites", "-o", str(pdf))
    assert code == 0 and pdf.stat().st_size > 0, err
