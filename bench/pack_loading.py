"""Policy pack loading: a user pack of 2,000 and 20,000 entries against tomllib alone.

`.venv/bin/python -m bench.pack_loading [--old FILE] [--no-write]`: writes a user pack of N
entries (each a valid rule naming a catalogue maker, ~350 bytes of TOML), then times, in this
one process, ``tomllib.loads`` of its text (the baseline: the standard library's parser alone),
``tomli.loads`` (the same parser compiled, which the loader uses) and
``vendors.policies.load_pack`` (read, parse, locate lines, check every entry and maker id),
best of 3.  ``--old FILE`` also times another ``vendors/policies.py`` loaded from that file
(``git show <rev>:vendors/policies.py > /tmp/policies_old.py``) at 2,000 entries, where the
line lookup of every entry rescanned the whole file.  Writes the "Policy pack loading" section
of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli

from bench.results import load_old, write_section
from vendors.catalogue import load_catalogue
from vendors.policies import load_pack

SIZES = (2_000, 20_000)
OLD_SIZE = 2_000
HEADING = "## Policy pack loading"
HEAD = """id = "bench_pack"
title = "Benchmark pack"
jurisdiction = "Test"
jurisdictions = ["us"]
version = "1"
as_of = 2026-01-01

[[citations]]
title = "A rule"
clause = "1"
url = "https://example.org/rule"
date = 2024-01-01
"""
ENTRY = """
[[entries]]
id = "e{n}"
title = "Rule {n}"
makers = ["{maker}"]
effective = 2024-01-01
scope = "video surveillance equipment named in rule {n}"
source = "bench"
confidence = "H"
include_affiliates = true
categories = ["video_surveillance"]

[entries.citation]
title = "A rule"
clause = "{n}"
url = "https://example.org/rule/{n}"
date = 2024-01-01
"""


def pack_text(count: int, makers: list[str]) -> str:
    entries = (ENTRY.format(n=n, maker=makers[n % len(makers)]) for n in range(count))
    return HEAD + "".join(entries)


def best_of(runs: int, work: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def _old_loader(path: Path) -> Callable[..., Any]:
    return load_old(path, "policies_old").load_pack  # type: ignore[no-any-return]


Row = tuple[int, float, float, float]  # entries, tomllib s, tomli s, load_pack s


def measure(folder: Path, makers: list[str], runs: int) -> list[Row]:
    """(entries, tomllib, tomli, load_pack seconds) per size."""
    known = set(makers)
    rows = []
    for count in SIZES:
        path = folder / "bench_pack.toml"
        path.write_text(pack_text(count, makers), encoding="utf-8")
        text = path.read_text(encoding="utf-8")
        floor = best_of(runs, lambda text=text: tomllib.loads(text))  # type: ignore[misc]
        compiled = best_of(runs, lambda text=text: tomli.loads(text))  # type: ignore[misc]
        ours = best_of(
            runs,
            lambda path=path: load_pack(path, origin="user", known_makers=known),  # type: ignore[misc]
        )
        rows.append((count, floor, compiled, ours))
        print(
            f"{count:>6,} entries: tomllib {floor:.3f} s, tomli {compiled:.3f} s, "
            f"load_pack {ours:.3f} s",
            flush=True,
        )
    return rows


def measure_old(folder: Path, makers: list[str], old: Path) -> tuple[float, float]:
    path = folder / "bench_pack.toml"
    path.write_text(pack_text(OLD_SIZE, makers), encoding="utf-8")
    loader = _old_loader(old)
    before = best_of(1, lambda: loader(path, origin="user", known_makers=set(makers)))
    after = best_of(1, lambda: load_pack(path, origin="user", known_makers=set(makers)))
    print(f"{OLD_SIZE:,} entries: before {before:.2f} s, after {after:.3f} s", flush=True)
    return before, after


def section(rows: list[Row], old: tuple[float, float] | None) -> str:
    lines = [
        HEADING,
        "",
        "`python -m bench.pack_loading` (issue 16, item 7): a user pack of N entries, each a valid",
        "rule naming a catalogue maker; best of 3 in one process. *tomllib alone* is",
        "`tomllib.loads` of the file's text, the baseline; *tomli alone* is the same parser as a",
        "compiled wheel, which the loader now uses; *load_pack* reads the file, parses it,",
        "finds the line of every entry (one regular-expression pass per kind of header) and",
        "checks every entry and maker id. Target (issue 16): 20,000 entries under 1 s.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}.",
        "",
        "| entries | file | tomllib alone | tomli alone | load_pack | load_pack / tomllib |",
        "|---|---|---|---|---|---|",
    ]
    for count, floor, compiled, ours in rows:
        size = len(pack_text(count, ["hikvision"])) / 2**20
        lines.append(
            f"| {count:,} | {size:.1f} MB | {floor:.3f} s | {compiled:.3f} s | {ours:.3f} s "
            f"| {ours / floor:.2f}x |"
        )
    if old:
        before, after = old
        lines += [
            "",
            f"Before (each entry's line found by rescanning every line): {OLD_SIZE:,} entries "
            f"took {before:.2f} s; after: {after:.3f} s ({before / after:,.0f}x faster). At "
            "20,000 entries the old loader did not finish in 600 s (issue 16).",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, help="an older vendors/policies.py to time too")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    makers = sorted(load_catalogue().makers)
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(Path(tmp), makers, args.runs)
        old = measure_old(Path(tmp), makers, args.old) if args.old else None
    if not args.no_write:
        write_section(HEADING, section(rows, old))


if __name__ == "__main__":
    main()
