"""The layer boundaries of DESIGN.md, checked over every source file's imports.

- Qt (PySide6) only in gui/.
- Network I/O (socket, scapy, zeroconf, aiohttp, onvif, http clients) only in discovery/ and lab/.
- vendors/ is pure: no network, processes, databases or Qt; it only reads its own data files.
- core/ is shared by everyone, so it holds none of these either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "discovery", "vendors", "inventory", "gui", "lab")

QT = {"PySide6", "shiboken6"}
NETWORK = {
    "socket",
    "ssl",
    "selectors",
    "scapy",
    "zeroconf",
    "aiohttp",
    "onvif",
    "zeep",
    "httpx",
    "requests",
    "urllib3",
    "http.client",
    "urllib.request",
    "ftplib",
    "smtplib",
    "ifaddr",
}
PROCESS_AND_STORAGE = {"subprocess", "sqlite3", "multiprocessing", "ctypes", "shutil"}

RULES: dict[str, set[str]] = {
    "core": QT | NETWORK | PROCESS_AND_STORAGE,
    "vendors": QT | NETWORK | PROCESS_AND_STORAGE,
    "inventory": QT | NETWORK,
    "discovery": QT,
    "lab": QT,
    "gui": NETWORK - {"socket"},  # gui may ask for the local hostname, nothing more
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _forbidden_hit(name: str, forbidden: set[str]) -> str | None:
    for banned in forbidden:
        if name == banned or name.startswith(banned + "."):
            return banned
    return None


def _source_files() -> list[tuple[str, Path]]:
    return [(pkg, p) for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


@pytest.mark.parametrize(("package", "path"), _source_files(), ids=str)
def test_layer_boundaries(package: str, path: Path) -> None:
    bad = sorted(
        f"{name} (banned: {hit})"
        for name in _imports(path)
        if (hit := _forbidden_hit(name, RULES[package]))
    )
    assert not bad, f"{path.relative_to(ROOT)} imports what its layer may not: {bad}"


def test_vendors_opens_only_its_own_data_files() -> None:
    for path in sorted((ROOT / "vendors").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for call in ("urlopen(", "os.system(", "Popen(", "connect("):
            assert call not in text, f"{path.relative_to(ROOT)} calls {call}"


def test_rule_catches_a_violation(tmp_path: Path) -> None:
    fake = tmp_path / "x.py"
    fake.write_text("import socket\nfrom PySide6 import QtCore\n")
    hits = {_forbidden_hit(n, RULES["vendors"]) for n in _imports(fake)}
    assert hits == {"socket", "PySide6"}
