"""``python -m lab ACTION ...`` is ``camaudit lab ACTION ...`` (handy under sudo)."""

from __future__ import annotations

import sys

from main import main

if __name__ == "__main__":
    sys.exit(main(["lab", *sys.argv[1:]]))
