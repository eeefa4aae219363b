"""The store fed by the scan orchestrator's own event classes (discovery.events)."""

from __future__ import annotations

from pathlib import Path

from core.model import Problem, ScanStatus
from discovery.events import DeviceError, DeviceFound, DeviceUpdated, Finished, Progress
from inventory.scan_sink import StoreSink
from inventory.store import Store
from tests.inventory.factories import T0, fleet, scan


def test_events_become_a_stored_scan(tmp_path: Path) -> None:
    a, b, c = fleet(3)
    ip_only = fleet(1, offset=9)[0]
    ip_only.key = f"ip:{ip_only.ip}"  # first seen without a MAC, re-keyed later
    with Store(tmp_path / "i.sqlite3") as store:
        sink = StoreSink(store, scan())
        sink(Progress("discovery", 1, 3, 0))
        sink(DeviceFound(a))
        sink(DeviceFound(ip_only))
        sink(DeviceUpdated(b))
        # the IP-only box turned out to be c: its old key must not linger in the scan
        sink(DeviceUpdated(c, replaces=(ip_only.key,)))
        c.errors.append(Problem("onvif", "bad_credentials", "401", T0, c.ip or ""))
        sink(DeviceError(c, c.errors[-1]))
        sink(DeviceError(None, Problem("arp", "unavailable", "not root", T0)))
        with Store(store.path) as reader:  # mid-scan, another process sees what was found
            assert reader.load_scan(sink.scan_id).status is ScanStatus.RUNNING
            assert len(reader.load_scan(sink.scan_id).devices) == 3
        sink(
            Finished(
                devices=(a, b, c),
                methods=("arp",),
                timings={},
                cancelled=True,
                errors=(Problem("wsd", "timeout", "no replies", T0),),
            )
        )
        loaded = store.load_scan(sink.scan_id)
        errors = store.scan_errors(sink.scan_id)
    assert loaded.status is ScanStatus.INTERRUPTED  # cancelled by the user
    assert [d.key for d in loaded.devices] == [a.key, b.key, c.key]
    assert [e.kind for e in loaded.devices[2].errors] == ["bad_credentials"]
    assert [e.kind for e in errors] == ["unavailable", "timeout"]


def test_store_sinks_record_data_versions_and_new_devices(tmp_path: Path) -> None:
    from inventory.history import new_devices
    from inventory.scan_sink import open_store_sink

    db = tmp_path / "scans.sqlite3"
    sinks = []
    for devices in (fleet(3), fleet(4)):
        record = scan()
        record.data_versions = {}  # the scanner leaves them to the store
        sink = open_store_sink(record, db)
        sinks.append(sink)
        for dev in devices:
            sink(DeviceFound(dev))
        sink(Finished(devices=tuple(devices), methods=("arp",), timings={}, cancelled=False))
    last = sinks[-1]
    stored = last.store.load_scan(last.scan_id).data_versions
    assert {"mac_registry", "catalogue", "policy:ndaa889"} <= set(stored)
    assert [d.key for d in new_devices(last.store, last.scan_id)] == [fleet(4)[3].key]
    for sink in sinks:
        sink.store.close()
