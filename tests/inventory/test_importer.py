"""`camaudit import`: CSV inventories, JSON Lines evidence and real pcaps become scans."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import main
from core.model import ScanStatus, SiteProfile, SiteUse
from inventory.export_csv import write_csv
from inventory.importer import ImportFailed, import_file
from inventory.report_data import ReportMeta, report_data_from_store
from inventory.store import Store
from tests.data import EXPECTED_DEVICES, capture
from vendors.policies import load_policies

DLINK = "iotsentinel_dlink-dcs-935l_setup-A-1.pcap"

INVENTORY = (
    "IP Address,MAC Address,Manufacturer,Model,Serial No.,Location\n"
    "198.18.0.10,44:19:B6:12:34:56,Annke,C800,SN123,Lobby\n"
    "198.18.0.11,not-a-mac,Hikvision,DS-2CD2143G0-I,,Car park\n"
    "198.18.0.12,ac:cc:8e:01:02:03,Axis,P1375,ACCC8E010203,Gate\n"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "i.sqlite3") as s:
        yield s


def test_csv_inventory_is_identified_judged_and_stored(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "cams.csv"
    path.write_text(INVENTORY, encoding="utf-8")
    result = import_file(store, path)
    assert result.devices == 2
    assert result.problems == ["cams.csv:3: 'mac' is not a MAC address: 'not-a-mac'"]
    scan = store.load_scan(result.scan_id)
    assert scan.status is ScanStatus.COMPLETE and scan.methods == ("csv",)
    annke = next(d for d in scan.devices if d.key == "mac:44:19:b6:12:34:56")
    assert annke.identity is not None
    assert (annke.identity.maker, annke.identity.brand) == ("hikvision", "annke")
    assert set(annke.verdicts) == set(load_policies().ids)
    assert annke.verdicts["ndaa889"].status.flagged
    assert annke.first("user.location") == "Lobby"
    assert [e.message for e in store.scan_errors(result.scan_id)] == result.problems


def test_site_use_and_policy_choice_reach_the_verdicts(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "cams.csv"
    path.write_text(INVENTORY, encoding="utf-8")
    site = SiteProfile(uses=(SiteUse.PUBLIC_SAFETY,), jurisdictions=("us",))
    result = import_file(store, path, policies=["ndaa889"], site=site)
    scan = store.load_scan(result.scan_id)
    assert scan.policies == ("ndaa889",) and scan.site.uses == (SiteUse.PUBLIC_SAFETY,)
    versions = scan.data_versions
    assert set(versions) == {
        "camaudit",
        "mac_registry",
        "enterprise_numbers",
        "catalogue",
        "recog",
        "policy:ndaa889",
    }
    assert versions["mac_registry"][:4].isdigit()  # the registry's "data as of" date
    assert all(set(d.verdicts) == {"ndaa889"} for d in scan.devices)


def test_jsonl_evidence_with_hostile_text_exports_inert(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "evidence.jsonl"
    lines = [
        {
            "mac": "44:19:b6:00:00:42",
            "ip": "198.18.0.42",
            "onvif.manufacturer": "HIKVISION",
            "user.location": '=HYPERLINK("http://198.18.0.66/","x")',
        },
        "this line is not JSON",
    ]
    path.write_text("\n".join(json.dumps(x) if isinstance(x, dict) else str(x) for x in lines))
    result = import_file(store, path)
    assert result.devices == 1 and len(result.problems) == 1
    assert result.problems[0].startswith("evidence.jsonl:2:")
    assert store.load_scan(result.scan_id).methods == ("jsonl",)
    data = report_data_from_store(store, result.scan_id, ReportMeta())
    write_csv(data, tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as f:
        (row,) = list(csv.DictReader(f))
    assert row["Location"] == '\'=HYPERLINK("http://198.18.0.66/","x")'


def test_real_capture_imports_the_camera(store: Store) -> None:
    expected = json.loads(EXPECTED_DEVICES.read_text())
    (camera,) = expected["files"][DLINK]["cameras"]
    result = import_file(store, capture(DLINK))
    scan = store.load_scan(result.scan_id)
    assert scan.methods == ("pcap",)
    found = next(d for d in scan.devices if d.mac == camera["mac"])
    assert camera["ip"] in found.ips
    assert found.identity is not None and found.identity.maker == "dlink"
    assert not any(v.status.flagged for v in found.verdicts.values())  # not NDAA covered


def test_a_file_that_is_neither_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="cannot open"):
        import_file(store, tmp_path / "missing.csv")
    fake = tmp_path / "fake.pcap"
    fake.write_bytes(b"\xd4\xc3\xb2\xa1" + b"\x00" * 7)
    with pytest.raises(ImportFailed, match=r"fake\.pcap"):
        import_file(store, fake)
    assert store.list_scans() == []  # nothing half-imported


def test_unknown_policy_or_site_use_is_refused(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "cams.csv"
    path.write_text(INVENTORY)
    with pytest.raises(ImportFailed, match="none of the policy packs"):
        import_file(store, path, policies=["no_such_pack"])
    with pytest.raises(SystemExit) as refused:  # the command line offers only known uses
        main.main(["import", str(path), "--site-use", "shopping_mall"])
    assert refused.value.code == 2


def test_windows_code_page_csv_is_read_with_a_note(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes(INVENTORY.replace("Lobby", "Café").encode("cp1252"))
    result = import_file(store, path)
    assert "not UTF-8" in result.problems[0]
    dev = store.load_scan(result.scan_id).devices[0]
    assert dev.first("user.location") == "Café"


def test_import_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cams.csv"
    path.write_text(INVENTORY)
    db = tmp_path / "i.sqlite3"
    code = main.main(
        [
            "import",
            str(path),
            "--db",
            str(db),
            "--policy",
            "ndaa889",
            "--site-use",
            "government_facility",
            "--jurisdiction",
            "us",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0
    assert "as scan 1: 2 devices, 1 problems" in out
    assert "cams.csv:3:" in err
    code = main.main(["import", str(tmp_path / "nope.csv"), "--db", str(db)])
    assert code == 1 and "cannot open" in capsys.readouterr().err
