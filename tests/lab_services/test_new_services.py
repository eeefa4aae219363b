"""The lab's greeting daemons, SIP user agent, TLS port and DHCP client, on loopback, spoken
to with plain sockets and the standard library (not with camaudit's probes)."""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from lab.services import dhcp as lab_dhcp


def _read(ip: str, port: int, want: int = 4096, wait: float = 1.0) -> bytes:
    """What the server sends within ``wait`` seconds (at most ``want`` bytes)."""
    end = time.monotonic() + wait
    with socket.create_connection((ip, port), timeout=5) as sock:
        data = b""
        try:
            while len(data) < want and (left := end - time.monotonic()) > 0:
                sock.settimeout(left)
                if not (chunk := sock.recv(4096)):
                    break
                data += chunk
        except TimeoutError:
            pass
    return data


def _records(dev, kind_prefix: str, tries: int = 50) -> list[dict[str, Any]]:
    for _ in range(tries):
        found = [d for p, k, d in dev.records if k.startswith(kind_prefix)]
        if found:
            return found
        time.sleep(0.02)
    return []


def test_axis_ftp_and_telnet_greet_first(device):
    cam = device("axis-216fd").start("banner")
    ftp = _read(cam.ip, 21, wait=0.5)
    assert ftp == b"220 AXIS 216FD Network Fixed Dome Camera 4.47 (Mar 13 2008) ready.\r\n"
    telnet = _read(cam.ip, 23, wait=0.5)
    assert telnet.startswith(bytes([255, 253, 1, 255, 253, 31]))  # BusyBox's option requests
    assert b"\r\nAXIS 216FD TELNET Network Fixed Dome Camera 4.47 (Mar 13 2008)\r\n" in telnet
    closed = _records(cam, "closed ftp")
    assert closed and closed[0]["received"] == 0


def test_the_daemons_count_what_a_client_sends_and_never_log_it_in(device):
    cam = device("axis-216fd").start("banner")
    with socket.create_connection((cam.ip, 21), timeout=5) as sock:
        sock.recv(4096)
        sock.sendall(b"USER root\r\nPASS x\r\n")
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(4096)  # no 331, no 230: nobody logs in here
    assert _records(cam, "closed ftp")[0]["received"] == len(b"USER root\r\nPASS x\r\n")


def test_hostile_greetings(device):
    bad = device("hostile-greetings").start("banner")
    assert len(_read(bad.ip, 23, want=100_000, wait=1.0)) >= 100_000  # no end to it
    slow = _read(bad.ip, 21, wait=1.2)
    assert 0 < len(slow) < len(b"220 slow ftp ready.\r\n")
    assert not _read(bad.ip, 22, wait=0.5).startswith(b"SSH-")


def _sip(ip: str, method: str, transport: str) -> bytes:
    request = (
        f"{method} sip:{ip} SIP/2.0\r\nVia: SIP/2.0/{transport} 127.0.0.1:5999;branch=z9hG4bK1\r\n"
        "From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:x>\r\nCall-ID: abc\r\nCSeq: 1 "
        f"{method}\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    if transport == "UDP":
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(2)
            sock.sendto(request, (ip, 5060))
            return sock.recv(65535)
    with socket.create_connection((ip, 5060), timeout=2) as sock:
        sock.sendall(request)
        return sock.recv(65535)


def test_door_station_answers_options_and_refuses_the_rest(device):
    door = device("axis-door-station").start("sip")
    for transport in ("UDP", "TCP"):
        reply = _sip(door.ip, "OPTIONS", transport).decode()
        assert reply.startswith("SIP/2.0 200 OK\r\n") and "Call-ID: abc\r\n" in reply
        assert "User-Agent: AXIS A8105-E Network Video Door Station\r\n" in reply
    assert _sip(door.ip, "REGISTER", "UDP").startswith(b"SIP/2.0 403 Forbidden")
    writes = [(k, d["write"]) for p, k, d in door.records if p == "sip"]
    assert writes == [("OPTIONS", False), ("OPTIONS", False), ("REGISTER", True)]


def test_hostile_sip_answers_garbage(device):
    bad = device("hostile-greetings").start("sip")
    assert not _sip(bad.ip, "OPTIONS", "UDP").startswith(b"SIP/2.0")


def _peer_cert(ip: str, port: int) -> x509.Certificate:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection((ip, port), timeout=5) as raw, ctx.wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der
    return x509.load_der_x509_certificate(der)


def test_dahua_nvr_https_certificate_is_issued_by_the_dahua_device_ca(device):
    nvr = device("dahua-nvr").start("http")
    cert = _peer_cert(nvr.ip, 443)
    issuer_cn = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert issuer_cn == "Dahua Device NVR CA"
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == nvr.ip
    assert cert.issuer != cert.subject


def test_huge_certificate_port(device):
    bad = device("hostile-greetings").start("tls")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection((bad.ip, 443), timeout=5) as raw, pytest.raises(ssl.SSLError):
        ctx.wrap_socket(raw)  # OpenSSL refuses a 200 KB certificate


def test_dhcp_client_sends_nothing_outside_a_lab_namespace(device, monkeypatch):
    sent: list[object] = []
    monkeypatch.setattr(socket.socket, "sendto", lambda *a: sent.append(a))
    cam = device("axis-ipc").start("dhcp")  # ctx.announce is off on loopback
    time.sleep(0.1)
    assert sent == [] and cam.ctx.closers == []


def test_dhcp_discover_layout():
    raw = lab_dhcp.discover("00:40:8c:12:34:56", 1, "AXIS,Network", "axis-1", [1, 3])
    assert raw[0] == 1 and raw[28:34] == bytes.fromhex("00408c123456")
    assert raw[236:240] == b"\x63\x82\x53\x63" and raw[240:243] == b"\x35\x01\x01"
    assert raw.endswith(b"\x37\x02\x01\x03\xff")
