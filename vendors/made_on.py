"""When a device was made, as far as its own evidence says.

§889 asks who *produced* the equipment, so an OEM or subsidiary link is judged at the date the
unit was made, not the date of the audit: a Lorex recorder built while Dahua made Lorex's
recorders stays Dahua-made after the brand changed hands.  Two kinds of evidence date a unit:

- a serial number that embeds its production date (Hikvision: model + YYYYMMDD + batch, e.g.
  ``DS-2CD2385G1-I20200414AAWRE33842150``, as SADP and ISAPI report it): firm;
- the build date of the firmware it runs (Hikvision ``V5.5.82 build 190909``, Dahua and its
  OEMs ``2.622.00LR000.10.R,build:2019-03-14``): approximate, since firmware may be updated
  after the unit left the factory; the unit was most likely made around or before that date.

Pure: strings in, a date out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

SERIAL_FIELDS = ("sadp.DeviceSN", "isapi.serialNumber", "onvif.serial", "user.serial")
FIRMWARE_FIELDS = (
    "sadp.SoftwareVersion",
    "isapi.firmwareVersion",
    "onvif.firmware",
    "dhip.Version",
    "dahua.softwareVersion",
    "user.firmware",
)

_HIK_SERIAL = re.compile(r"^[A-Za-z][A-Za-z0-9\-/()+]*?(\d{4})(\d{2})(\d{2})[A-Z]{4}[A-Z0-9]{9}$")
_BUILD_ISO = re.compile(
    r"build(?:\s*date)?\s*[:=]?\s*((?:19|20)\d{2})[-./](\d{2})[-./](\d{2})", re.I
)
_BUILD_YYMMDD = re.compile(r"\bbuild\s?(\d{2})(\d{2})(\d{2})\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Dated:
    """A production date, the evidence it comes from, and whether it is firm."""

    date: dt.date
    how: str
    firm: bool


def _date(year: int, month: int, day: int) -> dt.date | None:
    if not 2000 <= year <= 2099:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _from_serial(value: str) -> dt.date | None:
    match = _HIK_SERIAL.match(value.strip())
    return _date(*(int(g) for g in match.groups())) if match else None


def _from_firmware(value: str) -> dt.date | None:
    if match := _BUILD_ISO.search(value):
        return _date(*(int(g) for g in match.groups()))
    if match := _BUILD_YYMMDD.search(value):
        year, month, day = (int(g) for g in match.groups())
        return _date(2000 + year, month, day)
    return None


def production_date(pairs: Iterable[tuple[str, str]]) -> Dated | None:
    """The date a device was made, from (field, value) evidence pairs, or None.

    A dated serial wins over a firmware build date; among firmware dates the earliest counts
    (an updated unit reports a later build than the one it left the factory with).
    """
    builds: list[tuple[dt.date, str, str]] = []
    for name, value in pairs:
        if name in SERIAL_FIELDS and (made := _from_serial(value)):
            return Dated(made, f"serial {value!r} embeds the production date", firm=True)
        if name in FIRMWARE_FIELDS and (built := _from_firmware(value)):
            builds.append((built, name, value))
    if not builds:
        return None
    built, name, value = min(builds)
    how = (
        f"{name} {value!r} was built on {built.isoformat()}; the unit was most likely made "
        "around or before then"
    )
    return Dated(built, how, firm=False)
