"""Test data kept in the repository, so a plain clone runs every test.

``CAPTURES`` holds the real IoT Sentinel packet captures and their ``expected_devices.json``
(MIT licensed; see ``captures/README.md``).  Tests that use them must fail, never skip,
when a file is missing.
"""

from __future__ import annotations

from pathlib import Path

CAPTURES = Path(__file__).resolve().parent / "captures"
EXPECTED_DEVICES = CAPTURES / "expected_devices.json"


def capture(name: str) -> Path:
    """The path of one reference capture; a missing file fails the test that asks for it."""
    path = CAPTURES / name
    if not path.is_file():
        raise FileNotFoundError(f"reference capture missing from the repository: {path}")
    return path
