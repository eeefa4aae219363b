"""CSV, JSON and XLSX exports: columns, dispositions, formula neutralising, no secrets."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from core.model import VerdictStatus
from inventory.canonical import sha256_hex
from inventory.dispositions import make_disposition
from inventory.export_common import is_formula_like
from inventory.export_csv import write_csv
from inventory.export_json import write_json
from inventory.export_xlsx import write_xlsx
from inventory.report_data import ReportMeta, build_report_data
from tests.inventory.factories import T0, device, fleet, scan

HOSTILE = {
    "brand": '=HYPERLINK("http://198.18.0.66/x","click me")',
    "model": "+cmd|' /C calc'!A0",
    "location": "  @SUM(1+1)*cmd|' /C calc'!A0",
    "serial": "-2+3+cmd|' /C calc'!A0",
    "firmware": "\t=1+1",
}
SECRETS = ("hunter2-S3cret", "creds.toml")


def _data(devices: list[Any] | None = None, **kw: Any) -> dict[str, Any]:
    record = scan(devices if devices is not None else fleet(7), **kw)
    record.id = 4
    return build_report_data(record, ReportMeta("Acme", "Plant 1", "alice", generated_at=T0))


def _hostile_data() -> dict[str, Any]:
    dev = device(
        "198.18.0.66",
        "44:19:b6:00:00:66",
        "hikvision",
        HOSTILE["brand"],
        VerdictStatus.LIKELY_COVERED,
        model=HOSTILE["model"],
        firmware=HOSTILE["firmware"],
        serial=HOSTILE["serial"],
        location=HOSTILE["location"],
    )
    options = {
        "credentials": "/home/alice/creds.toml",
        "password": "hunter2-S3cret",
        "comment": "rtsp://admin:hunter2-S3cret@198.18.0.66/",
    }
    return _data([dev, *fleet(2)], options=options)


@pytest.mark.parametrize(
    ("text", "risky"),
    [
        ("=1+1", True),
        ("+1", True),
        ("-1", True),
        ("@SUM(A1)", True),
        ("\t=1", True),
        ("\r=1", True),
        ("   =1+1", True),
        ("\n @x", True),
        ("DS-2CD2143G0-I", False),
        ("Building 1, floor 0", False),
        ("", False),
        ("a=b", False),
    ],
)
def test_formula_detection(text: str, risky: bool) -> None:
    assert is_formula_like(text) is risky


def test_csv_columns_and_values(tmp_path: Path) -> None:
    path = tmp_path / "inv.csv"
    write_csv(_data(), path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 7
    assert list(rows[0])[:9] == [
        "IP",
        "MAC",
        "Brand",
        "Maker",
        "Relationship",
        "Model",
        "Firmware",
        "Serial",
        "Confidence",
    ]
    assert {
        "Verdict: ndaa889",
        "Verdict: fcc_covered_list",
        "Disposition",
        "Location",
        "First seen",
        "Last seen",
        "How identified",
    } <= set(rows[0])
    annke = next(r for r in rows if r["Brand"] == "annke")
    assert annke["Maker"] == "hikvision" and annke["Relationship"] == "oem"
    assert annke["Verdict: ndaa889"] == "likely_covered"
    assert "oui:02:00:00" in annke["How identified"]


def test_csv_neutralises_every_formula_like_cell(tmp_path: Path) -> None:
    path = tmp_path / "inv.csv"
    write_csv(_hostile_data(), path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["IP"] == "198.18.0.66")
    assert row["Brand"] == "'" + HOSTILE["brand"]
    assert row["Model"] == "'" + HOSTILE["model"]
    assert row["Location"] == "'" + HOSTILE["location"]
    assert row["Serial"] == "'" + HOSTILE["serial"]
    assert row["Firmware"] == "'" + HOSTILE["firmware"]
    with path.open(encoding="utf-8-sig", newline="") as f:
        for cells in csv.reader(f):
            assert not any(is_formula_like(c) for c in cells), cells


def test_xlsx_keeps_hostile_text_as_inert_strings(tmp_path: Path) -> None:
    path = tmp_path / "inv.xlsx"
    write_xlsx(_hostile_data(), path)
    wb = load_workbook(path)
    ws = wb["Inventory"]
    head = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "198.18.0.66")
    cells = dict(zip(head, row, strict=True))
    for column, key in (
        ("Brand", "brand"),
        ("Model", "model"),
        ("Location", "location"),
        ("Serial", "serial"),
        ("Firmware", "firmware"),
    ):
        cell = cells[column]
        assert cell.value == HOSTILE[key]
        assert cell.data_type == "s"
        assert cell.quotePrefix is True
    for sheet in wb.worksheets:
        for r in sheet.iter_rows():
            assert all(c.data_type != "f" for c in r), [c.value for c in r]


def test_xlsx_layout(tmp_path: Path) -> None:
    path = tmp_path / "inv.xlsx"
    write_xlsx(_data(), path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Inventory", "Summary", "Evidence"]
    ws = wb["Inventory"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}8"
    assert ws["A1"].font.bold
    verdict_col = [c.value for c in ws[1]].index("Verdict: ndaa889") + 1
    fills = {
        ws.cell(r, verdict_col).value: ws.cell(r, verdict_col).fill.fgColor.rgb for r in range(2, 9)
    }
    assert fills["covered"].endswith("F4C7C3")  # core.presentation's light fills
    assert fills["not_covered"].endswith("D4EDD6")
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows() if r[0].value}
    assert summary["Organisation"] == "Acme" and summary["Devices"] == 7
    assert summary["covered"] == 1 and summary["hikvision"] == 2
    per_policy = {
        (r[0].value, r[1].value): r[2].value
        for r in wb["Summary"].iter_rows()
        if len(r) > 2 and r[2].value is not None and r[0].value != "Policy"
    }
    assert per_policy[("ndaa889", "not_covered")] == 2
    assert ("fcc_covered_list", "component_risk") not in per_policy
    evidence = list(wb["Evidence"].iter_rows(values_only=True))
    assert evidence[0] == ("Device key", "IP", "Field", "Value", "Source", "Seen at")
    assert ("onvif.model" in {r[2] for r in evidence}) and len(evidence) > 7


def test_json_export_is_the_report_data(tmp_path: Path) -> None:
    data = _data()
    path = tmp_path / "inv.json"
    write_json(data, path)
    back = json.loads(path.read_text(encoding="utf-8"))
    assert back == json.loads(json.dumps(data))
    assert sha256_hex(back) == sha256_hex(data)
    write_json(data, tmp_path / "c.json", canonical=True)
    assert sha256_hex(json.loads((tmp_path / "c.json").read_bytes())) == sha256_hex(data)


def test_no_export_contains_a_credential(tmp_path: Path) -> None:
    data = _hostile_data()
    write_csv(data, tmp_path / "a.csv")
    write_json(data, tmp_path / "a.json")
    write_xlsx(data, tmp_path / "a.xlsx")
    from inventory.report_pdf import write_pdf

    write_pdf(data, tmp_path / "a.pdf")
    import zipfile

    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        xlsx_text = b"".join(z.read(n) for n in z.namelist())
    blobs = {
        "csv": (tmp_path / "a.csv").read_bytes(),
        "json": (tmp_path / "a.json").read_bytes(),
        "xlsx": xlsx_text,
        # page streams are compressed: read the text as a reader would
        "pdf": subprocess.run(
            ["pdftotext", str(tmp_path / "a.pdf"), "-"], capture_output=True, check=True
        ).stdout,
    }
    assert b"rtsp://[redacted]@198.18.0.66/" in blobs["pdf"]  # the options are printed ...
    for name, blob in blobs.items():  # ... with no secret in them
        for secret in SECRETS:
            assert secret.encode() not in blob, f"{secret} in the {name} export"
    assert (
        "rtsp://[redacted]@198.18.0.66/" in json.loads(blobs["json"])["scan"]["options"]["comment"]
    )


def test_dispositions_appear_in_exports(tmp_path: Path) -> None:
    devices = fleet(3)
    decision = make_disposition(
        devices[0].key, "scheduled_for_removal", "bob", "replace with Axis", "2026-12-31"
    )
    record = scan(devices)
    record.id = 1
    data = build_report_data(record, ReportMeta(generated_at=T0), {devices[0].key: decision})
    write_csv(data, tmp_path / "d.csv")
    with (tmp_path / "d.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = {r["Device key"]: r for r in csv.DictReader(f)}
    text = rows[devices[0].key]["Disposition"]
    assert text.startswith("scheduled_for_removal 2026-12-31: replace with Axis (bob,")
    assert rows[devices[1].key]["Disposition"] == ""
