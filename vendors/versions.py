"""The versions of the knowledge a verdict rests on, recorded with every scan and report.

An auditor re-reading a report a year later must know which MAC registry, catalogue and
policy packs produced it: the dates come from the data files themselves.
"""

from __future__ import annotations

from core import __version__
from vendors.catalogue import load_catalogue
from vendors.oui import registry_date
from vendors.policies import load_policies


def data_versions() -> dict[str, str]:
    """Name -> version: camaudit, mac_registry, catalogue, and ``policy.<id>`` per pack.

    A data file that fails to load is reported as ``unavailable: <reason>`` rather than
    raising: a scan must still record what it could.
    """
    out = {"camaudit": __version__}
    try:
        date = registry_date()
        out["mac_registry"] = date.isoformat() if date else "unknown"
    except Exception as exc:  # a broken data file must not stop a scan
        out["mac_registry"] = f"unavailable: {exc}"
    try:
        cat = load_catalogue()
        out["catalogue"] = cat.as_of.isoformat() if cat.as_of else "unknown"
    except Exception as exc:
        out["catalogue"] = f"unavailable: {exc}"
    try:
        for pack in load_policies().packs:
            out[f"policy.{pack.id}"] = f"{pack.version} ({pack.as_of.isoformat()})"
    except Exception as exc:
        out["policies"] = f"unavailable: {exc}"
    return out
