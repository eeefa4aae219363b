"""The lab's request log: what the scanner asked each simulated device.

The emulator appends one JSON line per request a service reports (``ctx.record``), flushed
at once, so a test that got its answer can read the record straight away.  Tests use
:func:`read_log` to prove what was sent (and, as important, what was not: no ``Set*``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from lab.state import LabState

MAX_TEXT = 4096  # a hostile peer's 10 MB body must not swell the log


@dataclass(frozen=True)
class Record:
    time: float  # unix time, as seen by the emulator
    device: str  # lab name, e.g. "d007"
    ip: str
    protocol: str  # wsd, onvif, http, rtsp, mdns, ssdp, sadp, dhip ...
    kind: str  # e.g. "probe", "GetDeviceInformation", "GET /ISAPI/System/deviceInfo"
    detail: Mapping[str, Any]


class RequestLog:
    """Appends records to ``path`` (the emulator's side)."""

    def __init__(self, path: Path) -> None:
        self._file: TextIO = path.open("a", encoding="utf-8", buffering=1)

    def record(
        self, device: str, ip: str, protocol: str, kind: str, detail: Mapping[str, Any]
    ) -> None:
        entry = {
            "time": time.time(),
            "device": device,
            "ip": ip,
            "protocol": protocol,
            "kind": _clip(kind),
            "detail": _clean(detail),
        }
        # One write per line, line-buffered: readers see whole lines.
        self._file.write(json.dumps(entry, default=repr) + "\n")

    def close(self) -> None:
        self._file.close()


def _clip(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT] + f"...(+{len(text) - MAX_TEXT} chars)"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _clip(value)
    if isinstance(value, bytes):
        return _clip(value.decode("latin-1"))
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    return value


def read_log(
    state: LabState | Path,
    since: float | None = None,
    device: str | None = None,
    protocol: str | None = None,
) -> list[Record]:
    """Records of a lab (or a log file), optionally only newer than ``since`` / one device."""
    path = state.request_log if isinstance(state, LabState) else state
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    records = [r for r in map(_parse, lines) if r is not None]
    return [
        r
        for r in records
        if (since is None or r.time >= since)
        and (device is None or r.device == device)
        and (protocol is None or r.protocol == protocol)
    ]


def _parse(line: str) -> Record | None:
    try:
        data = json.loads(line)
        return Record(
            time=float(data["time"]),
            device=str(data["device"]),
            ip=str(data["ip"]),
            protocol=str(data["protocol"]),
            kind=str(data["kind"]),
            detail=data.get("detail") if isinstance(data.get("detail"), dict) else {},
        )
    except (ValueError, KeyError, TypeError):
        return None  # a line being written right now, or damage: skip it
