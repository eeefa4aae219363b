"""Helpers for lab tests: the machine's namespace, hand-made devices, the CLI as a process."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core import netguard
from lab import netns
from lab.state import LabState

ROOT = Path(__file__).resolve().parents[2]
DEVICES_ENV = "CAMAUDIT_LAB_DEVICES"
# Opened at import, before any test moved the main thread: the namespace pytest started in.
_MACHINE_NS = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)


def lab_unavailable() -> str | None:
    """Why the lab cannot be built here (None if it can)."""
    if os.geteuid() != 0:
        return f"lab tests need root (network namespaces); running as uid {os.geteuid()}"
    if shutil.which("ip") is None:
        return "lab tests need iproute2 (`ip`)"
    if not netguard.in_root_namespace():
        return "pytest runs inside a network namespace; start it in the machine's namespace"
    return None


@contextlib.contextmanager
def machine_namespace() -> Iterator[None]:
    """Run the block (and processes it starts) in the namespace pytest started in."""
    here = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        netns.setns_fd(_MACHINE_NS)
        yield
    finally:
        netns.setns_fd(here)
        os.close(here)


@dataclass(frozen=True)
class Spec:
    """A hand-made device for tests (lab.profile.DeviceSpec has the same fields)."""

    name: str
    profile_id: str
    mac: str
    profile: dict[str, Any] = field(default_factory=dict)


def run_cli(
    *args: str, machine: bool = True, user: int | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``camaudit ARGS`` as a separate process (from the machine's namespace by default)."""
    argv = [sys.executable, "-m", "main", *args]
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
    ctx = machine_namespace() if machine else contextlib.nullcontext()
    with ctx:
        return subprocess.run(
            argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )


@contextlib.contextmanager
def in_scanner(lab: LabState) -> Iterator[None]:
    """Enter the scanner namespace here: a module-scoped fixture is set up before the
    per-test switch of tests/lab/conftest.py, i.e. still in the machine's namespace."""
    import pytest

    switch = netns.NamespaceSwitch()
    try:
        with switch.inside(lab.scanner_ns):
            if netguard.current_namespace_name() != lab.scanner_ns or netguard.in_root_namespace():
                pytest.fail("refusing to scan outside the lab")
            yield
    finally:
        switch.close()


def ip_json(*args: str) -> Any:
    out = subprocess.run(["ip", "-j", *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout or "[]")
