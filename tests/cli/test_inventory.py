"""The inventory commands end to end through main.main (real store, real files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import main
from core.model import ScanStatus
from inventory.store import Store
from tests.inventory.factories import fleet, scan


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Two complete scans of the same network: one box gone, one new, one moved."""
    path = tmp_path / "inv.sqlite3"
    with Store(path) as store:
        first = store.begin_scan(scan())
        store.add_devices(first, fleet(6))
        store.finish_scan(first, ScanStatus.COMPLETE)
        second_devices = fleet(5, offset=1) + fleet(1, offset=30)
        second_devices[0].ips[:] = ["198.18.0.200"]
        second = store.begin_scan(scan())
        store.add_devices(second, second_devices)
        store.finish_scan(second, ScanStatus.COMPLETE)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_history_list_show_diff(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "history", "list", "--db", str(db))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2 and "complete" in lines[0] and "6 devices" in lines[0]
    code, out, _ = run(capsys, "history", "show", "latest", "--db", str(db))
    assert code == 0 and "198.18.0.200" in out and "Likely covered" in out
    code, out, _ = run(capsys, "history", "diff", "1", "2", "--db", str(db), "--json")
    diff = json.loads(out)
    assert [d["key"] for d in diff["new"]] == [fleet(1, offset=30)[0].key]
    assert [d["key"] for d in diff["gone"]] == [fleet(1)[0].key]
    assert diff["changes"] == [
        {
            "key": fleet(1, offset=1)[0].key,
            "kind": "ip",
            "policy": "",
            "before": "198.18.0.2",
            "after": "198.18.0.200",
        }
    ]
    code, out, _ = run(capsys, "history", "diff", "1", "2", "--db", str(db))
    assert "1 new, 1 gone, 1 changes" in out


def test_unknown_scan_is_a_clear_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "history", "show", "42", "--db", str(db))
    assert code == 1 and "no scan 42" in err


def test_dispositions_set_and_list(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = fleet(1, offset=1)[0].key
    code, out, _ = run(
        capsys,
        "dispositions",
        "set",
        key,
        "--status",
        "exception_granted",
        "--by",
        "carol",
        "--reason",
        "waiver W-17",
        "--db",
        str(db),
    )
    assert code == 0 and "exception granted: waiver W-17 (carol" in out
    code, _, err = run(
        capsys,
        "dispositions",
        "set",
        key,
        "--status",
        "scheduled_for_removal",
        "--by",
        "carol",
        "--reason",
        "x",
        "--db",
        str(db),
    )
    assert code == 1 and "needs the removal date" in err
    code, out, _ = run(capsys, "dispositions", "list", "--db", str(db), "--json")
    (item,) = json.loads(out)
    assert item["device_key"] == key and item["status"] == "exception_granted"


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "csv", "json"])
def test_report_each_format(
    db: Path, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / f"report.{fmt}"
    code, out, err = run(
        capsys, "report", "--db", str(db), "-o", str(out_file), "--org", "Acme", "--by", "alice"
    )
    assert code == 0, err
    assert out_file.stat().st_size > 500
    assert f"({fmt}, scan 2, 6 devices" in out


def test_report_needs_an_output(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", "--db", str(db))
    assert code == 1 and "-o FILE" in err


def test_report_then_verify(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf, data = tmp_path / "r.pdf", tmp_path / "r.json"
    settings = tmp_path / "settings.toml"
    settings.write_text('[report]\norganisation = "Acme"\nsigner = "J. Smith"\n')
    code, _, err = run(
        capsys,
        "report",
        "--db",
        str(db),
        "--scan",
        "1",
        "-o",
        str(pdf),
        "--json-out",
        str(data),
        "--settings",
        str(settings),
        "--paper",
        "a4",
    )
    assert code == 0, err
    assert json.loads(data.read_text())["meta"]["signer"] == "J. Smith"
    code, out, _ = run(capsys, "report", "verify", str(pdf), "--json", str(data))
    assert code == 0 and out.startswith("OK")
    code, out, _ = run(capsys, "report", "verify", str(pdf), "--scan", "1", "--db", str(db))
    assert code == 0 and "stored scan 1" in out
    code, _, err = run(capsys, "report", "verify", str(pdf), "--scan", "2", "--db", str(db))
    assert code == 1 and "MISMATCH" in err
    # A decision recorded after the report does not change what the report showed then ...
    key = fleet(1)[0].key
    run(
        capsys,
        "dispositions",
        "set",
        key,
        "--status",
        "removed",
        "--by",
        "bob",
        "--reason",
        "gone",
        "--db",
        str(db),
    )
    code, _, _ = run(capsys, "report", "verify", str(pdf), "--scan", "1", "--db", str(db))
    assert code == 0
    # ... but an edited copy of the data is caught.
    edited = json.loads(data.read_text())
    edited["devices"][0]["model"] = "something else"
    data.write_text(json.dumps(edited))
    code, _, err = run(capsys, "report", "verify", str(pdf), "--json", str(data))
    assert code == 1 and "MISMATCH" in err


def test_verify_refuses_a_pdf_that_is_not_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4 nothing here")
    (tmp_path / "d.json").write_text("{}")
    code, _, err = run(capsys, "report", "verify", str(junk), "--json", str(tmp_path / "d.json"))
    assert code == 1 and "camaudit: error:" in err


def test_bad_settings_file(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text("[report]\norganization = 'typo'\n")
    code, _, err = run(
        capsys, "report", "--db", str(db), "-o", str(tmp_path / "x.csv"), "--settings", str(bad)
    )
    assert code == 1 and "unknown [report] keys ['organization']" in err


def test_env_db_is_used(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CAMAUDIT_DB", str(db))
    code, out, _ = run(capsys, "history", "list")
    assert code == 0 and len(out.splitlines()) == 2


def test_verify_against_the_store_survives_later_scans(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "r.pdf"
    assert run(capsys, "report", "--db", str(db), "--scan", "2", "-o", str(pdf))[0] == 0
    with Store(db) as store:  # next week's scan sees the same boxes again
        later = store.begin_scan(scan())
        store.add_devices(later, fleet(5, offset=1))
        store.finish_scan(later, ScanStatus.COMPLETE)
    code, out, _ = run(capsys, "report", "verify", str(pdf), "--scan", "2", "--db", str(db))
    assert code == 0, out


def test_history_of_one_device(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = fleet(1, offset=1)[0].key
    code, out, _ = run(capsys, "history", "device", key, "--db", str(db), "--json")
    assert code == 0
    assert json.loads(out)["scans"] == [
        {"scan": 1, "ips": ["198.18.0.2"]},
        {"scan": 2, "ips": ["198.18.0.200"]},
    ]
    code, _, err = run(capsys, "history", "device", "mac:00:00:00:00:00:09", "--db", str(db))
    assert code == 1 and "no device" in err
