"""Start one third-party device program inside its device's namespace.

``python -m lab.launch SPEC.json`` enters the network namespace the spec names, gives the
program a mount namespace of its own (``/sys`` remounted for that network namespace, as
``ip netns exec`` does; private tmpfs directories; per-device files bound over system
paths), changes to the device's directory and execs the program.  Daemons written for one
instance per machine (avahi-daemon's pid file and its ``/etc/avahi/services``) then run
once per device without knowing it.

The spec (written by lab/services/thirdparty.py)::

    {"netns": "camlab-d001", "argv": ["wsdd", "-i", "eth0"], "cwd": "/run/...",
     "tmpfs": ["/run/avahi-daemon"], "binds": {"/etc/avahi/services": "/run/.../services"}}
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lab import netns

CLONE_NEWNS = 0x00020000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True)


class LaunchError(OSError):
    """The namespace, a mount or the program itself could not be set up."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise LaunchError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str, target: str, fstype: str | None, flags: int) -> None:
    _check(
        _libc.mount(
            source.encode(), target.encode(), fstype.encode() if fstype else None, flags, None
        ),
        f"mount {source} on {target}",
    )


def private_mounts(tmpfs: list[str], binds: Mapping[str, str]) -> None:
    """A mount namespace of our own: nothing mounted here is seen by the machine."""
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    # /sys shows the network namespace of whoever mounted it: remount it for ours, so
    # programs listing /sys/class/net see eth0 of the device, not the machine's.
    _check(_libc.umount2(b"/sys", MNT_DETACH), "umount /sys")
    _mount("sysfs", "/sys", "sysfs", 0)
    for path in tmpfs:
        Path(path).mkdir(parents=True, exist_ok=True)
        _mount("tmpfs", path, "tmpfs", 0)
    for target, source in binds.items():
        _mount(source, target, None, MS_BIND)


def run(spec: Mapping[str, Any]) -> None:
    """Enter, mount, exec: returns only by raising."""
    netns.enter_for_good(str(spec["netns"]))
    private_mounts(list(spec.get("tmpfs", [])), dict(spec.get("binds", {})))
    os.chdir(str(spec.get("cwd") or "/"))
    argv = [str(a) for a in spec["argv"]]
    env = {**os.environ, **{str(k): str(v) for k, v in dict(spec.get("env", {})).items()}}
    os.execvpe(argv[0], argv, env)  # noqa: S606 - the profile's program, fixed argv


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m lab.launch SPEC.json", file=sys.stderr)
        return 2
    try:
        run(json.loads(Path(args[0]).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        print(f"lab.launch: {exc}", file=sys.stderr)
        return 127
    return 0  # pragma: no cover - exec does not return


if __name__ == "__main__":
    sys.exit(main())
