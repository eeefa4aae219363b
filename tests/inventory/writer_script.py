"""A scanner stand-in for the crash and concurrency tests: stores generated devices one by one.

Run as ``python -m tests.inventory.writer_script DB [SITE [COUNT [OFFSET]]]`` (DB: a SQLite
file or a PostgreSQL URL); prints ``scan ID`` then ``stored N`` after each committed device.
Without COUNT it runs until it is killed; with COUNT it stores that many and finishes the scan.
"""

from __future__ import annotations

import sys
from itertools import count

from core.model import ScanStatus
from inventory.store import Store
from tests.inventory.factories import fleet, scan


def main(db: str, site: str = "", limit: int | None = None, offset: int = 0) -> None:
    store = Store(db)
    scan_id = store.begin_scan(scan(targets=("198.18.0.0/16",)), site=site)
    print(f"scan {scan_id}", flush=True)
    for i in count():
        if limit is not None and i >= limit:
            break
        (dev,) = fleet(1, offset=offset + i)
        store.add_device(scan_id, dev)
        print(f"stored {i + 1}", flush=True)
    store.finish_scan(scan_id, ScanStatus.COMPLETE)
    store.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        args[0],
        args[1] if len(args) > 1 else "",
        int(args[2]) if len(args) > 2 else None,
        int(args[3]) if len(args) > 3 else 0,
    )
