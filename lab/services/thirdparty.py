"""A device implementation we did not write: a real program run inside the device's namespace.

Our emulator and our parsers come from the same hands, so they agree with each other; a
third-party device (Debian's wsdd or avahi-daemon, minidlna, a PyPI ONVIF camera) shows
how real stacks answer.  The emulator starts the program through ``python -m lab.launch``
(namespace, private mounts, exec) in a session of its own, waits until it serves, and on
``lab down`` stops the whole process group (SIGTERM, then SIGKILL).  If the emulator
dies, ``lab down`` and the crash clean-up find the program by its namespace
(lab/netns.py, ``namespace_pids``).  Its output goes to ``thirdparty-<device>.log`` in
the lab's state directory.

``[services.thirdparty]`` keys:

* ``program``: what must be installed: an executable on PATH, or ``python:<module>`` for a
  module importable by the lab's interpreter; ``install`` says how to get it;
* ``command``: the argv (``${python}`` = the lab's interpreter, ``${dir}`` = the device's
  own directory, ``${ip}``, ``${ip6}``, ``${ll6}``, ``${mac}`` ... as for every service);
* ``files``: file name (under ``${dir}``, may hold a ``/``) -> content, written first;
* ``tmpfs``: directories given a private empty tmpfs (pid files of one-per-machine
  daemons); ``binds``: system path -> file or directory under ``${dir}`` mounted over it;
* ``ready``: sockets that must exist in the device's namespace before the device counts
  as serving (``"tcp/80"`` listening, ``"udp/3702"`` bound); ``ready_log``: a regex the
  program's output must show; ``ready_timeout`` (seconds, default 20).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Iterable, Mapping
from pathlib import Path
from typing import Any

from lab.services._util import runtime
from lab.services.base import DeviceContext

POLL_S = 0.05
STOP_GRACE_S = 1.2  # the emulator gives every closer 1.5 s
_TCP_LISTEN = "0A"


class ThirdPartyError(RuntimeError):
    """The program is missing, exited while starting, or never became ready."""


def missing(program: str) -> str | None:
    """Why ``program`` cannot run here (None when it can)."""
    if program.startswith("python:"):
        module = program.partition(":")[2]
        if importlib.util.find_spec(module) is None:
            return f"Python module {module!r} is not installed"
        return None
    if shutil.which(program) is None:
        return f"{program!r} is not installed"
    return None


def bound_ports(pid: int) -> set[str]:
    """``tcp/N`` (listening) and ``udp/N`` sockets in the network namespace of ``pid``."""
    out: set[str] = set()
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{proto}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) < 4 or (proto.startswith("tcp") and cols[3] != _TCP_LISTEN):
                continue
            port = int(cols[1].rpartition(":")[2], 16)
            out.add(f"{proto[:3]}/{port}")
    return out


class Program:
    """One running third-party program (the closer the emulator calls on shutdown)."""

    def __init__(self, ctx: DeviceContext, conf: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.conf = conf
        self.workdir = Path(ctx.workdir)
        self.logfile = Path(ctx.logfile)
        self.proc: subprocess.Popen[bytes] | None = None

    def prepare(self) -> Path:
        """Write the device's files and the launch spec; returns the spec's path."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name, content in dict(self.conf.get("files", {})).items():
            path = self.workdir / str(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(str(content), encoding="utf-8")
        binds = {
            str(target): str(self.workdir / str(source))
            for target, source in dict(self.conf.get("binds", {})).items()
        }
        spec = {
            "netns": self.ctx.netns,
            "argv": [str(a) for a in self.conf["command"]],
            "cwd": str(self.workdir),
            "tmpfs": [str(p) for p in self.conf.get("tmpfs", [])],
            "binds": binds,
            "env": dict(self.conf.get("env", {})),
        }
        path = self.workdir / "launch.json"
        path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
        return path

    def spawn(self, spec: Path) -> None:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        with self.logfile.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "lab.launch", str(spec)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: stopped as a whole
            )

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.logfile.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def wait_ready(self) -> None:
        assert self.proc is not None
        wanted = {str(p) for p in self.conf.get("ready", [])}
        pattern = self.conf.get("ready_log")
        deadline = time.monotonic() + float(self.conf.get("ready_timeout", 20.0))
        while True:
            if self.proc.poll() is not None:
                raise ThirdPartyError(
                    f"{self.conf['command'][0]} exited ({self.proc.returncode}) while "
                    f"starting:\n{self.log_tail()}"
                )
            have = bound_ports(self.proc.pid)
            logged = not pattern or re.search(str(pattern), self.log_tail(400), re.MULTILINE)
            if wanted <= have and logged:
                return
            if time.monotonic() > deadline:
                raise ThirdPartyError(
                    f"{self.conf['command'][0]} not ready: has {sorted(have)}, wants "
                    f"{sorted(wanted)}{', log ' + repr(pattern) if pattern else ''}\n"
                    f"{self.log_tail()}"
                )
            await asyncio.sleep(POLL_S)

    def close(self) -> Awaitable[None]:
        """SIGTERM the process group; the awaitable escalates to SIGKILL after a grace."""
        self._signal(signal.SIGTERM)
        return self._reap()

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)

    async def _reap(self) -> None:
        deadline = time.monotonic() + STOP_GRACE_S
        while self.proc is not None and self.proc.poll() is None:
            if time.monotonic() > deadline:
                self._signal(signal.SIGKILL)
                await asyncio.sleep(POLL_S)
                self.proc.poll()
                return
            await asyncio.sleep(POLL_S)


def _strings(value: Any) -> Iterable[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


async def start(ctx: DeviceContext) -> None:
    conf = dict(runtime(ctx, dict(ctx.service("thirdparty"))))
    conf["command"] = [a.replace("${python}", sys.executable) for a in _strings(conf["command"])]
    reason = missing(str(conf.get("program") or conf["command"][0]))
    if reason:
        hint = conf.get("install", "scripts/bootstrap.sh installs it")
        raise ThirdPartyError(f"{reason} ({hint})")
    program = Program(ctx, conf)
    program.spawn(program.prepare())
    ctx.closers.append(program)
    ctx.record("thirdparty", "started", {"argv": conf["command"], "pid": program.proc.pid})  # type: ignore[union-attr]
    await program.wait_ready()
