"""Lab pieces that need no namespace: subnet sizing, state files, the request log format."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from lab import netns
from lab import state as lab_state
from lab.requestlog import MAX_TEXT, RequestLog, read_log
from tests.lab.helpers import Spec


@pytest.mark.parametrize(
    ("devices", "prefixlen"), [(1, 24), (40, 24), (253, 24), (254, 23), (509, 23), (510, 22)]
)
def test_subnet_grows_with_the_device_count(devices: int, prefixlen: int) -> None:
    assert netns.prefixlen_for(devices) == prefixlen
    subnet = netns.choose_subnet(devices, [])
    assert len(list(subnet.hosts())) >= devices + 1  # the scanner too


def test_subnet_choice_skips_taken_ranges_and_stays_in_the_benchmark_range() -> None:
    taken = [ipaddress.IPv4Network("198.18.0.0/24"), ipaddress.IPv4Network("198.18.2.0/23")]
    assert str(netns.choose_subnet(10, taken)) == "198.18.1.0/24"
    assert str(netns.choose_subnet(300, taken)) == "198.18.4.0/23"
    full = [ipaddress.IPv4Network("198.18.0.0/15")]
    with pytest.raises(netns.LabError, match="no free /24"):
        netns.choose_subnet(1, full)


def test_plan_gives_scanner_the_first_address_and_checks_names_and_macs() -> None:
    specs = [Spec("d001", "p", "44:19:B6:00:00:01"), Spec("d002", "p", "44:19:b6:00:00:02")]
    plan = netns.plan(specs, "zz", ipaddress.IPv4Network("198.18.8.0/24"))
    assert (plan.scanner_ns, plan.bridge_ns, plan.scanner_ip) == ("zz-scan", "zz-br", "198.18.8.1")
    assert [(d.netns, d.ip, d.mac) for d in plan.devices] == [
        ("zz-d001", "198.18.8.2", "44:19:b6:00:00:01"),
        ("zz-d002", "198.18.8.3", "44:19:b6:00:00:02"),
    ]
    twins = [Spec("d001", "p", "44:19:b6:00:00:01"), Spec("d002", "p", "44:19:B6:00:00:01")]
    assert netns.shared_macs(netns.plan(twins, "zz", plan_net())) == {"44:19:b6:00:00:01"}
    assert netns.shared_macs(plan) == set()
    with pytest.raises(netns.LabError, match="not a MAC address"):
        netns.plan([Spec("d001", "p", "44:19:b6:00:00")], "zz", plan_net())
    with pytest.raises(netns.LabError, match="unusable as an interface name"):
        netns.plan([Spec("Bad Name!", "p", "00:00:00:00:00:01")], "zz", plan_net())


def plan_net() -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network("198.18.8.0/24")


def test_state_round_trips_and_damage_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(lab_state.RUN_DIR_ENV, str(tmp_path))
    plan = netns.plan(
        [Spec("d001", "p", "44:19:b6:00:00:01", {"services": {"wsd": {}}})], "zz", plan_net()
    )
    plan.save()
    again = lab_state.load("zz")
    assert again == plan
    assert again.devices[0].services == ("wsd",)
    assert lab_state.prefixes() == ["zz"]
    plan.state_file.write_text("{not json")
    with pytest.raises(lab_state.StateError, match="unreadable lab state"):
        lab_state.load("zz")
    with pytest.raises(lab_state.StateError, match="no lab state"):
        lab_state.load("other")
    with pytest.raises(lab_state.StateError, match="bad lab prefix"):
        lab_state.load("../etc")


def test_request_log_round_trip_clips_huge_values_and_skips_torn_lines(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    log = RequestLog(path)
    log.record(
        "d001", "198.18.0.2", "http", "GET /", {"peer": "198.18.0.1", "body": b"\xff" * 9000}
    )
    log.record("d002", "198.18.0.3", "onvif", "GetDeviceInformation", {"user": "admin"})
    log.close()
    with path.open("a") as handle:
        handle.write('{"time": 1, "device": "d0')  # a line the emulator is still writing
    records = read_log(path)
    assert [(r.device, r.protocol, r.kind) for r in records] == [
        ("d001", "http", "GET /"),
        ("d002", "onvif", "GetDeviceInformation"),
    ]
    body = records[0].detail["body"]
    assert len(body) < MAX_TEXT + 40 and body.endswith("(+4904 chars)")
    assert read_log(path, device="d002")[0].detail == {"user": "admin"}
    assert read_log(path, since=records[1].time + 1) == []
    assert read_log(tmp_path / "absent.jsonl") == []
    assert json.loads(path.read_text().splitlines()[0])["ip"] == "198.18.0.2"
