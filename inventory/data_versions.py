"""Which data a scan was judged with: MAC registry date, catalogue date, policy pack versions.

A report is only as good as its data, so every stored scan says which versions it used (the
title page prints them).  A piece that cannot be read is recorded as "unavailable", not fatal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from vendors.catalogue import load_catalogue
from vendors.oui import registry_date
from vendors.policies import load_policies

UNAVAILABLE = "unavailable"


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else "unknown"


def policy_versions(packs: Iterable[Any]) -> dict[str, str]:
    return {f"policy:{p.id}": f"{p.version} (as of {_iso(p.as_of)})" for p in packs}


def current_data_versions(
    policy_ids: Sequence[str] | None = None, packs: Iterable[Any] | None = None
) -> dict[str, str]:
    """The versions in use now; ``packs`` (already loaded) spares loading them again."""
    out: dict[str, str] = {}
    try:
        out["mac_registry"] = _iso(registry_date())
    except Exception:  # a broken registry file: the scan still records that it was unknown
        out["mac_registry"] = UNAVAILABLE
    try:
        out["catalogue"] = _iso(load_catalogue().as_of)
    except Exception:  # same for the catalogue
        out["catalogue"] = UNAVAILABLE
    if packs is None:
        try:
            packs = load_policies(list(policy_ids) if policy_ids else None).packs
        except Exception:  # and for the policy packs
            packs = []
    out.update(policy_versions(packs))
    return out
