"""camaudit identify / vendors update / vendors info, run as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        input=stdin, capture_output=True, text=True, timeout=120, check=False,
        cwd=ROOT, env={**os.environ, **(env or {})},
    )  # fmt: skip


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


JSONL = (
    '{"id": "genuine", "sadp.DeviceDescription": "DS-2CD2385G1-I",'
    ' "sadp.MAC": "58-50-ed-1f-e3-85"}\n'
    "this line is broken\n"
    '{"id": "annke", "mac": "4c:bd:8f:11:22:33", "isapi.model": "N46PCK", "user.brand": "Annke"}\n'
    '{"id": "axis", "mac": "ac:cc:8e:01:02:03"}\n'
)


def test_identify_jsonl_from_stdin_keeps_order_and_reports_the_bad_line() -> None:
    result = _run(
        "identify", "-", "--site-use", "public_safety", "--date", "2026-06-01", stdin=JSONL
    )
    assert result.returncode == 1  # one line could not be read
    out = _lines(result.stdout)
    assert [o.get("id") for o in out] == ["genuine", None, "annke", "axis"]
    assert out[1]["line"] == 2 and "not valid JSON" in out[1]["error"]
    genuine, _, annke, axis = out
    assert (genuine["maker"], genuine["relationship"]) == ("hikvision", "own_brand")
    assert (annke["maker"], annke["brand"], annke["relationship"]) == ("hikvision", "annke", "oem")
    assert axis["maker"] == "axis"
    for key in ("model", "firmware", "confidence", "component_flags", "reasons", "conflicts"):
        assert key in genuine
    # verdicts from the policy packs, judged for the declared site use
    assert genuine["verdicts"]["ndaa889"]["status"] == "covered"
    assert annke["verdicts"]["ndaa889"]["status"] in ("covered", "likely_covered")
    assert axis["verdicts"]["ndaa889"]["status"] == "not_covered"


def test_site_use_changes_the_889_verdict() -> None:
    line = '{"sadp.DeviceDescription": "DS-2CD2385G1-I"}\n'
    general = _lines(_run("identify", "-", "--policy", "ndaa889", stdin=line).stdout)[0]
    assert list(general["verdicts"]) == ["ndaa889"]
    assert general["verdicts"]["ndaa889"]["status"] == "covered_for_use"


def test_identify_csv_inventory_file(tmp_path: Path) -> None:
    path = tmp_path / "inventory.csv"
    path.write_text(
        "Asset ID,IP Address,MAC Address,Manufacturer,Model,Firmware\n"
        "A1,10.0.0.5,9C:8E:CD:01:02:03,Amcrest,IP8M-2496EB,2.620.00AC000.3.R\n"
        "A2,10.0.0.6,not-a-mac,Axis,M3045-V,\n"
        "A3,10.0.0.7,1C:4D:89:01:02:03,Imou,,\n",
        encoding="utf-8",
    )
    result = _run("identify", str(path), "--no-verdicts")
    first, bad, third = _lines(result.stdout)
    assert (first["id"], first["maker"], first["brand"], first["relationship"]) == (
        "A1", "dahua", "amcrest", "oem",
    )  # fmt: skip
    assert bad == {"line": 3, "error": "'mac' is not a MAC address: 'not-a-mac'"}
    assert (third["maker"], third["brand"]) == ("dahua", "imou")
    assert first["verdicts"] == {}


def test_unknown_policy_is_a_usage_error() -> None:
    result = _run("identify", "-", "--policy", "no_such_pack", stdin="{}\n")
    assert result.returncode == 2 and "no_such_pack" in result.stderr


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = _run("identify", str(tmp_path / "absent.jsonl"))
    assert result.returncode == 2 and "cannot read" in result.stderr


HEADER = "Registry,Assignment,Organization Name,Organization Address\n"
FILLER = 20_000  # a complete MA-L list has more (vendors.oui_build.MIN_MA_L)


def _filler(count: int = FILLER, org: str = "Filler Org") -> str:
    """``count`` MA-L rows in a range the real registry tests never look up."""
    return "".join(f"MA-L,{0xA00000 + i:06X},{org} {i},Somewhere\n" for i in range(count))


def _ieee_dir(tmp_path: Path, name: str = "ieee") -> Path:
    directory = tmp_path / name
    directory.mkdir()
    (directory / "oui.csv").write_text(
        HEADER
        + 'MA-L,4CBD8F,"Example Relabel Co., Ltd.","1 Road Somewhere CN 310000 "\n'
        + 'MA-L,3CEF8C,"Zhejiang Dahua Technology Co., Ltd.","No.1199 Bin An Road Hangzhou CN "\n'
        + _filler()
    )
    (directory / "mam.csv").write_text(
        HEADER + "MA-M,402C761,Shanghai Dahua Scale Factory,Shanghai CN\n"
    )
    (directory / "oui36.csv").write_text(
        HEADER + "MA-S,8C1F64F4B,Jorex Lorex India Private Limited,IN\n"
    )
    (directory / "iab.csv").write_text(HEADER + "IAB,0050C2ABC,Some IAB Holder,US\n")
    return directory


def _update(directory: Path, env: dict[str, str], *extra: str) -> Any:
    return _run("vendors", "update", "--from", str(directory), *extra, env=env)


def test_vendors_update_rebuilds_the_registry_into_the_user_data_dir(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    result = _update(_ieee_dir(tmp_path), env, "--as-of", "2027-01-15", "--allow-removals")
    assert result.returncode == 0, result.stderr
    assert f"{FILLER + 5} blocks" in result.stdout and "2027-01-15" in result.stdout
    assert "against the table it replaces:" in result.stdout  # the bundled snapshot
    written = tmp_path / "data" / "camaudit" / "oui" / "registry.tsv.gz"
    assert written.is_file()
    info = _run("vendors", "info", env=env)
    assert "user refresh" in info.stdout and "data as of 2027-01-15" in info.stdout
    # the refreshed table now takes precedence: 4C:BD:8F belongs to someone else in it
    out = _lines(
        _run(
            "identify", "-", "--no-verdicts", stdin='{"mac": "4c:bd:8f:00:00:01"}\n', env=env
        ).stdout
    )
    assert out[0]["maker"] is None
    assert "Example Relabel" in out[0]["reasons"][0]["detail"]


def test_a_refresh_dropping_much_of_the_table_in_use_is_refused(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    result = _update(_ieee_dir(tmp_path), env)  # the bundled table has ~59,000 blocks
    assert result.returncode == 1
    assert "refused: the new files would drop" in result.stderr and "MA-L" in result.stderr
    assert not (tmp_path / "data" / "camaudit" / "oui").exists()


def test_vendors_update_refuses_a_malformed_csv(tmp_path: Path) -> None:
    directory = _ieee_dir(tmp_path)
    (directory / "mam.csv").write_text(HEADER + "MA-M,XYZ,Broken,Nowhere\n")
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    result = _update(directory, env, "--allow-removals")
    assert result.returncode == 1 and "mam.csv:2" in result.stderr
    assert not (tmp_path / "data" / "camaudit").exists()


def _registry_bytes(tmp_path: Path) -> bytes:
    return (tmp_path / "data" / "camaudit" / "oui" / "registry.tsv.gz").read_bytes()


@pytest.mark.parametrize(
    ("oui_csv", "says"),
    [
        (HEADER, "oui.csv: holds no blocks"),
        (HEADER + _filler(100), "only 100 MA-L blocks, fewer than the 20,000"),
        (
            HEADER + 'MA-L,4CBD8F,"Unclosed Co, Ltd.,Somewhere\n' + _filler(),
            "oui.csv:2: unreadable CSV",
        ),
        (HEADER + "MA-L,4CBD8F,Two Columns\n" + _filler(), "expected 4 columns, got 3"),
        (HEADER.replace("Registry", "Reg") + _filler(), "oui.csv:1: not an IEEE registry CSV"),
        (HEADER + "MA-M,402C761,Someone,Here\n" + _filler(), "holds MA-M blocks"),
        (HEADER + f"MA-L,4CBD8F,{'x' * 131_073},Somewhere\n", "field larger than field limit"),
    ],
    ids=["header-only", "too-few", "unclosed-quote", "columns", "header", "registry", "huge"],
)
def test_a_broken_oui_csv_never_replaces_a_working_table(
    tmp_path: Path, oui_csv: str, says: str
) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    assert _update(_ieee_dir(tmp_path, "good"), env, "--allow-removals").returncode == 0
    before = _registry_bytes(tmp_path)
    broken = _ieee_dir(tmp_path, "broken")
    (broken / "oui.csv").write_text(oui_csv)
    result = _update(broken, env, "--allow-removals")
    assert result.returncode == 1, result.stdout
    assert says in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert _registry_bytes(tmp_path) == before


def test_update_shows_what_changed_and_rollback_restores_the_previous_table(
    tmp_path: Path,
) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    assert _update(_ieee_dir(tmp_path, "first"), env, "--allow-removals").returncode == 0
    first = _registry_bytes(tmp_path)
    second = _ieee_dir(tmp_path, "second")
    text = (second / "oui.csv").read_text().replace("Filler Org 7,", "Renamed Org 7,")
    (second / "oui.csv").write_text(text + "MA-L,B00000,New Co,Here\n")
    (second / "iab.csv").unlink()
    result = _update(second, env)
    assert result.returncode == 0, result.stderr
    assert "1 blocks added, 1 removed, 1 changed" in result.stdout
    assert _registry_bytes(tmp_path) != first
    back = _run("vendors", "update", "--rollback", env=env)
    assert back.returncode == 0 and "restored" in back.stdout
    assert _registry_bytes(tmp_path) == first
    again = _run("vendors", "update", "--rollback", env=env)  # and forward again
    assert again.returncode == 0 and _registry_bytes(tmp_path) != first


def test_rollback_of_the_first_refresh_returns_to_the_bundled_snapshot(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    nothing = _run("vendors", "update", "--rollback", env=env)
    assert nothing.returncode == 2 and "nothing to roll back" in nothing.stderr
    assert _update(_ieee_dir(tmp_path), env, "--allow-removals").returncode == 0
    back = _run("vendors", "update", "--rollback", env=env)
    assert back.returncode == 0 and "bundled snapshot is in use" in back.stdout
    assert "bundled snapshot" in _run("vendors", "info", env=env).stdout


def test_vendors_info_shows_the_bundled_data_date(tmp_path: Path) -> None:
    result = _run("vendors", "info", env={"XDG_DATA_HOME": str(tmp_path)})
    assert result.returncode == 0
    assert "bundled snapshot" in result.stdout and "data as of 2026-10-01" in result.stdout
