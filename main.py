"""camaudit: entry point for the desktop app (no arguments) and the headless CLI (``cli/``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from cli import main as cli_main  # noqa: PLC0415 - the entry point stays import-light

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
