"""The store as a sink for ``camaudit scan`` events: every device is saved as it is found.

``StoreSink`` is what ``camaudit scan --save``, the GUI's scan process and the importer
write through.  Each device event is one committed transaction, so a scan
killed half-way keeps every device it had reported; the next open of the store shows that scan
as interrupted.
"""

from __future__ import annotations

from pathlib import Path

from core.model import Scan, ScanStatus, utcnow
from discovery.events import DeviceError, DeviceFound, DeviceUpdated, Finished, ScanEvent
from inventory.store import Store, default_db_path


class StoreSink:
    """Writes one scan's events into a Store; ``scan_id`` is known from construction on."""

    def __init__(self, store: Store, record: Scan, site: str = "") -> None:
        self.store = store
        if not record.data_versions:  # say which registry, catalogue and packs judged it
            from vendors.policies import load_policies  # noqa: PLC0415
            from vendors.versions import data_versions  # noqa: PLC0415

            packs = load_policies(list(record.policies) or None).packs
            record.data_versions = data_versions(packs)
        self.scan_id = store.begin_scan(record, site=site)

    def __call__(self, event: ScanEvent) -> None:
        if isinstance(event, (DeviceFound, DeviceUpdated)):
            for old in getattr(event, "replaces", ()):
                if old != event.device.key:
                    self.store.remove_device(self.scan_id, old)
            self.store.add_device(self.scan_id, event.device)
        elif isinstance(event, DeviceError):
            if event.device is None:
                self.store.add_error(self.scan_id, event.error)
            else:
                self.store.add_device(self.scan_id, event.device)
        elif isinstance(event, Finished):
            for err in event.errors:
                self.store.add_error(self.scan_id, err)
            status = ScanStatus.INTERRUPTED if event.cancelled else ScanStatus.COMPLETE
            self.store.finish_scan(self.scan_id, status, utcnow())


def open_store_sink(record: Scan, db: Path | str | None = None, site: str = "") -> StoreSink:
    """A sink on ``db`` (a SQLite file or a PostgreSQL URL; default: ``$CAMAUDIT_DB`` or the
    user data folder), for a scan of ``site``."""
    return StoreSink(Store(db or default_db_path()), record, site=site)
