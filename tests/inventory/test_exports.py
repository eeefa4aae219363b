"""CSV, JSON and XLSX exports: columns, dispositions, formula neutralising, no secrets."""

from __future__ import annotations

import csv
import json
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from core import presentation
from core.model import VerdictStatus
from inventory.canonical import sha256_hex
from inventory.dispositions import make_disposition
from inventory.export_common import BASE_COLUMNS, is_formula_like
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
    assert list(rows[0])[:11] == [
        "IP",
        "MAC",
        "Brand",
        "Maker",
        "Type",
        "MAC registrant",
        "Relationship",
        "Model",
        "Firmware",
        "Serial",
        "Confidence",
    ]
    assert {
        "NDAA §889",
        "FCC Covered List",
        "ndaa889 (code)",
        "fcc_covered_list (code)",
        "Disposition",
        "Location",
        "First seen",
        "Last seen",
        "How identified",
    } <= set(rows[0])
    annke = next(r for r in rows if r["Brand"] == "annke")
    assert annke["Maker"] == "hikvision" and annke["Relationship"] == "oem"
    assert annke["NDAA §889"] == "Likely covered" and annke["ndaa889 (code)"] == "likely_covered"
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
    verdict_col = [c.value for c in ws[1]].index("NDAA §889") + 1
    fills = {
        ws.cell(r, verdict_col).value: ws.cell(r, verdict_col).fill.fgColor.rgb for r in range(2, 9)
    }
    assert fills["Covered"].endswith("F4C7C3")  # core.presentation's light fills
    assert fills["Not covered"].endswith("D4EDD6")
    summary = {r[0].value: r[1].value for r in wb["Summary"].iter_rows() if r[0].value}
    assert summary["Organisation"] == "Acme" and summary["Devices"] == 7
    assert summary["Covered"] == 1 and summary["hikvision"] == 2
    per_policy = {
        (r[0].value, r[1].value): r[2].value
        for r in wb["Summary"].iter_rows()
        if len(r) > 2 and r[2].value is not None and r[0].value != "Policy"
    }
    assert per_policy[("NDAA §889", "Not covered")] == 2
    assert ("FCC Covered List", "Component risk") not in per_policy
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


# -- issue 14: the same applicability and labels as the PDF ----------------------------------
FOREIGN = ("au_commonwealth_2023", "uk_sensitive_sites_2022")


def _us_data_with_foreign_packs() -> dict[str, Any]:
    """A US site's scan judged by NDAA §889, the FCC list and two packs that do not bind it."""
    devices = fleet(7)
    for dev in devices:
        ndaa = dev.verdicts["ndaa889"]
        for pid in FOREIGN:
            dev.verdicts[pid] = replace(ndaa, policy=pid, status=VerdictStatus.NOT_APPLICABLE)
    record = scan(devices)
    record.policies = (*FOREIGN[:1], "ndaa889", "fcc_covered_list", *FOREIGN[1:])
    record.id = 5
    return build_report_data(record, ReportMeta("Acme", "Plant 1", "alice", generated_at=T0))


def _foreign_text(cells: list[Any]) -> list[Any]:
    return [c for c in cells if isinstance(c, str) and ("Australia" in c or "UK " in c)]


