"""The versions of the knowledge a verdict rests on, recorded with every scan and report.

An auditor re-reading a report a year later must know which camaudit, MAC registry,
catalogue and policy packs produced it: the dates come from the data files themselves.
This is the only writer of that record; scans, imports and the GUI all call it.
"""

from __future__ import annotations

from collections.abc import Iterable

from core import __version__
from vendors.catalogue import load_catalogue
from vendors.oui import registry_date
from vendors.pen import default_pen_registry
from vendors.policies import Policy, load_policies

UNAVAILABLE = "unavailable"


def policy_versions(packs: Iterable[Policy]) -> dict[str, str]:
    """``policy:<id>`` -> ``<version> (as of <date>)`` for each pack."""
    return {f"policy:{p.id}": f"{p.version} (as of {p.as_of.isoformat()})" for p in packs}


def recog_version() -> str:
    """The installed rapid7/recog copy (``rapid7/recog 14fa1a7 (2026-06-29)``), or why none."""
    from vendors.recog.store import MANIFEST, current_dir, read_manifest  # noqa: PLC0415

    directory = current_dir()
    if not (directory / MANIFEST).exists():
        return "not installed"
    try:
        return read_manifest(directory).version
    except Exception as exc:  # a damaged copy: identification runs without it, say so
        return f"{UNAVAILABLE}: {exc}"


def data_versions(packs: Iterable[Policy] | None = None) -> dict[str, str]:
    """Name -> version: ``camaudit``, ``mac_registry``, ``enterprise_numbers``, ``catalogue``,
    ``recog``, ``policy:<id>``.

    ``packs`` are the packs the scan judges with (default: every pack that loads).  A data
    file that fails to load is recorded as ``unavailable: <reason>`` rather than raising: a
    scan must still record what it could.
    """
    out = {"camaudit": __version__}
    try:
        date = registry_date()
        out["mac_registry"] = date.isoformat() if date else "unknown"
    except Exception as exc:  # a broken data file must not stop a scan
        out["mac_registry"] = f"{UNAVAILABLE}: {exc}"
    try:
        pen_date = default_pen_registry().data_as_of
        out["enterprise_numbers"] = pen_date.isoformat() if pen_date else "unknown"
    except Exception as exc:
        out["enterprise_numbers"] = f"{UNAVAILABLE}: {exc}"
    try:
        cat = load_catalogue()
        out["catalogue"] = cat.as_of.isoformat() if cat.as_of else "unknown"
    except Exception as exc:
        out["catalogue"] = f"{UNAVAILABLE}: {exc}"
    out["recog"] = recog_version()
    try:
        out.update(policy_versions(load_policies().packs if packs is None else packs))
    except Exception as exc:
        out["policies"] = f"{UNAVAILABLE}: {exc}"
    return out
