"""Well-formedness of the labelled evaluation set (tests/data/eval/devices.jsonl).

The set measures identify() in bench/identify_accuracy.py; these tests only guard its shape,
so that a broken or thinned-out file is caught before it silently skews the figures.
Accuracy itself is measured in bench/, never asserted here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from core.model import Relationship, normalize_mac

EVAL_FILE = Path(__file__).resolve().parents[1] / "data" / "eval" / "devices.jsonl"

COVERED_MAKERS = {"hikvision", "dahua", "huawei", "zte", "hytera"}
# Chinese makers that no procurement ban names; the set must hold some, since they are the
# makers most easily confused with covered ones.
CHINESE_NOT_COVERED = {
    "reolink", "jovision", "xiongmai", "tplink", "uniview", "tiandy", "foscam", "xiaoyi",
    "milesight", "tvt", "raysharp", "sunell", "kedacom",
}  # fmt: skip
# docs/design.md evidence vocabulary: plain fields, and the namespaces whose keys vary.
PLAIN_FIELDS = {"ip", "mac", "hostname", "ports", "mac_prefix"}
NAMESPACES = {
    "onvif", "wsd", "http", "rtsp", "mdns", "ssdp", "sadp", "dhip", "isapi", "dahua", "snmp",
    "user", "telnet", "reolink", "tapo", "avtech", "tls", "ppstrong", "banner", "sip", "dhcp",
    "omci", "tr069", "ipctool", "vivotek", "axis",
}  # fmt: skip
# Batches added after an engine data freeze (tests/data/eval/README.md); None is the base set.
BATCHES = {None, "late", "late2", "late3", "late4", "late5", "late6"}
SOURCE_KINDS = {"issue", "fixture", "docs", "database"}
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SECRET = re.compile(r"(?i)(password|passwd|pwd=|token=|:[^:@/\s]+@)")


def _records() -> list[dict[str, Any]]:
    lines = EVAL_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


RECORDS = _records()


def test_every_line_is_a_json_object() -> None:
    for number, line in enumerate(EVAL_FILE.read_text(encoding="utf-8").splitlines(), 1):
        assert isinstance(json.loads(line), dict), f"line {number} is not an object"


def test_ids_are_unique_slugs() -> None:
    ids = [r["id"] for r in RECORDS]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates
    assert all(SLUG.match(i) for i in ids), [i for i in ids if not SLUG.match(i)]


@pytest.mark.parametrize("record", RECORDS, ids=[r["id"] for r in RECORDS])
def test_record_shape(record: dict[str, Any]) -> None:
    assert set(record) >= {"id", "evidence", "label", "source", "source_kind"}
    assert record["source"].strip()
    assert record["source_kind"] in SOURCE_KINDS
    assert record.get("batch") in BATCHES, record.get("batch")
    assert isinstance(record["evidence"], dict) and record["evidence"]
    for field in record["evidence"]:
        namespace = field.split(".", 1)[0]
        assert field in PLAIN_FIELDS or ("." in field and namespace in NAMESPACES), field


@pytest.mark.parametrize("record", RECORDS, ids=[r["id"] for r in RECORDS])
def test_evidence_values(record: dict[str, Any]) -> None:
    evidence = record["evidence"]
    for field, value in evidence.items():
        if field == "ports":
            assert value and all(isinstance(p, int) and 0 < p < 65536 for p in value)
        elif field == "wsd.scopes":
            assert value and all(isinstance(s, str) and "%20" not in s for s in value)
        else:
            assert isinstance(value, str) and value.strip(), field
            assert not SECRET.search(value), f"{field} looks like it holds a credential"
    if "mac" in evidence:
        assert normalize_mac(evidence["mac"]) == evidence["mac"], "MACs are stored normalised"
    if "mac_prefix" in evidence:
        assert re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){2}", evidence["mac_prefix"])


@pytest.mark.parametrize("record", RECORDS, ids=[r["id"] for r in RECORDS])
def test_label_is_consistent(record: dict[str, Any]) -> None:
    label = record["label"]
    assert set(label) >= {"maker", "brand", "covered_maker", "relationship"}
    maker, brand = label["maker"], label["brand"]
    assert maker is None or SLUG.match(maker)
    assert brand is None or SLUG.match(brand)
    assert label["covered_maker"] is (maker in COVERED_MAKERS)
    relationship = Relationship(label["relationship"])
    if relationship in {Relationship.SUBSIDIARY, Relationship.OEM}:
        # A rebrand label names both sides, or it says nothing a test can check.
        assert maker and brand and brand != maker


def test_set_is_large_and_balanced_enough() -> None:
    labels = [r["label"] for r in RECORDS]
    covered = [lab for lab in labels if lab["covered_maker"]]
    not_covered = [lab for lab in labels if not lab["covered_maker"]]
    chinese = {lab["maker"] for lab in not_covered} & CHINESE_NOT_COVERED
    assert len(RECORDS) >= 80
    assert len(covered) >= 20
    assert len(not_covered) >= 30
    assert len(chinese) >= 5, chinese


def test_rebrands_and_weak_evidence_are_represented() -> None:
    """The set must not be only easy, self-describing devices."""
    relationships = Counter(r["label"]["relationship"] for r in RECORDS)
    assert relationships["oem"] >= 5
    assert relationships["subsidiary"] >= 5
    single_field = [r for r in RECORDS if len(r["evidence"]) == 1]
    assert len(single_field) >= 10


LEDGER_FILE = EVAL_FILE.with_name("first_scores.json")


@pytest.mark.parametrize("batch", ["late2", "late3", "late4"])
def test_issue_12_batches_are_large_enough(batch: str) -> None:
    """Each batch issue 12 scores: at least 80 devices, 25 of them Huawei, ZTE or Hytera."""
    group = [r for r in RECORDS if r.get("batch") == batch]
    telecom = [r for r in group if r["label"]["maker"] in {"huawei", "zte", "hytera"}]
    assert len(group) >= 80
    assert len(telecom) >= 25


def test_first_scores_ledger_matches_the_batches() -> None:
    """Each batch's one clean score (bench/identify_accuracy.py keeps it) counts that batch."""
    ledger = json.loads(LEDGER_FILE.read_text(encoding="utf-8"))
    records = RECORDS
    assert set(ledger) <= BATCHES - {None}
    for name, entry in ledger.items():
        group = [r for r in records if r.get("batch") == name]
        covered = sum(r["label"]["covered_maker"] for r in group)
        known = sum(r["label"]["maker"] is not None for r in group)
        assert entry["recall"][1] == covered, name
        assert entry["false_covered"][1] == len(group) - covered, name
        assert entry["maker_accuracy"][1] == known, name
        for key in ("recall", "false_covered", "maker_accuracy", "brand_accuracy"):
            part, whole = entry[key]
            assert 0 <= part <= whole, (name, key)
        assert re.fullmatch(r"[0-9a-f]{40}", entry["commit"]), name
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["date"]), name
