"""What changed between two scans: new and gone devices, and per-device changes.

``diff_scans`` is pure (two Scan objects in, a ScanDiff out) so it is tested table-driven;
``new_devices`` is the one helper that reads the store, for ``camaudit scan --notify-new``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.model import Device, Scan

if TYPE_CHECKING:
    from inventory.store import Store

# Where a firmware version shows up when identify() did not set Identity.firmware.
FIRMWARE_FIELDS = (
    "onvif.firmware",
    "isapi.firmwareVersion",
    "sadp.SoftwareVersion",
    "dahua.softwareVersion",
    "dhip.Version",
)


class ChangeKind(enum.StrEnum):
    IP = "ip"
    FIRMWARE = "firmware"
    IDENTITY = "identity"
    VERDICT = "verdict"


@dataclass(frozen=True, slots=True)
class DeviceChange:
    key: str
    kind: ChangeKind
    before: str
    after: str
    policy: str = ""  # for verdict changes

    def describe(self) -> str:
        what = f"verdict {self.policy}" if self.policy else self.kind.value
        return f"{self.key}: {what} {self.before or '-'} -> {self.after or '-'}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind.value,
            "policy": self.policy,
            "before": self.before,
            "after": self.after,
        }


@dataclass(slots=True)
class ScanDiff:
    before_id: int | None
    after_id: int | None
    new: list[Device] = field(default_factory=list)
    gone: list[Device] = field(default_factory=list)
    changes: list[DeviceChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.new or self.gone or self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": self.before_id,
            "after": self.after_id,
            "new": [_brief(d) for d in self.new],
            "gone": [_brief(d) for d in self.gone],
            "changes": [c.to_dict() for c in self.changes],
        }


def _brief(dev: Device) -> dict[str, Any]:
    ident = dev.identity
    return {
        "key": dev.key,
        "ip": dev.ip,
        "maker": ident.maker if ident else None,
        "brand": ident.brand if ident else None,
        "model": ident.model if ident else None,
    }


def firmware_of(dev: Device) -> str:
    if dev.identity and dev.identity.firmware:
        return dev.identity.firmware
    return dev.text(*FIRMWARE_FIELDS)


def identity_label(dev: Device) -> str:
    """``maker/brand/model`` as compared by the diff (blank parts for unknowns)."""
    ident = dev.identity
    if ident is None:
        return ""
    return "/".join(part or "" for part in (ident.maker, ident.brand, ident.model))


def _ips(dev: Device) -> str:
    return ", ".join(sorted(dev.ips))


_SIMPLE: tuple[tuple[ChangeKind, Callable[[Device], str]], ...] = (
    (ChangeKind.IP, _ips),
    (ChangeKind.FIRMWARE, firmware_of),
    (ChangeKind.IDENTITY, identity_label),
)


def device_changes(before: Device, after: Device) -> list[DeviceChange]:
    """How one box changed between two scans (same key)."""
    out = [
        DeviceChange(after.key, kind, get(before), get(after))
        for kind, get in _SIMPLE
        if get(before) != get(after)
    ]
    for policy in sorted(set(before.verdicts) | set(after.verdicts)):
        old, new = before.verdicts.get(policy), after.verdicts.get(policy)
        old_s = old.status.value if old else ""
        new_s = new.status.value if new else ""
        if old_s != new_s:
            out.append(DeviceChange(after.key, ChangeKind.VERDICT, old_s, new_s, policy))
    return out


def diff_scans(before: Scan, after: Scan) -> ScanDiff:
    """Devices that appeared, vanished or changed from ``before`` to ``after`` (keyed by box)."""
    old = {d.key: d for d in before.devices}
    new = {d.key: d for d in after.devices}
    diff = ScanDiff(before.id, after.id)
    diff.new = [d for k, d in new.items() if k not in old]
    diff.gone = [d for k, d in old.items() if k not in new]
    for key, dev in new.items():
        if key in old:
            diff.changes.extend(device_changes(old[key], dev))
    return diff


def new_devices(store: Store, scan_id: int) -> list[Device]:
    """Devices in a scan that the previous complete scan of the same targets did not see.

    With no earlier scan there is no baseline, so nothing counts as new (a scheduled audit's
    first run establishes the baseline instead of alerting on every device).
    """
    previous = store.previous_scan(scan_id, same_targets=True)
    if previous is None:
        return []
    return diff_scans(store.load_scan(previous), store.load_scan(scan_id)).new
