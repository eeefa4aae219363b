"""Real WS-Discovery and ONVIF replies from implementations we did not write (SOURCES.md),
with the fields each must give (expected.json)."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).parent
