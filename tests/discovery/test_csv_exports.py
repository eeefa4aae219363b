"""CSV inventories the way spreadsheet programs and asset tools save them (tests/data/csv).

Each fixture holds the same three cameras; every one must read to the same evidence, quotes,
``""``, separators inside cells, a multi-line cell, a byte order mark and CRLF included.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from discovery.inventory_file import Record, RecordError, delimiter_of, parse_csv
from inventory.importer import import_file
from inventory.store import Store
from tests.data.csv.make_fixtures import FIXTURES

HERE = Path(__file__).resolve().parent.parent / "data" / "csv"

EXPECTED = [
    {
        "ip": "198.18.0.5",
        "mac": "44:19:B6:00:00:01",
        "user.brand": "Hikvision",
        "user.model": 'Dome 1/3" sensor, IR',
        "user.serial": "DS-2CD2143G0-I20200101AACH123456789",
        "user.location": "Lobby, east",
        "user.notes": "Mounted 2024\nchecked by J. O'Brien",
    },
    {
        "ip": "198.18.0.6",
        "mac": "00-40-8C-00-00-02",
        "user.brand": "Axis",
        "user.model": "P1455-LE",
        "user.serial": "ACCC8E000002",
        "user.location": "Car park",
        "user.notes": 'Says "Axis" on the label',
    },
    {
        "ip": "198.18.0.7",
        "mac": "3c:ef:8c:00:00:03",
        "user.brand": "Dahua",
        "user.model": "IPC-HDW2431T",
        "user.serial": "0012345678",
        "user.location": "Gate; north",
    },
]


def _text(name: str) -> str:
    raw = (HERE / name).read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # what the importer does with a Windows code-page file
        return raw.decode("cp1252")


def test_the_fixtures_are_what_make_fixtures_writes() -> None:
    for name, make in FIXTURES.items():
        assert (HERE / name).read_bytes() == make(), name


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_export_shape_reads_to_the_same_devices(name: str) -> None:
    records = parse_csv(_text(name))
    assert all(isinstance(r, Record) for r in records), records
    got = [
        {k: v for k, v in r.evidence.items() if k in EXPECTED[0]}
        for r in records
        if isinstance(r, Record)
    ]
    expected = [dict(e) for e in EXPECTED]
    if name == "excel_semicolon_cp1252.csv":
        expected[1]["user.location"] = "Büro, 1. OG"
    assert got == expected


def test_a_doubled_quote_with_a_comma_stays_one_cell() -> None:
    """The issue's case: the old reader sniffed only the header and turned off doublequote."""
    text = 'ip,mac,model,location\n198.18.0.5,44:19:b6:00:00:01,"Dome 1/3"" sensor, IR",Lobby\n'
    [record] = parse_csv(text)
    assert isinstance(record, Record)
    assert record.evidence["user.model"] == 'Dome 1/3" sensor, IR'
    assert record.evidence["user.location"] == "Lobby"


def test_line_numbers_count_physical_lines() -> None:
    text = 'ip,notes\n198.18.0.5,"two\nlines"\nnot-an-ip,x\n'
    first, second = parse_csv(text)
    assert isinstance(first, Record) and first.line == 2
    assert isinstance(second, RecordError) and second.line == 4


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ('"198.18.0.5\n198.18.0.66"', "'ip' is not an IP address"),
        ("198.18.0.300", "'ip' is not an IP address"),
        ('"198.18.0.5\x1b[2J"', "'ip' is not an IP address: '198.18.0.5\\x1b[2J'"),
    ],
    ids=["newline-forges-a-row", "out-of-range", "escape"],
)
def test_a_bad_ip_is_a_per_row_error(cell: str, why: str) -> None:
    text = f"ip,mac,model\n{cell},44:19:b6:00:00:01,A\n198.18.0.9,44:19:b6:00:00:02,B\n"
    bad, good = parse_csv(text)
    assert isinstance(bad, RecordError) and why in bad.error
    assert isinstance(good, Record) and good.evidence["ip"] == "198.18.0.9"


def test_a_bad_mac_is_a_per_row_error() -> None:
    bad, good = parse_csv("ip,mac\n198.18.0.5,44:19:b6:00:00\n198.18.0.6,44:19:b6:00:00:02\n")
    assert isinstance(bad, RecordError) and "'mac' is not a MAC address" in bad.error
    assert isinstance(good, Record)


def test_ipv6_addresses_are_addresses() -> None:
    [record] = parse_csv("ip\nfe80::1\n")
    assert isinstance(record, Record)


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("ip,mac,model", ","),
        ("ip;mac;model", ";"),
        ("ip\tmac\tmodel", "\t"),
        ('"IP; address",MAC', ","),  # the ; is inside quotes
        ("ip", ","),
    ],
)
def test_delimiter_is_read_from_the_header_row(header: str, delimiter: str) -> None:
    assert delimiter_of(header) == delimiter


def test_importing_an_excel_export_stores_every_camera(tmp_path: Path) -> None:
    with Store(tmp_path / "db.sqlite3") as store:
        result = import_file(store, HERE / "excel_semicolon_cp1252.csv")
        devices = store.load_scan(result.scan_id).devices
    assert result.devices == 3
    assert sorted(d.ips[0] for d in devices) == ["198.18.0.5", "198.18.0.6", "198.18.0.7"]
