"""``camaudit policies list/show`` run as a user runs them: a subprocess, stdout not a terminal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.policies import _rich_list, _rich_show
from vendors.policies import EXAMPLES_DIR, POLICY_DIR_ENV, load_policies

ROOT = Path(__file__).resolve().parents[2]


def camaudit(*args: str, user_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, POLICY_DIR_ENV: str(user_dir)}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "policies", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_list_prints_every_pack_with_its_entry_count_and_date(tmp_path: Path) -> None:
    run = camaudit("list", user_dir=tmp_path)
    assert run.returncode == 0, run.stderr
    lines = {line.split("\t")[0]: line for line in run.stdout.splitlines()}
    assert "ndaa889" in lines and "fcc_covered_list" in lines and "quebec_2023" in lines
    pack = next(p for p in load_policies().packs if p.id == "ndaa889")
    assert f"\t{len(pack.entries)} entries\tus\tas of {pack.as_of.isoformat()}" in lines["ndaa889"]
    assert "\x1b[" not in run.stdout, "plain text when not a terminal"
    assert f"your own packs go in: {tmp_path}" in run.stdout


def test_show_prints_entries_dates_and_citations(tmp_path: Path) -> None:
    run = camaudit("show", "ndaa889", user_dir=tmp_path)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "- f3B-hytera-hikvision-dahua:" in out
    assert "effective: 2019-08-13" in out
    assert "https://www.acquisition.gov/far/52.204-25" in out
    assert "milestone 2020-08-13 Part B in force" in out
    assert "within 1 business day" in out and "within 10 business days" in out
    assert "uses: public_safety, government_facility" in out
    assert "makers: huawei, zte (subsidiaries and affiliates included)" in out


def test_user_pack_is_listed_and_a_broken_one_is_reported_with_its_line(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES_DIR / "internal_no_prc_cameras.toml", tmp_path)
    broken = tmp_path / "broken.toml"
    broken.write_text('id = "broken"\n[[entries]\n', encoding="utf-8")
    run = camaudit("list", user_dir=tmp_path)
    assert run.returncode == 1
    assert "internal_no_prc_cameras" in run.stdout and "ndaa889" in run.stdout
    assert f"error: {broken}:2: not valid TOML" in run.stderr


def test_show_unknown_pack_says_which_exist(tmp_path: Path) -> None:
    run = camaudit("show", "nope", user_dir=tmp_path)
    assert run.returncode == 1
    assert "no policy pack named 'nope'" in run.stderr and "ndaa889" in run.stderr


def test_show_says_whom_a_pack_binds_and_what_changed_since_the_last_version(
    tmp_path: Path,
) -> None:
    pack = next(p for p in load_policies().packs if p.id == "quebec_2023")
    out = camaudit("show", "quebec_2023", user_dir=tmp_path).stdout
    assert "binds: state_body" in out
    newest, previous = pack.changelog[0], pack.changelog[1].version
    assert f"changed in {newest.version} ({newest.date.isoformat()}) since {previous}:" in out
    assert all(change in out for change in newest.changes)


def test_a_user_pack_standing_in_for_a_builtin_says_so(tmp_path: Path) -> None:
    text = (EXAMPLES_DIR / "internal_no_prc_cameras.toml").read_text(encoding="utf-8")
    text = text.replace('id = "internal_no_prc_cameras"', 'id = "acme_889"', 1)
    (tmp_path / "acme_889.toml").write_text(
        text.replace("\nversion =", '\nreplaces = "ndaa889"\nversion =', 1), encoding="utf-8"
    )
    listing = camaudit("list", user_dir=tmp_path)
    assert listing.returncode == 0, listing.stderr
    ids = [line.split("\t")[0] for line in listing.stdout.splitlines() if "\t" in line]
    assert "acme_889" in ids and "ndaa889" not in ids
    assert "replaces built-in ndaa889" in listing.stdout
    shown = camaudit("show", "acme_889", user_dir=tmp_path)
    assert "replaces the built-in pack ndaa889 (user pack)" in shown.stdout


def test_a_user_pack_taking_a_builtin_id_is_reported(tmp_path: Path) -> None:
    text = (EXAMPLES_DIR / "internal_no_prc_cameras.toml").read_text(encoding="utf-8")
    text = text.replace('id = "internal_no_prc_cameras"', 'id = "ndaa889"', 1)
    (tmp_path / "ndaa889.toml").write_text(text, encoding="utf-8")
    listing = camaudit("list", user_dir=tmp_path)
    assert "may not silently take the built-in pack id 'ndaa889'" in listing.stderr
    assert "[user" not in listing.stdout  # the built-in is the one listed


def _hostile_pack(folder: Path) -> Path:
    """The example user pack, its title holding escapes, rich markup and a bidi override."""
    text = (EXAMPLES_DIR / "internal_no_prc_cameras.toml").read_text(encoding="utf-8")
    old = 'title = "Internal rule: no cameras or recorders made by PRC-based companies"'
    assert old in text
    hostile = 'title = "Internal \\u001b[2J[/bold]\\u202erule\\u001b]0;pwned\\u0007"'
    (folder / "internal_no_prc_cameras.toml").write_text(text.replace(old, hostile, 1))
    return folder


SHOWN_TITLE = "Internal \\x1b[2J[/bold]\\u202erule\\x1b]0;pwned\\x07"


def test_a_user_packs_strings_are_shown_visibly_never_acted_on(tmp_path: Path) -> None:
    folder = _hostile_pack(tmp_path)
    for args in (["list"], ["show", "internal_no_prc_cameras"]):
        run = camaudit(*args, user_dir=folder)
        assert run.returncode == 0, run.stderr
        assert SHOWN_TITLE in run.stdout
        assert not any(c in run.stdout for c in "\x1b\x07\u202e"), run.stdout


def test_the_rich_table_prints_markup_in_a_title_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packs = load_policies(user_dir=_hostile_pack(tmp_path)).packs
    _rich_list(packs)  # rich read "[/bold]" as a closing tag and raised MarkupError
    _rich_show(next(p for p in packs if p.id == "internal_no_prc_cameras"))
    out = capsys.readouterr().out
    assert "[/bold]" in out and "\\x1b[2J" in out
    assert not any(c in out for c in "\x1b\x07\u202e")
