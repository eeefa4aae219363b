"""Evidence records from JSON Lines and CSV inventories, bad lines reported by number."""

from __future__ import annotations

from discovery.inventory_file import (
    Record,
    RecordError,
    detect_format,
    header_field,
    parse_csv,
    parse_jsonl,
    parse_records,
)


def test_jsonl_records_keep_ids_lists_and_unknown_fields() -> None:
    text = (
        '{"id": "cam-1", "mac": "44:19:b6:00:00:01", "wsd.scopes": ["a", "b"],'
        ' "ports": [80, 554]}\n'
        "\n# a comment\n"
        '{"onvif.manufacturer": "HIKVISION", "odd.field": 1.5, "mdns.txt": {"model": "X"}}\n'
    )
    first, second = parse_jsonl(text)
    assert isinstance(first, Record) and isinstance(second, Record)
    assert first.id == "cam-1" and first.line == 1
    assert first.evidence["wsd.scopes"] == ("a", "b") and first.evidence["ports"] == (80, 554)
    assert second.line == 4 and second.id is None
    assert second.evidence == {
        "onvif.manufacturer": "HIKVISION",
        "odd.field": "1.5",
        "mdns.txt.model": "X",
    }


def test_jsonl_accepts_the_id_plus_evidence_shape() -> None:
    [record] = parse_jsonl('{"id": "x", "evidence": {"mac": "3c:ef:8c:00:00:01"}, "label": {}}')
    assert isinstance(record, Record)
    assert record.id == "x" and record.evidence == {"mac": "3c:ef:8c:00:00:01"}


def test_bad_jsonl_lines_become_errors_and_the_rest_parse() -> None:
    text = (
        '{"mac": "44:19:b6:00:00:01"}\n{broken\n[1, 2]\n{"mac": "nope"}\n{}\n'
        '{"user.brand": "Annke"}\n'
    )
    results = parse_jsonl(text)
    assert [type(r).__name__ for r in results] == [
        "Record",
        "RecordError",
        "RecordError",
        "RecordError",
        "RecordError",
        "Record",
    ]
    errors = [r for r in results if isinstance(r, RecordError)]
    assert [e.line for e in errors] == [2, 3, 4, 5]
    assert "not valid JSON" in errors[0].error
    assert "not a MAC address" in errors[2].error


def test_csv_headers_are_matched_loosely() -> None:
    assert header_field("MAC Address") == "mac"
    assert header_field("Manufacturer") == "user.brand"
    assert header_field("Make") == "user.brand"
    assert header_field("IP") == "ip"
    assert header_field("Serial No.") == "user.serial"
    assert header_field("Firmware Version") == "user.firmware"
    assert header_field("onvif.model") == "onvif.model"
    assert header_field("Purchase Order") == "user.purchaseorder"


def test_csv_inventory_rows_map_to_evidence() -> None:
    text = (
        "\ufeffAsset ID,IP Address,MAC Address,Make,Model,Location,Notes,Open Ports\n"
        "A1,10.0.0.5,44-19-B6-00-00-01,Hikvision,DS-2CD2143G0-I,Lobby,,80;554\n"
        "\n"
        'A2,10.0.0.6,,"Annke, Inc",N46PCK,"Car park, level 2",installed 2021,\n'
    )
    first, second = parse_csv(text)
    assert isinstance(first, Record) and isinstance(second, Record)
    assert first.id == "A1" and first.line == 2
    assert first.evidence == {
        "ip": "10.0.0.5",
        "mac": "44-19-B6-00-00-01",
        "user.brand": "Hikvision",
        "user.model": "DS-2CD2143G0-I",
        "user.location": "Lobby",
        "ports": (80, 554),
    }
    assert second.line == 4 and second.evidence["user.location"] == "Car park, level 2"


def test_semicolon_csv_and_bad_rows() -> None:
    text = "ip;mac;brand\n10.0.0.1;zz;Axis\n10.0.0.2;ac:cc:8e:00:00:01;Axis;extra\n10.0.0.3;;Axis\n"
    results = parse_csv(text)
    assert [r.line for r in results] == [2, 3, 4]
    assert isinstance(results[0], RecordError) and "not a MAC" in results[0].error
    assert isinstance(results[1], RecordError) and "header has 3 columns" in results[1].error
    assert isinstance(results[2], Record) and results[2].evidence["user.brand"] == "Axis"


def test_empty_csv_reports_no_header() -> None:
    assert parse_csv("") == [RecordError(1, "no header row")]


def test_format_detection() -> None:
    assert detect_format("", "x.jsonl") == "jsonl"
    assert detect_format("{}", "inventory.CSV") == "csv"
    assert detect_format('\n{"mac": "x"}') == "jsonl"
    assert detect_format("ip,mac\n") == "csv"
    assert isinstance(parse_records("ip,mac\n1.2.3.4,\n")[0], Record)
