"""nmap's own service fingerprints (nmap-service-probes) recognise the lab's devices.

The regexes come from the nmap installed on this machine (7.93), so the
test checks our replies against a real peer's knowledge, byte for byte, without a scan.
"""

from __future__ import annotations

import re
import socket
from functools import cache
from pathlib import Path

import pytest

PROBES_FILE = Path("/usr/share/nmap/nmap-service-probes")
GET = b"GET / HTTP/1.0\r\n\r\n"  # nmap's GetRequest probe
RTSP = b"OPTIONS / RTSP/1.0\r\n\r\n"  # nmap's RTSPRequest probe
RTSP_CSEQ = b"OPTIONS / RTSP/1.0\r\nCSeq: 42\r\n\r\n"

pytestmark = pytest.mark.skipif(not PROBES_FILE.exists(), reason="nmap is not installed")


@cache
def _matches() -> list[tuple[str, re.Pattern[bytes]]]:
    found = []
    line_re = re.compile(r"^match (?:http|rtsp) m\|(.*)\|(s?) p/([^/]*)/")
    for line in PROBES_FILE.read_text(encoding="latin-1").splitlines():
        if m := line_re.match(line):
            flags = re.DOTALL if m.group(2) else 0
            try:
                found.append((m.group(3), re.compile(m.group(1).encode("latin-1"), flags)))
            except re.error:
                continue  # a PCRE-only construct in some unrelated line
    return found


def _identify(reply: bytes) -> list[str]:
    return [product for product, pattern in _matches() if pattern.search(reply)]


def _exchange(ip: str, port: int, request: bytes) -> bytes:
    with socket.create_connection((ip, port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if port == 554 and b"\r\n\r\n" in data:
                break
    return data


@pytest.mark.parametrize(
    ("profile_id", "port", "request_bytes", "product"),
    [
        ("hikvision-ipc", 80, GET, "Hikvision IP camera httpd"),
        ("hilook-ipc", 80, GET, "Hikvision IP camera httpd"),
        ("hikvision-nvr", 80, GET, "Hikvision Network Video Recorder http admin"),
        ("annke-nvr", 80, GET, "Hikvision Network Video Recorder http admin"),
        ("dahua-ipc", 80, GET, "Dahua webcam httpd"),
        ("amcrest-ipc", 80, GET, "Dahua webcam httpd"),
        ("hisilicon-noname", 80, GET, "uc-httpd"),
        ("dahua-ipc", 554, RTSP, "Dahua IP camera rtspd"),
        ("hikvision-nvr", 554, RTSP, "Hikvision DVR rtspd"),
        ("lorex-ipc", 554, RTSP_CSEQ, "Lorex IP camera rtspd"),
    ],
)
def test_nmap_recognises_the_device(device, profile_id, port, request_bytes, product):
    dev = device(profile_id).start("http" if port == 80 else "rtsp")
    reply = _exchange(dev.ip, port, request_bytes)
    assert product in _identify(reply), reply[:300]


def test_non_hikvision_devices_are_not_taken_for_hikvision(device):
    for profile_id in ("axis-ipc", "bosch-ipc", "dahua-ipc"):
        dev = device(profile_id).start("http")
        assert not [p for p in _identify(_exchange(dev.ip, 80, GET)) if "Hikvision" in p]
