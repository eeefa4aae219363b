"""Dispositions: what the organisation decided to do about a device.

A disposition belongs to the device's stable key (``mac:…``, ``serial:…``), never to its IP,
so it carries over to every later scan of the same box.  Each decision is kept with who made
it, when and why; the newest one wins.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.model import utcnow


class DispositionStatus(enum.StrEnum):
    EXCEPTION_GRANTED = "exception_granted"
    SCHEDULED_FOR_REMOVAL = "scheduled_for_removal"
    REMOVED = "removed"
    FALSE_POSITIVE = "false_positive"


class DispositionError(ValueError):
    """A disposition a user asked for that cannot be recorded as given."""


@dataclass(frozen=True, slots=True)
class Disposition:
    device_key: str
    status: DispositionStatus
    by: str
    reason: str
    date: dt.date | None = None  # the planned removal date (scheduled_for_removal)
    recorded_at: dt.datetime = field(default_factory=utcnow)

    def describe(self) -> str:
        """One line for tables and reports: status, date, who, when."""
        label = self.status.value.replace("_", " ")
        if self.date:
            label += f" ({self.date.isoformat()})"
        return f"{label}: {self.reason} ({self.by}, {self.recorded_at.date().isoformat()})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "device_key": self.device_key,
            "status": self.status.value,
            "by": self.by,
            "reason": self.reason,
            "date": self.date.isoformat() if self.date else None,
            "recorded_at": self.recorded_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Disposition:
        date = data.get("date")
        return cls(
            device_key=str(data["device_key"]),
            status=DispositionStatus(data["status"]),
            by=str(data["by"]),
            reason=str(data["reason"]),
            date=dt.date.fromisoformat(date) if date else None,
            recorded_at=dt.datetime.fromisoformat(data["recorded_at"]),
        )


def make_disposition(
    device_key: str,
    status: str,
    by: str,
    reason: str,
    date: str | None = None,
    recorded_at: dt.datetime | None = None,
) -> Disposition:
    """Validate user input into a Disposition, or raise DispositionError saying what is wrong."""
    try:
        kind = DispositionStatus(status)
    except ValueError:
        choices = ", ".join(s.value for s in DispositionStatus)
        raise DispositionError(f"unknown status {status!r} (choose one of: {choices})") from None
    if not by.strip():
        raise DispositionError("say who decided (--by NAME)")
    if not reason.strip():
        raise DispositionError("say why (--reason TEXT)")
    when = _parse_date(date) if date else None
    if kind is DispositionStatus.SCHEDULED_FOR_REMOVAL and when is None:
        raise DispositionError("scheduled_for_removal needs the removal date (--date YYYY-MM-DD)")
    return Disposition(
        device_key=device_key.strip(),
        status=kind,
        by=by.strip(),
        reason=reason.strip(),
        date=when,
        recorded_at=recorded_at or utcnow(),
    )


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise DispositionError(f"bad date {text!r}: use YYYY-MM-DD") from None
