"""A scanner stand-in for the crash test: stores generated devices one by one, forever.

Run as ``python -m tests.inventory.writer_script DB``; prints ``scan ID`` then ``stored N``
after each committed device, until it is killed.
"""

from __future__ import annotations

import sys
from itertools import count

from inventory.store import Store
from tests.inventory.factories import fleet, scan


def main(db: str) -> None:
    store = Store(db)
    scan_id = store.begin_scan(scan(targets=("198.18.0.0/16",)))
    print(f"scan {scan_id}", flush=True)
    for i in count():
        (dev,) = fleet(1, offset=i)
        store.add_device(scan_id, dev)
        print(f"stored {i + 1}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
