"""RTSP banners and realms, the tarpit, and the 20 MB reply."""

from __future__ import annotations

import socket
import time

import pytest


def _rtsp(ip, request):
    with socket.create_connection((ip, 554), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    lines = data.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return lines[0], headers


def test_rtsp_options_echoes_cseq_with_the_server_banner(device):
    cam = device("dahua-ipc").start("rtsp")
    status, headers = _rtsp(
        cam.ip, f"OPTIONS rtsp://{cam.ip}/ RTSP/1.0\r\nCSeq: 7\r\n\r\n".encode()
    )
    assert status == "RTSP/1.0 200 OK"
    assert headers["CSeq"] == "7" and headers["Server"] == "Dahua Rtsp Server"
    assert "DESCRIBE" in headers["Public"]


def test_rtsp_describe_without_credentials_gives_the_realm(device):
    cam = device("dahua-ipc").start("rtsp")
    status, headers = _rtsp(
        cam.ip, f"DESCRIBE rtsp://{cam.ip}/ RTSP/1.0\r\nCSeq: 3\r\n\r\n".encode()
    )
    assert status == "RTSP/1.0 401 Unauthorized" and headers["CSeq"] == "3"
    serial = cam.ctx.profile["identity"]["serial"]
    assert headers["WWW-Authenticate"].startswith(f'Digest realm="Login to {serial}", nonce="')
    assert cam.kinds("rtsp") == ["DESCRIBE"] and cam.records[-1][2]["credentials"] is False


def test_rtsp_survives_garbage(device):
    cam = device("hikvision-ipc").start("rtsp")
    status, _ = _rtsp(cam.ip, b"\x16\x03\x01 not rtsp\r\n\r\n")
    assert status == "RTSP/1.0 400 Bad Request"
    status, headers = _rtsp(cam.ip, b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n")
    assert status == "RTSP/1.0 200 OK" and "Server" not in headers


def test_tarpit_accepts_and_never_answers(device):
    pit = device("hostile-tarpit").start("tarpit")
    with socket.create_connection((pit.ip, 80), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(1)
    deadline = time.monotonic() + 2
    while not pit.kinds("tarpit") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pit.kinds("tarpit") == ["connect"]


def test_huge_reply_is_twenty_megabytes(device):
    import http.client

    big = device("hostile-huge-http").start("http")
    conn = http.client.HTTPConnection(big.ip, 80, timeout=10)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert (
        response.status == 200
        and int(response.getheader("Content-Length", "0")) == 20 * 1024 * 1024
    )
    total = 0
    while chunk := response.read(1 << 20):
        total += len(chunk)
    conn.close()
    assert total == 20 * 1024 * 1024