def test_csv_columns_are_the_binding_packs_by_name_with_codes_for_machines(tmp_path) -> None:
    path = tmp_path / "inv.csv"
    write_csv(_us_data_with_foreign_packs(), path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        head, *rows = list(csv.reader(f))
    n = len(BASE_COLUMNS)
    assert head[n : n + 2] == ["NDAA §889", "FCC Covered List"]  # the site's main policy first
    assert head[-2:] == ["ndaa889 (code)", "fcc_covered_list (code)"]
    assert not _foreign_text(head) and not any(h.startswith(FOREIGN) for h in head)
    labels = {presentation.label(s) for s in presentation.STATUS_ORDER}
    codes = set(presentation.STATUS_ORDER)
    for cells in rows:
        assert cells[n] in labels and cells[n + 1] in labels | {""}
        assert cells[-2] in codes and cells[-1] in codes | {""}
        assert presentation.label(cells[-2]) == cells[n]  # the code says what the label says
        assert "Not applicable" not in cells


def test_xlsx_leaves_foreign_packs_out_and_names_them_once(tmp_path) -> None:
    path = tmp_path / "inv.xlsx"
    write_xlsx(_us_data_with_foreign_packs(), path)
    wb = load_workbook(path)
    inventory = list(wb["Inventory"].iter_rows(values_only=True))
    head = list(inventory[0])
    assert "NDAA §889" in head and "ndaa889 (code)" in head
    assert not _foreign_text(head) and not any(str(h).startswith(FOREIGN) for h in head)
    col = head.index("NDAA §889")
    assert {r[col] for r in inventory[1:]} <= {
        presentation.label(s) for s in presentation.STATUS_ORDER
    }
    summary = {r[0]: r[1:] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Policies that bind the site"][0] == "NDAA §889; FCC Covered List"
    assert summary["Not applicable here"][0] == (
        "Australia Commonwealth sites (2023); UK sensitive sites (2022)"
    )
    policy_rows = [
        r
        for r in wb["Summary"].iter_rows(values_only=True)
        if len(r) > 4 and r[3] is not None and r[0] != "Policy"
    ]
    assert {r[0] for r in policy_rows} == {"NDAA §889", "FCC Covered List"}
    assert ("NDAA §889", "Covered", 1, "ndaa889", "covered") in [tuple(r[:5]) for r in policy_rows]


def test_json_keeps_ids_and_codes_and_names_every_policy(tmp_path) -> None:
    data = _us_data_with_foreign_packs()
    path = tmp_path / "inv.json"
    write_json(data, path)
    back = json.loads(path.read_text(encoding="utf-8"))
    assert sha256_hex(back) == sha256_hex(data)  # still the report data `report verify` checks
    policies = {p["id"]: p for p in back["policies"]}
    assert [p["id"] for p in back["policies"]][:2] == ["ndaa889", "fcc_covered_list"]
    assert policies["ndaa889"]["name"] == "NDAA §889" and policies["ndaa889"]["applies"]
    for pid in FOREIGN:
        assert policies[pid]["applies"] is False
        assert policies[pid]["not_applicable_because"].startswith("Not applicable")
    first = back["devices"][0]["verdicts"]
    assert first["au_commonwealth_2023"]["status"] == "not_applicable"  # machines get it all


def test_hostile_policy_name_is_neutralised_in_headers(tmp_path) -> None:
    data = _data()
    data["policies"][0] = data["policies"][0] | {"name": "=cmd|' /C calc'!A0"}
    write_csv(data, tmp_path / "h.csv")
    with (tmp_path / "h.csv").open(encoding="utf-8-sig", newline="") as f:
        head = next(csv.reader(f))
    assert "'=cmd|' /C calc'!A0" in head
    write_xlsx(data, tmp_path / "h.xlsx")
    ws = load_workbook(tmp_path / "h.xlsx")["Inventory"]
    cell = next(c for c in ws[1] if c.value == "=cmd|' /C calc'!A0")
    assert cell.data_type == "s" and cell.quotePrefix is True


def test_xlsx_continues_a_sheet_past_the_row_limit(tmp_path: Path) -> None:
    # Excel holds 1,048,576 rows a sheet; a larger inventory goes on in "Inventory 2", ...
    # (the limit is lowered here so a small scan crosses it).
    data = _data()
    path = tmp_path / "big.xlsx"
    write_xlsx(data, path, max_rows=3)
    book = load_workbook(path, read_only=True)
    devices = len(data["devices"])
    evidence = sum(len(r["evidence"]) for r in data["devices"])
    inventory = [n for n in book.sheetnames if n.startswith("Inventory")]
    assert inventory == ["Inventory"] + [f"Inventory {i}" for i in range(2, len(inventory) + 1)]
    assert len(inventory) == -(-devices // 3)
    assert book.sheetnames[len(inventory)] == "Summary"
    listed = 0
    for name in inventory:
        rows = list(book[name].iter_rows(values_only=True))
        assert rows[0][0] == "IP" and 1 < len(rows) <= 4  # each sheet has its header
        listed += len(rows) - 1
    assert listed == devices
    logged = sum(
        len(list(book[n].iter_rows(min_row=2))) for n in book.sheetnames if n.startswith("Evidence")
    )
    assert logged == evidence
