"""Where this process may send packets from.

Development rule (docs/design.md): nothing is ever sent from the machine's own (root) network
namespace, because multicast, ARP and broadcast there reach a real network.  Discovery
code calls :func:`check_send_allowed` before its first packet; when
``CAMAUDIT_LAB_ONLY=1`` (the test suite and the demo set it) it refuses unless the
process sits in a namespace other than the root one.  A normal user scanning their own
LAN does not set the variable.
"""

from __future__ import annotations

import os
from pathlib import Path

LAB_ONLY_ENV = "CAMAUDIT_LAB_ONLY"
NETNS_RUN_DIR = Path("/run/netns")


class UnsafeNetworkError(RuntimeError):
    """Raised instead of sending a packet from a namespace that reaches a real network."""


def _ns_inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _root_ns_inode() -> int | None:
    """The machine's network namespace: PID 1's, else kthreadd's.

    Some containers deny even root a look at PID 1's namespace links (PID 1 holds a
    capability we lack); kernel threads always live in the initial namespace and stay
    readable, so kthreadd (PID 2, when it is kthreadd) stands in for PID 1.
    """
    root = _ns_inode("/proc/1/ns/net")
    if root is not None:
        return root
    try:
        is_kthreadd = Path("/proc/2/comm").read_text().strip() == "kthreadd"
    except OSError:
        return None
    return _ns_inode("/proc/2/ns/net") if is_kthreadd else None


def in_root_namespace() -> bool:
    """True when this process shares PID 1's network namespace (the real network)."""
    mine, root = _ns_inode("/proc/self/ns/net"), _root_ns_inode()
    if mine is None or root is None:
        return True  # cannot tell: assume the worst
    return mine == root


def current_namespace_name() -> str | None:
    """The ``ip netns`` name of this process's namespace, if it has one."""
    mine = _ns_inode("/proc/self/ns/net")
    if mine is None or not NETNS_RUN_DIR.is_dir():
        return None
    for entry in sorted(NETNS_RUN_DIR.iterdir()):
        if _ns_inode(str(entry)) == mine:
            return entry.name
    return None


def lab_only() -> bool:
    return os.environ.get(LAB_ONLY_ENV, "") not in ("", "0")


def check_send_allowed(what: str) -> None:
    """Refuse to send ``what`` when lab-only mode is on and we are in the root namespace."""
    if lab_only() and in_root_namespace():
        raise UnsafeNetworkError(
            f"refusing to send {what}: {LAB_ONLY_ENV} is set and this process is in the "
            "machine's own network namespace (run it inside the lab: `camaudit lab exec -- ...`)"
        )
