"""The emulator host: one process, every device's sockets in that device's namespace.

Uses the small services in tests/lab/fake_services so the host is tested on its own,
apart from the protocol services.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

import pytest

from lab import netns
from lab.requestlog import read_log
from lab.state import LabState
from tests.lab.helpers import Spec

pytestmark = pytest.mark.lab

GROUP, PORT = "239.255.77.77", 7777
FAKES = "tests.lab.fake_services"


def _mini_lab_specs() -> list[Spec]:
    full = {"echo": {"port": 7}, "beacon": {"group": GROUP, "port": PORT}}
    return [
        Spec("e1", "fake", "00:0f:7c:00:00:01", {"services": full}),
        Spec("e2", "fake", "9c:8e:cd:00:00:02", {"services": full}),
        # One service breaks and one does not exist: the device still serves echo.
        Spec(
            "e3",
            "fake-bad",
            "48:ea:63:00:00:03",
            {"services": {"echo": {}, "broken": {}, "nope": {}}},
        ),
    ]


@pytest.fixture
def mini(make_lab: Callable[..., LabState]) -> LabState:
    return make_lab(_mini_lab_specs(), prefix=f"e{os.getpid() % 10**6}", service_package=FAKES)


def _echo(ip: str, text: str) -> str:
    with socket.create_connection((ip, 7), timeout=2) as sock:
        sock.sendall(text.encode() + b"\n")
        return sock.makefile().readline().strip()


def _probe_group(scanner_ip: str, window: float = 1.0) -> list[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((scanner_ip, 0))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(scanner_ip))
    sock.sendto(b"who is there", (GROUP, PORT))
    sock.settimeout(0.1)
    replies: list[str] = []
    deadline = time.monotonic() + window
    while time.monotonic() < deadline:
        try:
            replies.append(sock.recv(512).decode())
        except TimeoutError:
            continue
    sock.close()
    return sorted(replies)


def test_one_process_serves_every_device_from_its_own_namespace(mini: LabState) -> None:
    assert netns.emulator_pids(mini.prefix) == [mini.emulator_pid]
    with netns.entered(mini.scanner_ns):
        answers = {d.name: _echo(d.ip, f"hello {d.name}") for d in mini.devices}
        replies = _probe_group(mini.scanner_ip)
    assert answers == {d.name: f"{d.name} hello {d.name}" for d in mini.devices}
    # Multicast reached exactly the devices that joined the group, on their own interface,
    # and the reply came from each device's own namespace.
    expected = [
        f"{d.name} {d.ip} {d.mac} {os.stat(netns.netns_path(d.netns)).st_ino}"
        for d in mini.devices
        if "beacon" in d.services
    ]
    assert replies == sorted(expected)


def test_a_broken_or_missing_service_is_reported_and_the_rest_serve(mini: LabState) -> None:
    failures = mini.extra["failures"]
    assert [(f["device"], f["service"]) for f in failures] == [("e3", "broken")]
    assert "broken on purpose" in failures[0]["error"]
    assert mini.extra["missing"] == ["nope"]
    assert "broken on purpose" in mini.emulator_log.read_text()
    with netns.entered(mini.scanner_ns):
        assert _echo(mini.device("e3").ip, "still here") == "e3 still here"


def test_request_log_records_what_the_scanner_sent(mini: LabState) -> None:
    before = time.time()
    with netns.entered(mini.scanner_ns):
        _echo(mini.device("e2").ip, "first")
        _echo(mini.device("e1").ip, "second")
        _probe_group(mini.scanner_ip, window=0.3)
    records = read_log(mini, since=before)
    echoed = [(r.device, r.ip, r.detail["text"]) for r in records if r.protocol == "echo"]
    assert echoed == [("e2", mini.device("e2").ip, "first"), ("e1", mini.device("e1").ip, "second")]
    assert all(r.detail["peer"] == mini.scanner_ip for r in records)
    probes = sorted(r.device for r in records if r.protocol == "beacon")
    assert probes == ["e1", "e2"]
    assert read_log(mini, since=before, device="e1", protocol="echo")[0].kind == "line"


def test_emulator_stops_on_sigterm_and_leaves_no_process(mini: LabState) -> None:
    pid = mini.emulator_pid
    assert netns.emulator_alive(pid)
    os.kill(pid, 15)
    deadline = time.monotonic() + 5
    while netns.emulator_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not netns.emulator_alive(pid)
    assert "ready:" in mini.emulator_log.read_text()
