"""Writing one benchmark's section of bench/RESULTS.md (the other sections belong to others)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(heading: str, text: str, path: Path = RESULTS_FILE) -> None:
    """Replace the section that starts with ``heading`` (``## ...``) by ``text``, or append it."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(current):
        updated = pattern.sub(lambda _: text.rstrip() + "\n\n", current)
    else:
        updated = current.rstrip() + "\n\n" + text.rstrip() + "\n"
    path.write_text(updated, encoding="utf-8")


def load_old(path: Path, name: str) -> Any:
    """A module loaded from a file (e.g. the previous version of ours, for a before/after)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module
