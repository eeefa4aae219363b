from __future__ import annotations

import socket

import pytest

from core import netguard


def test_lab_only_refuses_in_root_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(netguard.LAB_ONLY_ENV, "1")
    monkeypatch.setattr(netguard, "in_root_namespace", lambda: True)
    with pytest.raises(netguard.UnsafeNetworkError):
        netguard.check_send_allowed("a WS-Discovery probe")


def test_lab_only_off_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(netguard.LAB_ONLY_ENV, raising=False)
    monkeypatch.setattr(netguard, "in_root_namespace", lambda: True)
    netguard.check_send_allowed("a probe")


@pytest.mark.skipif(not netguard.in_root_namespace(), reason="checks the root-namespace guard")
def test_suite_guard_blocks_real_addresses() -> None:
    # 192.0.2.1 is TEST-NET-1; the guard must refuse before anything leaves the socket.
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        with pytest.raises(netguard.UnsafeNetworkError):
            sock.sendto(b"x", ("192.0.2.1", 9))
        with pytest.raises(netguard.UnsafeNetworkError):
            sock.sendto(b"x", ("239.255.255.250", 3702))
    finally:
        sock.close()
