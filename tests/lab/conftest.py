"""The lab for the test session, and the guard that keeps lab tests inside it.

- ``lab`` (session): builds the default device mix once (``CAMAUDIT_LAB_DEVICES=N`` for N
  devices instead) under a prefix of its own, and removes it at the end of the session,
  also after failures.  Lab tests skip only when not root.
- Every test marked ``@pytest.mark.lab`` runs with the pytest main thread moved into the
  lab's scanner namespace (threads and child processes it starts inherit it) and back out
  afterwards, so unit tests that follow still run in the machine's namespace.  A guard
  fails the test if it would not run inside the lab.
- ``make_lab``: extra small labs for lifecycle tests, removed after the test.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from core import netguard
from lab import netns, profile
from lab.state import LabState
from tests.lab.helpers import DEVICES_ENV, lab_unavailable, machine_namespace


def _session_prefix() -> str:
    return f"t{os.getpid() % 10**8}"


@pytest.fixture(scope="session")
def lab() -> Iterator[LabState]:
    reason = lab_unavailable()
    if reason:
        pytest.skip(reason)
    count = os.environ.get(DEVICES_ENV)
    specs = profile.build_mix(int(count) if count else None)
    prefix = _session_prefix()
    with machine_namespace():
        state = netns.up(specs, prefix=prefix, bound_to=os.getpid())
    try:
        failures = state.extra.get("failures") or []
        if failures:
            pytest.fail(f"lab services failed to start: {failures[:5]} (see {state.emulator_log})")
        yield state
    finally:
        with machine_namespace():
            netns.down(prefix)


def _refresh_namespace_caches() -> None:
    """Forget what libraries learnt about the namespace the thread just left.

    A real scan runs in one namespace for its whole life; a test session moves between the
    machine's and the scanner's.  scapy reads interfaces (names, indexes, MACs) and routes
    once, at import: imported by an earlier unit test, it would bind to the machine's eth0
    index inside the lab (ENODEV) or route by the machine's table.
    """
    scapy_config = sys.modules.get("scapy.config")
    if scapy_config is None:
        return
    conf = scapy_config.conf
    conf.ifaces.reload()
    for table in (getattr(conf, "route", None), getattr(conf, "route6", None)):
        if table is not None:
            table.resync()


@pytest.fixture(autouse=True)
def _inside_lab(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("lab") is None:
        yield
        return
    state: LabState = request.getfixturevalue("lab")
    switch = netns.NamespaceSwitch()
    try:
        with switch.inside(state.scanner_ns):
            where = netguard.current_namespace_name()
            if where != state.scanner_ns or netguard.in_root_namespace():
                pytest.fail(f"refusing to run a lab test outside the lab (namespace: {where})")
            _refresh_namespace_caches()
            yield
    finally:
        switch.close()
        _refresh_namespace_caches()


@pytest.fixture
def make_lab() -> Iterator[Callable[..., LabState]]:
    """Build extra labs from the machine's namespace; each is removed after the test."""
    made: list[str] = []

    def build(
        devices: Sequence[Any], prefix: str, service_package: str = "lab.services"
    ) -> LabState:
        made.append(prefix)
        with machine_namespace():
            return netns.up(
                devices, prefix=prefix, service_package=service_package, bound_to=os.getpid()
            )

    yield build
    with machine_namespace():
        for prefix in made:
            netns.down(prefix)
