"""Suite-wide guards.

Network safety: tests never send from the machine's own network namespace.  Outside the
lab, every socket connect/send to a non-loopback address raises, and ``CAMAUDIT_LAB_ONLY``
is set so discovery code refuses too (core.netguard).  Lab tests run inside the lab's
scanner namespace (tests/lab/conftest.py), where the guard allows lab addresses.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from core import netguard

os.environ[netguard.LAB_ONLY_ENV] = "1"
# Scans save by default: tests (and the CLI processes they start) never write to the
# developer's real inventory database or policy folder.
_SANDBOX = tempfile.mkdtemp(prefix="camaudit-tests-")
os.environ["CAMAUDIT_DB"] = os.path.join(_SANDBOX, "inventory.sqlite")
os.environ.setdefault("XDG_DATA_HOME", os.path.join(_SANDBOX, "data"))
os.environ.setdefault("XDG_CONFIG_HOME", os.path.join(_SANDBOX, "config"))

LAB_NET = ipaddress.ip_network("198.18.0.0/15")


def _destination_allowed(address: Any) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return bool(host == "localhost")
    if ip.is_loopback:
        return True
    if (ip.version == 4 and ip in LAB_NET) or ip.is_multicast:
        return not netguard.in_root_namespace()
    return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _destination_allowed(address):
        raise netguard.UnsafeNetworkError(f"test tried to connect to {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _destination_allowed(address):
        raise netguard.UnsafeNetworkError(f"test tried to connect to {address!r}")
    return _real_connect_ex(self, address)


def _guarded_sendto(self: socket.socket, data: Any, *args: Any) -> Any:
    address = args[-1]
    if not _destination_allowed(address):
        raise netguard.UnsafeNetworkError(f"test tried to send to {address!r}")
    return _real_sendto(self, data, *args)


@pytest.fixture(autouse=True, scope="session")
def _network_guard() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = _guarded_sendto  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
        socket.socket.sendto = _real_sendto  # type: ignore[method-assign]
