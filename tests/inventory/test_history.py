"""History diffs (table-driven over the pure function) and new_devices over a real store."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from core.model import Device, Identity, ScanStatus, Verdict, VerdictStatus
from inventory.history import ChangeKind, diff_scans, new_devices
from inventory.store import Store
from tests.inventory.factories import fleet, scan


def _moved(dev: Device) -> None:
    dev.ips[:] = ["198.18.3.3"]


def _upgraded(dev: Device) -> None:
    assert dev.identity is not None
    dev.identity = dataclasses.replace(dev.identity, firmware="V5.8.0 build 261001")


def _rebranded(dev: Device) -> None:
    assert dev.identity is not None
    dev.identity = dataclasses.replace(dev.identity, brand="annke")


def _re_judged(dev: Device) -> None:
    dev.verdicts["ndaa889"] = Verdict("ndaa889", VerdictStatus.NOT_COVERED)


def _unchanged(dev: Device) -> None:
    dev.ips[:] = list(reversed(dev.ips))  # same set of addresses, other order


def _identified(dev: Device) -> None:
    dev.identity = Identity.unknown()


CASES: list[tuple[str, Callable[[Device], None], list[tuple[ChangeKind, str, str]]]] = [
    ("ip", _moved, [(ChangeKind.IP, "198.18.0.1", "198.18.3.3")]),
    ("firmware", _upgraded, [(ChangeKind.FIRMWARE, "V5.0.0 build 200101", "V5.8.0 build 261001")]),
    (
        "identity",
        _rebranded,
        [
            (
                ChangeKind.IDENTITY,
                "hikvision/hikvision/DS-2CD2143G0-I",
                "hikvision/annke/DS-2CD2143G0-I",
            )
        ],
    ),
    ("verdict", _re_judged, [(ChangeKind.VERDICT, "covered", "not_covered")]),
    ("nothing", _unchanged, []),
    # Firmware falls back to the ONVIF evidence, so only the identity changes.
    (
        "identity lost",
        _identified,
        [(ChangeKind.IDENTITY, "hikvision/hikvision/DS-2CD2143G0-I", "//")],
    ),
]


@pytest.mark.parametrize(("name", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_changes_of_one_device(
    name: str, change: Callable[[Device], None], expected: list[tuple[ChangeKind, str, str]]
) -> None:
    before, after = scan(fleet(3)), scan(fleet(3))
    change(after.devices[0])
    diff = diff_scans(before, after)
    assert [(c.kind, c.before, c.after) for c in diff.changes] == expected
    assert not diff.new and not diff.gone
    assert all(c.key == after.devices[0].key for c in diff.changes)


def test_new_and_gone_devices_are_keyed_by_box_not_ip() -> None:
    before = scan(fleet(4))
    after = scan(fleet(3, offset=1) + fleet(1, offset=9))
    for dev in after.devices:
        dev.ips[:] = ["198.18.7.7"]  # every box changed address: none of that is "new"
    diff = diff_scans(before, after)
    assert [d.key for d in diff.new] == [fleet(1, offset=9)[0].key]
    assert [d.key for d in diff.gone] == [fleet(1)[0].key]
    assert {c.kind for c in diff.changes} == {ChangeKind.IP}


def test_verdict_under_a_new_policy_is_a_change() -> None:
    before, after = scan(fleet(1)), scan(fleet(1))
    del before.devices[0].verdicts["fcc_covered_list"]
    (change,) = diff_scans(before, after).changes
    assert (change.policy, change.before, change.after) == ("fcc_covered_list", "", "covered")
    assert "fcc_covered_list - -> covered" in change.describe()


def test_new_devices_against_the_previous_complete_scan(tmp_path: Path) -> None:
    with Store(tmp_path / "inv.sqlite3") as store:
        first = store.begin_scan(scan())
        store.add_devices(first, fleet(5))
        store.finish_scan(first, ScanStatus.COMPLETE)
        assert new_devices(store, first) == []  # no baseline yet: nothing to alert on
        cut = store.begin_scan(scan())
        store.add_devices(cut, fleet(1))
        store.finish_scan(cut, ScanStatus.INTERRUPTED)
        second = store.begin_scan(scan())
        store.add_devices(second, fleet(5) + fleet(2, offset=20))
        store.finish_scan(second, ScanStatus.COMPLETE)
        other = store.begin_scan(scan(targets=("198.18.64.0/24",)))
        store.add_devices(other, fleet(2, offset=40))
        store.finish_scan(other, ScanStatus.COMPLETE)
        found = new_devices(store, second)
    assert [d.key for d in found] == [d.key for d in fleet(2, offset=20)]
