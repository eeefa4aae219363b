"""The layer boundaries of docs/design.md, checked over every source file's imports.

- Our packages import only downward: core <- vendors <- discovery <- inventory <- gui, with
  cli/ (and main.py) on top; lab/ is a tool beside them that uses only core.  Dynamic
  imports (importlib.import_module, __import__) count, and must name their target in the
  source (a literal, an f-string with a literal package, or a module-level table of them).
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
PACKAGES = ("core", "discovery", "vendors", "inventory", "gui", "lab", "cli")

# Which of our packages each package may import (itself included).
LAYERS = ("core", "vendors", "discovery", "inventory", "gui", "cli")
MAY_IMPORT: dict[str, set[str]] = {name: set(LAYERS[: LAYERS.index(name) + 1]) for name in LAYERS}
MAY_IMPORT["cli"] |= {"lab"}
MAY_IMPORT["lab"] = {"core", "lab"}
OURS = frozenset((*LAYERS, "lab", "main", "bench", "tests"))
# Dynamic imports whose target is data, on purpose (file, function): the lab loads the
# service modules its state names, so tests can plug in fake services.
DYNAMIC_ALLOWED = {("lab/emulator.py", "start_service")}

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
    "cli": QT,  # the command line reaches Qt only through gui/
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _forbidden_hit(name: str, forbidden: set[str]) -> str | None:
    for banned in forbidden:
        if name == banned or name.startswith(banned + "."):
            return banned
    return None


def _source_files() -> list[tuple[str, Path]]:
    return [(pkg, p) for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


def _module_tables(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = value`` assignments (where a dynamic import may look its target up)."""
    out: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                out[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            out[node.target.id] = node.value
    return out


def _literal_targets(expr: ast.expr, tables: dict[str, ast.expr]) -> list[str] | None:
    """Module names a dynamic import's argument can take, or None when the source hides them."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.JoinedStr):
        head = expr.values[0] if expr.values else None
        if isinstance(head, ast.Constant) and isinstance(head.value, str) and "." in head.value:
            return [head.value.split(".")[0]]
        return None
    if isinstance(expr, ast.Subscript):
        return _literal_targets(expr.value, tables)
    if isinstance(expr, ast.Name) and expr.id in tables:
        found: list[str] = []
        for node in ast.walk(tables[expr.id]):
            if isinstance(node, ast.JoinedStr | ast.Constant) and (
                names := _literal_targets(node, {})
            ):
                found += [n for n in names if "." in n or n in OURS]
        return found or None
    return None


class _DynamicImports(ast.NodeVisitor):
    """Calls of import_module / __import__, each with the function it sits in."""

    def __init__(self) -> None:
        self.where = ["<module>"]
        self.calls: list[tuple[str, ast.Call]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.where.append(node.name)
        self.generic_visit(node)
        self.where.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        callee = node.func
        name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        if name in ("import_module", "__import__") and node.args:
            self.calls.append((self.where[-1], node))
        self.generic_visit(node)


def _dynamic_imports(path: Path, tree: ast.Module, root: Path) -> tuple[set[str], list[str]]:
    """(modules dynamically imported, call sites whose target cannot be read)."""
    tables = _module_tables(tree)
    rel = path.relative_to(root).as_posix()
    finder = _DynamicImports()
    finder.visit(tree)
    names: set[str] = set()
    hidden: list[str] = []
    for where, call in finder.calls:
        targets = _literal_targets(call.args[0], tables)
        if targets is not None:
            names.update(targets)
        elif (rel, where) not in DYNAMIC_ALLOWED:
            hidden.append(f"{rel}:{call.lineno} in {where}()")
    return names, hidden


def _our_package(module: str) -> str | None:
    top = module.split(".", maxsplit=1)[0]
    return top if top in OURS else None


def layer_violations(package: str, path: Path, root: Path = ROOT) -> list[str]:
    """Imports of our own packages that run upward (or cannot be read) in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    dynamic, hidden = _dynamic_imports(path, tree, root)
    bad = [f"dynamic import with a hidden target: {h}" for h in hidden]
    allowed = MAY_IMPORT[package]
    if path.name == "__main__.py":  # `python -m lab` is an entry point, like main.py
        allowed = allowed | {"main", "cli"}
    for name in sorted(_imports(path) | dynamic):
        ours = _our_package(name)
        if ours and ours not in allowed:
            bad.append(f"{name} ({package} may import only {sorted(allowed)})")
    return bad


@pytest.mark.parametrize(("package", "path"), _source_files(), ids=str)
def test_imports_run_one_way(package: str, path: Path) -> None:
    bad = layer_violations(package, path)
    assert not bad, f"{path.relative_to(ROOT)} imports against the layers: {bad}"


def _bad_module(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "vendors"
    folder.mkdir(exist_ok=True)
    path = folder / "bad.py"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text",
    [
        "from inventory.store import Store\n",  # upward, static
        "def f():\n    import gui.app\n",  # upward, inside a function
        "import importlib\nimportlib.import_module('discovery.scan')\n",  # upward, dynamic
        "import importlib\ndef f(n):\n    return importlib.import_module(f'cli.{n}')\n",
        "M = {'a': 'inventory.store'}\nimport importlib\n"
        "def f(k):\n    return importlib.import_module(M[k])\n",  # via a table
        "import importlib\ndef f(name):\n    return importlib.import_module(name)\n",  # hidden
        "def f(n):\n    return __import__(n)\n",  # hidden, builtin
    ],
)
def test_the_direction_rule_catches_a_bad_module(tmp_path: Path, text: str) -> None:
    assert layer_violations("vendors", _bad_module(tmp_path, text), tmp_path)


def test_the_direction_rule_accepts_a_downward_dynamic_import(tmp_path: Path) -> None:
    text = "import importlib\nimportlib.import_module('core.model')\n"
    assert layer_violations("vendors", _bad_module(tmp_path, text), tmp_path) == []


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


def test_every_package_is_installed_by_pyproject() -> None:
    """The console script imports cli/: a package left out of the build breaks `camaudit`."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    included = config["tool"]["setuptools"]["packages"]["find"]["include"]
    missing = [p for p in PACKAGES if f"{p}*" not in included]
    assert not missing, f"pyproject.toml does not install: {missing}"
