"""``vendors update --recog`` / ``--rollback-recog``, ``vendors info`` and ``identify`` with an
installed recog copy, run as real subprocesses over our own recog-format fixtures."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "recog_format"
SHA = "0123456789abcdef0123456789abcdef01234567"


def _run(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, **env},
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"XDG_DATA_HOME": str(tmp_path / "data")}


def _installed(tmp_path: Path) -> Path:
    return tmp_path / "data" / "camaudit" / "recog" / "current"


def _checkout(tmp_path: Path, name: str = "recog", source: str = "good") -> Path:
    directory = tmp_path / name
    shutil.copytree(DATA / source, directory)
    return directory


def _manifest(tmp_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_installed(tmp_path) / "manifest.json").read_text())
    return data


def test_update_info_and_identify_end_to_end(tmp_path: Path, env: dict[str, str]) -> None:
    checkout = _checkout(tmp_path)
    result = _run(
        "vendors",
        "update",
        "--recog",
        str(checkout),
        "--commit",
        SHA,
        "--as-of",
        "2026-06-29",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "installed rapid7/recog 0123456 (2026-06-29)" in result.stdout
    assert "13 fingerprints in 6 files; examples: 15 passed, 0 failed, 0 not run" in result.stdout
    installed = _installed(tmp_path)
    assert sorted(p.name for p in (installed / "xml").iterdir()) == sorted(
        p.name for p in (checkout / "xml").iterdir()
    )
    assert (installed / "LICENSE").read_bytes() == (checkout / "LICENSE").read_bytes()
    assert stat.S_IMODE((installed / "manifest.json").stat().st_mode) == 0o600
    assert _manifest(tmp_path)["commit"] == SHA

    info = _run("vendors", "info", env=env)
    assert info.returncode == 0, info.stderr
    assert "recog: rapid7/recog 0123456 (2026-06-29)" in info.stdout
    assert (
        "6 files, 13 fingerprints; examples: 15 passed, 0 failed, 0 not run; 0 untranslatable"
        in info.stdout
    )
    assert "http_servers.xml (8)" in info.stdout and "licence:" in info.stdout
    assert "http.realm" in info.stdout and "banner.ssh" in info.stdout

    records = (
        '{"id": "gw", "http.realm": "TestGateway-H42"}\n'
        '{"id": "cam", "http.server": "CamServ IP-4242X build 7"}\n'
    )
    out = [
        json.loads(line)
        for line in _run(
            "identify", "-", "--policy", "ndaa889", env=env, stdin=records
        ).stdout.splitlines()
    ]
    gateway, camera = out
    assert (gateway["maker"], gateway["model"]) == ("zte", "H42")
    assert gateway["verdicts"]["ndaa889"]["status"] == "likely_covered"  # a realm alone: likely
    (reason,) = [r for r in gateway["reasons"] if r["rule"].startswith("recog:")]
    assert reason["detail"].startswith("recog http_wwwauth.xml: Test ZTE home gateway realm")
    assert "rapid7/recog 0123456 (2026-06-29)" in reason["detail"]
    assert (camera["maker"], camera["firmware"]) == ("dahua", "7")

    # Every scan records which recog copy judged it, next to the registry and catalogue dates.
    source = tmp_path / "inv.csv"
    source.write_text("ip,mac,model\n198.18.0.5,44:19:b6:00:00:01,DS-2CD2143G0-I\n")
    db = tmp_path / "inv.sqlite3"
    assert _run("import", str(source), "--db", str(db), env=env).returncode == 0
    shown = _run("history", "show", "latest", "--db", str(db), "--json", env=env)
    versions = json.loads(shown.stdout)["scan"]["data_versions"]
    assert versions["recog"] == "rapid7/recog 0123456 (2026-06-29)"


def test_without_an_install_identify_does_not_use_recog_and_info_says_so(
    env: dict[str, str],
) -> None:
    info = _run("vendors", "info", env=env)
    assert "recog: not installed" in info.stdout
    out = json.loads(
        _run(
            "identify", "-", "--no-verdicts", env=env, stdin='{"http.realm": "TestGateway-H42"}\n'
        ).stdout
    )
    assert out["maker"] is None


def test_a_failing_directory_is_refused_and_the_installed_copy_kept(
    tmp_path: Path, env: dict[str, str]
) -> None:
    assert _run("vendors", "update", "--recog", str(_checkout(tmp_path)), env=env).returncode == 0
    before = (_installed(tmp_path) / "manifest.json").read_bytes()
    result = _run(
        "vendors", "update", "--recog", str(_checkout(tmp_path, "bad", "failing")), env=env
    )
    assert result.returncode == 1
    assert result.stderr.startswith("camaudit vendors update: refused: 2 of 3 examples fail")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert (_installed(tmp_path) / "manifest.json").read_bytes() == before


@pytest.mark.parametrize(
    ("prepare", "code", "says"),
    [
        (lambda d: (d / "LICENSE").unlink(), 2, "LICENSE not found"),
        (lambda d: shutil.rmtree(d / "xml"), 2, "xml not found"),
        (lambda d: [p.unlink() for p in (d / "xml").glob("*.xml")], 2, "holds no *.xml"),
        (
            lambda d: shutil.copy(DATA / "hostile" / "entity_expansion.xml", d / "xml"),
            1,
            "entity_expansion.xml:2: refused: a DTD",
        ),
        (
            lambda d: shutil.copy(DATA / "hostile" / "not_well_formed.xml", d / "xml"),
            1,
            "not_well_formed.xml:6: not well-formed XML",
        ),
        (
            lambda d: (d / "xml" / "huge.xml").write_bytes(b" " * (8 * 2**20 + 1)),
            1,
            "huge.xml:0: larger than 8 MiB",
        ),
        (lambda d: os.mkfifo(d / "xml" / "fifo.xml"), 1, "fifo.xml:0: not a regular file"),
    ],
    ids=["no-licence", "no-xml", "empty-xml", "entities", "malformed", "huge", "fifo"],
)
def test_bad_directories_get_one_line_and_install_nothing(
    tmp_path: Path, env: dict[str, str], prepare: Any, code: int, says: str
) -> None:
    checkout = _checkout(tmp_path)
    prepare(checkout)
    result = _run("vendors", "update", "--recog", str(checkout), env=env)
    assert result.returncode == code, result.stdout
    assert says in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert not _installed(tmp_path).exists()


def test_bad_commit_is_a_usage_error(tmp_path: Path, env: dict[str, str]) -> None:
    result = _run(
        "vendors", "update", "--recog", str(_checkout(tmp_path)), "--commit", "zz", env=env
    )
    assert result.returncode == 2 and "not a git commit id" in result.stderr


def test_the_commit_of_a_git_checkout_is_read_from_its_files(
    tmp_path: Path, env: dict[str, str]
) -> None:
    checkout = _checkout(tmp_path)
    (checkout / ".git" / "refs" / "heads").mkdir(parents=True)
    (checkout / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (checkout / ".git" / "refs" / "heads" / "main").write_text(SHA + "\n")
    result = _run("vendors", "update", "--recog", str(checkout), env=env)
    assert result.returncode == 0 and "rapid7/recog 0123456 (" in result.stdout


def test_rollback_restores_the_replaced_copy_and_then_none(
    tmp_path: Path, env: dict[str, str]
) -> None:
    first = _checkout(tmp_path, "first")
    assert (
        _run(
            "vendors", "update", "--recog", str(first), "--as-of", "2026-01-01", env=env
        ).returncode
        == 0
    )
    second = _checkout(tmp_path, "second")
    (second / "xml" / "ssh_banners.xml").unlink()
    assert (
        _run(
            "vendors", "update", "--recog", str(second), "--as-of", "2026-02-01", env=env
        ).returncode
        == 0
    )
    assert "recog: rapid7/recog of 2026-02-01" in _run("vendors", "info", env=env).stdout
    back = _run("vendors", "update", "--rollback-recog", env=env)
    assert back.returncode == 0 and "restored rapid7/recog of 2026-01-01" in back.stdout
    assert "ssh_banners.xml" in _run("vendors", "info", env=env).stdout
    again = _run("vendors", "update", "--rollback-recog", env=env)  # and forward again
    assert again.returncode == 0 and "restored rapid7/recog of 2026-02-01" in again.stdout


def test_rolling_back_the_first_install_removes_recog(tmp_path: Path, env: dict[str, str]) -> None:
    nothing = _run("vendors", "update", "--rollback-recog", env=env)
    assert nothing.returncode == 2 and "nothing to roll back" in nothing.stderr
    assert _run("vendors", "update", "--recog", str(_checkout(tmp_path)), env=env).returncode == 0
    back = _run("vendors", "update", "--rollback-recog", env=env)
    assert back.returncode == 0 and "own rules only" in back.stdout
    assert "recog: not installed" in _run("vendors", "info", env=env).stdout


def test_a_damaged_install_is_reported_and_identify_still_works(
    tmp_path: Path, env: dict[str, str]
) -> None:
    assert _run("vendors", "update", "--recog", str(_checkout(tmp_path)), env=env).returncode == 0
    (_installed(tmp_path) / "index.json").write_text("[1, 2")
    info = _run("vendors", "info", env=env)
    assert info.returncode == 0 and "recog: damaged copy" in info.stdout
    result = _run("identify", "-", "--no-verdicts", env=env, stdin='{"http.server": "App-webs/"}\n')
    assert result.returncode == 0 and json.loads(result.stdout)["maker"] == "hikvision"


def test_a_runaway_pattern_is_disabled_at_install_and_never_used(
    tmp_path: Path, env: dict[str, str]
) -> None:
    checkout = _checkout(tmp_path)
    fine = "".join(
        f'<fingerprint pattern="^Fine{i}$"><description>fine {i}</description>'
        f'<example>Fine{i}</example><param pos="0" name="hw.vendor" value="Axis"/></fingerprint>'
        for i in range(60)
    )
    runaway = (
        '<fingerprint pattern="^(a|a)+$"><description>runaway</description><example>aaaa</example>'
        '<param pos="0" name="hw.vendor" value="Axis"/></fingerprint>'
    )
    (checkout / "xml" / "html_title.xml").write_text(
        f'<fingerprints matches="html_title">{runaway}{fine}</fingerprints>'
    )
    result = _run("vendors", "update", "--recog", str(checkout), env=env)
    assert result.returncode == 0, result.stderr
    assert "html_title.xml:1: too slow on a long value" in result.stdout
    assert "1 disabled" in _run("vendors", "info", env=env).stdout
    out = json.loads(
        _run(
            "identify",
            "-",
            "--no-verdicts",
            env=env,
            stdin='{"http.title": "' + "a" * 3000 + '!"}\n',
        ).stdout
    )
    assert not [r for r in out["reasons"] if r["rule"].startswith("recog:")]
