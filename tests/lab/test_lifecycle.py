"""`camaudit lab up/status/exec/down` as a user runs them, including crashes and refusals."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import main
from lab import netns, profile
from lab import state as lab_state
from lab.state import LabState
from tests.lab.helpers import ip_json, lab_unavailable, machine_namespace, run_cli


def _prefix(tag: str) -> str:
    return f"{tag}{os.getpid() % 10**6}"


def _blackholes() -> set[str]:
    with machine_namespace():
        return {r["dst"] for r in ip_json("-4", "route", "show", "type", "blackhole")}


def _up(prefix: str, devices: int = 2) -> tuple[LabState, str]:
    # PCs (WS-Discovery only) start at once; camera profiles wait ~2 s for mDNS probing.
    mix = lab_state.run_dir() / f"mix-{prefix}.toml"
    mix.write_text(f'[[device]]\nprofile = "windows-pc"\ncount = {devices}\n')
    try:
        result = run_cli("lab", "up", "--profiles", str(mix), "--prefix", prefix)
    finally:
        mix.unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    return lab_state.load(prefix), result.stdout


def _assert_gone(prefix: str, subnet: str, pid: int) -> None:
    assert netns.lab_namespaces(prefix) == []
    live = {s.subnet for s in lab_state.load_all()}
    assert _blackholes() == live, "every blackhole route belongs to a live lab"
    assert subnet not in _blackholes() or subnet in live  # a later lab may reuse the subnet
    assert not netns.emulator_alive(pid)
    assert netns.emulator_pids(prefix) == []
    assert not (lab_state.run_dir() / prefix).exists()


@pytest.mark.lab
def test_second_lab_coexists_and_down_leaves_nothing(lab: LabState) -> None:
    prefix = _prefix("c")
    try:
        second, out = _up(prefix, devices=3)
        assert f"3 devices on {second.subnet}" in out
        assert f"scanner namespace: {prefix}-scan" in out
        assert not ipaddress.ip_network(second.subnet).overlaps(ipaddress.ip_network(lab.subnet))
        assert netns.emulator_alive(second.emulator_pid) and netns.emulator_alive(lab.emulator_pid)
        assert {second.subnet, lab.subnet} <= _blackholes()

        where = run_cli("lab", "exec", "--prefix", prefix, "--", "ip", "netns", "identify")
        assert where.stdout.strip() == f"{prefix}-scan"
        code = run_cli("lab", "exec", "--prefix", prefix, "--", "sh", "-c", "exit 7")
        assert code.returncode == 7
        missing = run_cli("lab", "exec", "--prefix", prefix, "--", "no-such-command-here")
        assert missing.returncode == 127 and "command not found" in missing.stderr
        sysfs = run_cli("lab", "exec", "--prefix", prefix, "--", "ls", "/sys/class/net")
        assert sysfs.stdout.split() == ["eth0", "lo"]  # the scanner's /sys, not the machine's
        status = run_cli("lab", "status", "--prefix", prefix)
        assert status.returncode == 0 and "emulator serving" in status.stdout
    finally:
        down = run_cli("lab", "down", "--prefix", prefix)
    assert down.returncode == 0 and f"removed: {prefix}" in down.stdout
    _assert_gone(prefix, second.subnet, second.emulator_pid)
    assert netns.emulator_alive(lab.emulator_pid), "the session lab must survive"
    assert lab.subnet in _blackholes()


@pytest.mark.lab
def test_next_up_cleans_up_after_crashed_labs(lab: LabState) -> None:
    crashed, orphan, bound, fresh = (_prefix(t) for t in "kobf")
    session = subprocess.Popen(["sleep", "60"])  # stands in for a test session that dies
    try:
        first, _ = _up(crashed)
        second, _ = _up(orphan)
        with machine_namespace():
            third = netns.up(profile.build_mix(1), prefix=bound, bound_to=session.pid)
        os.kill(first.emulator_pid, signal.SIGKILL)
        os.kill(second.emulator_pid, signal.SIGKILL)
        # The orphan also lost its state directory: only its names are left to go by.
        shutil.rmtree(lab_state.run_dir() / orphan)
        session.kill()
        session.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and netns.emulator_alive(first.emulator_pid):
            time.sleep(0.02)  # SIGKILL is delivered asynchronously
        status = run_cli("lab", "status", "--prefix", crashed)
        assert status.returncode == 1 and "CRASHED" in status.stdout
        _up(fresh)
        _assert_gone(crashed, first.subnet, first.emulator_pid)
        _assert_gone(orphan, second.subnet, second.emulator_pid)
        _assert_gone(bound, third.subnet, third.emulator_pid)  # its emulator was still alive
        assert netns.emulator_alive(lab.emulator_pid), "a live lab is not a leftover"
    finally:
        session.kill()
        for prefix in (fresh, crashed, bound):
            run_cli("lab", "down", "--prefix", prefix)


@pytest.mark.lab
def test_up_refuses_to_run_inside_a_namespace(lab: LabState) -> None:
    result = run_cli("lab", "up", "--devices", "1", "--prefix", _prefix("n"), machine=False)
    assert result.returncode == 1
    assert "machine's own network namespace" in result.stderr
    assert lab.scanner_ns in result.stderr
    assert netns.lab_namespaces(_prefix("n")) == []


@pytest.mark.lab
def test_up_with_a_mix_file_and_a_bad_one(lab: LabState, tmp_path: Path) -> None:
    prefix = _prefix("m")
    mix = tmp_path / "mix.toml"
    mix.write_text('[[device]]\nprofile = "windows-pc"\ncount = 2\n')
    try:
        result = run_cli("lab", "up", "--profiles", str(mix), "--prefix", prefix)
        assert result.returncode == 0, result.stderr
        made = lab_state.load(prefix)
        assert [d.profile_id for d in made.devices] == ["windows-pc", "windows-pc"]
        assert all(d.mac.startswith("3c:97:0e:") for d in made.devices)
    finally:
        run_cli("lab", "down", "--prefix", prefix)
    mix.write_text('[[device]]\nprofile = "no-such-profile"\n')
    bad = run_cli("lab", "up", "--profiles", str(mix), "--prefix", prefix)
    assert bad.returncode == 1
    assert "no-such-profile" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert netns.lab_namespaces(prefix) == []


@pytest.mark.lab
def test_tour_shows_the_devices_and_nmap_finds_them_then_removes_the_lab(lab: LabState) -> None:
    prefix = _prefix("d")
    result = run_cli("lab", "tour", "--devices", "3", "--prefix", prefix)
    assert result.returncode == 0, result.stderr
    specs = profile.build_mix(3)
    for spec in specs:  # name, address, MAC and profile of every device are on screen
        assert re.search(
            rf"^{spec.name} +198\.18\.[\d.]+ +{spec.mac} +{spec.profile_id} ", result.stdout, re.M
        )
    assert "(4 hosts up)" in result.stdout  # nmap: three devices and the scanner
    assert result.stdout.rstrip().endswith("lab removed")
    assert netns.lab_namespaces(prefix) == []


def test_bad_prefix_and_count_are_refused_clearly() -> None:
    if lab_unavailable():
        pytest.skip(lab_unavailable() or "")
    result = run_cli("lab", "up", "--prefix", "Bad-Prefix")
    assert result.returncode == 1 and "bad lab prefix 'Bad-Prefix'" in result.stderr
    result = run_cli("lab", "up", "--devices", "0", "--prefix", "zz")
    assert result.returncode == 1 and "--devices must be 1 or more" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("lab", "up", "--devices", "2"),
        ("lab", "down"),
        ("lab", "exec", "--", "true"),
        ("lab", "tour"),
        ("demo",),
    ],
    ids=" ".join,
)
def test_non_root_is_refused_with_a_clear_message(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    if os.geteuid() == 0:  # as root: the real CLI in a child dropped to nobody
        result = run_cli(*args, user=65534, machine=False)
        code, err = result.returncode, result.stderr
    else:  # already unprivileged: the same code path in-process
        code = main.main(list(args))
        err = capsys.readouterr().err
    assert code == 1, err
    assert re.search(r"the lab needs root .* run it with sudo", err)
    assert "Traceback" not in err


@pytest.mark.lab
@pytest.mark.slow
def test_lab_up_builds_a_routed_mix_with_its_far_side(lab: LabState) -> None:
    """`lab up --profiles routed_mix.toml` puts the far devices behind the router, as the
    tests' lab.router.routed_mix does (it used to build them all on the LAN)."""
    if shutil.which("snmpd") is None:
        pytest.skip("snmpd is not installed (scripts/bootstrap.sh installs it)")
    prefix = _prefix("m")
    mix = Path(main.__file__).resolve().parent / "lab" / "profiles" / "routed_mix.toml"
    try:
        result = run_cli("lab", "up", "--profiles", str(mix), "--prefix", prefix)
        assert result.returncode == 0, result.stdout + result.stderr
        state = lab_state.load(prefix)
        far = [d for d in state.devices if state.behind_router(d)]
        assert state.router and state.far_subnet
        assert len(far) == 4
        assert all(
            ipaddress.ip_address(d.ip) in ipaddress.ip_network(state.far_subnet) for d in far
        )
        refused = run_cli("lab", "up", "--profiles", str(mix), "--devices", "3", "--prefix", prefix)
        assert refused.returncode != 0 and "routed mix" in refused.stderr
    finally:
        run_cli("lab", "down", "--prefix", prefix)
