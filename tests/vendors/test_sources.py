"""docs/sources.md and the data's citations stay in step; shipped files name no private notes.

(a) Every citation URL of every built-in pack (pack citations, entry citations, milestones,
    reporting) and every URL in the brand catalogue's [sources] is listed in docs/sources.md, and
    every URL listed there is still used somewhere in vendors/data or lab/profiles.
(b) No file tracked by git under the checked folders mentions the research notes kept outside the
    repository (users do not have them).
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from vendors.policies import BUILTIN_DIR, pack_files

ROOT = Path(__file__).resolve().parents[2]
SOURCES_MD = ROOT / "docs" / "sources.md"
CATALOGUE = ROOT / "vendors" / "data" / "catalogue.toml"
DATA_DIRS = (ROOT / "vendors" / "data", ROOT / "lab" / "profiles")

# A URL ends at whitespace, a quote, or markdown/TOML punctuation; a trailing full stop or comma
# belongs to the sentence, not to the address.
_URL = re.compile(r"https?://[^\s\"'<>`)\]]+")

# The forbidden strings are built from pieces so this file does not match itself.
FORBIDDEN = ("domain" + ".md", "shared" + "/")
# Every tracked file: code, data, tests, docs (the product carries its own sources).
CHECKED: tuple[str, ...] = ()


def _urls(text: str) -> set[str]:
    return {u.rstrip(".,;:") for u in _URL.findall(text)}


def _listed() -> set[str]:
    return _urls(SOURCES_MD.read_text(encoding="utf-8"))


def _citation_urls(pack: dict[str, Any]) -> set[str]:
    """Every url of a pack's citations, entry citations, milestones and reporting."""
    tables = [*pack.get("citations", [])]
    tables += [e["citation"] for e in pack.get("entries", []) if "citation" in e]
    tables += [m["citation"] for m in pack.get("milestones", []) if "citation" in m]
    if "citation" in pack.get("reporting", {}):
        tables.append(pack["reporting"]["citation"])
    return {t["url"] for t in tables}


def _builtin_packs() -> list[Path]:
    return pack_files(BUILTIN_DIR)


@pytest.mark.parametrize("path", _builtin_packs(), ids=lambda p: p.stem)
def test_every_pack_citation_is_listed_in_sources_md(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    pack = tomllib.loads(text)
    cited = _citation_urls(pack) | _urls(text)  # structured citations and any URL in the text
    assert cited, f"{path.name} cites nothing"
    missing = sorted(cited - _listed())
    assert not missing, f"{path.name} cites URLs missing from docs/sources.md: {missing}"


def test_every_catalogue_source_url_is_listed_in_sources_md() -> None:
    text = CATALOGUE.read_text(encoding="utf-8")
    sources = tomllib.loads(text)["sources"]
    cited = {u for value in sources.values() for u in _urls(value)} | _urls(text)
    assert cited
    missing = sorted(cited - _listed())
    assert not missing, f"catalogue.toml cites URLs missing from docs/sources.md: {missing}"


def test_every_url_in_sources_md_is_used_by_the_data() -> None:
    used: set[str] = set()
    for folder in DATA_DIRS:
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in {".toml", ".md"}:
                used |= _urls(path.read_text(encoding="utf-8"))
    unused = sorted(_listed() - used)
    assert not unused, f"docs/sources.md lists URLs no data file uses: {unused}"


def _tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--", *CHECKED],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:  # not a git checkout
        pytest.skip(f"git ls-files unavailable: {exc}")
    files = [ROOT / name for name in out.decode("utf-8").split("\0") if name]
    # New files (docs/sources.md before its first commit) are checked too.
    files += [p for p in (SOURCES_MD,) if p.exists() and p not in files]
    return [p for p in files if p.is_file() and p.resolve() != Path(__file__).resolve()]


def _is_binary(data: bytes) -> bool:
    return b"\0" in data[:8192]


def test_shipped_files_do_not_name_private_research_notes() -> None:
    offenders = []
    for path in _tracked_files():
        data = path.read_bytes()
        if _is_binary(data):
            continue
        text = data.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if any(word in line for word in FORBIDDEN):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)


def test_the_checked_folders_are_not_empty() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _tracked_files()}
    assert any(n.startswith("vendors/data/policies/") for n in names)
    assert any(n.startswith("lab/profiles/") for n in names)
